"""A third-party plugin as a new author writes it, with the mistakes authors make (torch-free hooks)."""

from ganzoo.plugin import hookimpl


@hookimpl
def register_losses(register):
    register("bad-signature", "ganzoo_fake_author_code:ForgetsTargets",
             summary="A BCE loss whose d_loss forgot the target arguments")
    register("plain-function", "ganzoo_fake_author_code:plain_loss", summary="A loss written as a function")


@hookimpl
def register_architectures(register):
    register("author-mlp", "ganzoo_fake_author_code:AuthorMLP", summary="The vanilla MLP under another name",
             metadata={"task": "unconditional"})
