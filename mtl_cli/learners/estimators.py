"""The scikit-learn classifiers that single-task and pooled learners wrap."""

from __future__ import annotations

import inspect

from ..errors import did_you_mean, one_of


def estimator_classes() -> dict:
    from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.svm import LinearSVC

    return {
        "linear-svc": LinearSVC,
        "logistic": LogisticRegression,
        "ridge": RidgeClassifier,
        "multinomial-nb": MultinomialNB,
        "sgd": SGDClassifier,
    }


def check_estimator_spec(estimator: str, params: dict | None) -> None:
    """Raise ValueError naming the bad key if the estimator or one of its parameters is unknown."""
    classes = estimator_classes()
    if estimator not in classes:
        raise ValueError(
            f"'estimator' must be one of {one_of(classes)}, got {estimator!r}{did_you_mean(estimator, classes)}"
        )
    allowed = set(inspect.signature(classes[estimator]).parameters) - {"random_state"}
    for key in params or {}:
        if key not in allowed:
            raise ValueError(
                f"'estimator_params' has unknown parameter '{key}' for {estimator}, expected one of "
                f"{one_of(allowed)}{did_you_mean(key, allowed)}"
            )


def make_estimator(estimator: str, params: dict | None, random_state):
    """An unfitted scikit-learn classifier, seeded when it takes a random_state."""
    check_estimator_spec(estimator, params)
    cls = estimator_classes()[estimator]
    params = dict(params or {})
    if "random_state" in inspect.signature(cls).parameters:
        params["random_state"] = random_state
    return cls(**params)
