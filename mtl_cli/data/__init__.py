"""Datasets and task splits."""

from .base import Corpus, Part, Task, subsample
from . import amazon, episodes, files, newsgroups, reuters, splits, synthetic  # noqa: F401  (registers components)

__all__ = ["Corpus", "Part", "Task", "subsample"]
