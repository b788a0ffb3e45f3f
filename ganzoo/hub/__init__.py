"""Checkpoint folders, the pretrained zoo and the Hugging Face Hub.

Modules: :mod:`names` (name grammar), :mod:`config` (the typed config.json), :mod:`record` (the
record's file table, pins and the facts every surface shows), :mod:`checkpoint` (folder format,
strict loading), :mod:`card` (model cards), :mod:`zoo` (zoo entries: location and pin),
:mod:`download` (names -> folders, Hub errors), :mod:`pretrained` (``PretrainedGAN``,
``load_pretrained``), :mod:`resolve` (the one resolver), :mod:`fast` (the torch-free ONNX sampler).
Export and push live in :mod:`ganzoo.publish`.
"""
