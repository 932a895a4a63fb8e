"""Solvers for min_{W, b} F(W, b) = f(W, b) + Omega(W), f a StackedTasks datafit.

Parameters are one flat vector x = (vec(W), b) (``StackedTasks.split``).
``fista`` is accelerated proximal gradient with backtracking and adaptive
restart (plain proximal gradient with ``accelerate=False``); it needs
``Omega.prox``. ``lbfgs`` needs a smooth Omega (``Omega.gradient``). Both
stop when the max-abs of the (proximal) gradient is below ``tol`` and
return a SolverResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import saxpy


@dataclass
class SolverResult:
    x: np.ndarray  # the flat (W, b); StackedTasks.split gives the two
    objective: float
    n_iter: int
    stop_crit: float
    history: list = field(default_factory=list)


def fista(data, loss, penalty, x, tol=1e-6, max_iter=1000, accelerate=True, restart=True) -> SolverResult:
    """Accelerated proximal gradient (Beck & Teboulle, 2009) on x = (W, b); b is not penalized.

    Backtracking finds the step 1/L; L may shrink by 10% each iteration so
    the step adapts to local curvature. Momentum restarts when it points
    uphill (O'Donoghue & Candes, 2015). Margins of the extrapolated point are
    extrapolated too, so an iteration costs one product with Z and one with
    Z^T (plus one more per backtracking step). The stopping criterion is the
    max-abs of the gradient mapping L (y - x_new).
    """
    if not hasattr(penalty, "prox"):
        raise TypeError(f"{type(penalty).__name__} is not compatible with fista: it must implement `prox`")
    cut = data.n_columns * data.n_features

    def prox(v, step):  # in place on v, a fresh array: the W part goes through the prox, b stays
        W = penalty.prox(v[:cut].reshape(data.n_columns, data.n_features), step)
        v[:cut] = W.ravel()
        return v, W

    L = data.lipschitz_bound(loss)
    m_x = data.margins(x)
    y, m_y = x, m_x
    t = 1.0
    history, stop_crit, n_iter = [], np.inf, 0
    for n_iter in range(1, max_iter + 1):
        f_y = data.value(loss, m_y)
        g = data.gradient(loss, m_y)
        L *= 0.9
        while True:
            step = 1.0 / L
            x_new, W_new = prox(y - step * g, step)
            m_new = data.margins(x_new)
            f_new = data.value(loss, m_new)
            d = x_new - y
            if f_new <= f_y + np.vdot(g, d) + 0.5 * L * np.vdot(d, d) + 1e-12 * max(1.0, abs(f_y)):
                break
            L *= 2.0
        history.append(f_new + penalty.value(W_new))
        stop_crit = L * max(d.max(), -d.min())
        delta = x_new - x
        beta = 0.0
        if accelerate:
            if restart and np.vdot(d, delta) < 0:  # (y - x_new) . (x_new - x) > 0: momentum points uphill
                t = 1.0
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta, t = (t - 1.0) / t_next, t_next
        delta *= beta  # y = x_new + beta (x_new - x), without temporaries
        delta += x_new
        y, m_y = delta, m_new + beta * (m_new - m_x)
        x, m_x = x_new, m_new
        if stop_crit < tol:
            break
    return SolverResult(x, history[-1], n_iter, float(stop_crit), history)


def lbfgs(data, loss, penalty, x, tol=1e-6, max_iter=1000, memory=10) -> SolverResult:
    """Limited-memory BFGS (two-loop recursion, Armijo backtracking) on the smooth objective.

    Needs ``penalty.gradient``. The margins are linear in x = (W, b), so each
    iteration costs one product with Z (the search direction's margins) and
    one with Z^T (the gradient at the accepted point); trial steps are free.
    Written here rather than taken from scipy because L-BFGS-B's own
    bookkeeping on T * d variables cost more than the data passes. Stops
    when the max-abs of the gradient is below ``tol``.
    """
    if not getattr(penalty, "smooth", False):
        raise TypeError(f"{type(penalty).__name__} is not compatible with lbfgs: it must be smooth (`gradient`)")
    cut = data.n_columns * data.n_features

    def value(x, margins):
        """F(x), and Omega's gradient at x (it costs the same product as Omega's value)."""
        penalty_value, penalty_gradient = penalty.value_and_gradient(data.split(x)[0])
        return data.value(loss, margins) + penalty_value, penalty_gradient

    def gradient(margins, penalty_gradient):
        g = data.gradient(loss, margins)
        g[:cut] += penalty_gradient.ravel()
        return g

    margins = data.margins(x)
    f, penalty_gradient = value(x, margins)
    g = gradient(margins, penalty_gradient)
    history, pairs, stalled = [f], [], 0
    scale = 1.0 / (data.lipschitz_bound(loss) + float(np.max(getattr(penalty, "eigenvalues", [0.0]))))
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if np.abs(g).max() < tol:
            n_iter -= 1
            break
        direction = -two_loop(g, pairs, scale)
        slope = np.vdot(g, direction)
        if slope >= 0:  # not a descent direction: forget the curvature pairs
            pairs.clear()
            direction, slope = -scale * g, -scale * np.vdot(g, g)
        direction_margins = data.margins(direction)
        step = 1.0
        while True:
            x_new, margins_new = x + step * direction, margins + step * direction_margins
            f_new, penalty_gradient = value(x_new, margins_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        stalled = stalled + 1 if f_new >= f else 0
        if f_new > f + 1e-4 * step * slope or stalled == 3:
            break  # no decrease within rounding: the objective cannot resolve this tolerance (the caller may polish)
        g_new = gradient(margins_new, penalty_gradient)
        s, y = x_new - x, g_new - g
        sy = np.vdot(s, y)
        if sy > 1e-12 * np.sqrt(np.vdot(s, s) * np.vdot(y, y)):
            pairs.append((s.astype(np.float32), y.astype(np.float32), 1.0 / sy))
            if len(pairs) > memory:
                pairs.pop(0)
            scale = sy / np.vdot(y, y)
        x, margins, f, g = x_new, margins_new, f_new, g_new
        history.append(f)
    return SolverResult(x, f, n_iter, float(np.abs(g).max()), history)


def two_loop(g, pairs, scale):
    """The L-BFGS inverse-Hessian approximation applied to g (Nocedal & Wright, Alg. 7.4).

    The curvature pairs are kept in float32: they only shape the search
    direction (the line search and the stopping test use float64 values and
    gradients), and the recursion, a memory-bound pass over 2m vectors, takes
    half the time.
    """
    q = g.astype(np.float32)
    coefficients = []
    for s, y, rho in reversed(pairs):
        a = rho * float(np.dot(s, q))
        q = saxpy(y, q, a=-a)
        coefficients.append(a)
    q *= scale
    for (s, y, rho), a in zip(pairs, reversed(coefficients)):
        q = saxpy(s, q, a=a - rho * float(np.dot(y, q)))
    return q.astype(np.float64)
