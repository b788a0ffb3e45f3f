"""Model cards for checkpoint folders, built from ``config.json`` with huggingface_hub's types.

The card's metadata (library, tags, datasets, metrics as ``model-index``) is structured
``ModelCardData``/``EvalResult``, never concatenated strings; the prose comes from a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ganzoo.hub.config import CheckpointConfig
from ganzoo.hub.record import facts, license_of, license_words
from ganzoo.io import atomic_write

PIPELINE_TAGS = {
    "unconditional": "unconditional-image-generation",
    "class-conditional": "unconditional-image-generation",
    "image-to-image": "image-to-image",
}

TEMPLATE = """---
{{ card_data }}
---

# {{ title }}

{{ summary }}

{% if samples_note %}No samples picture: {{ samples_note }}.{% else %}![Samples](samples.png){% endif %}
{% if layout %}
{{ layout }}
{% endif %}
## Use it
{% if directions %}
```bash
pip install ganzoo{% if plugin_dist %} {{ plugin_dist }}{% endif %}
{% for d in directions %}ganzoo translate {{ load_as }} input.png -o output.png
{%- if directions | length > 1 %} --direction {{ d.name }}{% endif %}   # {{ d.words }}
{% endfor %}```

```python
import ganzoo
model = ganzoo.load_pretrained("{{ load_as }}")
outputs = model.translate(images{% if directions | length > 1 %}, direction="{{ directions[0].name }}"{% endif %})
# images: [N, {{ input_channels }}, H, W] in [-1, 1]; outputs: [N, {{ channels }}, H, W], the same H and W
```

Inputs of any size are resized to {{ input_height }}x{{ input_width }} for the model, and the outputs resized back, so
larger inputs come out upsampled from the model's resolution.
{% else %}
```bash
pip install ganzoo{% if plugin_dist %} {{ plugin_dist }}{% endif %}
ganzoo sample {{ load_as }} -n 64 -o samples.png
{% if example_class %}ganzoo sample {{ load_as }} --class "{{ example_class }}" -n 16 -o one-class.png   # by name or index
{% endif %}```

```python
import ganzoo
model = ganzoo.load_pretrained("{{ load_as }}")
images = model.sample(16, seed=0)   # tensor [16, {{ channels }}, {{ height }}, {{ width }}] in [-1, 1]
{% if example_class %}images = model.sample(16, seed=0, labels=["{{ example_class }}"])   # one class, by name or index
{% endif %}```
{% endif %}
## Model

| | |
|---|---|
| architecture | `{{ architecture }}` ({{ plugin }}) |
| task | {{ task }} |
{% if directions %}| translates | {% for d in directions %}{{ d.name }}: {{ d.words }}
{%- if not loop.last %}; {% endif %}{% endfor %} |
| inputs | {{ input_channels }}x{{ input_height }}x{{ input_width }}, values in [-1, 1] |
{% else %}| latent | {{ latent_dim }}-d {{ latent_distribution }} |
{% endif %}| images | {{ channels }}x{{ height }}x{{ width }}, values in [-1, 1] |
| weights | {{ weights }} |
{% if classes %}| classes | {{ classes }} |
{% endif %}
## Training

{% if dataset %}Trained on **{{ dataset }}**{% if steps %} for {{ steps }} steps{% endif %}{% if cost %} ({{ cost }}){% endif %}.{% else %}Training data not recorded.{% endif %}
{% if command %}
```bash
{{ command }}
```
{% endif %}
## Metrics

{% if metrics %}| metric | value | details |
|---|---|---|
{% for m in metrics %}| {{ m.name }} | {{ m.value }} | {{ m.details }} |
{% endfor %}{% else %}No metrics recorded yet (`ganzoo eval` adds them).{% endif %}
{% if directions and metrics %}
Outputs are compared with the targets of the test split: L1 is the mean absolute pixel difference (pixels in
[0, 1], paired data only), FID compares them with the target domain's images, class accuracy is the share the
shipped classifier assigns to the intended class. `real_vs_real` scores real target images the same way;
`copy_input` is what returning the input unchanged would score.
{% endif %}
{% if files %}## Files

| file | bytes | sha256 |
|---|---|---|
{% for f in files %}| {{ f.name }} | {{ f.size }} | `{{ f.sha256 }}` |
{% endfor %}
`config.json` lists these files with their sha256 (this card is rendered from it).

{% endif %}## License

{{ license_words }}{% if license_note %}

{{ license_note }}{% endif %}

## Limitations

GANs reproduce the statistics of their training set, biases included; samples can show
artefacts and mode collapse. This model generates {{ channels }}x{{ height }}x{{ width }} images like
{{ dataset or "its training data" }} and nothing else.

Made with [ganzoo](https://github.com/ganzoo/ganzoo) {{ ganzoo_version }}.
"""  # noqa: E501 - the template's lines are the card's lines


def build_card(
    config: "CheckpointConfig | Mapping[str, Any]", *, name: str | None = None, load_as: str | None = None,
    license: str | None = None, samples_note: str | None = None,
) -> ModelCard:
    """A :class:`ModelCard` describing the checkpoint whose config is ``config``.

    ``config`` is a :class:`~ganzoo.hub.config.CheckpointConfig` (or a ``config.json`` mapping,
    parsed into one). ``name`` titles the card; ``load_as`` is what users type to load it
    (``hf:owner/repo`` once pushed, the zoo name for bundled models, a folder path otherwise).
    ``samples_note`` says why the folder has no ``samples.png``, when it has none. ``license``
    defaults to the licence of the plugin distribution that made the model (apache-2.0 for
    ganzoo's own families); a third-party family with no declared licence gets ``other``.
    """
    parsed = CheckpointConfig.of(config)
    arch = parsed.architecture
    third_party = arch.distribution not in (None, "", "ganzoo")
    license = license or license_of(parsed)
    license_note = None
    if license == "other":
        license_note = (f"The plugin distribution that made this model ({arch.distribution}) declares no "
                        f"licence, so none is claimed for these weights; ask its authors.")
    record_facts = facts(parsed)
    task = str(parsed.task)
    training = parsed.training
    dataset = parsed.dataset_name
    channels, height, width = parsed.image_shape
    metrics = parsed.metrics
    eval_results = [
        EvalResult(
            task_type=PIPELINE_TAGS.get(task, task),
            dataset_type=m.get("dataset", dataset or "unknown"),
            dataset_name=m.get("dataset", dataset or "unknown"),
            dataset_split=m.get("split"),
            metric_type=m["name"].lower(),
            metric_name=m["name"],
            metric_value=m["value"],
        )
        for m in metrics
        if "name" in m and "value" in m
    ]
    card_data = ModelCardData(
        library_name="ganzoo",
        license=license,
        pipeline_tag=PIPELINE_TAGS.get(task),
        tags=sorted({"ganzoo", "gan", arch.name, "safetensors", task}),
        datasets=_card_datasets(parsed),
        model_name=name or arch.name,
        eval_results=eval_results or None,
    )
    weights = parsed.weights
    weight_words = f"{weights.dtype} safetensors" + (", EMA of the generator" if weights.ema else "")
    if record_facts["weights_bytes"]:
        weight_words += f", {record_facts['weights_bytes']:,} bytes"
    card: ModelCard = ModelCard.from_template(
        card_data,
        template_str=TEMPLATE,
        title=name or arch.name,
        summary=_summary(parsed, dataset),
        load_as=load_as or name or "./path-to-this-folder",
        architecture=arch.name,
        plugin=f"plugin {arch.plugin}, distribution {arch.distribution}",
        task=task,
        latent_dim=parsed.latent_dim,
        latent_distribution=(parsed.latent_distribution or "").replace("-", " "),
        channels=channels,
        height=height,
        width=width,
        weights=weight_words,
        classes=", ".join(parsed.classes or []),
        dataset=dataset,
        steps=training.get("steps"),
        cost=_training_cost(training),
        command=training.get("command"),
        metrics=[
            {"name": m.get("name"), "value": m.get("value"), "details": _metric_details(m)}
            for m in metrics
        ],
        ganzoo_version=parsed.data.get("ganzoo_version", ""),
        samples_note=samples_note,
        plugin_dist=arch.distribution if third_party else None,
        license_note=license_note,
        license_words=license_words(parsed) if license == license_of(parsed) else f"{license} (weights)",
        files=record_facts["files"],
        example_class=(parsed.classes or ["0"])[0] if parsed.num_classes else None,
        **_translation_facts(parsed, summary_dataset=dataset),
    )
    return card


def write_card(folder: str | Path, *, name: str | None = None, load_as: str | None = None,
               samples_note: str | None = None) -> Path:
    """(Re)write ``folder/README.md`` from the folder's record: the card is never edited, only rendered."""
    path = Path(folder) / "README.md"
    card = build_card(CheckpointConfig.read(folder), name=name, load_as=load_as, samples_note=samples_note)
    with atomic_write(path, "w") as handle:
        handle.write(str(card))
    return path


def _card_datasets(config: CheckpointConfig) -> list[str] | None:
    """The card's ``datasets:``: a Hub data set's repo id (the Hub links it), else the recorded name."""
    record = config.dataset
    if record is None or not record.name:
        return None
    if record.name.startswith("hf:"):
        return [record.hub_repo_id] if record.hub_repo_id else None  # a local folder has no Hub page
    return [record.name]


def _translation_facts(config: CheckpointConfig, *, summary_dataset: str | None) -> dict[str, Any]:
    """Template values for image-to-image checkpoints: directions in words, input shape, picture layout."""
    if config.task != "image-to-image":
        return {"directions": [], "layout": _class_layout(config)}
    domains = config.domains
    names = config.directions

    def words(direction: str) -> str:
        source, _, target = direction.partition("2")
        return f"{domains.get(source, 'domain ' + source.upper())} -> {domains.get(target, 'domain ' + target.upper())}"

    c, h, w = config.input_shape
    data = f"the test split of {summary_dataset}" if summary_dataset else "held-out data"
    if len(names) == 1:
        layout = (f"The picture shows examples from {data} in groups of three: the input "
                  f"({domains.get('a', 'domain A')}), the model's output and the true "
                  f"{domains.get('b', 'domain B')} (input | output | truth).")
    else:
        order = ", then ".join(f"{d} ({words(d)})" for d in names)
        layout = (f"The picture shows examples from {data} in pairs, input | output: first {order}. "
                  f"The data is unpaired, so there is no true output to show.")
    return {"directions": [{"name": d, "words": words(d)} for d in names], "layout": layout,
            "input_channels": c, "input_height": h, "input_width": w}


def _class_layout(config: CheckpointConfig) -> str | None:
    """How a class-conditional model's picture is laid out: one row per class, named in order."""
    if config.task != "class-conditional" or not config.num_classes:
        return None
    names = config.classes or [str(i) for i in range(config.num_classes)]
    return f"The picture has one row per class, top to bottom: {', '.join(map(str, names))}."


def _summary(config: CheckpointConfig, dataset: str | None) -> str:
    architecture = config.architecture.name
    shape = "x".join(str(d) for d in config.image_shape)
    if config.task == "image-to-image":
        domains = config.domains
        a, b = domains.get("a", "domain A"), domains.get("b", "domain B")
        both = len(config.data.get("directions") or []) > 1
        return (f"A `{architecture}` GAN translating {a} images into {b} images{' and back' if both else ''} "
                f"({shape}){f', trained on {dataset}' if dataset else ''}, made with ganzoo.")
    return f"A `{architecture}` GAN generating {shape} images{f' like {dataset}' if dataset else ''}, made with ganzoo."


def _training_cost(training: Mapping[str, Any]) -> str | None:
    """``"614,400 images in 14.8 minutes on <CPU>"`` when the checkpoint counted them."""
    seconds, images = training.get("train_seconds"), training.get("images_seen")
    if not isinstance(seconds, (int, float)) or not isinstance(images, int):
        return None
    where = f" on {training['cpu']}" if training.get("cpu") else ""
    return f"{images:,} images in {seconds / 60:.1f} minutes{where}"


def _metric_details(metric: Mapping[str, Any]) -> str:
    skip = {"name", "value"}
    return ", ".join(f"{k}={v}" for k, v in metric.items() if k not in skip and not isinstance(v, (dict, list)))
