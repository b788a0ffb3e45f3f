"""A Hugging Face Space for one model: ``app.py`` running ganzoo's own demo, pinned requirements, a card.

The folder ``ganzoo space NAME DIR`` writes is a complete Gradio Space:

* ``app.py`` -- three lines: serve :func:`ganzoo.demo.app.serve_space` for the model;
* ``requirements.txt`` -- ``ganzoo[demo]`` pinned to this version (and gradio to the SDK version);
* ``README.md`` -- the Space card: front matter with ``sdk: gradio``, ``sdk_version``,
  ``app_file`` and, for a model on the Hub, ``models: [owner/name]`` (the Hub then links them);
* ``model/`` -- the checkpoint folder itself, unless the app loads the model from the Hub
  (``--model-repo owner/name``, the lighter choice for a model pushed already).

``ganzoo push DIR owner/space`` recognises such a folder by its card and creates a Space repo.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ganzoo.errors import UsageError
from ganzoo.outputs import check_replaced_folder

#: The gradio version a Space is pinned to when gradio is not installed here.
DEFAULT_GRADIO = "6.31.0"
SPACE_FILES = ("app.py", "requirements.txt", "README.md")

#: ``app.py``; every value goes in through :func:`app_source` as a Python literal (``repr``), never as
#: text: a title or folder name is the user's, and must not become code on the Space (issue 22).
APP = '''{doc}

from ganzoo.demo.app import serve_space

serve_space({source}, title={title})
'''


def app_source(source: str, title: str, version: str) -> str:
    """The text of ``app.py``: each value a ``repr`` literal, so any title parses as one string."""
    doc = f"Gradio Space written by `ganzoo space` (ganzoo {version}); it serves the model named below."
    return APP.format(doc=repr(doc), source=repr(str(source)), title=repr(str(title)))


def _ours(entry: Path) -> bool:
    """An entry of a Space folder that ``ganzoo space`` writes (what ``--overwrite`` may replace)."""
    return entry.name in SPACE_FILES or (entry.name == "model" and entry.is_dir() and not entry.is_symlink())


def gradio_version() -> str:
    """The installed gradio's version (what the app was tested with), else :data:`DEFAULT_GRADIO`."""
    from importlib import metadata

    try:
        return metadata.version("gradio")
    except metadata.PackageNotFoundError:
        return DEFAULT_GRADIO


def _repo_id(text: str) -> str:
    """``--model-repo``'s repo id (``hf:`` and ``@revision`` allowed), checked by the Hub names' own rule."""
    from ganzoo.hub.names import is_repo_id

    repo = text.removeprefix("hf:").split("@")[0]
    if not is_repo_id(repo):
        raise UsageError(f"--model-repo takes owner/name, like me/dcgan-fashion; got {text!r}")
    return repo


def write_space(name: str, out_dir: str | Path, *, model_repo: str | None = None, title: str | None = None,
                overwrite: bool = False) -> Path:
    """Write the Space folder for model ``name`` (zoo name, checkpoint folder, run or ``hf:``) to ``out_dir``.

    The folder is built beside ``out_dir`` and moved in when complete; an existing one is
    replaced only with ``overwrite``. With ``model_repo`` the app loads ``hf:model_repo`` and
    the folder holds no weights; otherwise the checkpoint is copied into ``model/``.
    """
    from ganzoo.hub.resolve import open_model
    from ganzoo.outputs import model_inputs
    from ganzoo.version import __version__

    out_dir = Path(out_dir)
    check_replaced_folder(out_dir, overwrite=overwrite, inputs=model_inputs(name), option="DIR", ours=_ours,
                          maker="ganzoo space")
    repo = _repo_id(model_repo) if model_repo else None
    opened = open_model(name)
    if opened.model.task == "style-transfer":
        raise UsageError(f"{name} is neural style transfer; a Space of it is the demo's style tab (ganzoo demo)")
    title = title or opened.label.split("/")[-1]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        if repo is None:
            _copy_checkpoint(opened, staging / "model")
        source = f"hf:{repo}" if repo else "model"
        (staging / "app.py").write_text(app_source(source, title, __version__), encoding="utf-8")
        gradio = gradio_version()
        (staging / "requirements.txt").write_text(f"ganzoo[demo]=={__version__}\ngradio=={gradio}\n",
                                                  encoding="utf-8")
        (staging / "README.md").write_text(space_card(title, opened, repo, gradio), encoding="utf-8")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _copy_checkpoint(opened: Any, target: Path) -> None:
    """The model's checkpoint folder into ``target`` (a run is exported there first)."""
    if opened.kind == "run":
        from ganzoo.publish.export import export_run

        export_run(opened.name.path, target, name=opened.label)
        return
    folder = Path(opened.pretrained.folder)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".*"))


def space_card(title: str, opened: Any, repo: str | None, gradio: str) -> str:
    """The Space's README: Hub front matter, then what the Space shows and where the model comes from."""
    import yaml

    checkpoint = opened.checkpoint
    meta: dict[str, Any] = {"title": title, "emoji": "🧥", "colorFrom": "gray", "colorTo": "indigo",
                            "sdk": "gradio", "sdk_version": gradio, "app_file": "app.py", "pinned": False,
                            "tags": ["ganzoo", "gan"]}
    if repo:
        meta["models"] = [repo]
    task = opened.model.task
    what = {"unconditional": "samples and latent walks", "class-conditional": "samples by class and latent walks",
            "image-to-image": "translations of uploaded or drawn images"}.get(task, task)
    source = (f"the model [{repo}](https://huggingface.co/{repo}), loaded from the Hub when the Space starts"
              if repo else "the model's checkpoint, bundled in `model/`")
    dataset = checkpoint.dataset_name if checkpoint is not None else None
    lines = [
        "---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip(), "---", "",
        f"# {title}", "",
        f"A ganzoo demo of {opened.label}: {what}. It runs {source}.", "",
        f"- architecture: {opened.provenance.get('architecture')} ({task})",
    ]
    if dataset:
        lines.append(f"- trained on: {dataset}")
    for metric in (checkpoint.metrics if checkpoint is not None else [])[:4]:
        lines.append(f"- {metric.get('name')}: {metric.get('value')}")
    lines += ["", "Run it on your own machine:", "", "```bash", "pip install -r requirements.txt", "python app.py",
              "```", ""]
    return "\n".join(lines)


def is_space_folder(folder: str | Path) -> bool:
    """A folder ``write_space`` made (or any Gradio Space): ``app.py`` and a card whose front matter says ``sdk``."""
    folder = Path(folder)
    card = folder / "README.md"
    if not (folder / "app.py").is_file() or not card.is_file():
        return False
    text = card.read_text(encoding="utf-8", errors="replace")
    if not text.startswith("---"):
        return False
    import yaml

    try:
        meta = yaml.safe_load(text.split("---", 2)[1])
    except yaml.YAMLError:
        return False
    return isinstance(meta, dict) and meta.get("sdk") == "gradio"
