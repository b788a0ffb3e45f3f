"""``ganzoo demo [NAME...]``: a local web page to play with the zoo (Gradio, the ``demo`` extra).

gradio is imported only when the command runs (never by ``ganzoo --help`` or ``ganzoo list``);
without the extra the command says in one line how to install it, before any model loads.
"""

from __future__ import annotations

import click

from ganzoo.errors import UsageError

INSTALL_HINT = "ganzoo demo needs the demo extra: pip install 'ganzoo[demo]'"


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
    from ganzoo.demo.service import DemoService

    service = DemoService(list(names) or None, device=device, offline=offline, style=not no_style)
    from ganzoo.demo.app import build_app, launch

    click.echo(f"ganzoo demo: {len(service.models)} models on http://{host}:{port} (Ctrl-C stops it)", err=True)
    try:
        launch(build_app(service), host=host, port=port or None, max_file_size=max_upload, quiet=True)
    finally:
        service.close()


COMMANDS = [demo_command]
