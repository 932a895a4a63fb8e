"""The data of a grid point: its corpus, its tasks and their features, cached on content.

Every cached value is keyed on the hash of the spec that determines it,
which holds the data's content fingerprint and the package version (never
a path), and stored with ``fileio.save_arrays``: no pickle, so nothing read
from a cache runs code. An unreadable cache file is rebuilt with a warning;
a cache that cannot be written (disk full, read-only) is skipped with one.
Processes building the same entry at once build it once (``fileio.stored``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import warnings
from pathlib import Path

import numpy as np

from .data import subsample
from .data.base import Corpus, Part
from .errors import DataWarning
from .features import TaskSet, featurize, unfitted_featurizer
from .fileio import stored
from .hashing import spec_hash
from .registry import DATASETS, SPLITS


def cached(
    kind: str, spec: dict, build, cache_dir: str | None, refresh: bool = False, to_fields=None, from_fields=None
):
    """``build()``, or its stored value under ``cache_dir/kind/<hash of spec>.npz`` (``fileio.stored``).

    ``refresh`` recomputes and overwrites (``mtl train --force``).
    """
    to_fields = to_fields or (lambda value: {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if cache_dir is None:
        return build()
    return stored(Path(cache_dir) / kind / f"{spec_hash(spec, 32)}.npz", build, to_fields, from_fields, refresh)


def corpus_fields(corpus: Corpus) -> dict:
    fields = {"name": corpus.name}
    for part in ("train", "test"):
        for attr in ("data", "labels", "tasks"):
            fields[f"{part}.{attr}"] = getattr(getattr(corpus, part), attr)
    return fields


def corpus_from_fields(fields: dict) -> Corpus:
    def part(name):
        return Part(fields[f"{name}.data"], fields[f"{name}.labels"], fields[f"{name}.tasks"])

    return Corpus(fields["name"], part("train"), part("test"))


def read_corpus(dataset: dict) -> Corpus:
    """Load the corpus of a dataset spec ``{name, **params}``."""
    params = dict(dataset)
    return DATASETS.get(params.pop("name"))(**params).load()


@functools.lru_cache(maxsize=4)
def load_corpus(key_json: str, cache_dir: str | None = None, refresh: bool = False) -> Corpus:
    """The corpus of ``{"dataset": spec, "data_fingerprint": ..., "mtl_version": ...}``, once per process.

    Datasets marked ``disk_cache`` (slow to parse) are also cached on disk.
    """
    key = json.loads(key_json)
    if not getattr(DATASETS.get(key["dataset"]["name"]), "disk_cache", False):
        cache_dir = None
    return cached("corpora", key, lambda: read_corpus(key["dataset"]), cache_dir, refresh,
                  corpus_fields, corpus_from_fields)


def corpus_of(feature_spec: dict, cache_dir: str | None = None, refresh: bool = False) -> Corpus:
    key = {k: feature_spec[k] for k in ("dataset", "data_fingerprint", "mtl_version")}
    return load_corpus(json.dumps(key, sort_keys=True), cache_dir, refresh)


def warm_up(feature_spec: dict, cache_dir: str | None) -> None:
    """Read a grid point's corpus and build its featurizer (which reads, or tokenizes, the corpus's
    token counts), keeping both in this process: a worker does this while the main process checks
    the data, and its first task then starts from them. Nothing is fitted or returned.

    Any error is left to the main process, whose own checks and tasks meet it and report it.
    """
    try:
        params = dict(feature_spec["featurizer"])
        unfitted_featurizer(params.pop("name"), params, feature_spec["seed"], corpus_of(feature_spec, cache_dir),
                            cache_dir)
    except Exception:  # noqa: BLE001  (reported where it matters: by the main process, on the same data)
        return


def make_split(feature_spec: dict):
    params = dict(feature_spec["split"])
    return SPLITS.get(params.pop("name"))(**params)


def split_tasks(feature_spec: dict, cache_dir: str | None = None):
    """The tasks of a grid point, before featurization, and the names of the held-out tasks.

    Training sets are subsampled to ``n_train_per_task``, except those of the
    tasks that meta-learners learn from when tasks are held out (full pools).
    """
    corpus = corpus_of(feature_spec, cache_dir)
    split = make_split(feature_spec)
    tasks = split.tasks(corpus)
    heldout = split.heldout(tasks) if hasattr(split, "heldout") else set()
    n, seed = feature_spec["n_train_per_task"], feature_spec["seed"]
    return corpus, [subsample(t, n, seed) if not heldout or t.name in heldout else t for t in tasks], heldout


def build_task_set(feature_spec: dict, cache_dir: str | None = None) -> TaskSet:
    """Featurize the tasks of one grid point."""
    corpus, tasks, heldout = split_tasks(feature_spec, cache_dir)
    featurizer = dict(feature_spec["featurizer"])
    task_set = featurize(corpus, tasks, featurizer.pop("name"), featurizer, feature_spec["seed"], cache_dir)
    task_set.heldout = np.array([t.name in heldout for t in tasks])
    return task_set


def cached_task_set(feature_spec: dict, cache_dir: str | None, refresh: bool = False) -> TaskSet:
    return cached("features", feature_spec, lambda: build_task_set(feature_spec, cache_dir), cache_dir, refresh,
                  from_fields=lambda fields: TaskSet(**fields))


def task_warnings(tasks) -> list[str]:
    """What is usable but probably unintended about a split's tasks, one line each."""
    lines = []
    for task in tasks:
        classes = np.unique(task.train_labels)
        if len(classes) < 2:
            lines.append(f"task '{task.name}' has one class in its training data ({classes[0]!r}): "
                         "its models can only predict that class")
        unseen = sorted(set(np.unique(task.test_labels).tolist()) - set(classes.tolist()))
        if unseen:
            lines.append(f"task '{task.name}' has test labels never seen in training ({unseen[:3]}): "
                         "no model can predict them")
    return lines


def warn_about_tasks(tasks) -> None:
    for line in task_warnings(tasks):
        warnings.warn(line, DataWarning)
