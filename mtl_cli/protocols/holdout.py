"""Held-out tasks: meta-learners learn from some tasks and are adapted to the others.

With ``holdout_tasks`` in a split, a meta-learner is meta-fitted on the full
training pools of the training tasks (its meta-hyperparameters chosen on a
quarter of them, the validation tasks, which it is not meta-fitted on), then
adapted to each held-out task from that task's ``n_train_per_task`` samples.
Any other learner is fitted on the held-out tasks' samples alone. Records
cover the held-out tasks only.
"""

from __future__ import annotations

import time

import numpy as np

from ..data.base import Task, stable_hash, subsample
from ..features import TaskSet
from ..learners.base import learner_kind
from ..prepare import cached_task_set
from .base import Protocol
from .plain import score as score_tasks


class TaskValidation:
    """Validation on training tasks: adapt on a few samples of each, score on the rest of its pool."""

    def __init__(self, X, y, tasks, names, n_train, seed):
        self.X, self.y, self.n_way = X, y, 2
        self.k_shot = max(1, (n_train if n_train != "all" else 10) // 2)
        self.splits = []
        for t in names:
            rows = np.flatnonzero(tasks == t)
            pool = Task(str(t), rows, y[rows], rows[:0], y[rows][:0])
            support = subsample(pool, n_train, seed).train_index
            query = np.setdiff1d(rows, support)
            if len(query):
                self.splits.append((support, query))

    def score(self, adapt, with_queries: bool = False) -> float:
        """Mean accuracy of ``adapt`` over the validation tasks (inductive: queries are never passed)."""
        accuracies = []
        for support, query in self.splits:
            classifier = adapt(self.X[support], self.y[support])
            accuracies.append(np.mean(classifier.predict(self.X[query]) == self.y[query]))
        return float(np.mean(accuracies))


class HeldOutModels:
    """A meta-fitted learner and its classifiers adapted to each held-out task (by task id)."""

    def __init__(self, learner, adapted: dict):
        self.learner, self.adapted = learner, adapted
        self.selected_params_ = getattr(learner, "selected_params_", None)

    def predict(self, X, tasks):
        y_pred = np.empty(X.shape[0], dtype=object)
        for t in np.unique(tasks):
            rows = tasks == t
            y_pred[rows] = self.adapted[int(t)].predict(X[rows])
        return np.array(y_pred.tolist())


def fit(model, task_set: TaskSet, cell):
    """Meta-fit and adapt (meta-learners) or fit on the held-out tasks' samples (others).

    Returns (what to score: a HeldOutModels or the fitted learner, seconds).
    """
    heldout_ids = np.flatnonzero(task_set.heldout)
    start = time.perf_counter()
    if learner_kind(model) == "meta":
        training = np.flatnonzero(~task_set.heldout)
        rng = np.random.default_rng([cell.seed, stable_hash("validation-tasks")])
        n_validation = max(1, len(training) // 4) if len(training) > 1 else 0
        validation_ids = rng.choice(training, size=n_validation, replace=False)
        fit_ids = np.setdiff1d(training, validation_ids)
        rows = np.isin(task_set.task_train, fit_ids)
        validation = TaskValidation(
            task_set.X_train, task_set.y_train, task_set.task_train, validation_ids, cell.size, cell.seed
        ) if n_validation else None
        model.meta_fit(task_set.X_train[rows], task_set.y_train[rows], task_set.task_train[rows], validation=validation)
        adapted = {}
        for t in heldout_ids:
            support = task_set.task_train == t
            adapted[int(t)] = model.adapt(task_set.X_train[support], task_set.y_train[support])
        fitted = HeldOutModels(model, adapted)
    else:
        rows = np.isin(task_set.task_train, heldout_ids)
        fitted = model.fit(task_set.X_train[rows], task_set.y_train[rows], task_set.task_train[rows])
    return fitted, time.perf_counter() - start


def score(fitted, task_set: TaskSet, cell, fit_seconds: float) -> list[dict]:
    """Per-task test records of the held-out tasks."""
    heldout_ids = np.flatnonzero(task_set.heldout)
    rows = np.isin(task_set.task_test, heldout_ids)
    start = time.perf_counter()
    y_pred = np.empty(len(task_set.y_test), dtype=task_set.y_test.dtype)
    y_pred[rows] = fitted.predict(task_set.X_test[rows], task_set.task_test[rows])
    seconds = time.perf_counter() - start
    return score_tasks(fitted, task_set, cell, fit_seconds, y_pred, seconds, only=set(heldout_ids.tolist()))


class Holdout(Protocol):
    """Meta-learners learn from the training tasks and are adapted to each held-out task from its few
    samples; other learners are fitted on the held-out tasks' samples alone. Records: held-out tasks."""

    name = "holdout"
    accepts = ("multitask", "meta")

    def prepare(self, feature_spec, cache_dir, refresh=False) -> TaskSet:
        return cached_task_set(feature_spec, cache_dir, refresh)

    def task_names(self, data: TaskSet) -> list[str]:
        return data.task_names

    def fit(self, learner, cell, feature_spec, data: TaskSet):
        return fit(learner, data, cell)

    def records(self, fitted, cell, feature_spec, data: TaskSet, fit_seconds):
        return score(fitted, data, cell, fit_seconds)
