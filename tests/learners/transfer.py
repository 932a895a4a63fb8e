"""Classes for checking that what a meta-learner learns on some classes transfers to new ones."""

import numpy as np


def noisy_classes(rng, n: int, per: int):
    """``n`` classes of ``per`` samples that differ in 3 informative dimensions among 30 loud, shared noise
    dimensions: a learner that learns to ignore the noise on some classes does better on new ones."""
    centers = np.hstack([rng.normal(size=(n, 3)), np.zeros((n, 30))])
    noise = np.hstack([rng.normal(scale=0.3, size=(n * per, 3)), rng.normal(scale=1.0, size=(n * per, 30))])
    return np.repeat(centers, per, axis=0) + noise, np.repeat(np.arange(n), per)


def five_shot_accuracy(models: dict, X, y) -> dict:
    """Each model's accuracy on the classes of y, adapted on the first 5 samples of each, scored on the rest."""
    support = np.concatenate([np.flatnonzero(y == c)[:5] for c in np.unique(y)])
    query = np.setdiff1d(np.arange(len(y)), support)
    return {name: np.mean(model.adapt(X[support], y[support]).predict(X[query]) == y[query])
            for name, model in models.items()}
