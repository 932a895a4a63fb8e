"""Coupling penalties Omega(W) on the (T, d) weight matrix, with closed-form proximal operators.

The proximal operator with step s is prox(V) = argmin_W ||W - V||^2 / (2 s) + Omega(W).

Each penalty class says what it is (``smooth``, ``coupled``, the curvature
its coupling adds), and each penalty *name* a learner accepts is one
``PenaltyChoice`` in ``PENALTIES`` at the end of this file: how to build it,
whether it can be solved on the data's support, whether it needs a task
graph, and the path of alphas its cross-validation tries. Adding a penalty
is a class and a choice here, and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp


class Penalty:
    """What every penalty declares; solvers check these before they iterate."""

    smooth = False  # has ``gradient`` and ``value_and_gradient``: L-BFGS can solve it
    coupled = False  # a quadratic whose M is more than a multiple of I: L-BFGS preconditions with its prox
    coupling_curvature = 0.0  # what L-BFGS adds to its first curvature estimate when it does not precondition

    def value(self, W) -> float:
        raise NotImplementedError

    def prox(self, V, step):
        raise NotImplementedError


class Quadratic(Penalty):
    """Omega(W) = (1/2) <W, M W> for a PSD linear map M, given by ``apply(W)`` = M W.

    Omega's gradient is M W, and its value comes from the same product.
    Subclasses give ``apply`` and the prox (I + s M)^{-1} V.
    """

    smooth = True

    def apply(self, W):
        raise NotImplementedError

    def value(self, W) -> float:
        return self.value_and_gradient(W)[0]

    def gradient(self, W):
        return self.apply(W)

    def value_and_gradient(self, W):
        MW = self.apply(W)
        return 0.5 * float(np.vdot(W, MW)), MW


class QuadraticCoupling(Quadratic):
    """Omega(W) = (1/2) tr(W^T M W) for a PSD (T, T) matrix M = l2 I + alpha Lap.

    With Lap the Laplacian of a task graph this is
    (l2/2) sum_t ||w_t||^2 + (alpha/2) sum_{(s,t) in E} a_st ||w_s - w_t||^2.
    Its prox is (I + s M)^{-1} V, applied in the eigenbasis of M.
    """

    def __init__(self, M: np.ndarray):
        self.M = M
        self.eigenvalues, self.eigenvectors = np.linalg.eigh(M)
        # a task graph's M is mostly zeros: M W then costs O(|E| d) instead of O(T^2 d)
        self.product = sp.csr_matrix(M) if np.count_nonzero(M) < M.size / 4 else M

    @property
    def coupled(self) -> bool:
        """Whether M is more than a multiple of I (the tasks interact)."""
        return bool(np.ptp(self.eigenvalues) > 0)

    @property
    def coupling_curvature(self) -> float:
        """The largest eigenvalue of M."""
        return float(np.max(self.eigenvalues))

    def apply(self, W):
        """M W."""
        return self.product @ W

    def prox(self, V, step):
        Q = self.eigenvectors.astype(V.dtype, copy=False)  # float32 when L-BFGS preconditions its float32 recursion
        return Q @ ((Q.T @ V) / (1.0 + step * self.eigenvalues.astype(V.dtype))[:, None])


def laplacian(n_tasks: int, edges) -> np.ndarray:
    """Graph Laplacian of weighted edges [(s, t[, weight]), ...]."""
    A = np.zeros((n_tasks, n_tasks))
    for edge in edges:
        s, t = int(edge[0]), int(edge[1])
        weight = float(edge[2]) if len(edge) > 2 else 1.0
        A[s, t] += weight
        A[t, s] += weight
    return np.diag(A.sum(axis=1)) - A


class Ridge(Quadratic):
    """Omega(W) = (l2/2) ||W||_F^2: independent ridge-penalized models (the mean penalty with alpha = 0).

    Elementwise, so W may be the (T, d) matrix or any subset of its entries
    (the support of a StackedTasks).
    """

    def __init__(self, l2: float):
        self.l2 = l2

    def apply(self, W):
        return self.l2 * W

    def prox(self, V, step):
        return V / (1.0 + step * self.l2)


class MeanCoupling(QuadraticCoupling):
    """Omega = (l2/2) sum_t ||w_t||^2 + (alpha/2) sum_t ||w_t - w_bar||^2 (Evgeniou & Pontil, 2004).

    sum_t ||w_t - w_bar||^2 = tr(W^T (I - 11^T / T) W), so M W = (l2 + alpha) W - alpha 1 w_bar^T:
    two passes over W instead of a (T, T) by (T, d) product.
    """

    def __init__(self, n_tasks: int, alpha: float, l2: float):
        self.alpha, self.l2 = alpha, l2
        centering = np.eye(n_tasks) - np.full((n_tasks, n_tasks), 1.0 / n_tasks)
        super().__init__(l2 * np.eye(n_tasks) + alpha * centering)

    def apply(self, W):
        return (self.l2 + self.alpha) * W - self.alpha * W.mean(axis=0)

    def prox(self, V, step):
        """(I + step M)^{-1} V: M has eigenvalue l2 on the mean row and l2 + alpha on the deviations from it."""
        mean = V.mean(axis=0)
        return (V - mean) / (1.0 + step * (self.l2 + self.alpha)) + mean / (1.0 + step * self.l2)


class MeanOnSupport(Quadratic):
    """The mean penalty on the weights of a StackedTasks support, the weights off it minimized out.

    Take feature j, with weights w on the m_j tasks where it occurs (their
    sum S_j) and none on the other k_j = T - m_j. The loss does not depend on
    those, so they take the values that make the penalty smallest, all equal to
    u_j = alpha S_j / (a T - alpha k_j), a = l2 + alpha; Omega's part for
    feature j then becomes

        (a/2) ||w||^2 - (c_j/2) S_j^2,   c_j = a alpha / (a T - alpha k_j),

    that is (1/2) w^T M_j w with M_j = a I - c_j 11^T, whose eigenvalues a and
    a - c_j m_j = a l2 T / (a T - alpha k_j) are >= 0. With k_j = 0 it is the
    mean penalty itself. W is the 1-D vector of weights on the support and
    ``features`` the feature of each.
    """

    coupled = True

    def __init__(self, n_tasks: int, alpha: float, l2: float, features, n_features: int):
        self.alpha, self.l2, self.features, self.n_features = alpha, l2, features, n_features
        self.a = l2 + alpha
        self.m = np.bincount(features, minlength=n_features)
        denominator = self.a * n_tasks - alpha * (n_tasks - self.m)  # >= l2 T
        safe = np.where(denominator > 0, denominator, 1.0)
        self.c = np.where(denominator > 0, self.a * alpha / safe, 0.0)
        self.off_support_share = np.where(denominator > 0, alpha / safe, 0.0)

    def sums(self, W):
        """S_j: the sum of the weights of each feature."""
        return np.bincount(self.features, weights=W, minlength=self.n_features)

    def apply(self, W):
        """M W, feature by feature: a w - c_j S_j."""
        return self.a * W - (self.c * self.sums(W))[self.features]

    def prox(self, V, step):
        """(I + step M_j)^{-1} v = (v + e_j S_j(v) 1) / (1 + step a), with
        e_j = step c_j / (1 + step (a - c_j m_j)) (Sherman-Morrison)."""
        e = step * self.c / (1.0 + step * (self.a - self.c * self.m))
        return (V + (e * self.sums(V))[self.features]) / (1.0 + step * self.a)

    def off_support(self, W) -> np.ndarray:
        """u_j, the value of every weight of feature j off the support, given W on it."""
        return self.off_support_share * self.sums(W)


def graph_regularized(n_tasks: int, edges, alpha: float, l2: float) -> QuadraticCoupling:
    """Omega = (l2/2) ||W||_F^2 + (alpha/2) sum_{(s,t) in E} ||w_s - w_t||^2."""
    return QuadraticCoupling(l2 * np.eye(n_tasks) + alpha * laplacian(n_tasks, edges))


class NormsPenalty(Penalty):
    """Omega(W) = alpha sum_k s_k + (l2/2) sum_k s_k^2 over norms s_k of parts of W.

    For l21 the s_k are the norms of the feature columns W[:, j], for trace the
    singular values; both have sum_k s_k^2 = ||W||_F^2, and the prox
    shrinks each s_k to max(s_k - step alpha, 0) / (1 + step l2).
    """

    smooth = False

    def __init__(self, alpha: float, l2: float):
        self.alpha, self.l2 = alpha, l2
        self._last_prox = (None, 0.0)

    def norms(self, W) -> np.ndarray:
        raise NotImplementedError

    def from_norms(self, norms) -> float:
        return self.alpha * float(norms.sum()) + 0.5 * self.l2 * float(norms @ norms)

    def shrink(self, norms, step):
        return np.maximum(norms - step * self.alpha, 0.0) / (1.0 + step * self.l2)

    def value(self, W) -> float:
        if W is self._last_prox[0]:  # the solver asks for Omega at the prox output it just got
            return self._last_prox[1]
        return self.from_norms(self.norms(W))

    def remember(self, W, norms):
        """Keep Omega(W) from the prox's own norms; return W."""
        self._last_prox = (W, self.from_norms(norms))
        return W


class L21(NormsPenalty):
    """Omega(W) = alpha sum_j ||W[:, j]||_2 + (l2/2) ||W||_F^2: joint feature selection.

    W[:, j] is feature j across tasks; its prox is group soft-thresholding,
    which zeroes whole features for every task at once. W is the (T, d)
    matrix, or, with ``features`` (the feature j of each entry), a 1-D
    vector of some of its entries (the others being 0).
    """

    def __init__(self, alpha: float, l2: float, features=None, n_features: int | None = None):
        super().__init__(alpha, l2)
        self.features, self.n_features = features, n_features

    def norms(self, W):
        if self.features is None:
            return np.sqrt(np.einsum("ij,ij->j", W, W))
        return np.sqrt(np.bincount(self.features, weights=W * W, minlength=self.n_features))

    def prox(self, V, step):
        norms = self.norms(V)
        shrunk = self.shrink(norms, step)
        factor = shrunk / np.maximum(norms, 1e-300)
        return self.remember(V * (factor if self.features is None else factor[self.features]), shrunk)


class Trace(NormsPenalty):
    """Omega(W) = alpha ||W||_* + (l2/2) ||W||_F^2: a shared low-rank subspace.

    Its prox soft-thresholds the singular values s_k of V = U diag(s) R^T.
    T is small, so it goes through the (T, T) Gram matrix V V^T = U diag(s^2) U^T:
    prox(V) = U diag(shrunk(s) / s) U^T V, two matrix products of O(T^2 d)
    (a LAPACK SVD of the wide (T, d) matrix takes several times longer). An
    error eps s_max^2 in s^2 moves a singular value s by eps s_max^2 / (2 s),
    negligible for the values above the threshold step * alpha, the only
    ones kept. Omega's value away from a prox output uses the exact SVD.
    """

    def norms(self, W):
        return np.linalg.svd(W, compute_uv=False)

    def prox(self, V, step):
        squares, U = np.linalg.eigh(V @ V.T)
        singular = np.sqrt(np.maximum(squares, 0.0))
        shrunk = self.shrink(singular, step)
        keep = shrunk > 0
        scale = shrunk[keep] / singular[keep]
        return self.remember((U[:, keep] * scale) @ (U[:, keep].T @ V), shrunk)


def cluster_weights(squares: np.ndarray, eta: float, k: int) -> np.ndarray:
    """m = argmin sum_i s_i / (eta + m_i) subject to 0 <= m_i <= 1, sum_i m_i = k (s_i >= 0).

    The KKT conditions give m_i = clip(sqrt(s_i / nu) - eta, 0, 1) for the
    multiplier nu > 0 at which the m_i sum to k, found by bisection (the sum
    falls as nu grows). Entries with s_i = 0 do not change the objective;
    they take whatever is left of k.
    """
    T = len(squares)
    if k >= T:
        return np.ones(T)
    positive = squares > 0
    if positive.sum() <= k:  # every positive s_i gets 1, the rest of k goes to the zeros
        m = positive.astype(float)
        m[~positive] = (k - positive.sum()) / max((~positive).sum(), 1)
        return m

    def total(log_nu):
        return np.clip(np.sqrt(squares / np.exp(log_nu)) - eta, 0.0, 1.0).sum()

    # at nu = low every positive s_i has m_i = 1 (the sum is #positive > k); at nu = high every m_i is 0
    low = np.log(squares[positive].min()) - 2 * np.log(eta + 1.0) - 1.0
    high = np.log(squares.max()) - 2 * np.log(eta) + 1.0
    for _ in range(200):  # total(low) >= k > total(high)
        middle = 0.5 * (low + high)
        low, high = (middle, high) if total(middle) >= k else (low, middle)
        if high - low < 1e-13:
            break
    return np.clip(np.sqrt(squares / np.exp(0.5 * (low + high))) - eta, 0.0, 1.0)


class Clustered(Penalty):
    """Convex clustered multi-task learning (Jacob, Bach & Vert, 2008; Zhou, Chen & Ye, 2011, as in MALSAR):

        Omega(W) = (alpha/2) eta (1 + eta) min_M tr(W^T (eta I + M)^{-1} W),   eta = l2 / alpha,
        over the (T, T) matrices M with 0 <= M <= I (PSD order) and tr M = k,

    the convex relaxation of assigning the T tasks to k clusters whose
    weight vectors are pulled together (M relaxes the cluster indicator
    matrix). With W W^T = Q diag(s) Q^T, the minimizing M is Q diag(m) Q^T
    with m from ``cluster_weights``, Omega = (alpha/2) eta (1 + eta)
    sum_i s_i / (eta + m_i), and its gradient alpha eta (1 + eta)
    (eta I + M)^{-1} W (Danskin's theorem: the inner minimizer is unique
    where the s_i are positive). With k = T (M = I) it is (l2/2) ||W||_F^2,
    independent ridge models; smaller k couples the tasks more.
    """

    smooth = True

    def __init__(self, alpha: float, l2: float, n_clusters: int):
        self.alpha, self.l2, self.n_clusters = alpha, l2, n_clusters
        self.eta = l2 / alpha
        self.scale = alpha * self.eta * (1.0 + self.eta)  # = l2 (1 + eta)

    @property
    def coupling_curvature(self) -> float:
        """The largest eigenvalue of the quadratic at a fixed M: scale / eta = alpha + l2."""
        return self.scale / self.eta

    def inverse_and_value(self, W):
        squares, Q = np.linalg.eigh(W @ W.T)
        squares = np.maximum(squares, 0.0)
        inverse = 1.0 / (self.eta + cluster_weights(squares, self.eta, self.n_clusters))
        return Q, inverse, 0.5 * self.scale * float(squares @ inverse)

    def value(self, W) -> float:
        return self.inverse_and_value(W)[2]

    def gradient(self, W):
        return self.value_and_gradient(W)[1]

    def value_and_gradient(self, W):
        Q, inverse, value = self.inverse_and_value(W)
        return value, self.scale * (Q * inverse) @ (Q.T @ W)


def clustered(n_tasks: int, alpha: float, l2: float, n_clusters: int) -> Penalty:
    """The clustered penalty; with alpha = 0 (no coupling) or k >= T, independent ridge models."""
    if alpha == 0 or n_clusters >= n_tasks:
        return Ridge(l2)
    if l2 <= 0:
        raise ValueError("penalty='cluster' needs l2 > 0 (eta = l2 / alpha)")
    return Clustered(alpha, l2, n_clusters)


def on_support(data) -> bool:
    """Whether ``data`` (a StackedTasks, or None) keeps only the weights of (task, feature) pairs with data."""
    return data is not None and data.support is not None


@dataclass(frozen=True)
class PenaltyChoice:
    """A penalty name as a learner knows it: how to build it, and what the learner must know about it.

    ``build(n_tasks, alpha, l2, edges, data, n_clusters)`` returns the
    penalty, on the support of ``data`` (a StackedTasks) when it has one. ``on_support``: the
    problem may be solved for the weights of (task, feature) pairs with data
    only (the others are then set where Omega is smallest, by the penalty's
    ``off_support`` or at 0). ``has_prox``: its prox is known in closed
    form. ``alpha_max(G)``, G the datafit's gradient at W = 0: the smallest
    alpha at which W = 0 is optimal, if there is one.
    """

    name: str
    smooth: bool
    on_support: bool
    needs_task_graph: bool
    build: Callable
    alpha_max: Callable | None = None
    has_prox: bool = True  # proximal solvers (sparsa, fista, pgd) can solve it

    def default_alphas(self, l2: float, alpha_max: float | None, n_alphas: int) -> np.ndarray:
        """The decreasing coupling strengths cross-validation tries.

        With an ``alpha_max`` (l21, trace): from it, where W = 0, down to
        alpha_max / 1000. Quadratic couplings (mean, graph): from 10^4 l2
        (close to one pooled model) down to l2 / 100 (close to independent
        models). No coupling (none): alpha = 0 only.
        """
        if self.alpha_max is not None:
            return np.geomspace(alpha_max, alpha_max / 1e3, n_alphas)
        if self.name == "none":
            return np.array([0.0])
        return np.geomspace(1e4 * l2, 1e-2 * l2, n_alphas)


PENALTIES = {
    choice.name: choice
    for choice in (
        PenaltyChoice("none", smooth=True, on_support=True, needs_task_graph=False,
                      build=lambda n_tasks, alpha, l2, edges, data, n_clusters: Ridge(l2)),
        PenaltyChoice(
            "mean", smooth=True, on_support=True, needs_task_graph=False,
            build=lambda n_tasks, alpha, l2, edges, data, n_clusters: (
                MeanOnSupport(n_tasks, alpha, l2, data.feature_of_weight, data.n_features) if on_support(data)
                else MeanCoupling(n_tasks, alpha, l2)
            ),
        ),
        PenaltyChoice(
            "l21", smooth=False, on_support=True, needs_task_graph=False,
            build=lambda n_tasks, alpha, l2, edges, data, n_clusters: (
                L21(alpha, l2, data.feature_of_weight, data.n_features) if on_support(data) else L21(alpha, l2)
            ),
            alpha_max=lambda gradient: float(np.linalg.norm(gradient, axis=0).max()),  # largest feature column
        ),
        PenaltyChoice("trace", smooth=False, on_support=False, needs_task_graph=False,
                      build=lambda n_tasks, alpha, l2, edges, data, n_clusters: Trace(alpha, l2),
                      alpha_max=lambda gradient: float(np.linalg.norm(gradient, 2))),  # spectral norm
        PenaltyChoice("graph", smooth=True, on_support=False, needs_task_graph=True,
                      build=lambda n_tasks, alpha, l2, edges, data, n_clusters: graph_regularized(n_tasks, edges, alpha,
                                                                                                  l2)),
        PenaltyChoice("cluster", smooth=True, on_support=False, needs_task_graph=False, has_prox=False,
                      build=lambda n_tasks, alpha, l2, edges, data, n_clusters: clustered(n_tasks, alpha, l2,
                                                                                          n_clusters)),
    )
}


def make_penalty(name: str, n_tasks: int, alpha: float, l2: float, task_graph=None, data=None, n_clusters: int = 2):
    """The penalty object for a penalty name; ``data`` (a StackedTasks) tells its support, if any."""
    if name not in PENALTIES:
        raise ValueError(f"unknown penalty {name!r}, expected one of {sorted(PENALTIES)}")
    return PENALTIES[name].build(n_tasks, alpha, l2, task_graph, data, n_clusters)
