"""The shared-W solvers against independent reference optima and their limiting cases."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from mtl_cli.learners import MultiTaskLinearClassifier

LOSS_VALUES = {
    "logistic": lambda z: np.logaddexp(0, -z),
    "squared_hinge": lambda z: np.maximum(0, 1 - z) ** 2,
    "squared": lambda z: (1 - z) ** 2,
}


def make_problem(T=3, d=8, n_per_task=25, sparse=False, seed=0, n_classes=2):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T * n_per_task, d))
    if sparse:
        X = sp.csr_matrix(X * (rng.random(X.shape) < 0.4))
    tasks = np.repeat(np.arange(T), n_per_task)
    W = rng.standard_normal((T, d)) + rng.standard_normal(d)
    scores = (X @ W.T)[np.arange(len(tasks)), tasks] + 0.5 * rng.standard_normal(len(tasks))
    if n_classes == 2:
        y = (scores > 0).astype(int)
    else:
        y = np.digitize(scores, np.quantile(scores, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y, tasks


def reference_objective(W, b, X, y, tasks, loss, penalty, alpha, l2, edges=()):
    """F(W, b) written out plainly, one task at a time (binary tasks, labels {0, 1})."""
    X = X.toarray() if sp.issparse(X) else X
    total = 0.0
    for t in range(W.shape[0]):
        rows = tasks == t
        z = (2 * y[rows] - 1) * (X[rows] @ W[t] + b[t])
        total += LOSS_VALUES[loss](z).mean()
    if penalty == "none":
        total += l2 / 2 * np.sum(W**2)
    elif penalty == "mean":
        total += l2 / 2 * np.sum(W**2) + alpha / 2 * np.sum((W - W.mean(axis=0)) ** 2)
    elif penalty == "graph":
        total += l2 / 2 * np.sum(W**2) + alpha / 2 * sum(np.sum((W[s] - W[t]) ** 2) for s, t in edges)
    elif penalty == "l21":
        total += alpha * np.sum(np.sqrt(np.sum(W**2, axis=0))) + l2 / 2 * np.sum(W**2)
    elif penalty == "trace":
        total += alpha * np.sum(np.linalg.svd(W, compute_uv=False)) + l2 / 2 * np.sum(W**2)
    return total


def scipy_reference(X, y, tasks, loss, penalty, alpha, l2, edges=()):
    """Minimize the plain objective with BFGS (smooth penalties only)."""
    T, d = tasks.max() + 1, X.shape[1]

    def fun(theta):
        return reference_objective(
            theta[: T * d].reshape(T, d), theta[T * d :], X, y, tasks, loss, penalty, alpha, l2, edges
        )

    result = minimize(fun, np.zeros(T * d + T), method="BFGS", options={"gtol": 1e-10, "maxiter": 10000})
    return result.fun


def cvxpy_reference(X, y, tasks, loss, penalty, alpha, l2):
    """Solve the convex program with cvxpy (Clarabel), return its solution's objective."""
    cp = pytest.importorskip("cvxpy")
    X = X.toarray() if sp.issparse(X) else X
    T, d = tasks.max() + 1, X.shape[1]
    W, b = cp.Variable((T, d)), cp.Variable(T)
    terms = []
    for t in range(T):
        rows = tasks == t
        z = cp.multiply(2 * y[rows] - 1, X[rows] @ W[t] + b[t])
        value = {"logistic": cp.logistic(-z), "squared_hinge": cp.square(cp.pos(1 - z)), "squared": cp.square(1 - z)}[
            loss
        ]
        terms.append(cp.sum(value) / rows.sum())
    coupling = cp.sum(cp.norm(W, 2, axis=0)) if penalty == "l21" else cp.normNuc(W)
    problem = cp.Problem(cp.Minimize(sum(terms) + alpha * coupling + l2 / 2 * cp.sum_squares(W)))
    try:
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    except cp.error.SolverError:  # Clarabel stalls on some instances: SCS at high accuracy
        problem.solve(solver=cp.SCS, eps_abs=1e-10, eps_rel=1e-10, max_iters=200000)
    return reference_objective(W.value, b.value, X, y, tasks, loss, penalty, alpha, l2)


def fit(X, y, tasks, **params):
    params = {"tol": 1e-9, "max_iter": 50000, **params}
    return MultiTaskLinearClassifier(**params).fit(X, y, tasks)


# solver="lbfgs" alone (no FISTA polish) can stop in rounding a little above tol = 1e-9 and
# say so; the objective it reaches is what is checked
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("loss", ["logistic", "squared_hinge", "squared"])
@pytest.mark.parametrize("penalty", ["none", "mean", "graph"])
@pytest.mark.parametrize("sparse, T, d", [(False, 3, 6), (True, 4, 10)])
def test_smooth_penalties_reach_the_scipy_optimum(loss, penalty, sparse, T, d):
    X, y, tasks = make_problem(T, d, sparse=sparse, seed=T)
    edges = [(0, 1), (1, 2)]
    reference = scipy_reference(X, y, tasks, loss, penalty, 0.3, 0.05, edges)
    for solver in ("lbfgs", "sparsa", "fista", "pgd"):
        model = fit(X, y, tasks, loss=loss, penalty=penalty, alpha=0.3, l2=0.05, task_graph=edges, solver=solver)
        got = reference_objective(model.coef_, model.intercept_, X, y, tasks, loss, penalty, 0.3, 0.05, edges)
        assert got == pytest.approx(model.objective_, rel=1e-9)
        assert abs(got - reference) <= 1e-6 * abs(reference), (solver, got, reference)


@pytest.mark.parametrize("loss", ["logistic", "squared_hinge", "squared"])
@pytest.mark.parametrize("penalty", ["l21", "trace"])
@pytest.mark.parametrize("sparse, T, d", [(False, 3, 6), (True, 4, 10)])
def test_nonsmooth_penalties_reach_the_cvxpy_optimum(loss, penalty, sparse, T, d):
    X, y, tasks = make_problem(T, d, sparse=sparse, seed=T + 10)
    reference = cvxpy_reference(X, y, tasks, loss, penalty, 0.05, 0.01)
    for solver in ("sparsa", "fista", "pgd"):
        model = fit(X, y, tasks, loss=loss, penalty=penalty, alpha=0.05, l2=0.01, solver=solver)
        got = reference_objective(model.coef_, model.intercept_, X, y, tasks, loss, penalty, 0.05, 0.01)
        assert got == pytest.approx(model.objective_, rel=1e-9)
        assert abs(got - reference) <= 1e-6 * abs(reference), (solver, got, reference)
        assert model.stop_crit_ < 1e-9


def test_no_coupling_equals_independent_sklearn_logistic_regressions():
    X, y, tasks = make_problem(T=3, d=8, n_per_task=[30][0])
    l2 = 0.1
    model = fit(X, y, tasks, loss="logistic", penalty="none", l2=l2)
    for t in range(3):
        rows = tasks == t
        reference = LogisticRegression(C=1 / (l2 * rows.sum()), tol=1e-12, max_iter=10000).fit(X[rows], y[rows])
        assert np.allclose(model.coef_[t], reference.coef_[0], atol=1e-5)
        assert model.intercept_[t] == pytest.approx(reference.intercept_[0], abs=1e-5)
    # and the mean penalty with alpha = 0 is the same problem
    assert np.allclose(fit(X, y, tasks, penalty="mean", alpha=0.0, l2=l2).coef_, model.coef_, atol=1e-6)


def test_infinite_mean_coupling_is_one_pooled_model():
    X, y, tasks = make_problem(T=3, d=6)
    l2, T, d = 0.05, 3, 6

    def pooled(theta):  # one shared w, per-task intercepts
        W = np.tile(theta[:d], (T, 1))
        return reference_objective(W, theta[d:], X, y, tasks, "logistic", "none", 0.0, l2)

    shared = minimize(pooled, np.zeros(d + T), method="BFGS", options={"gtol": 1e-10}).x
    model = fit(X, y, tasks, penalty="mean", alpha=1e7, l2=l2)
    assert np.allclose(model.coef_, shared[:d], atol=1e-4)
    assert np.allclose(model.intercept_, shared[d:], atol=1e-4)


def test_complete_graph_with_weights_1_over_T_is_the_mean_penalty():
    X, y, tasks = make_problem(T=4, d=6)
    edges = [(s, t, 0.25) for s in range(4) for t in range(s + 1, 4)]
    graph = fit(X, y, tasks, penalty="graph", alpha=2.0, l2=0.01, task_graph=edges)
    mean = fit(X, y, tasks, penalty="mean", alpha=2.0, l2=0.01)
    assert np.allclose(graph.coef_, mean.coef_, atol=1e-6)


def test_l21_zeroes_whole_features_as_alpha_grows():
    X, y, tasks = make_problem(T=4, d=12, seed=5)
    zero_features = []
    for alpha in (0.0, 0.02, 0.05, 0.1, 0.2, 1.0):
        W = fit(X, y, tasks, penalty="l21", alpha=alpha, l2=0.01).coef_
        zero = np.all(W == 0, axis=0)
        assert np.array_equal(zero, np.all(np.abs(W) < 1e-12, axis=0))  # features vanish for every task at once
        zero_features.append(int(zero.sum()))
    assert zero_features[0] == 0 and zero_features[-1] == 12
    assert zero_features == sorted(zero_features) and len(set(zero_features)) > 2


def test_trace_lowers_the_rank_as_alpha_grows():
    X, y, tasks = make_problem(T=5, d=10, seed=6)
    ranks = []
    for alpha in (0.0, 0.05, 0.1, 0.2, 0.5, 2.0):
        singular = np.linalg.svd(fit(X, y, tasks, penalty="trace", alpha=alpha, l2=0.01).coef_, compute_uv=False)
        ranks.append(int(np.sum(singular > 1e-8)))
    assert ranks[0] == 5 and ranks[-1] == 0
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) > 2


def test_accelerated_solver_needs_fewer_iterations_than_plain_proximal_gradient():
    X, y, tasks = make_problem(T=4, d=30, n_per_task=40, sparse=True, seed=8)
    fast = fit(X, y, tasks, penalty="l21", alpha=0.01, l2=1e-3, solver="fista")
    slow = fit(X, y, tasks, penalty="l21", alpha=0.01, l2=1e-3, solver="pgd")
    assert fast.n_iter_ < slow.n_iter_ / 2
    assert fast.objective_ == pytest.approx(slow.objective_, rel=1e-7)


@pytest.mark.parametrize("penalty", ["mean", "graph"])
def test_lbfgs_preconditioned_by_the_coupling_needs_no_more_iterations_when_it_is_strong(penalty):
    """With (c I + M)^{-1} as L-BFGS's initial inverse Hessian, alpha = 10^3 l2 or 10^5 l2 is no
    harder than a weak coupling (with c I alone it took 10x more iterations at alpha = 100)."""
    X, y, tasks = make_problem(T=5, d=40, n_per_task=30, sparse=True, seed=3)
    chain = [(0, 1), (1, 2), (2, 3), (3, 4)]

    def fit_lbfgs(alpha):
        return fit(X, y, tasks, penalty=penalty, alpha=alpha, l2=1e-3, task_graph=chain, solver="lbfgs", tol=1e-8)

    weak = fit_lbfgs(0.01)
    for alpha in (1.0, 100.0):
        strong = fit_lbfgs(alpha)
        assert strong.stop_crit_ < 1e-8
        assert strong.n_iter_ <= 1.2 * weak.n_iter_, (alpha, strong.n_iter_, weak.n_iter_)


def test_predict_proba_matches_sklearn_logistic_regression_and_pads_mixed_tasks():
    X, y, tasks = make_problem(T=2, d=6, n_per_task=30, seed=5)
    model = fit(X, y, tasks, penalty="none", l2=0.1)
    for t in range(2):
        rows = tasks == t
        reference = LogisticRegression(C=1 / (0.1 * rows.sum()), tol=1e-12, max_iter=10000).fit(X[rows], y[rows])
        assert np.allclose(model.predict_proba(X[rows], tasks[rows]), reference.predict_proba(X[rows]), atol=1e-5)
    # a three-class task next to a binary one: columns follow each task's classes_, zero-padded
    y3 = np.where(tasks == 1, y + (X[:, 0] > 1), y)
    model = fit(X, y3, tasks, penalty="mean", alpha=0.1, l2=0.1)
    proba = model.predict_proba(X, tasks)
    assert proba.shape == (len(y3), 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba[tasks == 0, 2] == 0)
    for t in range(2):
        rows = tasks == t
        assert np.array_equal(model.classes_[t][proba[rows].argmax(axis=1)], model.predict(X[rows], tasks[rows]))
    assert not hasattr(MultiTaskLinearClassifier(loss="squared_hinge"), "predict_proba")


@pytest.mark.parametrize("penalty, solver", [
    ("l21", "sparsa"), ("l21", "fista"), ("none", "lbfgs"), ("none", "sparsa"),
    ("mean", "lbfgs"), ("mean", "sparsa"), ("mean", "fista"),
])
def test_solving_on_the_support_gives_the_full_problem_s_solution(penalty, solver):
    """none, l21 and mean fit only the weights of (task, feature) pairs with data; the full T x d
    problem (solved here through the solver functions) has the same optimum: zeros elsewhere for
    none and l21, for mean the values that minimize the penalty given the fitted weights."""
    from mtl_cli.optim import solvers
    from mtl_cli.optim.datafits import LOSSES, MultiTaskDatafit, StackedTasks
    from mtl_cli.optim.penalties import make_penalty

    rng = np.random.default_rng(4)
    X = sp.random(120, 60, density=0.02, random_state=4, format="csr")
    tasks = np.repeat(np.arange(4), 30)
    y = (X @ rng.standard_normal(60) + 0.1 * rng.standard_normal(120) > 0).astype(int)
    model = fit(X, y, tasks, penalty=penalty, alpha=0.02, l2=0.01, solver=solver)
    signs = np.where(y == 1, 1.0, -1.0)
    full = StackedTasks.build(X, signs, tasks, 4)
    on_support = StackedTasks.build(X, signs, tasks, 4, on_support=True)
    assert on_support.n_weights < 0.6 * full.n_weights  # many pairs without data
    solve = {"sparsa": solvers.sparsa, "fista": solvers.fista, "lbfgs": solvers.lbfgs}[solver]
    reference = solve(
        full, MultiTaskDatafit(LOSSES["logistic"]), make_penalty(penalty, 4, 0.02, 0.01), np.zeros(full.n_params),
        1e-10, 50000
    )
    W, b = full.split(reference.x)
    assert model.objective_ == pytest.approx(reference.objective, rel=1e-8)
    assert np.allclose(model.coef_, W, atol=1e-6) and np.allclose(model.intercept_, b, atol=1e-6)
    off_support = np.ones(full.n_weights, bool)
    off_support[on_support.support] = False
    if penalty == "mean":
        assert np.abs(model.coef_.ravel()[off_support]).max() > 1e-3  # pulled toward the other tasks
    else:
        assert np.all(model.coef_.ravel()[off_support] == 0)


def test_mean_penalty_on_a_support_minimizes_the_full_penalty_over_the_weights_off_it():
    from scipy.optimize import minimize

    from mtl_cli.optim.penalties import MeanOnSupport

    rng = np.random.default_rng(1)
    T, d, alpha, l2 = 4, 5, 0.7, 0.1
    present = rng.random((T, d)) < 0.5
    present[:, 0] = True  # a feature in every task: the plain mean penalty
    support = np.flatnonzero(present.ravel())
    w = rng.standard_normal(len(support))
    penalty = MeanOnSupport(T, alpha, l2, support % d, d)

    def full(off):
        W = np.zeros(T * d)
        W[support], W[~present.ravel()] = w, off
        W = W.reshape(T, d)
        return l2 / 2 * np.sum(W**2) + alpha / 2 * np.sum((W - W.mean(axis=0)) ** 2)

    best = minimize(full, np.zeros((~present).sum()), method="BFGS", options={"gtol": 1e-12})
    assert penalty.value(w) == pytest.approx(best.fun, rel=1e-9)
    filled = np.broadcast_to(penalty.off_support(w), (T, d)).ravel()[~present.ravel()]
    assert np.allclose(filled, best.x, atol=1e-6)
    M = np.zeros((len(support), len(support)))
    for k in range(len(support)):
        M[:, k] = penalty.apply(np.eye(len(support))[k])
    assert np.allclose(M, M.T) and np.linalg.eigvalsh(M).min() >= -1e-12
    assert penalty.value(w) == pytest.approx(0.5 * w @ M @ w)
    assert np.allclose(penalty.prox(w, 0.3), np.linalg.solve(np.eye(len(support)) + 0.3 * M, w))


def test_sparse_and_dense_coupling_products_agree():
    from mtl_cli.optim.penalties import graph_regularized

    rng = np.random.default_rng(0)
    W = rng.standard_normal((12, 9))
    chain = graph_regularized(12, [(k, k + 1) for k in range(11)], alpha=0.7, l2=0.1)
    assert sp.issparse(chain.product)
    assert np.allclose(chain.apply(W), chain.M @ W)
    step = 0.4
    assert np.allclose(chain.prox(W, step), np.linalg.solve(np.eye(12) + step * chain.M, W))
    assert np.allclose(chain.prox(W.astype(np.float32), step), chain.prox(W, step), atol=1e-5)


def test_sparsa_stops_only_at_a_fixed_point_of_the_proximal_gradient_step():
    """At SpaRSA's answer, one proximal gradient step of length 1/L (written out here:
    logistic gradient, group soft-thresholding) moves no coordinate by more than tol / L."""
    X, y, tasks = make_problem(T=4, d=30, n_per_task=40, sparse=True, seed=8)
    alpha, l2, tol = 0.01, 1e-3, 1e-5
    model = MultiTaskLinearClassifier(penalty="l21", alpha=alpha, l2=l2, tol=tol, solver="sparsa").fit(X, y, tasks)
    W, b, Xd = model.coef_, model.intercept_, X.toarray()
    gradient_W, gradient_b = np.zeros_like(W), np.zeros_like(b)
    for t in range(4):
        rows = tasks == t
        signs = 2 * y[rows] - 1
        r = -signs / (1 + np.exp(signs * (Xd[rows] @ W[t] + b[t]))) / rows.sum()
        gradient_W[t], gradient_b[t] = Xd[rows].T @ r, r.sum()
    L = 0.25 * max(np.mean(np.sum(Xd[tasks == t] ** 2, axis=1) + 1) for t in range(4))
    V = W - gradient_W / L
    norms = np.linalg.norm(V, axis=0)
    stepped = V * np.maximum(norms - alpha / L, 0) / (1 + l2 / L) / np.maximum(norms, 1e-300)
    residual = L * max(np.abs(W - stepped).max(), np.abs(gradient_b / L).max())
    assert residual < tol
    assert residual == pytest.approx(model.stop_crit_, rel=1e-6)
    assert model.n_iter_ > 5  # it did iterate: the test is not met at W = 0


def test_sparsa_is_not_slowed_by_a_task_with_one_class():
    """The intercept of a one-class task runs off to infinity with vanishing curvature; with
    one Barzilai-Borwein step for W and b together SpaRSA took 4-7x FISTA's iterations here."""
    for seed in range(3):
        X, y, tasks = make_problem(T=6, d=20, n_per_task=8, sparse=True, seed=seed)
        y[tasks == 0], y[tasks == 3] = 1, 0
        runs = {
            solver: fit(X, y, tasks, penalty="l21", alpha=0.05, l2=0.01, tol=1e-5, solver=solver)
            for solver in ("sparsa", "fista")
        }
        assert runs["sparsa"].stop_crit_ < 1e-5
        assert runs["sparsa"].n_iter_ <= 1.5 * runs["fista"].n_iter_, (
            seed,
            runs["sparsa"].n_iter_,
            runs["fista"].n_iter_,
        )
        assert runs["sparsa"].objective_ == pytest.approx(runs["fista"].objective_, rel=1e-5)


@pytest.mark.parametrize("penalty", ["mean", "l21"])
def test_stopping_short_of_tol_warns(penalty):
    from sklearn.exceptions import ConvergenceWarning

    X, y, tasks = make_problem(T=3, d=10, sparse=True)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = fit(X, y, tasks, penalty=penalty, alpha=0.05, max_iter=2)
    assert model.stop_crit_ > 1e-9


def test_trace_prox_through_the_gram_matrix_equals_the_svd_prox():
    from mtl_cli.optim.penalties import Trace

    rng = np.random.default_rng(0)
    for V in (rng.standard_normal((5, 40)), rng.standard_normal((5, 2)) @ rng.standard_normal((2, 40)) * 10):
        U, singular, Rt = np.linalg.svd(V, full_matrices=False)
        expected = (U * (np.maximum(singular - 0.3 * 2.0, 0) / (1 + 0.3 * 0.1))) @ Rt
        got = Trace(alpha=2.0, l2=0.1).prox(V, 0.3)
        assert np.allclose(got, expected, atol=1e-10 * np.abs(V).max())


@pytest.mark.parametrize("penalty", ["l21", "mean"])
def test_warm_start_continues_from_the_previous_solution(penalty):
    X, y, tasks = make_problem(T=3, d=10, sparse=True)
    model = MultiTaskLinearClassifier(penalty=penalty, alpha=0.05, tol=1e-8, warm_start=True).fit(X, y, tasks)
    model.set_params(alpha=0.045).fit(X, y, tasks)
    cold = MultiTaskLinearClassifier(penalty=penalty, alpha=0.045, tol=1e-8).fit(X, y, tasks)
    optimum = cold.objective_
    assert model.objective_history_[0] - optimum < 0.1 * (cold.objective_history_[0] - optimum)
    assert model.objective_ == pytest.approx(optimum, rel=1e-7)


def test_multiclass_tasks_are_one_vs_rest_columns():
    X, y, tasks = make_problem(T=2, d=6, n_per_task=60, n_classes=3)
    y = np.array(["a", "b", "c"])[y]
    model = fit(X, y, tasks, penalty="mean", alpha=0.1, l2=0.01)
    assert model.coef_.shape == (6, 6)  # 2 tasks x 3 classes
    assert model.column_task_.tolist() == [0, 0, 0, 1, 1, 1]
    assert model.decision_function(X, tasks).shape == (120, 3)
    assert set(model.predict(X, tasks)) <= {"a", "b", "c"}
    assert model.score(X, y, tasks) > 0.6


def test_estimator_contract_and_errors():
    X, y, tasks = make_problem()
    model = MultiTaskLinearClassifier(penalty="l21", alpha=0.1)
    assert clone(model).get_params()["penalty"] == "l21"
    with pytest.raises(NotFittedError):
        model.predict(X, tasks)
    model.fit(X, y, tasks)
    assert model.alpha == 0.1 and model.coef_.shape == (3, 8) and model.n_iter_ >= 1
    with pytest.raises(ValueError, match=r"unknown task ids \[9\]"):
        model.predict(X[:1], [9])
    with pytest.raises(
        ValueError, match="The 'penalty' parameter of MultiTaskLinearClassifier must be one of .* Got 'l12' instead"
    ):
        MultiTaskLinearClassifier(penalty="l12").fit(X, y, tasks)
    with pytest.raises(ValueError, match="'tasks' must be a 1-d array"):
        model.fit(X, y, tasks[:-1])
    with pytest.raises(ValueError, match="task_graph"):
        MultiTaskLinearClassifier(penalty="graph").fit(X, y, tasks)


def cluster_reference(X, y, tasks, loss, alpha, l2, k):
    """The convex clustered objective with M as a variable, solved jointly by cvxpy:
    loss + (alpha/2) eta (1 + eta) tr(W^T (eta I + M)^{-1} W), 0 <= M <= I, tr M = k."""
    cp = pytest.importorskip("cvxpy")
    X = X.toarray() if sp.issparse(X) else X
    T, d = tasks.max() + 1, X.shape[1]
    eta = l2 / alpha
    W, b, M = cp.Variable((T, d)), cp.Variable(T), cp.Variable((T, T), symmetric=True)
    terms = []
    for t in range(T):
        rows = tasks == t
        z = cp.multiply(2 * y[rows] - 1, X[rows] @ W[t] + b[t])
        value = cp.logistic(-z) if loss == "logistic" else cp.square(1 - z)
        terms.append(cp.sum(value) / rows.sum())
    coupling = 0.5 * alpha * eta * (1 + eta) * cp.matrix_frac(W, eta * np.eye(T) + M)
    constraints = [M >> 0, np.eye(T) - M >> 0, cp.trace(M) == k]
    problem = cp.Problem(cp.Minimize(sum(terms) + coupling), constraints)
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return problem.value


@pytest.mark.parametrize("loss", ["logistic", "squared"])
@pytest.mark.parametrize("T, k, alpha", [(4, 1, 0.5), (5, 2, 0.2), (4, 3, 1.0)])
def test_cluster_penalty_reaches_the_cvxpy_optimum(loss, T, k, alpha):
    X, y, tasks = make_problem(T, 6, seed=T + k)
    reference = cluster_reference(X, y, tasks, loss, alpha, 0.05, k)
    model = fit(X, y, tasks, loss=loss, penalty="cluster", alpha=alpha, l2=0.05, n_clusters=k, tol=1e-7)
    assert model.objective_ == pytest.approx(reference, rel=1e-6, abs=1e-8)


def test_cluster_penalty_limits_are_independent_ridge_models():
    X, y, tasks = make_problem(4, 6, seed=1)
    ridge = fit(X, y, tasks, penalty="none", l2=0.05, tol=1e-7)
    for params in ({"n_clusters": 4, "alpha": 1.0}, {"n_clusters": 9, "alpha": 1.0}, {"n_clusters": 1, "alpha": 0.0}):
        model = fit(X, y, tasks, penalty="cluster", l2=0.05, tol=1e-7, **params)
        assert np.allclose(model.coef_, ridge.coef_, atol=1e-6), params
    # with M = I the clustered coupling is exactly (l2/2) ||W||^2, whatever alpha
    from mtl_cli.optim.penalties import Clustered

    W = np.random.default_rng(0).standard_normal((4, 6))
    assert Clustered(0.7, 0.05, 4).value(W) == pytest.approx(0.025 * np.sum(W**2))


def test_cluster_penalty_pulls_tasks_of_one_cluster_together():
    """Two groups of tasks with opposite weight vectors: k = 2 clusters share within each group."""
    rng = np.random.default_rng(5)
    d, centers = 12, rng.standard_normal((2, 12)) * 2
    X, y, tasks = [], [], []
    for t in range(6):
        Xt = rng.standard_normal((8, d))
        w = centers[t % 2] + 0.1 * rng.standard_normal(d)
        X.append(Xt), y.append((Xt @ w > 0).astype(int)), tasks.append(np.full(8, t))
    X, y, tasks = np.vstack(X), np.concatenate(y), np.concatenate(tasks)
    model = fit(X, y, tasks, penalty="cluster", alpha=1.0, l2=0.01, n_clusters=2, tol=1e-6)
    cosine = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    W = model.coef_
    same = np.mean([cosine(W[s], W[t]) for s in range(6) for t in range(s + 1, 6) if s % 2 == t % 2])
    ridge = fit(X, y, tasks, penalty="none", l2=0.01, tol=1e-6).coef_
    same_ridge = np.mean([cosine(ridge[s], ridge[t]) for s in range(6) for t in range(s + 1, 6) if s % 2 == t % 2])
    assert same > same_ridge + 0.05, (same, same_ridge)


def test_cluster_penalty_has_no_prox_for_proximal_solvers():
    X, y, tasks = make_problem(3, 4)
    with pytest.raises(ValueError, match="needs the penalty's prox"):
        MultiTaskLinearClassifier(penalty="cluster", solver="sparsa").fit(X, y, tasks)
