"""The balanced assignment (entropic optimal transport) against an independent optimum and its limits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment, minimize

from mtl_cli.optim.transport import balanced_assignment, log_domain_assignment


def dual_reference(scores, temperature):
    """P from the minimizer of the convex dual sum_ij exp(t S_ij + f_i + g_j) - sum_i f_i - (n/k) sum_j g_j,
    found by a generic quasi-Newton method (no Sinkhorn iteration)."""
    n, k = scores.shape
    L = temperature * scores

    def dual(x):
        f, g = x[:n], x[n:]
        P = np.exp(L + f[:, None] + g)
        return P.sum() - f.sum() - (n / k) * g.sum(), np.concatenate([P.sum(axis=1) - 1, P.sum(axis=0) - n / k])

    x = minimize(dual, np.zeros(n + k), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15,
                                                                             "maxiter": 10_000}).x
    return np.exp(L + x[:n, None] + x[n:])


@pytest.mark.parametrize("temperature", [0.5, 5.0, 20.0])
def test_the_plan_meets_both_marginals_and_equals_the_dual_optimum(temperature):
    rng = np.random.default_rng(0)
    scores = rng.uniform(-1, 1, size=(12, 4))
    P = balanced_assignment(scores, temperature, tol=1e-12)
    assert np.allclose(P.sum(axis=1), 1.0, atol=1e-10)
    assert np.allclose(P.sum(axis=0), 3.0, atol=1e-9)
    assert np.allclose(P, dual_reference(scores, temperature), atol=1e-6)


def test_limits_uniform_when_cold_the_optimal_balanced_assignment_when_hot():
    rng = np.random.default_rng(1)
    scores = rng.uniform(-1, 1, size=(15, 3))
    assert np.allclose(balanced_assignment(scores, 1e-9), 1 / 3)
    hot = balanced_assignment(scores, 200.0, tol=1e-10, max_iter=100_000)
    rows, columns = linear_sum_assignment(-np.repeat(scores, 5, axis=1))  # each class 5 slots
    assert np.array_equal(hot.argmax(axis=1), columns[np.argsort(rows)] // 5)
    assert np.bincount(hot.argmax(axis=1), minlength=3).tolist() == [5, 5, 5]


def test_the_log_domain_gives_the_same_plan_and_takes_over_where_the_kernel_underflows():
    rng = np.random.default_rng(2)
    scores = rng.uniform(-1, 1, size=(10, 5))
    L = 3.0 * scores
    assert np.allclose(log_domain_assignment(L - L.max(axis=1, keepdims=True), 2.0, 1e-12, 10_000),
                       balanced_assignment(scores, 3.0, tol=1e-12), atol=1e-10)
    far = np.tile([0.0, -1.0], (10, 1))  # at t = 1000 class 1 gets exp(-1000) of each row's best: underflow
    P = balanced_assignment(far, 1000.0, tol=1e-8, max_iter=100_000)
    assert np.allclose(P, 0.5)  # identical rows: each sample split evenly
