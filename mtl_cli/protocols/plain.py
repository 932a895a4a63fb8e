"""The plain protocol: fit on the training posts of every task, score on each task's test posts."""

from __future__ import annotations

import time

import numpy as np

from ..features import TaskSet
from ..grid import Cell
from ..prepare import cached_task_set
from ..registry import SPLITS
from ..results import f1_of_counts
from .base import Protocol, timed, validation_scores_of


def positive_class_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """F1 of label 1 and its counts: tp, fp, fn (micro-averaged F1 over tasks = 2 tp / (2 tp + fp + fn) of
    the summed counts). F1 is 0 where label 1 is neither present nor predicted."""
    tp = int(np.sum((y_pred == 1) & (y_true == 1)))
    fp = int(np.sum((y_pred == 1) & (y_true != 1)))
    fn = int(np.sum((y_pred != 1) & (y_true == 1)))
    return {"f1": f1_of_counts(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn}


def score(model, task_set: TaskSet, cell: Cell, fit_seconds: float, y_pred=None, predict_seconds=None,
          only=None, positive_class=False) -> list[dict]:
    """Per-task test records of a fitted model (of the tasks in ``only``, if given); with
    ``positive_class``, also the F1 of label 1 and its counts (``positive_class_scores``)."""
    from sklearn.metrics import f1_score

    if y_pred is None:
        start = time.perf_counter()
        y_pred = model.predict(task_set.X_test, task_set.task_test)
        predict_seconds = time.perf_counter() - start
    records = []
    for k, task in enumerate(task_set.task_names):
        if only is not None and k not in only:
            continue
        test, train = task_set.task_test == k, task_set.task_train == k
        y_true = task_set.y_test[test]
        records.append(
            {
                **cell.record_fields(),
                "n_train_per_task": cell.size,
                "task": task,
                "n_train": int(train.sum()),
                "n_test": int(test.sum()),
                "n_features": task_set.n_features,
                "accuracy": float(np.mean(y_pred[test] == y_true)),
                "macro_f1": float(f1_score(y_true, y_pred[test], average="macro")),
                **(positive_class_scores(y_true, y_pred[test]) if positive_class else {}),
                "fit_seconds": fit_seconds,
                "predict_seconds": predict_seconds,
                "featurize_seconds": task_set.featurize_seconds,
                "selected_params": getattr(model, "selected_params_", None),
                "validation_scores": validation_scores_of(model),
            }
        )
    return records


class Plain(Protocol):
    """Every learner is fitted on all tasks' training samples and scored per task on their test samples."""

    name = "plain"
    accepts = ("multitask",)

    def prepare(self, feature_spec, cache_dir, refresh=False) -> TaskSet:
        return cached_task_set(feature_spec, cache_dir, refresh)

    def task_names(self, data: TaskSet) -> list[str]:
        return data.task_names

    def fit(self, learner, cell, feature_spec, data: TaskSet):
        return timed(learner.fit, data.X_train, data.y_train, data.task_train)

    def records(self, fitted, cell, feature_spec, data: TaskSet, fit_seconds):
        split = SPLITS.get(feature_spec["split"]["name"])
        return score(fitted, data, cell, fit_seconds, positive_class=getattr(split, "scores_positive_class", False))
