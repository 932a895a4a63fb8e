"""Baselines: one independent classifier per task, and one pooled classifier for all."""

from __future__ import annotations

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.utils.validation import check_is_fitted

from ..registry import LEARNERS
from .base import BaseMultiTaskClassifier, as_tasks
from .estimators import check_estimator_spec, make_estimator


def fit_one(estimator, params, random_state, X, y):
    """Fit one classifier; a constant predictor when the data hold a single class."""
    if len(np.unique(y)) < 2:
        return DummyClassifier(strategy="most_frequent").fit(X, y)
    return make_estimator(estimator, params, random_state).fit(X, y)


class WrapsEstimator(BaseMultiTaskClassifier):
    """Base of the learners that wrap a scikit-learn classifier named by ``estimator``."""

    def __init__(self, estimator="linear-svc", estimator_params=None, random_state=None):
        self.estimator = estimator
        self.estimator_params = estimator_params
        self.random_state = random_state

    def check(self) -> None:
        check_estimator_spec(self.estimator, self.estimator_params, probe=True)


@LEARNERS.register("single-task")
class SingleTaskClassifier(WrapsEstimator):
    """Independent models: one scikit-learn classifier per task, fitted on that task's samples alone.

    Parameters
    ----------
    estimator : {"linear-svc", "logistic", "ridge", "multinomial-nb", "sgd"}
        The classifier fitted to each task.
    estimator_params : dict or None
        Its parameters (e.g. ``{"C": 1.0}``).
    random_state : int or None
        Seed of the estimators that take one.
    """

    def fit(self, X, y, tasks=None):
        y, tasks = np.asarray(y), as_tasks(tasks, X.shape[0])
        self.tasks_ = np.unique(tasks)
        self.estimators_ = {
            t: fit_one(self.estimator, self.estimator_params, self.random_state, X[tasks == t], y[tasks == t])
            for t in self.tasks_
        }
        return self

    def predict(self, X, tasks=None):
        tasks = self.check_tasks(tasks, X.shape[0])
        predictions = np.empty(X.shape[0], dtype=object)
        for t in np.unique(tasks):
            rows = tasks == t
            predictions[rows] = self.estimators_[t].predict(X[rows])
        return np.array(predictions.tolist())


@LEARNERS.register("pooled")
class PooledClassifier(WrapsEstimator):
    """Share everything: one scikit-learn classifier fitted on all tasks' samples together.

    Parameters are those of ``single-task``; the task ids are ignored except
    for checking them at predict time.
    """

    def fit(self, X, y, tasks=None):
        self.tasks_ = np.unique(as_tasks(tasks, X.shape[0]))
        self.estimator_ = fit_one(self.estimator, self.estimator_params, self.random_state, X, np.asarray(y))
        return self

    def predict(self, X, tasks=None):
        self.check_tasks(tasks, X.shape[0])
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)
