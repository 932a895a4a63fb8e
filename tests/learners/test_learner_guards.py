"""Learners refuse garbage through Python too: non-finite inputs, ambiguous tasks, non-convex graphs."""

from __future__ import annotations

import errno
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from typer.testing import CliRunner

from mtl_cli.errors import NumericalError
from mtl_cli.learners import (
    MultiTaskLinearClassifier,
    MultiTaskLinearClassifierCV,
    PooledClassifier,
    SingleTaskClassifier,
)


@pytest.fixture
def two_tasks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    y = (X[:, 0] > 0).astype(int)
    return X, y, np.repeat([0, 1], 30)


def test_huge_features_warn_and_never_give_nan_weights(two_tasks):
    X, y, tasks = two_tasks
    with pytest.warns(ConvergenceWarning, match="features reach"):
        with pytest.raises(NumericalError, match="non-finite weights"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                MultiTaskLinearClassifier().fit(X * 1e150, y, tasks)


@pytest.mark.parametrize("value", [np.nan, np.inf, -1.0])
@pytest.mark.parametrize("param", ["alpha", "l2", "tol"])
def test_non_finite_or_negative_strengths_are_refused(two_tasks, param, value):
    X, y, tasks = two_tasks
    with pytest.raises(ValueError, match=f"The '{param}' parameter"):
        MultiTaskLinearClassifier(**{param: value}).fit(X, y, tasks)


def test_non_finite_features_are_refused(two_tasks):
    X, y, tasks = two_tasks
    X = X.copy()
    X[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MultiTaskLinearClassifier().fit(X, y, tasks)


@pytest.mark.parametrize(
    "make",
    [
        MultiTaskLinearClassifier,
        lambda: MultiTaskLinearClassifierCV(penalty="mean", n_alphas=2),
        lambda: SingleTaskClassifier(estimator="logistic"),
        lambda: PooledClassifier(estimator="logistic"),
    ],
)
def test_tasks_none_means_the_one_task_and_is_refused_with_several(two_tasks, make):
    X, y, tasks = two_tasks
    several = make().fit(X, y, tasks)
    for method in ("predict", "score"):
        args = (X,) if method == "predict" else (X, y)
        with pytest.raises(ValueError, match="pass 'tasks'"):
            getattr(several, method)(*args)
    one = make().fit(X, y, np.full(len(y), 7))
    assert np.array_equal(one.predict(X), one.predict(X, np.full(len(y), 7)))
    assert one.score(X, y) == one.score(X, y, np.full(len(y), 7))


def test_mixed_task_id_types_are_refused(two_tasks):
    X, y, _ = two_tasks
    tasks = [1] * 30 + ["a"] * 30
    with pytest.raises(ValueError, match="mixes id types"):
        MultiTaskLinearClassifier().fit(X, y, tasks)


@pytest.mark.parametrize("graph, message", [([[0, 1, -1.0]], "must be a float >= 0"), ([[0, 0]], "to itself"),
                                            ([[0, 1, np.nan]], "must be a float >= 0")])
def test_bad_task_graphs_are_refused(two_tasks, graph, message):
    X, y, tasks = two_tasks
    with pytest.raises(ValueError, match=message):
        MultiTaskLinearClassifier(penalty="graph", task_graph=graph).fit(X, y, tasks)


def test_a_full_disk_is_one_line_and_keeps_finished_cells(tmp_path, synthetic_config, monkeypatch):
    from mtl_cli import rundir
    from mtl_cli.cli import app

    real, calls = rundir.write_atomic, []

    def fill_up(path, data):
        calls.append(path)
        if len(calls) > 7:  # the config and three cells (model + records each) fit on the disk
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, data)

    monkeypatch.setattr(rundir, "write_atomic", fill_up)
    result = CliRunner().invoke(app, ["train", str(synthetic_config()), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert "No space left on device; free some disk space" in line
    assert len(list((tmp_path / "runs" / "syn" / "cells").glob("*.json"))) == 3
