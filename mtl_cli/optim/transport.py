"""Balanced assignment of n samples to k classes: entropic optimal transport, solved by Sinkhorn's iterations.

Given scores S (n x k) and a temperature t, the plan P minimizes

    -<S, P> + (1/t) sum_ij P_ij log P_ij   subject to   P 1 = 1 (each sample one unit),
                                                         P^T 1 = (n/k) 1 (each class an equal share),

whose solution is P_ij = exp(t S_ij + f_i + g_j) for the unique (up to a
constant) potentials f, g that meet both marginals (Cuturi, 2013). Sinkhorn's
iterations alternate the two exact updates g = log(n/k) - logsumexp_i(t S + f)
and f = -logsumexp_j(t S + g): on the scalings u = exp(f), v = exp(g) while
the kernel exp(t S) holds no class that underflows, else on f, g in the log
domain. As t -> 0 every sample is spread evenly over the classes; as t
grows, P tends to the best balanced hard assignment (the linear assignment
of the samples to n/k slots per class).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

LINEAR_DOMAIN_LIMIT = 300.0  # iterate on exp(t S) while every class has an entry above exp(-300) of its row's best


def balanced_assignment(scores, temperature: float, tol: float = 1e-6, max_iter: int = 1000) -> np.ndarray:
    """The plan P (n x k) above: rows sum to 1 and columns to n/k.

    Each iteration makes the column sums exact, then the row sums; it stops
    when every column sum is within ``tol`` x n/k of n/k too, or after
    ``max_iter`` iterations. The scalings u = exp(f), v = exp(g) are
    iterated directly (fast, and exact while the kernel exp(t S) does not
    underflow); otherwise the potentials f, g, in the log domain.
    """
    L = temperature * np.asarray(scores, dtype=float)
    L -= L.max(axis=1, keepdims=True)  # a constant per row: the plan is the same
    n, k = L.shape
    share = n / k
    if L.max(axis=0).min() < -LINEAR_DOMAIN_LIMIT:
        return log_domain_assignment(L, share, tol, max_iter)
    K = np.exp(L)
    u = np.ones(n)
    column_mass = K.T @ u
    for _ in range(max_iter):
        v = share / column_mass
        u = 1.0 / (K @ v)
        column_mass = K.T @ u
        if np.max(np.abs(column_mass * v / share - 1.0)) <= tol:
            break
    return u[:, None] * K * v


def log_domain_assignment(L, share: float, tol: float, max_iter: int) -> np.ndarray:
    """The same iterations on the potentials f = log u, g = log v (no underflow at any temperature); as
    there, one iteration's column mass serves its check and the next update of g."""
    f = np.zeros(L.shape[0])
    log_column_mass = logsumexp(L, axis=0)  # of each column without g
    for _ in range(max_iter):
        g = np.log(share) - log_column_mass
        f = -logsumexp(L + g, axis=1)
        log_column_mass = logsumexp(L + f[:, None], axis=0)
        if np.max(np.abs(np.exp(log_column_mass + g) / share - 1.0)) <= tol:
            break
    return np.exp(L + f[:, None] + g)
