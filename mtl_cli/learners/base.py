"""What every multi-task learner shares: the (X, y, tasks) interface and its scoring."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted


def per_task_accuracy(y_true, y_pred, tasks) -> dict:
    """Accuracy of each task: {task id: fraction correct}."""
    return {t: float(np.mean(y_true[tasks == t] == y_pred[tasks == t])) for t in np.unique(tasks)}


class MultiTaskClassifierMixin(ClassifierMixin):
    """Learners fitted on stacked tasks: ``fit(X, y, tasks)``, ``predict(X, tasks)``.

    ``tasks`` is an (n,) array of task ids, one per row of ``X`` (like
    scikit-learn's ``groups``).
    """

    def score(self, X, y, tasks=None):
        """Mean over tasks of each task's accuracy (plain accuracy when ``tasks`` is None)."""
        y_pred = self.predict(X, tasks)
        tasks = np.zeros(len(y_pred), dtype=int) if tasks is None else np.asarray(tasks)
        return float(np.mean(list(per_task_accuracy(np.asarray(y), y_pred, tasks).values())))

    def check_tasks(self, tasks) -> np.ndarray:
        """Validate predict-time task ids against those seen in fit."""
        check_is_fitted(self)
        tasks = np.asarray(tasks)
        unknown = np.setdiff1d(tasks, self.tasks_)
        if len(unknown):
            raise ValueError(
                f"{type(self).__name__} was fitted on tasks {self.tasks_.tolist()}; "
                f"got unknown task ids {unknown[:5].tolist()}"
            )
        return tasks


class BaseMultiTaskClassifier(MultiTaskClassifierMixin, BaseEstimator):
    """Base class for the (X, y, tasks) learners."""
