"""Solvers for min_{W, b} F(W, b) = f(W, b) + Omega(W), f a StackedTasks datafit.

``fista`` is accelerated proximal gradient with backtracking and adaptive
restart (plain proximal gradient with ``accelerate=False``); it needs
``Omega.prox``. ``lbfgs`` needs a smooth Omega (``Omega.gradient``). Both
stop when the max-abs of the (proximal) gradient is below ``tol`` and
return a SolverResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize


@dataclass
class SolverResult:
    W: np.ndarray
    b: np.ndarray
    objective: float
    n_iter: int
    stop_crit: float
    history: list = field(default_factory=list)


def objective(data, loss, penalty, W, b) -> float:
    return data.value(loss, data.margins(W, b)) + penalty.value(W)


def fista(data, loss, penalty, W, b, tol=1e-6, max_iter=1000, accelerate=True, restart=True) -> SolverResult:
    """Accelerated proximal gradient (Beck & Teboulle, 2009) on (W, b); b is not penalized.

    Backtracking finds the step 1/L; L may shrink by 10% each iteration so
    the step adapts to local curvature. Momentum restarts when it points
    uphill (O'Donoghue & Candes, 2015). Margins of the extrapolated point are
    extrapolated too, so an iteration costs one product with Z and one with
    Z^T (plus one more per backtracking step).
    """
    if not hasattr(penalty, "prox"):
        raise TypeError(f"{type(penalty).__name__} is not compatible with fista: it must implement `prox`")
    L = data.lipschitz_bound(loss)
    m_x = data.margins(W, b)
    W_y, b_y, m_y = W, b, m_x
    t = 1.0
    history, stop_crit, n_iter = [], np.inf, 0
    for n_iter in range(1, max_iter + 1):
        f_y = data.value(loss, m_y)
        gW, gb = data.gradient(loss, m_y)
        L *= 0.9
        while True:
            step = 1.0 / L
            W_new = penalty.prox(W_y - step * gW, step)
            b_new = b_y - step * gb
            m_new = data.margins(W_new, b_new)
            f_new = data.value(loss, m_new)
            dW, db = W_new - W_y, b_new - b_y
            quadratic = f_y + np.sum(gW * dW) + gb @ db + 0.5 * L * (np.sum(dW * dW) + db @ db)
            if f_new <= quadratic + 1e-12 * max(1.0, abs(f_y)):
                break
            L *= 2.0
        history.append(f_new + penalty.value(W_new))
        stop_crit = L * max(np.abs(dW).max(initial=0.0), np.abs(db).max(initial=0.0))
        if accelerate:
            if restart and np.sum((W_y - W_new) * (W_new - W)) + (b_y - b_new) @ (b_new - b) > 0:
                t = 1.0
            t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            beta = (t - 1.0) / t_next
            t = t_next
        else:
            beta = 0.0
        W_y, b_y, m_y = W_new + beta * (W_new - W), b_new + beta * (b_new - b), m_new + beta * (m_new - m_x)
        W, b, m_x = W_new, b_new, m_new
        if stop_crit < tol:
            break
    return SolverResult(W, b, history[-1], n_iter, float(stop_crit), history)


def lbfgs(data, loss, penalty, W, b, tol=1e-6, max_iter=1000) -> SolverResult:
    """L-BFGS (scipy) on the smooth objective; needs ``penalty.gradient``."""
    if not getattr(penalty, "smooth", False):
        raise TypeError(f"{type(penalty).__name__} is not compatible with lbfgs: it must be smooth (`gradient`)")
    T, d = W.shape
    history = []

    def split(theta):
        return theta[: T * d].reshape(T, d), theta[T * d :]

    def value_and_gradient(theta):
        W, b = split(theta)
        margins = data.margins(W, b)
        gW, gb = data.gradient(loss, margins)
        value = data.value(loss, margins) + penalty.value(W)
        history.append(value)
        return value, np.concatenate([(gW + penalty.gradient(W)).ravel(), gb])

    result = minimize(
        value_and_gradient,
        np.concatenate([W.ravel(), b]),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 20},
    )
    W, b = split(result.x)
    _, gradient = value_and_gradient(result.x)
    return SolverResult(W, b, float(result.fun), int(result.nit), float(np.abs(gradient).max()), history)


SOLVERS = {"fista": fista, "lbfgs": lbfgs}
