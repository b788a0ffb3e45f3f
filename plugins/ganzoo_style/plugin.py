"""Hooks of the neural-style plugin (torch-free: the command module imports torch only when it runs)."""

from typing import TYPE_CHECKING

from ganzoo.plugin import Register, hookimpl

if TYPE_CHECKING:
    import click


@hookimpl
def register_architectures(register: Register) -> None:
    register(
        "neural-style",
        "ganzoo_style.model:NeuralStyle",
        summary="Neural style transfer (Gatys et al. 2016): optimise an image's VGG19 features; no training",
        tags=["style-transfer", "vgg19", "optimisation"],
        metadata={
            "task": "style-transfer",
            "paper": "arXiv:1508.06576",
            "defaults": {
                "weights": "imagenet: torchvision's VGG19_Weights.IMAGENET1K_V1 (vgg19-dcbb9e9d.pth)",
                "layers": "content relu4_2; style relu1_1, relu2_1, relu3_1, relu4_1, relu5_1",
                "optimizer": "L-BFGS, 300 steps; content weight 1, style weight 1000, tv weight 1",
            },
            "command": "ganzoo style-transfer CONTENT STYLE -o OUT.png",
            "test_kwargs": {"weights": "random"},
        },
    )


@hookimpl
def register_commands(cli: "click.Group") -> None:
    from ganzoo_style.command import style_transfer_command

    cli.add_command(style_transfer_command)
