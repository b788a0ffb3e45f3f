"""A well-behaved plugin with commands that meet file-system errors.

``ganzoo write-file PATH`` writes a file; the CLI tests point it at places that cannot be
written (a full device, a read-only mount) to check the error handling every command gets.
``ganzoo fail-with ERRNO [PATH]`` raises ``OSError(ERRNO)``, for the errors no test can cause
honestly (a full quota, say). ``ganzoo print-lines N`` prints with ``print``, which leaves its
output buffered until the process exits.
"""

import errno
import os

import click

from ganzoo import hookimpl


@click.command("write-file")
@click.argument("path")
def write_file(path):
    """Write 64 KiB to PATH."""
    with open(path, "wb") as handle:
        handle.write(b"x" * 65536)
    click.echo(f"wrote {path}")


@click.command("fail-with")
@click.argument("name")
@click.argument("path", required=False)
def fail_with(name, path):
    """Raise OSError(errno.NAME), naming PATH when given."""
    code = getattr(errno, name)
    if path is None:
        raise OSError(code, os.strerror(code))
    raise OSError(code, os.strerror(code), path)


@click.command("print-lines")
@click.argument("count", type=int)
def print_lines(count):
    """Print COUNT short lines with print(), unflushed."""
    for number in range(count):
        print(f"line {number}")


@hookimpl
def register_commands(cli):
    cli.add_command(write_file)
    cli.add_command(fail_with)
    cli.add_command(print_lines)
