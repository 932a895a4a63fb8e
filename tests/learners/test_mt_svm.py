"""The exact multi-task SVM: the feature-augmentation reduction reaches shared-w's mean-penalty optimum."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mtl_cli.learners import MultiTaskLinearClassifier, MultiTaskSVC


def problem(seed=0, T=3, d=6, n=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T * n, d))
    tasks = np.repeat(np.arange(T), n)
    W = rng.standard_normal(d) + 0.5 * rng.standard_normal((T, d))
    y = ((X * W[tasks]).sum(axis=1) + 0.3 * rng.standard_normal(T * n) > 0).astype(int)
    return X, y, tasks


def mean_svm_objective(W, b, X, y, tasks, alpha, l2, loss):
    """F(W, b) of the mean-regularized multi-task SVM, written out plainly."""
    signs = np.where(y == 1, 1.0, -1.0)
    margins = signs * ((X * W[tasks]).sum(axis=1) + b[tasks])
    hinge = np.maximum(0.0, 1.0 - margins)
    losses = hinge**2 if loss == "squared_hinge" else hinge
    datafit = sum(losses[tasks == t].mean() for t in np.unique(tasks))
    return datafit + 0.5 * l2 * (W**2).sum() + 0.5 * alpha * ((W - W.mean(axis=0)) ** 2).sum()


@pytest.mark.parametrize("alpha", [0.0, 0.1, 10.0])
def test_equals_shared_w_with_the_mean_penalty_on_the_primal_objective(alpha):
    X, y, tasks = problem()
    l2 = 0.05
    svm = MultiTaskSVC(loss="squared_hinge", alpha=alpha, l2=l2, intercept_scaling=30.0, tol=1e-10,
                       random_state=0).fit(X, y, tasks)
    reference = MultiTaskLinearClassifier(loss="squared_hinge", penalty="mean", alpha=alpha, l2=l2, tol=1e-10,
                                          max_iter=20000).fit(X, y, tasks)
    ours = mean_svm_objective(svm.coef_, svm.intercept_, X, y, tasks, alpha, l2, "squared_hinge")
    theirs = mean_svm_objective(reference.coef_, reference.intercept_, X, y, tasks, alpha, l2, "squared_hinge")
    assert theirs == pytest.approx(reference.objective_, rel=1e-9)
    assert theirs <= ours <= theirs * (1 + 1e-4)  # the intercepts' residual penalty (l2 + alpha) b^2 / (2 s^2)
    assert np.allclose(svm.coef_, reference.coef_, atol=5e-3)


def test_hinge_loss_sparse_input_and_predictions():
    X, y, tasks = problem(seed=1)
    dense = MultiTaskSVC(alpha=1.0, l2=0.05, random_state=0).fit(X, y, tasks)
    sparse = MultiTaskSVC(alpha=1.0, l2=0.05, random_state=0).fit(sp.csr_matrix(X), y, tasks)
    assert np.allclose(dense.coef_, sparse.coef_, atol=1e-6)
    assert dense.score(X, y, tasks) > 0.85
    assert set(dense.predict(X, tasks)) <= {0, 1}
    # a stronger coupling pulls the tasks' weights together
    far = MultiTaskSVC(alpha=0.001, l2=0.05, random_state=0).fit(X, y, tasks).coef_
    near = MultiTaskSVC(alpha=100.0, l2=0.05, random_state=0).fit(X, y, tasks).coef_
    assert np.ptp(near, axis=0).max() < 0.2 * np.ptp(far, axis=0).max()


def test_refuses_what_it_cannot_solve():
    X, y, tasks = problem()
    with pytest.raises(ValueError, match="'l2' parameter"):
        MultiTaskSVC(l2=0.0).fit(X, y, tasks)
    with pytest.raises(ValueError, match="binary tasks"):
        MultiTaskSVC().fit(X, np.arange(len(y)) % 3, tasks)
