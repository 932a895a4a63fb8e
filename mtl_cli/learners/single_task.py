"""Baselines: one independent classifier per task, and one pooled classifier for all."""

from __future__ import annotations

import numpy as np
from sklearn.dummy import DummyClassifier

from ..registry import LEARNERS
from .base import BaseMultiTaskClassifier
from .estimators import check_estimator_spec, estimator_classes, make_estimator


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

    def __sklearn_tags__(self):
        """The wrapped classifier's input and score tags (multinomial-nb: non-negative counts, a poor
        score on the checks' blobs), with sparse input."""
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        if self.estimator in estimator_classes():
            wrapped = get_tags(estimator_classes()[self.estimator]())
            tags.input_tags.positive_only = wrapped.input_tags.positive_only
            tags.classifier_tags.poor_score = wrapped.classifier_tags.poor_score
        return tags

    def check(self) -> None:
        check_estimator_spec(self.estimator, self.estimator_params, probe=True)


@LEARNERS.register("single-task")
class SingleTaskClassifier(WrapsEstimator):
    """Independent models: one scikit-learn classifier per task, fitted on that task's samples alone.

    Parameters
    ----------
    estimator : {"linear-svc", "logistic", "ridge", "multinomial-nb", "sgd"}, default="linear-svc"
        The classifier fitted to each task.
    estimator_params : dict, default=None
        Its parameters (e.g. ``{"C": 1.0}``).
    random_state : int, RandomState instance or None, default=None
        Seed of the estimators that take one.
    """

    def fit(self, X, y, tasks=None):
        """Fit one classifier per task.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None means one task.

        Returns
        -------
        self : object
        """
        X, y, tasks = self.fit_inputs(X, y, tasks)
        self.remember_tasks(y, tasks)
        self.estimators_ = {
            t: fit_one(self.estimator, self.estimator_params, self.random_state, X[tasks == t], y[tasks == t])
            for t in self.tasks_
        }
        return self

    def predict(self, X, tasks=None):
        """The class of each sample, predicted by its task's classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X, tasks = self.predict_inputs(X, tasks)
        predictions = np.empty(X.shape[0], dtype=object)
        for t in np.unique(tasks):
            rows = tasks == t
            predictions[rows] = self.estimators_[t].predict(X[rows])
        return np.array(predictions.tolist())


@LEARNERS.register("pooled")
class PooledClassifier(WrapsEstimator):
    """Share everything: one scikit-learn classifier fitted on all tasks' samples together.

    The task ids are ignored except for checking them at predict time.

    Parameters
    ----------
    estimator : {"linear-svc", "logistic", "ridge", "multinomial-nb", "sgd"}, default="linear-svc"
        The classifier fitted to all tasks' samples.
    estimator_params : dict, default=None
        Its parameters (e.g. ``{"C": 1.0}``).
    random_state : int, RandomState instance or None, default=None
        Seed of the estimator, if it takes one.
    """

    def fit(self, X, y, tasks=None):
        """Fit one classifier on the samples of all tasks.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample (kept only to check predict-time ids).

        Returns
        -------
        self : object
        """
        X, y, tasks = self.fit_inputs(X, y, tasks)
        self.tasks_ = np.unique(tasks)
        self.classes_ = np.unique(y)
        self.estimator_ = fit_one(self.estimator, self.estimator_params, self.random_state, X, y)
        return self

    def predict(self, X, tasks=None):
        """The class of each sample, predicted by the one pooled classifier.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X, _ = self.predict_inputs(X, tasks)
        return self.estimator_.predict(X)
