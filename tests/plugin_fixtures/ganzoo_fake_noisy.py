"""A plugin that prints to stdout while it loads: at import, in a hook and in register_commands.

At import it also writes to file descriptor 1 directly, as a subprocess or C code would.
"""

import os

import click

from ganzoo import hookimpl

print("noisy plugin: imported")
os.write(1, b"noisy plugin: straight to fd 1\n")


@hookimpl
def register_architectures(register):
    print("noisy plugin: registering")
    register("noisy-arch", "ganzoo_vanilla.models:VanillaGAN", summary="Registered by a noisy plugin",
             tags=["unconditional"], metadata={"task": "unconditional"})


@hookimpl
def register_commands(cli):
    print("noisy plugin: adding commands")
    cli.add_command(click.Command("noisy-hello", callback=lambda: click.echo("hello from noisy")))
