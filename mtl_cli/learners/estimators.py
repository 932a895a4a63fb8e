"""The scikit-learn classifiers that single-task and pooled learners wrap."""

from __future__ import annotations

import inspect

from ..errors import did_you_mean, first_line, one_of


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


def check_estimator_spec(estimator: str, params: dict | None, probe: bool = False) -> None:
    """Raise ValueError naming the bad key if the estimator or one of its parameters is unknown.

    With ``probe``, the estimator is also built and fitted on four samples, so
    that scikit-learn's own validation judges the parameters' types, ranges
    and combinations (``C=-1``, ``penalty='l1'`` with a solver that has none).
    """
    classes = estimator_classes()
    if params is not None and not isinstance(params, dict):
        raise ValueError(f"'estimator_params' must be a mapping of parameter names to values, got {params!r}")
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
    if probe:
        probe_fit(estimator, classes[estimator](**(params or {})))


def probe_fit(name: str, estimator) -> None:
    """Fit on a tiny separable problem; a parameter error becomes a ValueError naming the estimator."""
    import warnings

    import numpy as np

    X, y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]]), np.array([0, 1, 0, 1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X, y)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"'estimator_params' rejected by {name}: {first_line(exc)}") from None


def make_estimator(estimator: str, params: dict | None, random_state):
    """An unfitted scikit-learn classifier, seeded when it takes a random_state."""
    check_estimator_spec(estimator, params)
    cls = estimator_classes()[estimator]
    params = dict(params or {})
    if "random_state" in inspect.signature(cls).parameters:
        params["random_state"] = random_state
    return cls(**params)
