"""Balanced transductive prototypes (``balanced: true``): each class gets an equal share of the queries.

What it buys on balanced episodes, what it costs where the queries are not
balanced (its assumption), that it never reads query labels, and its guards.
"""

from __future__ import annotations

import numpy as np
import pytest

from mtl_cli.data.episodes import sample_episodes
from mtl_cli.learners import Prototypes
from mtl_cli.learners.meta import BalancedScores
from mtl_cli.optim.transport import balanced_assignment
from mtl_cli.protocols.episodic import episode_accuracy
from tests.protocols.test_transductive import assert_query_labels_unread, clusters

BALANCED = {"balanced": True, "refine_steps": 30, "refine_rate": 0.2}  # as in the episodic configs


def mean_accuracy(model, X, episodes) -> float:
    return float(np.mean([episode_accuracy(model.adapt, X, X, e, True) for e in episodes]))


def test_balanced_shares_help_on_balanced_one_shot_episodes_and_never_read_query_labels():
    gains = []
    for seed in (0, 1):
        X, labels = clusters(seed=seed)
        episodes = sample_episodes(labels, labels, list(range(5)), 5, 1, 15, 40, 0, "test", same_pool=True)
        plain = Prototypes(transductive=True, temperatures=[10.0]).meta_fit(X, labels)
        balanced = Prototypes(transductive=True, temperatures=[10.0], **BALANCED).meta_fit(X, labels)
        gains.append(mean_accuracy(balanced, X, episodes) - mean_accuracy(plain, X, episodes))
    assert np.mean(gains) > 0.02, gains
    assert_query_labels_unread(balanced.adapt, X, episodes[:10], seed=1)


def test_balanced_shares_cost_accuracy_where_one_class_has_most_of_the_queries():
    X, labels = clusters(seed=0, n_classes=2, per_class=200, spread=0.6)
    rng = np.random.default_rng(0)
    plain = Prototypes(transductive=True, temperatures=[10.0]).meta_fit(X, labels)
    balanced = Prototypes(transductive=True, temperatures=[10.0], **BALANCED).meta_fit(X, labels)
    accuracy = {"plain": [], "balanced": []}
    for _ in range(30):
        support = np.concatenate([rng.choice(np.flatnonzero(labels == c), 5, replace=False) for c in (0, 1)])
        rest = np.setdiff1d(np.arange(len(labels)), support)
        query = np.concatenate([rng.choice(rest[labels[rest] == 0], 40, replace=False),
                                rng.choice(rest[labels[rest] == 1], 8, replace=False)])  # 5 to 1
        for name, model in (("plain", plain), ("balanced", balanced)):
            predicted = model.adapt(X[support], labels[support], X[query]).predict(X[query])
            accuracy[name].append(np.mean(predicted == labels[query]))
    assert np.mean(accuracy["balanced"]) < np.mean(accuracy["plain"]) - 0.1, accuracy


def test_predictions_are_the_largest_shares_of_the_balanced_plan_of_the_refined_centroids():
    X, labels = clusters(seed=1)
    model = Prototypes(transductive=True, temperatures=[10.0], **BALANCED).meta_fit(X, labels)
    support, query = np.array([0, 40, 80, 120, 160]), np.arange(1, 200, 4)
    classifier = model.adapt(X[support], labels[support], X[query])
    assert isinstance(classifier, BalancedScores)
    plan = balanced_assignment(classifier.decision_function(X[query]), 10.0)
    assert np.array_equal(classifier.predict(X[query]), classifier.classes[plan.argmax(axis=1)])
    # fewer queries than classes: no balance to keep, the soft k-means shares refine the centroids
    damped = Prototypes(transductive=True, temperatures=[10.0], refine_steps=30, refine_rate=0.2).meta_fit(X, labels)
    assert np.allclose(model.adapt(X[support], labels[support], X[query[:3]]).decision_function(X),
                       damped.adapt(X[support], labels[support], X[query[:3]]).decision_function(X))
    # one query alone: an equal share is a fifth of it, so the scores decide
    for row in (1, 41, 81, 121, 161):  # one of each class
        nearest = classifier.classes[classifier.decision_function(X[[row]]).argmax()]
        assert classifier.predict(X[[row]]).tolist() == [nearest]


def test_balanced_needs_transductive_and_the_rate_is_in_zero_one():
    X, y = np.random.default_rng(0).random((20, 4)), np.repeat(np.arange(4), 5)
    with pytest.raises(ValueError, match="'balanced' parameter of Prototypes needs 'transductive: true'"):
        Prototypes(balanced=True).meta_fit(X, y)
    for rate in (0, 1.5, "fast"):
        with pytest.raises(ValueError, match="'refine_rate' parameter of Prototypes must be"):
            Prototypes(transductive=True, refine_rate=rate).meta_fit(X, y)
    with pytest.raises(ValueError, match="'balanced' parameter of Prototypes must be true or false"):
        Prototypes(transductive=True, balanced="yes").meta_fit(X, y)
