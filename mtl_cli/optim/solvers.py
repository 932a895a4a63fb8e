"""Solvers for min_{W, b} F(W, b) = f(W, b) + Omega(W), f a MultiTaskDatafit on a StackedTasks.

Every solver is ``solver(data, datafit, penalty, x0, ...)``: the lifted data
and its layout, the datafit (``value``, ``gradient``, ``lipschitz``), the
penalty; each checks what it needs from the last two before iterating.
Parameters are one flat vector x = (vec(W), b) (``StackedTasks.split``).
``sparsa`` is proximal gradient with Barzilai-Borwein steps and a
nonmonotone line search; ``fista`` is accelerated proximal gradient with
backtracking and adaptive restart (plain proximal gradient with
``accelerate=False``); both need ``Omega.prox``. ``lbfgs`` needs a smooth
Omega (``Omega.gradient``). All stop when the max-abs of the (proximal)
gradient is below ``tol`` and return a SolverResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg.blas import saxpy

from .penalties import Penalty


@dataclass
class SolverResult:
    x: np.ndarray  # the flat (W, b); StackedTasks.split gives the two
    objective: float
    n_iter: int
    stop_crit: float
    history: list = field(default_factory=list)


def require(penalty, solver: str, *methods: str) -> None:
    """Check up front that ``penalty`` implements what ``solver`` calls (not deep inside a loop)."""
    for method in methods:
        implemented = getattr(type(penalty), method, None)
        base = getattr(Penalty, method, None)
        if implemented is None or (base is not None and implemented is base):
            raise TypeError(f"{type(penalty).__name__} is not compatible with {solver}: it must implement `{method}`")


def require_datafit(datafit, solver: str) -> None:
    for method in ("value", "gradient", "lipschitz"):
        if not callable(getattr(datafit, method, None)):
            raise TypeError(f"{type(datafit).__name__} is not compatible with {solver}: it must implement `{method}`")


def proximal_step(data, penalty):
    """prox(v, step): Omega's prox applied in place to the W part of a flat vector v; b is left as is.

    Returns (v, W), W the W part as ``StackedTasks.split`` gives it.
    """
    cut = data.n_weights

    def prox(v, step):
        W = penalty.prox(data.split(v)[0], step)
        v[:cut] = W.ravel()
        return v, W

    return prox


def sparsa(data, datafit, penalty, x, tol=1e-6, max_iter=1000, memory=5, sigma=1e-4) -> SolverResult:
    """Spectral proximal gradient with a nonmonotone line search (SpaRSA; Wright, Nowak & Figueiredo, 2009).

    Each step minimizes the datafit's linearization at x plus a separable
    quadratic (a/2) ||W+ - W||^2 + (c/2) ||b+ - b||^2 plus Omega:
    W+ = prox_{Omega / a}(W - g_W / a), b+ = b - g_b / c. The curvatures a
    and c are Barzilai-Borwein estimates on the last step s and the change y
    of the gradient, alternating s.y / s.s and y.y / s.y (Dai & Fletcher,
    2005), each on its own block: the intercept of a task with one class in
    its sample (common in the CV folds of a few posts) drifts off to infinity
    along a direction of vanishing curvature, which would otherwise make the
    steps on W far too long. Both double until F(x+) <= max(last ``memory``
    values of F) - (sigma / 2) (a ||W+ - W||^2 + c ||b+ - b||^2) (Grippo,
    Lampariello & Lucidi, 1986): F may rise for a few steps, which is what
    lets the long steps through. An iteration costs one product with Z and
    one with Z^T, plus one more product with Z per doubling.

    It stops when the max-abs of the prox-gradient residual at a fixed step,
    L (x - prox_{Omega / L}(x - g / L)) with L the Lipschitz bound of the
    datafit's gradient, is below ``tol``. Unlike the residual at the step
    taken, it does not shrink when the step is long; for a smooth Omega it
    tends to the gradient of F as L grows.
    """
    require(penalty, "proximal gradient", "prox", "value")
    require_datafit(datafit, "proximal gradient")
    prox = proximal_step(data, penalty)
    cut = data.n_weights
    blocks = (slice(None, cut), slice(cut, None))  # W, b
    lipschitz = datafit.lipschitz(data)
    margins = data.margins(x)
    objective = datafit.value(data, margins) + penalty.value(data.split(x)[0])
    g = datafit.gradient(data, margins)
    history, curvature, stop_crit, n_iter = [objective], np.array([lipschitz, lipschitz]), np.inf, 0
    for n_iter in range(1, max_iter + 1):
        reference = max(history[-memory:])
        while True:
            v = x - g / curvature[0]
            v[cut:] = x[cut:] - g[cut:] / curvature[1]
            x_new, W_new = prox(v, 1.0 / curvature[0])
            margins_new = data.margins(x_new)
            objective_new = datafit.value(data, margins_new) + penalty.value(W_new)
            s = x_new - x
            decrease = sum(c * np.vdot(s[block], s[block]) for c, block in zip(curvature, blocks))
            if objective_new <= reference - 0.5 * sigma * decrease or curvature.min() > 1e10 * lipschitz:
                break
            curvature *= 2.0
        g_new = datafit.gradient(data, margins_new)
        y = g_new - g
        x, margins, g, objective = x_new, margins_new, g_new, objective_new
        history.append(objective)
        residual = x - prox(x - g / lipschitz, 1.0 / lipschitz)[0]
        stop_crit = lipschitz * max_abs(residual)
        if stop_crit < tol:
            break
        for k, block in enumerate(blocks):
            sy = np.vdot(s[block], y[block])
            if sy > 0:  # the datafit is convex, so s.y >= 0; 0 means no curvature was seen: keep the last one
                estimate = sy / np.vdot(s[block], s[block]) if n_iter % 2 else np.vdot(y[block], y[block]) / sy
                curvature[k] = min(max(estimate, 1e-10 * lipschitz), 1e10 * lipschitz)
    return SolverResult(x, objective, n_iter, float(stop_crit), history)


def fista(data, datafit, penalty, x, tol=1e-6, max_iter=1000, accelerate=True, restart=True) -> SolverResult:
    """Accelerated proximal gradient (Beck & Teboulle, 2009) on x = (W, b); b is not penalized.

    Backtracking finds the step 1/L; L may shrink by 10% each iteration so
    the step adapts to local curvature. Momentum restarts when it points
    uphill (O'Donoghue & Candes, 2015). Margins of the extrapolated point are
    extrapolated too, so an iteration costs one product with Z and one with
    Z^T (plus one more per backtracking step). The stopping criterion is the
    max-abs of the gradient mapping L (y - x_new).
    """
    require(penalty, "proximal gradient", "prox", "value")
    require_datafit(datafit, "proximal gradient")
    prox = proximal_step(data, penalty)
    L = datafit.lipschitz(data)
    m_x = data.margins(x)
    y, m_y = x, m_x
    t = 1.0
    history, stop_crit, n_iter = [], np.inf, 0
    for n_iter in range(1, max_iter + 1):
        f_y = datafit.value(data, m_y)
        g = datafit.gradient(data, m_y)
        L *= 0.9
        while True:
            step = 1.0 / L
            x_new, W_new = prox(y - step * g, step)
            m_new = data.margins(x_new)
            f_new = datafit.value(data, m_new)
            d = x_new - y
            if f_new <= f_y + np.vdot(g, d) + 0.5 * L * np.vdot(d, d) + 1e-12 * max(1.0, abs(f_y)):
                break
            L *= 2.0
        history.append(f_new + penalty.value(W_new))
        stop_crit = L * max_abs(d)
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


def lbfgs(data, datafit, penalty, x, tol=1e-6, max_iter=1000, memory=10) -> SolverResult:
    """Limited-memory BFGS (two-loop recursion, Armijo backtracking) on the smooth objective.

    Needs ``penalty.gradient``. The margins are linear in x = (W, b), so each
    iteration costs one product with Z (the search direction's margins) and
    one with Z^T (the gradient at the accepted point); trial steps are free.
    Written here rather than taken from scipy because L-BFGS-B's own
    bookkeeping on T * d variables cost more than the data passes. Stops
    when the max-abs of the gradient is below ``tol``.

    With a quadratic Omega = (1/2) tr(W^T M W) that couples the tasks, the
    initial inverse Hessian is (c I + M)^{-1} (applied through Omega's prox,
    (I + M / c)^{-1} / c) rather than I / c, with c = |u|^2 / s . u the
    datafit's curvature along the last step s, u = y - M s its change of
    gradient: a strong coupling then costs no more iterations than a weak one.
    """
    if not penalty.smooth:
        raise TypeError(f"{type(penalty).__name__} is not compatible with lbfgs: it must be smooth (`gradient`)")
    require(penalty, "lbfgs", "value_and_gradient", *(("prox",) if penalty.coupled else ()))
    require_datafit(datafit, "lbfgs")
    cut = data.n_weights
    preconditioned = penalty.coupled

    def value(x, margins):
        """F(x), and Omega's gradient at x (it costs the same product as Omega's value)."""
        penalty_value, penalty_gradient = penalty.value_and_gradient(data.split(x)[0])
        return datafit.value(data, margins) + penalty_value, penalty_gradient

    def gradient(margins, penalty_gradient):
        g = datafit.gradient(data, margins)
        g[:cut] += penalty_gradient.ravel()
        return g

    def initial_inverse(q, curvature):
        """(c I + M)^{-1} q on the W part and q / c on b (q a fresh array, float32 in the recursion)."""
        if preconditioned:
            q[:cut] = penalty.prox(data.split(q)[0], 1.0 / curvature).ravel()
        q /= curvature
        return q

    margins = data.margins(x)
    f, previous_penalty_gradient = value(x, margins)
    g = gradient(margins, previous_penalty_gradient)
    history, pairs, stalled = [f], [], 0
    curvature = datafit.lipschitz(data)
    if not preconditioned:
        curvature += penalty.coupling_curvature
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        if max_abs(g) < tol:
            n_iter -= 1
            break
        direction = -two_loop(g, pairs, lambda q: initial_inverse(q, curvature))
        slope = np.vdot(g, direction)
        if slope >= 0:  # not a descent direction: forget the curvature pairs
            pairs.clear()
            direction = -initial_inverse(g.copy(), curvature)
            slope = np.vdot(g, direction)
        step, s, x_new, margins_new, (f_new, penalty_gradient) = backtrack(
            value, x, margins, f, direction, data.margins(direction), slope
        )
        stalled = stalled + 1 if f_new >= f else 0
        if f_new > f + 1e-4 * step * slope or stalled == 3:
            break  # no decrease within rounding: the objective cannot resolve this tolerance (the caller may polish)
        g_new = gradient(margins_new, penalty_gradient)
        coupling_change = (penalty_gradient - previous_penalty_gradient).ravel() if preconditioned else None
        curvature = remember_pair(pairs, memory, s, g_new - g, cut, coupling_change, curvature)
        x, margins, f, g, previous_penalty_gradient = x_new, margins_new, f_new, g_new, penalty_gradient
        history.append(f)
    return SolverResult(x, f, n_iter, max_abs(g), history)


def backtrack(value, x, margins, f, direction, direction_margins, slope):
    """Armijo backtracking from step 1, halving: the margins are linear in x, so trial points cost no
    product with the data. Returns (step, s, x + s, their margins, value(x + s, margins))."""
    step = 1.0
    while True:
        s = direction if step == 1.0 else step * direction
        x_new, margins_new = x + s, margins + step * direction_margins
        evaluated = value(x_new, margins_new)
        if evaluated[0] <= f + 1e-4 * step * slope or step < 1e-10:
            return step, s, x_new, margins_new, evaluated
        step *= 0.5


def remember_pair(pairs, memory, s, y, cut, coupling_change, curvature) -> float:
    """Keep the curvature pair (s, y) of L-BFGS if s.y is safely positive (at most ``memory`` pairs,
    in float32), and return the curvature scale c of the initial inverse Hessian: y.y / s.y, with y
    the datafit's change of gradient alone when the coupling is preconditioned (``coupling_change``
    = M s on the W part). Unchanged when the pair is dropped."""
    sy, ss, yy = np.vdot(s, y), np.vdot(s, s), np.vdot(y, y)
    if sy > 1e-12 * np.sqrt(ss * yy):
        pairs.append((s.astype(np.float32), y.astype(np.float32), 1.0 / sy))
        if len(pairs) > memory:
            pairs.pop(0)
        if coupling_change is not None:  # y - M s is the datafit's change of gradient; M s = M W_new - M W
            y[:cut] -= coupling_change
            sy, yy = np.vdot(s, y), np.vdot(y, y)
        if sy > 0:
            curvature = yy / sy
    return curvature


def max_abs(v) -> float:
    """max_i |v_i|, without the temporary of np.abs."""
    return float(max(v.max(), -v.min()))


def two_loop(g, pairs, initial_inverse):
    """The L-BFGS inverse-Hessian approximation applied to g (Nocedal & Wright, Alg. 7.4),
    ``initial_inverse(q)`` the initial approximation H0 applied to q (in place allowed).

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
    q = initial_inverse(q)
    for (s, y, rho), a in zip(pairs, reversed(coefficients)):
        q = saxpy(s, q, a=a - rho * float(np.dot(y, q)))
    return q.astype(np.float64)
