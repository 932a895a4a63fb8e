"""The objects that flow from a dataset to a learner: corpora and tasks."""

from __future__ import annotations

import functools
import hashlib
import os
import zlib
from dataclasses import dataclass, replace

import numpy as np


LABEL_JOIN = "+"  # a multi-label document's label: its categories, sorted, joined by "+"


def label_sets(labels) -> list[frozenset]:
    """The categories of each document from its label (``a+b`` -> {a, b}); a plain label is a set of one."""
    return [frozenset(str(label).split(LABEL_JOIN)) for label in labels]


@dataclass(frozen=True)
class Part:
    """One part (train or test) of a corpus.

    ``data`` is a list of documents, or a feature matrix with one row per
    sample; ``labels`` their class labels; ``tasks`` an optional task name
    per sample (datasets that define their own tasks).
    """

    data: object
    labels: np.ndarray
    tasks: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def rows(self, index: np.ndarray):
        """The samples at ``index``: a list of documents or a matrix."""
        if isinstance(self.data, list):
            return [self.data[i] for i in index]
        return self.data[index]


@dataclass(frozen=True)
class Corpus:
    """A labelled dataset with a train and a test part."""

    name: str
    train: Part
    test: Part


@dataclass(frozen=True)
class Task:
    """One classification task: indices into a corpus's train and test parts."""

    name: str
    train_index: np.ndarray
    train_labels: np.ndarray
    test_index: np.ndarray
    test_labels: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.train_index)


@functools.lru_cache(maxsize=32)
def hash_file(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:32]


def file_fingerprint(path) -> str:
    """The SHA-256 of a file's content (computed once per process while the file is unchanged).

    Results and caches are keyed on this, never on the path: an edited file
    gets new cells, the same content under another name shares them.
    """
    stat = os.stat(path)
    return hash_file(os.fspath(path), stat.st_size, stat.st_mtime_ns)


def stable_hash(text: str) -> int:
    """A hash of ``text`` that is the same on every machine and run."""
    return zlib.crc32(text.encode("utf-8"))


def allocate(n: int, class_sizes: np.ndarray) -> np.ndarray:
    """Split ``n`` draws among classes in proportion to their sizes.

    Rounds the proportional shares by largest remainder; every class gets at
    least one draw when ``n`` allows it, and none more than it has.
    """
    sizes = np.asarray(class_sizes, dtype=int)
    if n >= sizes.sum():
        return sizes.copy()
    target = n * sizes / sizes.sum()
    counts = np.minimum(np.floor(target).astype(int), sizes)
    floor = 1 if n >= len(sizes) else 0
    counts = np.maximum(counts, floor)
    while counts.sum() > n:  # the minimum of one took draws from the others
        surplus = np.where(counts > floor, counts - target, -np.inf)
        counts[np.argmax(surplus)] -= 1
    while counts.sum() < n:
        deficit = np.where(counts < sizes, target - counts, -np.inf)
        counts[np.argmax(deficit)] += 1
    return counts


def subsample(task: Task, n_train: int | str, seed: int) -> Task:
    """A seeded, stratified subsample of ``n_train`` training samples of ``task``.

    ``"all"`` (or a size at least the task's pool) keeps every sample. The
    draw depends only on ``seed`` and the task's name, and the samples for a
    smaller size are a subset of those for a larger one (learning curves are
    paired).
    """
    if n_train == "all" or n_train >= task.n_train:
        return task
    rng = np.random.default_rng([seed, stable_hash(task.name)])
    classes, inverse = np.unique(task.train_labels, return_inverse=True)
    members = [rng.permutation(np.flatnonzero(inverse == c)) for c in range(len(classes))]
    counts = allocate(n_train, np.array([len(m) for m in members]))
    chosen = np.sort(np.concatenate([m[:k] for m, k in zip(members, counts)]))
    return replace(
        task,
        train_index=task.train_index[chosen],
        train_labels=task.train_labels[chosen],
    )
