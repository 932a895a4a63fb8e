"""Learners: scikit-learn-style estimators over stacked tasks, ``fit(X, y, tasks)``."""

from .meta import LinearProtoNet, MetaBias, MetaSubspace, Prototypes, Reptile, RidgeHead
from .mt_svm import MultiTaskSVC
from .shared_w import MultiTaskLinearClassifier
from .shared_w_cv import MultiTaskLinearClassifierCV
from .single_task import PooledClassifier, SingleTaskClassifier

__all__ = [
    "LinearProtoNet",
    "MetaBias",
    "MetaSubspace",
    "MultiTaskLinearClassifier",
    "MultiTaskLinearClassifierCV",
    "MultiTaskSVC",
    "PooledClassifier",
    "Prototypes",
    "Reptile",
    "RidgeHead",
    "SingleTaskClassifier",
]
