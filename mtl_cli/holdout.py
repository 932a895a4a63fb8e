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

from .data.base import Task, stable_hash, subsample
from .features import TaskSet
from .scoring import score as score_tasks


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

    def score(self, adapt) -> float:
        accuracies = []
        for support, query in self.splits:
            classifier = adapt(self.X[support], self.y[support])
            accuracies.append(np.mean(classifier.predict(self.X[query]) == self.y[query]))
        return float(np.mean(accuracies))


def fit(model, task_set: TaskSet, cell):
    """Meta-fit (meta-learners) or fit on the held-out tasks' samples (others); returns (model, seconds)."""
    heldout_ids = np.flatnonzero(task_set.heldout)
    start = time.perf_counter()
    if getattr(model, "meta", False):
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
        model.adapted_ = {}
        for t in heldout_ids:
            support = task_set.task_train == t
            model.adapted_[int(t)] = model.adapt(task_set.X_train[support], task_set.y_train[support])
    else:
        rows = np.isin(task_set.task_train, heldout_ids)
        model.fit(task_set.X_train[rows], task_set.y_train[rows], task_set.task_train[rows])
    return model, time.perf_counter() - start


def score(model, task_set: TaskSet, cell, fit_seconds: float) -> list[dict]:
    """Per-task test records of the held-out tasks."""
    heldout_ids = np.flatnonzero(task_set.heldout)
    start = time.perf_counter()
    y_pred = np.empty(len(task_set.y_test), dtype=task_set.y_test.dtype)
    rows = np.isin(task_set.task_test, heldout_ids)
    if getattr(model, "meta", False):
        for t in heldout_ids:
            test = task_set.task_test == t
            y_pred[test] = model.adapted_[int(t)].predict(task_set.X_test[test])
    else:
        y_pred[rows] = model.predict(task_set.X_test[rows], task_set.task_test[rows])
    seconds = time.perf_counter() - start
    return score_tasks(model, task_set, cell, fit_seconds, y_pred, seconds, only=set(heldout_ids.tolist()))
