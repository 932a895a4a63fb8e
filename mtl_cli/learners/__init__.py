"""Learners: scikit-learn-style estimators over stacked tasks, ``fit(X, y, tasks)``."""

from .single_task import PooledClassifier, SingleTaskClassifier

__all__ = ["PooledClassifier", "SingleTaskClassifier"]
