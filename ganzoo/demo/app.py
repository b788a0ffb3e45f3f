"""The Gradio page of ``ganzoo demo``: a tab per thing to do, wired to :class:`~ganzoo.demo.service.DemoService`.

Only this module imports gradio (``pip install 'ganzoo[demo]'``), and only ``ganzoo demo`` and
a Space's ``app.py`` import this module, so the rest of ganzoo never pays for it.

Offline by design: analytics off (``GRADIO_ANALYTICS_ENABLED=False`` is set before gradio is
imported), no share link, system fonts (no Google Fonts request), server-side rendering off (it
would need Node), and the server binds 127.0.0.1 unless told otherwise. Every event has an API
name (``/sample``, ``/walk``, ``/translate``, ``/stylise``, ``/facts``) so that
``gradio_client`` can drive the same functions the page does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TELEMETRY_ENABLED", "False")

import gradio as gr  # noqa: E402  (after the switches above)

from ganzoo.demo.service import (  # noqa: E402
    ANY_CLASS,
    MAX_COUNT,
    MAX_STYLE_STEPS,
    MAX_WALK_STEPS,
    DemoService,
)
from ganzoo.errors import GanzooError  # noqa: E402

#: What ``launch`` is given unless the caller says otherwise.
MAX_FILE_SIZE = "10mb"
TITLE = "ganzoo demo"


def theme() -> Any:
    """Gradio's base theme with the system's own fonts: nothing is fetched from a font CDN."""
    return gr.themes.Base(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "Consolas", "monospace"])


def upload_image(**options: Any) -> gr.Image:
    """An image upload handed to ganzoo as the uploaded file's path, unopened.

    gr.Image would decode the file first and, for a text file or a 20,000-pixel PNG, answer
    with its own internal message; ganzoo's reader checks the header and says what is wrong.
    The instance's ``preprocess`` is replaced rather than the class subclassed: gradio writes a
    ``.pyi`` stub beside the module of every Component subclass.
    """
    component = gr.Image(type="filepath", **options)

    def preprocess(payload: Any) -> str | None:
        return None if payload is None else str(payload.path)

    component.preprocess = preprocess  # type: ignore[method-assign]
    return component


def _guarded(function: Any) -> Any:
    """``function`` with ganzoo's one-line errors shown on the page (gr.Error) instead of a stack trace,
    and logged as one line on the server's console."""
    import functools

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except GanzooError as exc:
            raise _refusal(str(exc)) from None

    return wrapper


def _refusal(message: str) -> gr.Error:
    """The page's error for a refused request, logged as one line on the console (never a traceback)."""
    message = " ".join(message.split())
    print(f"ganzoo demo: refused a request: {message}", file=sys.stderr, flush=True)
    return gr.Error(message, print_exception=False)


def _quiet_checks(component: Any) -> None:
    """Gradio's own checks of a request's values (a model not in the list, a seed below 0) as refusals.

    Gradio raises them with a traceback on the console, once per request; an API caller can
    send them at will. The instance's ``preprocess`` is wrapped, as in :func:`upload_image`.
    """
    original = component.preprocess

    def preprocess(payload: Any) -> Any:
        try:
            return original(payload)
        except gr.Error as exc:
            raise _refusal(str(getattr(exc, "message", exc))) from None

    component.preprocess = preprocess


def build_app(service: DemoService) -> gr.Blocks:
    """The page for ``service``'s models: sampling, walks, image-to-image and neural style tabs."""
    samplers = service.names("unconditional", "class-conditional")
    translators = service.names("image-to-image")
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown("# ganzoo demo\nModels of the ganzoo zoo, running on this machine. Same seed, same images.")
        if samplers:
            _sample_tab(service, samplers)
            _walk_tab(service, samplers)
        if translators:
            _translate_tab(service, translators)
        if service.style:
            _style_tab(service)
    for block in app.blocks.values():
        if isinstance(block, gr.components.Component):
            _quiet_checks(block)
    return app  # type: ignore[no-any-return]


def _class_choices(service: DemoService, name: str) -> list[str]:
    classes = service.model(name).classes if name in service.models else []
    return [ANY_CLASS, *classes] if classes else [ANY_CLASS]


def _model_changed(service: DemoService) -> Any:
    def changed(name: str) -> tuple[Any, str, Any]:
        entry = service.model(name)
        classes = gr.update(choices=_class_choices(service, name), value=ANY_CLASS, visible=bool(entry.classes))
        return classes, entry.facts, gr.update(interactive=entry.truncatable, value=0)

    return _guarded(changed)


def _class_and_truncation(service: DemoService, first: Any, prefix: str) -> tuple[Any, Any]:
    """The class picker (shown for class-conditional models) and the truncation slider of a sampling tab.

    The picker accepts any value so that API callers can name a class of a model other than
    the first; the service checks it against the chosen model.
    """
    klass = gr.Dropdown(_class_choices(service, first.name), value=ANY_CLASS, label="Class",
                        visible=bool(first.classes), allow_custom_value=True, elem_id=f"{prefix}-class")
    truncation = gr.Slider(0, 2, value=0, step=0.05, label="Truncation (0 = off)", interactive=first.truncatable,
                           elem_id=f"{prefix}-truncation")
    return klass, truncation


def _sample_tab(service: DemoService, samplers: list[str]) -> None:
    first = service.model(samplers[0])
    with gr.Tab("Sample", id="sample"):
        with gr.Row():
            with gr.Column(scale=1):
                model = gr.Dropdown(samplers, value=samplers[0], label="Model", elem_id="sample-model")
                seed = gr.Number(value=0, precision=0, minimum=0, label="Seed", elem_id="sample-seed")
                count = gr.Slider(1, MAX_COUNT, value=16, step=1, label="Images", elem_id="sample-count")
                klass, truncation = _class_and_truncation(service, first, "sample")
                button = gr.Button("Sample", variant="primary", elem_id="sample-button")
                facts = gr.Markdown(first.facts, elem_id="sample-facts")
            with gr.Column(scale=2):
                output = gr.Image(label="Samples", type="pil", format="png", interactive=False,
                                  elem_id="sample-output")
        model.change(_model_changed(service), model, [klass, facts, truncation], api_name="facts")
        button.click(_guarded(lambda name, s, n, c, t: service.sample(name, seed=s, count=n, class_name=c,
                                                                       truncation=t)),
                     [model, seed, count, klass, truncation], output, api_name="sample")


def _walk_tab(service: DemoService, samplers: list[str]) -> None:
    first = service.model(samplers[0])
    with gr.Tab("Interpolate", id="walk"):
        with gr.Row():
            with gr.Column(scale=1):
                model = gr.Dropdown(samplers, value=samplers[0], label="Model", elem_id="walk-model")
                with gr.Row():
                    seed_from = gr.Number(value=0, precision=0, minimum=0, label="From seed", elem_id="walk-from")
                    seed_to = gr.Number(value=1, precision=0, minimum=0, label="To seed", elem_id="walk-to")
                steps = gr.Slider(2, MAX_WALK_STEPS, value=24, step=1, label="Frames per leg", elem_id="walk-steps")
                mode = gr.Radio(["slerp", "linear"], value="slerp", label="Path", elem_id="walk-mode")
                klass, truncation = _class_and_truncation(service, first, "walk")
                button = gr.Button("Walk", variant="primary", elem_id="walk-button")
                facts = gr.Markdown(first.facts)
            with gr.Column(scale=2):
                output = gr.Image(label="Walk (there and back)", type="filepath", interactive=False,
                                  elem_id="walk-output")
        model.change(_model_changed(service), model, [klass, facts, truncation], api_visibility="private")
        button.click(_guarded(lambda name, a, b, n, m, c, t: str(service.walk(name, seed_from=a, seed_to=b, steps=n,
                                                                               mode=m, class_name=c, truncation=t))),
                     [model, seed_from, seed_to, steps, mode, klass, truncation], output, api_name="walk")


def _translate_tab(service: DemoService, translators: list[str]) -> None:
    first = service.model(translators[0])
    with gr.Tab("Image to image", id="translate"):
        with gr.Row():
            with gr.Column(scale=1):
                model = gr.Dropdown(translators, value=translators[0], label="Model", elem_id="translate-model")
                direction = gr.Radio(list(first.direction_labels.values()),
                                     value=next(iter(first.direction_labels.values()), None), label="Direction",
                                     visible=len(first.directions) > 1, elem_id="translate-direction")
                facts = gr.Markdown(first.facts)
            with gr.Column(scale=1):
                with gr.Tab("Upload"):
                    upload = upload_image(label="Input image", sources=["upload", "clipboard"],
                                      elem_id="translate-input")
                    button = gr.Button("Translate", variant="primary", elem_id="translate-button")
                with gr.Tab("Draw"):
                    sketch = gr.Sketchpad(label="Draw an edge map (dark lines on white)", type="pil",
                                          image_mode="RGBA", canvas_size=(256, 256), elem_id="translate-sketch")
                    drawn = gr.Button("Translate the drawing", elem_id="translate-draw-button")
            with gr.Column(scale=1):
                output = gr.Image(label="Output", type="pil", format="png", interactive=False,
                                  elem_id="translate-output")

        def changed(name: str) -> tuple[Any, str]:
            entry = service.model(name)
            labels = list(entry.direction_labels.values())
            return gr.update(choices=labels, value=labels[0] if labels else None,
                             visible=len(labels) > 1), entry.facts

        model.change(_guarded(changed), model, [direction, facts], api_visibility="private")
        # A new input clears the old output at once (in the browser), so no answer is shown for the wrong image.
        upload.upload(None, None, output, js="() => null", api_visibility="private")
        run = _guarded(lambda name, image, d: service.translate(name, image, d))
        button.click(run, [model, upload, direction], output, api_name="translate")
        drawn.click(run, [model, sketch, direction], output, api_name="translate_drawing")


def _style_tab(service: DemoService) -> None:
    with gr.Tab("Neural style", id="style"):
        note = gr.Markdown("The VGG19 network is built on the first request.", elem_id="style-note")
        with gr.Row():
            content = upload_image(label="Content", elem_id="style-content")
            style = upload_image(label="Style", elem_id="style-style")
            output = gr.Image(label="Result", type="pil", format="png", interactive=False, elem_id="style-output")
        steps = gr.Slider(1, MAX_STYLE_STEPS, value=40, step=1, label="Steps (Adam)", elem_id="style-steps")
        button = gr.Button("Restyle", variant="primary", elem_id="style-button")

        def stylise(content_image: Any, style_image: Any, count: int,
                    progress: gr.Progress = gr.Progress()) -> tuple[Any, str]:
            image = service.stylise(content_image, style_image, steps=count,
                                    progress=lambda step, total: progress((step, total), desc="optimising"))
            return image, service.style_note()

        button.click(_guarded(stylise), [content, style, steps], [output, note], api_name="stylise")


def launch(app: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None, block: bool = True,
           max_file_size: str | int = MAX_FILE_SIZE, quiet: bool = False) -> Any:
    """Serve ``app`` on ``host:port`` with the offline settings above; returns gradio's (app, url, share) triple."""
    app.queue(default_concurrency_limit=2)
    with _sigterm_as_ctrl_c(block):
        return app.launch(server_name=host, server_port=port, share=False, inbrowser=False, ssr_mode=False,
                          max_file_size=max_file_size, theme=theme(), prevent_thread_lock=not block, quiet=quiet,
                          show_error=True, footer_links=["api"], pwa=False, mcp_server=False)


@contextlib.contextmanager
def _sigterm_as_ctrl_c(block: bool) -> Iterator[None]:
    """While serving in the foreground, SIGTERM (``kill``, a service manager) stops the server as
    Ctrl-C does, so the caller's clean-up (the work folder of walk animations) runs instead of
    Python dying on the spot."""
    if not block or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve_space(*names: str, title: str | None = None) -> None:
    """What a Space's ``app.py`` calls: the demo of ``names``, on the address the Space gives.

    Hugging Face sets ``GRADIO_SERVER_NAME=0.0.0.0`` and the port; on a laptop the app binds
    127.0.0.1:7860 like ``ganzoo demo``. Relative names are read beside ``app.py``.
    """
    import inspect
    from pathlib import Path

    caller = Path(inspect.stack()[1].filename).resolve().parent
    resolved = [str(caller / n) if not n.startswith("hf:") and (caller / n).exists() else n for n in names]
    service = DemoService(resolved, style=False, titles=[title] if title and len(resolved) == 1 else None)
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    try:
        launch(build_app(service), host=host, port=port)
    finally:
        service.close()
