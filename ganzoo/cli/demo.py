"""``ganzoo demo [NAME...]``: a local web page to play with the zoo (Gradio, the ``demo`` extra).

gradio is imported only when the command runs (never by ``ganzoo --help`` or ``ganzoo list``);
without the extra the command says in one line how to install it, before any model loads.
"""

from __future__ import annotations

import errno
import re
import socket

import click

from ganzoo.errors import UsageError

INSTALL_HINT = "ganzoo demo needs the demo extra: pip install 'ganzoo[demo]'"
_UNITS = {"": 1, "b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def upload_limit(text: str) -> int:
    """``--max-upload`` in bytes: ``10mb``, ``512 kb``, ``1gb``, ``2000000``; a one-line error for anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*", text.lower())
    size = int(float(match.group(1)) * _UNITS[match.group(2)]) if match and match.group(2) in _UNITS else 0
    if size < 1:
        raise UsageError(f"--max-upload {text!r} is not a size; give one like 10mb, 512kb or 1gb")
    return size


def check_address(host: str, port: int) -> None:
    """Refuse, before any model loads, a ``--host`` that does not resolve or is not this machine's,
    and a ``--port`` another program holds (``0`` lets the server pick a free one)."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise UsageError(f"--host {host} does not resolve ({reason}); give an "
                         f"address of this machine, like 127.0.0.1 (this machine only) or 0.0.0.0 (every "
                         f"network)") from None
    family, kind, proto, _, address = addresses[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {host} is in use by another program; choose another --port, "
                                 f"or --port 0 for the first free one from 7860") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise UsageError(f"--host {host} ({address[0]}) is not an address of this machine; use "
                                 f"127.0.0.1 (this machine only) or 0.0.0.0 (every network)") from None
            if exc.errno == errno.EACCES:
                raise UsageError(f"port {port} needs more privileges to listen on; choose a --port from 1024 "
                                 f"up") from None
            raise


def require_gradio() -> None:
    """A one-line error naming the extra when gradio is not installed."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL_HINT) from None


@click.command("demo")
@click.argument("names", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 shows the page to your whole network.")
@click.option("--port", type=click.IntRange(0, 65535), default=7860, show_default=True,
              help="Port to listen on (0: the first free one from 7860).")
@click.option("--max-upload", default="10mb", show_default=True, help="Largest upload the page accepts.")
@click.option("--no-style", is_flag=True, help="Leave out the neural style tab.")
@click.option("--offline", is_flag=True, help="Load models from files already on disk only.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1, mps [default: cpu].")
def demo_command(names: tuple[str, ...], host: str, port: int, max_upload: str, no_style: bool, offline: bool,
                 device: str | None) -> None:
    """Serve a web page to sample, walk, translate and restyle with zoo models (Ctrl-C stops it).

    NAMES are zoo names, checkpoint folders or hf:owner/repo [default: the whole zoo]. The page
    runs on this machine with no network: no analytics, no share link, no fonts from a CDN.

    \b
    Examples:
      ganzoo demo                                   # every zoo model, http://127.0.0.1:7860
      ganzoo demo dcgan-fashion cgan-fashion --port 8000
      ganzoo demo ./exported-folder --no-style
    """
    require_gradio()
    upload = upload_limit(max_upload)
    check_address(host, port)
    from ganzoo.demo.service import DemoService

    service = DemoService(list(names) or None, device=device, offline=offline, style=not no_style)
    from ganzoo.demo.app import build_app, launch

    click.echo(f"ganzoo demo: {len(service.models)} models on http://{host}:{port} (Ctrl-C stops it)", err=True)
    try:
        launch(build_app(service), host=host, port=port or None, max_file_size=upload, quiet=True)
    except OSError as exc:  # taken between the check and the start
        if "Cannot find empty port" not in str(exc):
            raise
        raise UsageError(f"port {port or 7860} on {host} is in use by another program; choose another --port, "
                         f"or --port 0 for the first free one from 7860") from None
    finally:
        service.close()


COMMANDS = [demo_command]
