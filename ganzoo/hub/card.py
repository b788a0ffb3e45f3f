"""Model cards for checkpoint folders, built from ``config.json`` with huggingface_hub's types.

The card's metadata (library, tags, datasets, metrics as ``model-index``) is structured
``ModelCardData``/``EvalResult``, never concatenated strings; the prose comes from a template.
"""

from __future__ import annotations

from typing import Any, Mapping

from huggingface_hub import EvalResult, ModelCard, ModelCardData

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
pip install ganzoo
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
pip install ganzoo
ganzoo pretrained {{ load_as }} sample -n 64 -o samples.png
{% if example_class %}ganzoo pretrained {{ load_as }} sample --class "{{ example_class }}" -n 16 -o one-class.png   # by name or index
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
{% else %}| latent | {{ latent_dim }}-d standard normal |
{% endif %}| images | {{ channels }}x{{ height }}x{{ width }}, values in [-1, 1] |
| weights | {{ weights }} |
{% if classes %}| classes | {{ classes }} |
{% endif %}
## Training

{% if dataset %}Trained on **{{ dataset }}**{% if steps %} for {{ steps }} steps{% endif %}.{% else %}Training data not recorded.{% endif %}
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
## Limitations

GANs reproduce the statistics of their training set, biases included; samples can show
artefacts and mode collapse. This model generates {{ channels }}x{{ height }}x{{ width }} images like
{{ dataset or "its training data" }} and nothing else.

Made with [ganzoo](https://github.com/ganzoo/ganzoo) {{ ganzoo_version }}.
"""


def build_card(
    config: Mapping[str, Any], *, name: str | None = None, load_as: str | None = None, license: str = "apache-2.0",
    samples_note: str | None = None,
) -> ModelCard:
    """A :class:`ModelCard` describing the checkpoint whose config is ``config``.

    ``name`` titles the card; ``load_as`` is what users type to load it (``hf:owner/repo`` once
    pushed, the zoo name for bundled models, a folder path otherwise). ``samples_note`` says why
    the folder has no ``samples.png``, when it has none.
    """
    arch = config["architecture"]
    training = config.get("training") or {}
    dataset = (training.get("dataset") or {}).get("name") if isinstance(training.get("dataset"), dict) else training.get("dataset")
    image = config["image"]
    metrics = config.get("metrics") or []
    eval_results = [
        EvalResult(
            task_type=PIPELINE_TAGS.get(config["task"], config["task"]),
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
        pipeline_tag=PIPELINE_TAGS.get(config["task"]),
        tags=sorted({"ganzoo", "gan", arch["name"], "safetensors", config["task"]}),
        datasets=[dataset] if dataset else None,
        model_name=name or arch["name"],
        eval_results=eval_results or None,
    )
    weights = config.get("weights", {})
    weight_words = f"{weights.get('dtype', 'float32')} safetensors" + (", EMA of the generator" if weights.get("ema") else "")
    return ModelCard.from_template(
        card_data,
        template_str=TEMPLATE,
        title=name or arch["name"],
        summary=_summary(config, arch["name"], dataset),
        load_as=load_as or name or "./path-to-this-folder",
        architecture=arch["name"],
        plugin=f"plugin {arch.get('plugin')}, distribution {arch.get('distribution')}",
        task=config["task"],
        latent_dim=config["latent"]["dim"],
        channels=image["channels"],
        height=image["height"],
        width=image["width"],
        weights=weight_words,
        classes=", ".join(config.get("classes") or []),
        dataset=dataset,
        steps=training.get("steps"),
        command=training.get("command"),
        metrics=[
            {"name": m.get("name"), "value": m.get("value"), "details": _metric_details(m)}
            for m in metrics
        ],
        ganzoo_version=config.get("ganzoo_version", ""),
        samples_note=samples_note,
        example_class=(config.get("classes") or ["0"])[0] if config.get("num_classes") else None,
        **_translation_facts(config, summary_dataset=dataset),
    )


def _translation_facts(config: Mapping[str, Any], *, summary_dataset: str | None) -> dict[str, Any]:
    """Template values for image-to-image checkpoints: directions in words, input shape, picture layout."""
    if config.get("task") != "image-to-image":
        return {"directions": [], "layout": _class_layout(config)}
    domains = dict(config.get("domains") or {})
    names = list(config.get("directions") or ["a2b"])

    def words(direction: str) -> str:
        source, _, target = direction.partition("2")
        return f"{domains.get(source, 'domain ' + source.upper())} -> {domains.get(target, 'domain ' + target.upper())}"

    c, h, w = (config.get("input_shape") or [config["image"]["channels"], config["image"]["height"],
                                             config["image"]["width"]])
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


def _class_layout(config: Mapping[str, Any]) -> str | None:
    """How a class-conditional model's picture is laid out: one row per class, named in order."""
    if config.get("task") != "class-conditional" or not config.get("num_classes"):
        return None
    names = config.get("classes") or [str(i) for i in range(int(config["num_classes"]))]
    return f"The picture has one row per class, top to bottom: {', '.join(map(str, names))}."


def _summary(config: Mapping[str, Any], architecture: str, dataset: str | None) -> str:
    image = config["image"]
    shape = f"{image['channels']}x{image['height']}x{image['width']}"
    if config.get("task") == "image-to-image":
        domains = dict(config.get("domains") or {})
        a, b = domains.get("a", "domain A"), domains.get("b", "domain B")
        both = len(config.get("directions") or []) > 1
        return (f"A `{architecture}` GAN translating {a} images into {b} images{' and back' if both else ''} "
                f"({shape}){f', trained on {dataset}' if dataset else ''}, made with ganzoo.")
    return f"A `{architecture}` GAN generating {shape} images{f' like {dataset}' if dataset else ''}, made with ganzoo."


def _metric_details(metric: Mapping[str, Any]) -> str:
    skip = {"name", "value"}
    return ", ".join(f"{k}={v}" for k, v in metric.items() if k not in skip and not isinstance(v, (dict, list)))
