"""A well-behaved plugin: one architecture and one command."""

import click

from ganzoo import hookimpl


@hookimpl
def register_architectures(register):
    register("fake-good", "ganzoo_vanilla.models:VanillaGAN", summary="A vanilla GAN under another name",
             tags=["unconditional", "fake"], metadata={"task": "unconditional"})


@click.command("hello")
def hello():
    """Say hello (a command added by a plugin).

    \b
    Examples:
      ganzoo hello
    """
    click.echo("hello from ganzoo-fake-good")


@hookimpl
def register_commands(cli):
    cli.add_command(hello)
