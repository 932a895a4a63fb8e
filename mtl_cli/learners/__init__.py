"""Learners: scikit-learn-style estimators over stacked tasks, ``fit(X, y, tasks)``."""

from .meta import MetaBias, MetaSubspace, Prototypes, Reptile, RidgeHead
from .shared_w import MultiTaskLinearClassifier
from .shared_w_cv import MultiTaskLinearClassifierCV
from .single_task import PooledClassifier, SingleTaskClassifier

__all__ = [
    "MetaBias",
    "MetaSubspace",
    "Prototypes",
    "Reptile",
    "RidgeHead",
    "MultiTaskLinearClassifier", "MultiTaskLinearClassifierCV", "PooledClassifier", "SingleTaskClassifier"]
