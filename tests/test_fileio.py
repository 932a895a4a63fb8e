"""``fileio.stored``: a value built once into a pickle-free file, by one process while the others wait."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pytest

from mtl_cli.fileio import CacheWarning, stored


def to_fields(value):
    return {"value": value}


def from_fields(fields):
    return fields["value"]


def slow_build(log: str) -> np.ndarray:
    """Record who built, and take long enough for the other process to ask meanwhile."""
    with open(log, "a") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(0.5)
    return np.arange(5.0)


def ask(path: str, log: str, results) -> None:
    results.put(stored(Path(path), lambda: slow_build(log), to_fields, from_fields).tolist())


def test_two_processes_asking_at_once_build_once_and_both_get_the_value(tmp_path):
    path, log = tmp_path / "cache" / "value.npz", tmp_path / "built.log"
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=ask, args=(str(path), str(log), results)) for _ in range(2)]
    for process in processes:
        process.start()
    values = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert values == [[0.0, 1.0, 2.0, 3.0, 4.0]] * 2
    assert len(log.read_text().split()) == 1  # the second process read what the first stored


def test_stored_value_is_read_back_and_refresh_builds_again(tmp_path):
    path, builds = tmp_path / "value.npz", []

    def build():
        builds.append(1)
        return np.full(3, float(len(builds)))

    assert stored(path, build, to_fields, from_fields).tolist() == [1.0] * 3
    assert stored(path, build, to_fields, from_fields).tolist() == [1.0] * 3
    assert stored(path, build, to_fields, from_fields, refresh=True).tolist() == [2.0] * 3
    assert stored(path, build, to_fields, from_fields).tolist() == [2.0] * 3
    assert len(builds) == 2


def test_an_unreadable_file_is_built_again_with_one_warning(tmp_path):
    path = tmp_path / "value.npz"
    path.write_bytes(b"not an npz")
    with pytest.warns(CacheWarning, match="unreadable cache file") as warned:
        assert stored(path, lambda: np.ones(2), to_fields, from_fields).tolist() == [1.0, 1.0]
    assert len(warned) == 1
    assert stored(path, lambda: np.zeros(2), to_fields, from_fields).tolist() == [1.0, 1.0]  # stored again


def test_a_folder_that_cannot_be_made_gives_the_value_and_a_warning(tmp_path):
    blocker = tmp_path / "a-file"  # a file where the cache folder would go: no lock, no store
    blocker.write_text("")
    with pytest.warns(CacheWarning, match="cannot write the cache"):
        assert stored(blocker / "sub" / "value.npz", lambda: np.ones(2), to_fields, from_fields).tolist() == [1, 1]
