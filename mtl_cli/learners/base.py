"""What every multi-task learner shares: the (X, y, tasks) interface and its scoring."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def per_task_accuracy(y_true, y_pred, tasks) -> dict:
    """Accuracy of each task: {task id: fraction correct}."""
    return {t: float(np.mean(y_true[tasks == t] == y_pred[tasks == t])) for t in np.unique(tasks)}


def as_tasks(tasks, n_samples: int) -> np.ndarray:
    """Task ids as a 1-d array, one per sample; None means one task (id 0) holding every sample.

    Ids of mixed types (``[1, "a"]``) are refused: numpy would silently turn
    them all into strings, so task 1 and task "1" would merge.
    """
    if tasks is None:
        return np.zeros(n_samples, dtype=int)
    if not isinstance(tasks, np.ndarray) or tasks.dtype == object:
        kinds = {type(t).__name__ for t in (tasks.tolist() if isinstance(tasks, np.ndarray) else tasks)}
        numeric = {"int", "int64", "int32"}
        if len(kinds) > 1 and not kinds <= numeric:
            raise ValueError(f"'tasks' mixes id types {sorted(kinds)}; use one type (all integers or all strings)")
    tasks = np.asarray(tasks)
    if tasks.ndim != 1 or len(tasks) != n_samples:
        raise ValueError(
            f"'tasks' must be a 1-d array with one task id per sample ({n_samples}); got shape {tasks.shape}"
        )
    if tasks.dtype.kind == "f":
        raise ValueError("'tasks' holds floats; task ids are integers or strings")
    return tasks


class MultiTaskClassifierMixin(ClassifierMixin):
    """Learners fitted on stacked tasks: ``fit(X, y, tasks)``, ``predict(X, tasks)``.

    ``tasks`` is an (n,) array of task ids, one per row of ``X`` (like
    scikit-learn's ``groups``).
    """

    def score(self, X, y, tasks=None):
        """Mean over tasks of each task's accuracy (plain accuracy for a model of one task).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        score : float
        """
        y_pred = self.predict(X, tasks)
        tasks = self.check_tasks(tasks, len(y_pred))
        return float(np.mean(list(per_task_accuracy(np.asarray(y), y_pred, tasks).values())))

    def fit_inputs(self, X, y, tasks, dtype="numeric"):
        """``fit``'s validation, for every learner: X (CSR or dense) and y by scikit-learn's
        ``validate_data``, y as classification targets, one task id per row. Returns (X, y, tasks)."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=dtype)
        check_classification_targets(y)
        return X, y, as_tasks(tasks, X.shape[0])

    def remember_tasks(self, y, tasks) -> None:
        """Set ``tasks_`` (the sorted task ids seen in fit) and ``classes_`` (each task's sorted classes)."""
        self.tasks_ = np.unique(tasks)
        self.classes_ = [np.unique(y[tasks == t]) for t in self.tasks_]

    def predict_inputs(self, X, tasks, dtype="numeric"):
        """``predict``'s validation: fitted, X with the features seen in fit, task ids seen in fit.
        Returns (X, tasks)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=dtype)
        return X, self.check_tasks(tasks, X.shape[0])

    def check_tasks(self, tasks, n_samples: int | None = None) -> np.ndarray:
        """Validate predict-time task ids against those seen in fit.

        ``None`` stands for the one task the model was fitted on; with a model
        of several tasks it is an error (which task would each row be?).
        """
        check_is_fitted(self)
        if tasks is None:
            if len(self.tasks_) != 1:
                raise ValueError(
                    f"{type(self).__name__} was fitted on {len(self.tasks_)} tasks; "
                    "pass 'tasks', the task id of each row"
                )
            if n_samples is None:
                raise ValueError("'tasks' is None and the number of samples is unknown")
            return np.full(n_samples, self.tasks_[0])
        tasks = as_tasks(tasks, n_samples if n_samples is not None else len(tasks))
        unknown = np.setdiff1d(tasks, self.tasks_)
        if len(unknown):
            raise ValueError(
                f"{type(self).__name__} was fitted on tasks {self.tasks_.tolist()}; "
                f"got unknown task ids {unknown[:5].tolist()}"
            )
        return tasks


class BaseMultiTaskClassifier(MultiTaskClassifierMixin, BaseEstimator):
    """Base class for the (X, y, tasks) learners."""

    kind = "multitask"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # every learner takes sparse TF-IDF matrices
        return tags


def seed_of(random_state) -> int:
    """An integer seed with scikit-learn's meaning of ``random_state``: an int is itself, None draws
    from numpy's global generator (a different seed each call), a RandomState draws from itself."""
    from sklearn.utils import check_random_state

    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(2**31))


def learner_kind(learner) -> str:
    """``"multitask"`` (fit(X, y, tasks)) or ``"meta"`` (meta_fit, then adapt to each new task)."""
    return getattr(learner, "kind", "multitask")
