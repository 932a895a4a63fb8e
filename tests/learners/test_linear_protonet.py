"""The linear ProtoNet: its gradient, its loss against a loop, its limiting case, and what it learns."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from mtl_cli.learners import LinearProtoNet, Prototypes
from mtl_cli.learners.meta import EpisodeBatch, unit_rows
from tests.learners.transfer import five_shot_accuracy, noisy_classes


def loop_loss(batch: EpisodeBatch, A, t):
    """The mean query cross-entropy, one query and one prototype at a time."""
    Zs, Zq = batch.X_support @ A, batch.X_query @ A
    protos = [np.mean(Zs[np.flatnonzero(batch.average.toarray()[p])], axis=0) for p in range(batch.average.shape[0])]
    total = 0.0
    for q, z in enumerate(Zq):
        logits = np.array([-0.5 * t * np.sum((z - protos[p]) ** 2) for p in batch.query_protos[q]])
        total -= logits[batch.query_labels[q]] - np.log(np.sum(np.exp(logits)))
    return total / len(Zq)


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    Z = unit_rows(rng.normal(size=(120, 6)))
    return EpisodeBatch(Z, np.repeat(np.arange(8), 15), None, 3, 2, 4, 5, np.random.default_rng(1))


def test_loss_matches_a_loop_and_gradient_matches_finite_differences(batch):
    A = np.random.default_rng(2).normal(size=(6, 4))
    loss, gradient = batch.loss_and_gradient(A, 3.0)
    assert loss == pytest.approx(loop_loss(batch, A, 3.0), rel=1e-10)
    f = lambda a: batch.loss_and_gradient(a.reshape(6, 4), 3.0)[0]  # noqa: E731
    g = lambda a: batch.loss_and_gradient(a.reshape(6, 4), 3.0)[1].ravel()  # noqa: E731
    assert check_grad(f, g, A.ravel()) < 1e-5 * max(1.0, np.abs(gradient).max())


def test_episodes_are_n_way_k_shot_with_their_queries(batch):
    # 5 episodes, 3 ways, 2 shots, 4 queries per class
    assert batch.average.shape == (15, 30) and np.allclose(batch.average.sum(axis=1), 1.0)
    assert batch.query_protos.shape == (60, 3) and np.bincount(batch.query_labels).tolist() == [20, 20, 20]
    assert batch.query_protos[::12, 0].tolist() == [0, 3, 6, 9, 12]  # each query meets its own episode's classes
    # no support row is also a query of its episode
    support, query = batch.X_support.reshape(5, 6, 6), batch.X_query.reshape(5, 12, 6)
    assert not any((support[e][:, None] == query[e][None]).all(-1).any() for e in range(5))


def test_with_a_strong_pull_it_is_euclidean_nearest_prototype():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(200, 5)), np.repeat(np.arange(10), 20)
    model = LinearProtoNet(l2s=[1e9], n_meta_tasks=5, max_iter=5, random_state=0).meta_fit(X, y)
    assert np.allclose(model.A_, model.A0_, atol=1e-6)
    assert np.allclose(model.A0_.T @ model.A0_, np.eye(5))  # full rank: a rotation
    Xs, ys, Xq = X[:40:4], y[:40:4], rng.normal(size=(30, 5))
    Zs, Zq = unit_rows(Xs), unit_rows(Xq)
    centroids = np.stack([Zs[ys == c].mean(axis=0) for c in np.unique(ys)])
    expected = np.unique(ys)[np.argmin(((Zq[:, None] - centroids[None]) ** 2).sum(-1), axis=1)]
    assert model.adapt(Xs, ys).predict(Xq).tolist() == expected.tolist()


def test_it_learns_a_metric_that_transfers_to_new_classes():
    """Classes differ in 3 informative dimensions among 30 loud noisy ones: episodes on some classes
    teach the map to ignore the noise, which helps on classes never seen."""
    rng = np.random.default_rng(4)
    X_train, y_train = noisy_classes(rng, 30, 30)
    X_test, y_test = noisy_classes(rng, 5, 40)
    learned = LinearProtoNet(l2s=[0.01], n_meta_tasks=50, random_state=0).meta_fit(X_train, y_train)
    plain = Prototypes().meta_fit(X_train, y_train)
    accuracy = five_shot_accuracy({"learned": learned, "plain": plain}, X_test, y_test)
    assert accuracy["learned"] > accuracy["plain"] + 0.15, accuracy


def test_a_too_wide_input_asks_for_a_rank():
    X = np.random.default_rng(0).random((30, LinearProtoNet.MAX_FULL_RANK + 1))
    with pytest.raises(ValueError, match="set 'rank'"):
        LinearProtoNet().meta_fit(X, np.repeat(np.arange(6), 5))
