"""Held-out tasks: meta-learners learn from some tasks and are adapted to the others.

With ``holdout_tasks`` in a split, a meta-learner is meta-fitted on the
training pools of the training tasks, then adapted to each held-out task from
that task's ``n_train_per_task`` samples. Any other learner is fitted on the
held-out tasks' samples alone. Records cover the held-out tasks only.

Its meta-hyperparameters are chosen on validation tasks: a quarter of the
training tasks, not meta-fitted on. Tasks can share documents (in
``hierarchy-pairs`` every post of comp.graphics is in each of its four
tasks; a user's CSV may repeat a text in several tasks), so holding out
tasks alone would score a validation task on documents the meta-learner was
fitted on, and every candidate would score alike. A quarter of the
validation tasks' distinct documents (by content) are therefore held out as
well: no task is meta-fitted on them, and each validation task is adapted
on a few of its other samples and scored on these, as a held-out task is
adapted on posts the meta-learner may have seen and scored on test posts it
has not.
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


VALIDATION_DOCUMENTS = 0.25  # share of the validation tasks' documents that nothing is meta-fitted on


class TaskValidation:
    """Validation on training tasks: adapt on a few samples of each, score on its held-out samples."""

    def __init__(self, X, y, tasks, names, held_out: np.ndarray, n_train, seed):
        self.X, self.y, self.n_way = X, y, 2
        self.k_shot = max(1, (n_train if n_train != "all" else 10) // 2)
        self.splits = []
        for t in names:
            rows = np.flatnonzero(tasks == t)
            pool_rows, query = rows[~held_out[rows]], rows[held_out[rows]]
            pool = Task(str(t), pool_rows, y[pool_rows], rows[:0], y[rows][:0])
            support = subsample(pool, n_train, seed).train_index
            if len(query) and len(support):
                self.splits.append((support, query))

    def score(self, adapt, with_queries: bool = False) -> float:
        """Mean accuracy of ``adapt`` over the validation tasks (inductive: queries are never passed)."""
        accuracies = []
        for support, query in self.splits:
            classifier = adapt(self.X[support], self.y[support])
            accuracies.append(np.mean(classifier.predict(self.X[query]) == self.y[query]))
        return float(np.mean(accuracies))


def validation_plan(task_set: TaskSet, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(validation task ids, meta-fit task ids, per training row: is its document held out for validation).

    A quarter of the training tasks validate; ``VALIDATION_DOCUMENTS`` of their
    distinct documents, drawn by ``seed``, are held out of every task.
    """
    training = np.flatnonzero(~task_set.heldout)
    rng = np.random.default_rng([seed, stable_hash("validation-tasks")])
    n_validation = max(1, len(training) // 4) if len(training) > 1 else 0
    validation_ids = rng.choice(training, size=n_validation, replace=False)
    documents = np.unique(task_set.document_train[np.isin(task_set.task_train, validation_ids)])
    n_held = int(np.ceil(VALIDATION_DOCUMENTS * len(documents)))
    held_out = np.isin(task_set.document_train, rng.choice(documents, size=n_held, replace=False))
    return validation_ids, np.setdiff1d(training, validation_ids), held_out


class HeldOutModels:
    """A meta-fitted learner and its classifiers adapted to each held-out task (by task id)."""

    def __init__(self, learner, adapted: dict):
        self.learner, self.adapted = learner, adapted
        self.selected_params_ = getattr(learner, "selected_params_", None)
        self.validation_scores_ = getattr(learner, "validation_scores_", None)

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
        validation_ids, fit_ids, held_out = validation_plan(task_set, cell.seed)
        rows = np.isin(task_set.task_train, fit_ids) & ~held_out
        validation = TaskValidation(
            task_set.X_train, task_set.y_train, task_set.task_train, validation_ids, held_out, cell.size, cell.seed
        )
        validation = validation if validation.splits else None  # nothing to score: the first candidate
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
