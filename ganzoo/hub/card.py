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

![Samples](samples.png)

## Use it

```bash
pip install ganzoo
ganzoo pretrained {{ load_as }} sample -n 64 -o samples.png
```

```python
import ganzoo
model = ganzoo.load_pretrained("{{ load_as }}")
images = model.sample(16, seed=0)   # tensor [16, {{ channels }}, {{ height }}, {{ width }}] in [-1, 1]
```

## Model

| | |
|---|---|
| architecture | `{{ architecture }}` ({{ plugin }}) |
| task | {{ task }} |
| latent | {{ latent_dim }}-d standard normal |
| images | {{ channels }}x{{ height }}x{{ width }}, values in [-1, 1] |
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

## Limitations

GANs reproduce the statistics of their training set, biases included; samples can show
artefacts and mode collapse. This model generates {{ channels }}x{{ height }}x{{ width }} images like
{{ dataset or "its training data" }} and nothing else.

Made with [ganzoo](https://github.com/ganzoo/ganzoo) {{ ganzoo_version }}.
"""


def build_card(
    config: Mapping[str, Any], *, name: str | None = None, load_as: str | None = None, license: str = "apache-2.0"
) -> ModelCard:
    """A :class:`ModelCard` describing the checkpoint whose config is ``config``.

    ``name`` titles the card; ``load_as`` is what users type to load it (``hf:owner/repo`` once
    pushed, the zoo name for bundled models, a folder path otherwise).
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
        summary=f"A `{arch['name']}` GAN generating {image['channels']}x{image['height']}x{image['width']} "
        f"images{f' like {dataset}' if dataset else ''}, made with ganzoo.",
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
    )


def _metric_details(metric: Mapping[str, Any]) -> str:
    skip = {"name", "value"}
    return ", ".join(f"{k}={v}" for k, v in metric.items() if k not in skip and not isinstance(v, (dict, list)))
