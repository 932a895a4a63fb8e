"""Prototypes centred on the meta-train mean (``center: true``, SimpleShot's CL2N): the scores against a
direct computation, what centring is for, and its guard."""

import numpy as np
import pytest

from mtl_cli.learners import Prototypes
from mtl_cli.learners.meta import unit_rows
from tests.learners.transfer import five_shot_accuracy


def test_scores_are_cosines_around_the_meta_train_mean():
    rng = np.random.default_rng(0)
    X_train, X_support, X_query = rng.random((40, 6)), rng.random((6, 6)), rng.random((9, 6))
    y_support = np.repeat([3, 7], 3)
    model = Prototypes(center=True).meta_fit(X_train, np.repeat(np.arange(4), 10))
    m = unit_rows(X_train).mean(axis=0)
    Z = unit_rows(unit_rows(X_support) - m)
    centroids = unit_rows(np.vstack([Z[:3].mean(axis=0), Z[3:].mean(axis=0)]))
    expected = unit_rows(unit_rows(X_query) - m) @ centroids.T
    classifier = model.adapt(X_support, y_support)
    assert np.allclose(classifier.decision_function(X_query), expected)
    assert classifier.predict(X_query).tolist() == np.array([3, 7])[expected.argmax(axis=1)].tolist()


def test_centring_helps_where_classes_differ_in_direction_from_a_common_centre():
    # each class is a direction from the centre (3, ..., 3); each sample's distance from it varies 30-fold, so
    # around the origin (plain cosine) near-centre samples of every class look alike, around the centre they do not
    rng = np.random.default_rng(3)

    def classes(n, per):
        directions = rng.normal(size=(n, 8))
        distance = rng.uniform(0.1, 3.0, size=(n * per, 1))
        X = distance * (np.repeat(directions, per, axis=0) + rng.normal(scale=0.3, size=(n * per, 8)))
        return X + 3.0, np.repeat(np.arange(n), per)

    X_train, y_train = classes(20, 20)
    X_test, y_test = classes(5, 40)
    models = {"centred": Prototypes(center=True).meta_fit(X_train, y_train),
              "plain": Prototypes().meta_fit(X_train, y_train)}
    accuracy = five_shot_accuracy(models, X_test, y_test)
    assert accuracy["centred"] > accuracy["plain"] + 0.05, accuracy


def test_centring_composes_with_the_learned_metric_and_is_refused_on_wide_inputs():
    rng = np.random.default_rng(2)
    X, y = rng.random((30, 5)), np.repeat(np.arange(3), 10)
    model = Prototypes(center=True, metric="within-class", shrinkages=[1e12]).meta_fit(X, y)
    plain = Prototypes(center=True).meta_fit(X, y)
    assert np.allclose(model.adapt(X[:9], y[:9]).decision_function(X), plain.adapt(X[:9], y[:9]).decision_function(X),
                       atol=1e-6)  # an infinite shrinkage: the metric is the identity
    with pytest.raises(ValueError, match="center: true on 2049 input dimensions; use 'projection: lsa'"):
        Prototypes(center=True).meta_fit(rng.random((30, 2049)), y)
    with pytest.raises(ValueError, match="'center' parameter of Prototypes must be true or false"):
        Prototypes(center="yes").meta_fit(X, y)
