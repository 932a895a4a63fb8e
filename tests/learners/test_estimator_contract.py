"""Every (X, y, tasks) learner follows scikit-learn's estimator contract (its own checks)."""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from mtl_cli.learners import (
    MultiTaskLinearClassifier,
    MultiTaskLinearClassifierCV,
    MultiTaskSVC,
    PooledClassifier,
    SingleTaskClassifier,
)

PER_TASK_CLASSES = "classes_ holds one array of classes per task, not one array"
EXPECTED_FAILURES = {
    "MultiTaskLinearClassifier": {"check_classifiers_classes": PER_TASK_CLASSES},
    "MultiTaskLinearClassifierCV": {"check_classifiers_classes": PER_TASK_CLASSES},
    "SingleTaskClassifier": {"check_classifiers_classes": PER_TASK_CLASSES},
    "PooledClassifier": {},
    "MultiTaskSVC": {"check_classifiers_classes": PER_TASK_CLASSES},
}


# the checks' data are unscaled (features up to ~100), too ill-conditioned for tol in max_iter
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        MultiTaskLinearClassifier(penalty="l21", alpha=0.01),
        MultiTaskLinearClassifier(penalty="mean"),
        MultiTaskLinearClassifierCV(penalty="mean", n_alphas=2, l2s=[0.1]),
        SingleTaskClassifier(estimator="logistic"),
        PooledClassifier(estimator="logistic"),
        PooledClassifier(estimator="multinomial-nb"),
        MultiTaskSVC(),
    ],
    expected_failed_checks=lambda estimator: EXPECTED_FAILURES[type(estimator).__name__],
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
