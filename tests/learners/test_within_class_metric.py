"""Prototypes with the within-class metric: the map against a direct matrix computation, its limiting
case, its grouping by task, its guard, and what it learns on classes it will never see."""

import numpy as np
import pytest
from scipy.linalg import fractional_matrix_power

from mtl_cli.learners import Prototypes
from mtl_cli.learners.meta import group_of, unit_rows, whitening, within_class_spectrum
from mtl_cli.protocols.episodic import EpisodicValidation
from tests.learners.transfer import five_shot_accuracy, noisy_classes


def test_the_map_is_the_shrunk_inverse_square_root_of_the_within_class_covariance():
    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(60, 4)), np.repeat(np.arange(3), 20)
    residuals = np.vstack([Z[y == c] - Z[y == c].mean(axis=0) for c in range(3)])
    S_w = residuals.T @ residuals / len(Z)
    w, V = within_class_spectrum(Z, y)
    mu = 0.5 * np.trace(S_w) / 4
    expected = np.sqrt(mu) * fractional_matrix_power(S_w + mu * np.eye(4), -0.5)
    assert np.allclose(whitening(w, V, 0.5), expected)
    assert np.allclose(whitening(w, V, 1e12), np.eye(4), atol=1e-5)  # no metric learned: the identity


def test_with_a_huge_shrinkage_it_predicts_as_cosine_prototypes():
    rng = np.random.default_rng(1)
    X, y = noisy_classes(rng, 8, 20)
    learned = Prototypes(metric="within-class", shrinkages=[1e12]).meta_fit(X, y)
    plain = Prototypes().meta_fit(X, y)
    support, query = X[::10], rng.normal(size=(40, 33))
    assert learned.adapt(support, y[::10]).predict(query).tolist() == plain.adapt(support, y[::10]).predict(
        query).tolist()


def test_groups_are_classes_within_each_training_task():
    # label 1 of task "a" and label 1 of task "b" are different classes
    groups = group_of(np.array([0, 1, 1, 0, 1, 1]), np.array(["a", "a", "a", "b", "b", "b"]))
    assert len(set(groups)) == 4 and groups[1] == groups[2] and groups[1] != groups[4]
    assert group_of(np.array([2, 0, 2])).tolist() == [2, 0, 2]


def test_it_learns_a_metric_that_transfers_to_new_classes_and_chooses_its_shrinkage_on_validation():
    rng = np.random.default_rng(2)
    X_train, y_train = noisy_classes(rng, 30, 30)
    X_val, y_val = noisy_classes(rng, 5, 30)
    X_test, y_test = noisy_classes(rng, 5, 40)
    validation = EpisodicValidation(X_val, y_val, list(range(5)), 5, 5, 10, 20, seed=0)
    learned = Prototypes(metric="within-class").meta_fit(X_train, y_train, validation=validation)
    plain = Prototypes().meta_fit(X_train, y_train, validation=validation)
    scores = learned.validation_scores_["shrinkage"]
    near_best = [v for v, score in scores.items() if score >= max(scores.values()) - 0.005]
    assert learned.shrinkage_ == max(near_best) < 10.0  # the most conservative near-best; the noise needs a metric
    accuracy = five_shot_accuracy({"learned": learned, "plain": plain}, X_test, y_test)
    assert accuracy["learned"] > accuracy["plain"] + 0.15, accuracy


def test_transductive_refinement_in_the_learned_metric_helps_whatever_the_order_of_the_queries():
    rng = np.random.default_rng(3)
    X_train, y_train = noisy_classes(rng, 20, 20)
    X_test, y_test = noisy_classes(rng, 5, 30)
    model = Prototypes(metric="within-class", shrinkages=[0.1], transductive=True, temperatures=[10.0])
    model.meta_fit(X_train, y_train)
    support = np.concatenate([np.flatnonzero(y_test == c)[:1] for c in range(5)])
    query = np.setdiff1d(np.arange(len(y_test)), support)
    predicted = model.adapt(X_test[support], y_test[support], X_test[query]).predict(X_test[query])
    shuffled = rng.permutation(query)  # the same query set in another order: the same prediction per query
    again = model.adapt(X_test[support], y_test[support], X_test[shuffled]).predict(X_test[query])
    assert predicted.tolist() == again.tolist()
    inductive = model.adapt(X_test[support], y_test[support]).predict(X_test[query])
    assert np.mean(predicted == y_test[query]) > np.mean(inductive == y_test[query])


def test_wide_inputs_are_refused_with_the_way_out():
    X = unit_rows(np.random.default_rng(4).random((30, 2049)))
    with pytest.raises(ValueError, match="projection: lsa"):
        Prototypes(metric="within-class").meta_fit(X, np.repeat(np.arange(3), 10))
    with pytest.raises(ValueError, match="metric"):
        Prototypes(metric="mahalanobis").meta_fit(X, np.repeat(np.arange(3), 10))


def test_from_the_cli_wide_features_are_a_one_line_user_error_naming_the_config(tmp_path):
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    config = tmp_path / "wide.yaml"
    config.write_text("""
name: wide
dataset: {name: synthetic, n_tasks: 4, n_features: 2100, n_train: 40, n_test: 20}
split: {name: by-column, n_train_per_task: [10], holdout_tasks: 0.5}
featurizer: {name: none}
learners:
  - {name: prototypes, metric: within-class}
seeds: [0]
""")
    result = CliRunner().invoke(app, ["train", str(config), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {config}: learner prototypes[metric=within-class]: prototypes: metric 'within-class' on 2100 "
        "input dimensions; use 'projection: lsa' (at most 2048 dimensions)"
    ]
