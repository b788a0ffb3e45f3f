"""Training-run folders as data: their checkpoints, their lock, and loading a model back from them.

* :mod:`ganzoo.runs.checkpoints` -- ``checkpoints/step_N`` folders: atomic writes, strict reads,
  pointers, pruning and recovery after a crash;
* :mod:`ganzoo.runs.lock` -- one writer per run folder;
* :mod:`ganzoo.runs.folder` -- ``config.json`` and :func:`~ganzoo.runs.folder.load_run`.

The training engine writes these folders; sampling, evaluation, translation and export read
them through this package, never through the engine. Nothing is imported here.
"""
