"""Checkpoint folders, the pretrained zoo and the Hugging Face Hub.

Modules: :mod:`names` (name grammar), :mod:`checkpoint` (folder format, strict loading),
:mod:`card` (model cards), :mod:`download` (names -> folders, Hub errors), :mod:`pretrained`
(``PretrainedGAN``, ``load_pretrained``), :mod:`export` (run -> folder), :mod:`push` (folder -> Hub).
"""
