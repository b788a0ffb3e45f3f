"""Publishing a training run: :mod:`export` (a run -> a checkpoint folder with its card and metrics)
and :mod:`push` (a folder -> a Hugging Face Hub repo).

It sits above evaluation, because an export can score the model for its card; nothing here is
imported at package import.
"""
