"""Shared-W multitask linear classifiers: one weight column per task, coupled by a penalty."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if

from ..optim.datafits import LOSSES, MultiTaskDatafit, StackedTasks
from ..optim.penalties import PENALTIES, make_penalty
from ..optim.solvers import fista, lbfgs, sparsa
from ..errors import NumericalError
from ..registry import LEARNERS
from ..validation import check_bool, check_number
from .base import BaseMultiTaskClassifier

SOLVER_NAMES = ("auto", "lbfgs", "sparsa", "fista", "pgd")


LARGE_FEATURE = 1e6  # beyond this the Lipschitz bounds and step sizes lose precision


def largest_feature(X) -> float:
    values = X.data if sp.issparse(X) else np.asarray(X)
    return float(np.abs(values).max()) if values.size else 0.0


def warn_on_scale(X) -> None:
    """Warn when features are so large that the solver's step sizes become unreliable."""
    largest = largest_feature(X)
    if largest > LARGE_FEATURE:
        warnings.warn(
            f"features reach |x| = {largest:.3g}; the solvers are tuned for scaled features (TF-IDF, "
            "standardized): rescale them, or expect slow convergence or a NumericalError",
            ConvergenceWarning,
        )


def check_task_graph(owner: str, task_graph) -> None:
    """``"complete"``, or a list of edges [s, t] or [s, t, weight] with a finite weight >= 0 (the
    graph penalty is convex only for non-negative weights) between two different tasks."""
    if isinstance(task_graph, str) and task_graph == "complete":
        return
    if not isinstance(task_graph, (list, tuple)) or not task_graph:
        raise ValueError(
            f"The 'task_graph' parameter of {owner} must be 'complete' or a non-empty list of edges [s, t] or "
            f"[s, t, weight]. Got {task_graph!r} instead."
        )
    for edge in task_graph:
        if not isinstance(edge, (list, tuple)) or len(edge) not in (2, 3):
            raise ValueError(
                f"The 'task_graph' parameter of {owner} has edge {edge!r}; an edge is [s, t] or [s, t, weight]."
            )
        if edge[0] == edge[1]:
            raise ValueError(f"The 'task_graph' parameter of {owner} has edge {list(edge)} from a task to itself.")
        if len(edge) == 3:
            check_number(owner, "task_graph", edge[2], low=0)


@LEARNERS.register("shared-w")
class MultiTaskLinearClassifier(BaseMultiTaskClassifier):
    """Multitask linear classifier: one weight vector per task, coupled by a penalty on W.

    With labels mapped to y in {-1, +1}, per-task intercepts b_t that are
    not penalized, and n_t the number of samples of task t, it minimizes

        F(W, b) = sum_t (1/n_t) sum_{i in t} loss(y_i (w_t . x_i + b_t)) + Omega(W)

        logistic: log(1 + exp(-z));  squared_hinge: max(0, 1 - z)^2;  squared: (1 - z)^2
        none:  Omega = (l2/2) sum_t ||w_t||^2                                   (independent ridge models)
        mean:  Omega = (l2/2) sum_t ||w_t||^2 + (alpha/2) sum_t ||w_t - w_bar||^2,  w_bar = mean_t w_t
        l21:   Omega = alpha sum_j ||W[:, j]||_2 + (l2/2) ||W||_F^2,  W[:, j] feature j across tasks
        trace: Omega = alpha ||W||_* + (l2/2) ||W||_F^2
        graph: Omega = (l2/2) ||W||_F^2 + (alpha/2) sum_{(s,t) in E} ||w_s - w_t||^2
        cluster: Omega = (alpha/2) eta (1 + eta) min_M tr(W^T (eta I + M)^{-1} W),  eta = l2 / alpha,
                 0 <= M <= I, tr M = n_clusters  (convex clustered MTL; see optim.penalties.Clustered)

    A task with more than two classes is handled one-vs-rest: each (task,
    class) pair is a column of W (a "task" in the formula).

    Parameters
    ----------
    loss : {"logistic", "squared_hinge", "squared"}, default="logistic"
    penalty : {"none", "mean", "l21", "trace", "graph", "cluster"}, default="mean"
    alpha : float, default=1.0
        Coupling strength.
    l2 : float, default=0.01
        Ridge strength.
    task_graph : list of [s, t] or [s, t, weight], or "complete", default=None
        Edges between task ids, for ``penalty="graph"``; weights are >= 0.
    n_clusters : int, default=2
        Number of task clusters k, for ``penalty="cluster"`` (k >= the number of columns: no coupling).
    solver : {"auto", "lbfgs", "sparsa", "fista", "pgd"}, default="auto"
        "auto" is L-BFGS for the smooth penalties (none, mean, graph, cluster) and
        SpaRSA (proximal gradient with Barzilai-Borwein steps) for l21 and
        trace; "pgd" is proximal gradient without momentum.
    tol : float, default=1e-06
        Stop when the max-abs of the (proximal) gradient is below ``tol``.
    max_iter : int, default=2000
    warm_start : bool, default=False
        Start from the previous ``coef_`` when the shapes match.
    random_state : int, RandomState instance or None, default=None
        Unused (the solvers are deterministic); kept for the runner's seeding.

    Attributes
    ----------
    coef_ : (n_columns, n_features) ndarray
    intercept_ : (n_columns,) ndarray
    tasks_ : task ids seen in fit; ``classes_`` the classes of each task;
    column_task_ : (n_columns,) index into ``tasks_`` of each column
    penalty_ : the penalty object, Omega of the (n_columns, n_features) ``coef_``
    n_iter_, objective_, stop_crit_ : solver figures
    """

    def __init__(
        self,
        loss="logistic",
        penalty="mean",
        alpha=1.0,
        l2=0.01,
        task_graph=None,
        n_clusters=2,
        solver="auto",
        tol=1e-6,
        max_iter=2000,
        warm_start=False,
        random_state=None,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l2 = l2
        self.task_graph = task_graph
        self.n_clusters = n_clusters
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def check(self) -> None:
        """Validate the parameters; ValueError names the parameter, what is allowed and what was given."""
        name = type(self).__name__
        for param, allowed in (("loss", tuple(LOSSES)), ("penalty", PENALTIES), ("solver", SOLVER_NAMES)):
            value = getattr(self, param)
            if value not in allowed:
                raise ValueError(
                    f"The '{param}' parameter of {name} must be one of {set(allowed)}. Got {value!r} instead."
                )
        for param in ("alpha", "l2", "tol"):
            check_number(name, param, getattr(self, param), low=0)
        check_number(name, "max_iter", self.max_iter, low=1, integer=True)
        check_number(name, "n_clusters", self.n_clusters, low=1, integer=True)
        check_bool(name, "warm_start", self.warm_start)
        if self.task_graph is not None:
            check_task_graph(name, self.task_graph)
        choice = PENALTIES[self.penalty]
        if choice.needs_task_graph and self.task_graph is None:
            raise ValueError(f"The 'task_graph' parameter of {name} is required with penalty='graph'.")
        if not choice.has_prox and self.solver in ("sparsa", "fista", "pgd"):
            raise ValueError(
                f"solver={self.solver!r} needs the penalty's prox, which penalty={self.penalty!r} does not have; "
                "use 'auto' or 'lbfgs'."
            )
        if not choice.smooth and self.solver == "lbfgs":
            raise ValueError(
                f"solver='lbfgs' needs a smooth penalty (none, mean, graph, cluster); got penalty={self.penalty!r}."
            )

    def columns(self, y, tasks):
        """One column per binary task and per class of a multi-class task: (task index, positive class)."""
        self.remember_tasks(y, tasks)
        column_task, positive = [], []
        for k, classes in enumerate(self.classes_):
            for cls in classes[-1:] if len(classes) <= 2 else classes:
                column_task.append(k)
                positive.append(cls)
        return np.array(column_task), positive

    def task_graph_edges(self):
        if isinstance(self.task_graph, str) and self.task_graph == "complete":
            T = len(self.tasks_)
            return [(s, t) for s in range(T) for t in range(s + 1, T)]
        position = {t: k for k, t in enumerate(self.tasks_.tolist())}
        edges = []
        for edge in self.task_graph:
            s, t = edge[0], edge[1]
            if s not in position or t not in position:
                raise ValueError(f"task_graph edge {list(edge)} names a task not seen in fit ({self.tasks_.tolist()})")
            edges.append((position[s], position[t], *edge[2:]))
        if any(len(self.classes_[k]) > 2 for k in range(len(self.tasks_))):
            raise ValueError("penalty='graph' needs binary tasks (one column per task)")
        return edges

    def stack(self, X, y, tasks, on_support=False):
        """Validate the inputs, set the task and column attributes, and build the lifted problem."""
        self.check()
        X, y, tasks = self.fit_inputs(X, y, tasks, dtype=np.float64)
        warn_on_scale(X)
        column_task, positive = self.columns(y, tasks)
        rows, cols, signs = [], [], []
        task_index = np.searchsorted(self.tasks_, tasks)
        for c, (k, cls) in enumerate(zip(column_task, positive)):
            members = np.flatnonzero(task_index == k)
            rows.append(members)
            cols.append(np.full(len(members), c))
            signs.append(np.where(y[members] == cls, 1.0, -1.0))
        rows = np.concatenate(rows)
        stacked = X if np.array_equal(rows, np.arange(X.shape[0])) else X[rows]
        self.column_task_, self.column_class_ = column_task, positive
        return StackedTasks.build(stacked, np.concatenate(signs), np.concatenate(cols), len(column_task), on_support)

    def gradient_at_zero(self, X, y, tasks=None) -> np.ndarray:
        """The (n_columns, d) gradient of the datafit at W = 0, with the intercepts at their optimum.

        W = 0 is optimal for l21 (trace) when alpha is at least the largest
        row norm (the spectral norm) of this matrix.
        """
        data = self.stack(X, y, tasks)
        # at W = 0 the best intercept of a column is the log-odds (logistic) or mean (squared losses) of its labels
        positive_share = np.bincount(data.column, weights=(data.y > 0) * data.weight, minlength=data.n_columns)
        share = np.clip(positive_share, 1e-12, 1 - 1e-12)
        b = np.log(share / (1 - share)) if self.loss == "logistic" else 2 * share - 1
        x = data.join(np.zeros((data.n_columns, data.n_features)), b)
        return data.expand(data.split(MultiTaskDatafit(LOSSES[self.loss]).gradient(data, data.margins(x)))[0])

    def fit(self, X, y, tasks=None):
        """Fit W and b on the stacked samples of all tasks.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None means one task.

        Returns
        -------
        self : object
        """
        # where feature j never occurs in task t, the loss does not depend on W[t, j]: none and l21
        # set it to 0, mean to a function of feature j's other weights; solve for the others only
        self.check()
        choice = PENALTIES[self.penalty]
        data = self.stack(X, y, tasks, on_support=choice.on_support)
        n_columns = data.n_columns
        edges = self.task_graph_edges() if choice.needs_task_graph else None
        self.penalty_ = make_penalty(self.penalty, n_columns, self.alpha, self.l2, edges,
                                     n_clusters=self.n_clusters)  # Omega of coef_
        on_support = (  # what is solved
            self.penalty_
            if data.support is None
            else make_penalty(self.penalty, n_columns, self.alpha, self.l2, edges, data, self.n_clusters)
        )
        self.loss_ = LOSSES[self.loss]
        x0 = np.zeros(data.n_params)
        if (
            self.warm_start
            and getattr(self, "coef_", None) is not None
            and self.coef_.shape == (n_columns, data.n_features)
        ):
            x0 = data.join(self.coef_, self.intercept_)
        result = self.solve(data, on_support, x0)
        if not np.all(np.isfinite(result.x)):
            raise NumericalError(
                f"{type(self).__name__}: the solver produced non-finite weights (largest |feature| "
                f"{largest_feature(X):.3g}); standardize or rescale the features"
            )
        W, b = data.split(result.x)
        off_support = on_support.off_support(W) if hasattr(on_support, "off_support") else None
        self.coef_, self.intercept_ = data.expand(W, off_support), b.copy()
        self.n_iter_, self.objective_, self.stop_crit_ = result.n_iter, result.objective, result.stop_crit
        if not result.stop_crit < self.tol:
            warnings.warn(
                f"{type(self).__name__} stopped at stop criterion {result.stop_crit:.2e} > tol={self.tol:g} "
                f"after {result.n_iter} iterations (max_iter={self.max_iter}); increase max_iter or tol.",
                ConvergenceWarning,
            )
        self.objective_history_ = result.history
        return self

    def solve(self, data, penalty, x0):
        """Run the chosen solver. "auto" runs SpaRSA on nonsmooth penalties, and L-BFGS on
        smooth ones; if a strong coupling leaves L-BFGS short of ``tol`` (ill-conditioning),
        it finishes with FISTA, whose exact prox handles any coupling strength (for penalties with a
        prox)."""
        args = (data, MultiTaskDatafit(self.loss_), penalty)
        if self.solver == "sparsa" or (self.solver == "auto" and not penalty.smooth):
            return sparsa(*args, x0, self.tol, self.max_iter)
        if self.solver in ("fista", "pgd"):
            return fista(*args, x0, self.tol, self.max_iter, accelerate=self.solver != "pgd")
        result = lbfgs(*args, x0, self.tol, self.max_iter)
        if self.solver == "auto" and result.stop_crit > self.tol and PENALTIES[self.penalty].has_prox:
            polished = fista(*args, result.x, self.tol, self.max_iter)
            polished.n_iter += result.n_iter
            polished.history = result.history + polished.history
            return polished
        return result

    def decision_function(self, X, tasks=None):
        """Scores w_c . x + b_c of each sample for its task's columns.

        Shape (n,) when every task is binary; else (n, max classes), padded
        with -inf for tasks with fewer classes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, max classes)
        """
        X, tasks = self.predict_inputs(X, tasks, dtype=np.float64)
        scores = X @ self.coef_.T + self.intercept_
        scores = np.asarray(scores.toarray() if sp.issparse(scores) else scores)
        task_index = np.searchsorted(self.tasks_, tasks)
        width = max(len(c) if len(c) > 2 else 1 for c in self.classes_)
        out = np.full((X.shape[0], width), -np.inf)
        for k in np.unique(task_index):
            columns = np.flatnonzero(self.column_task_ == k)
            rows = task_index == k
            out[np.ix_(rows, np.arange(len(columns)))] = scores[np.ix_(rows, columns)]
        return out[:, 0] if width == 1 else out

    def task_losses(self, X, y, tasks=None) -> dict:
        """Mean loss(y m) of each task on (X, y), m the margins of its columns (labels +-1 per column)."""
        tasks = self.check_tasks(tasks, X.shape[0])
        scores = self.decision_function(X, tasks)
        scores = scores[:, None] if scores.ndim == 1 else scores
        task_index = np.searchsorted(self.tasks_, tasks)
        y = np.asarray(y)
        losses = {}
        for k in np.unique(task_index):
            rows = task_index == k
            positives = [self.column_class_[c] for c in np.flatnonzero(self.column_task_ == k)]
            signs = np.stack([np.where(y[rows] == cls, 1.0, -1.0) for cls in positives], axis=1)
            losses[self.tasks_[k]] = float(np.mean(self.loss_.value(signs * scores[rows, : len(positives)])))
        return losses

    @available_if(lambda self: self.loss == "logistic")
    def predict_proba(self, X, tasks=None):
        """Class probabilities of each sample for its own task (logistic loss only).

        Column j is the j-th class of the sample's task (``classes_[task]``),
        shape (n, max classes), zero-padded for tasks with fewer classes. A
        binary task gives [1 - p, p], p = expit(w . x + b); a multi-class task
        its one-vs-rest expit(scores) normalized to sum 1, as scikit-learn's
        one-vs-rest logistic regression does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        proba : ndarray of shape (n_samples, max classes)
        """
        scores = self.decision_function(X, tasks)  # validates X and the task ids
        task_index = np.searchsorted(self.tasks_, self.check_tasks(tasks, len(scores)))
        proba = np.zeros((len(scores), max(2, *(len(classes) for classes in self.classes_))))
        for k in np.unique(task_index):
            rows, n_classes = task_index == k, len(self.classes_[k])
            if n_classes == 1:
                proba[rows, 0] = 1.0
            elif n_classes == 2:
                positive = expit(scores[rows] if scores.ndim == 1 else scores[rows, 0])
                proba[rows, 0], proba[rows, 1] = 1.0 - positive, positive
            else:
                one_vs_rest = expit(scores[rows, :n_classes])
                proba[rows, :n_classes] = one_vs_rest / one_vs_rest.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X, tasks=None):
        """The class of each sample for its own task: the sign of its binary task's score, or the
        argmax over its multi-class task's one-vs-rest scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X, tasks)  # validates X and the task ids
        tasks = self.check_tasks(tasks, len(scores))
        task_index = np.searchsorted(self.tasks_, tasks)
        predictions = np.empty(len(scores), dtype=object)
        for k in np.unique(task_index):
            rows, classes = task_index == k, self.classes_[k]
            if len(classes) == 1:
                predictions[rows] = classes[0]
            elif len(classes) == 2:
                s = scores[rows] if scores.ndim == 1 else scores[rows, 0]
                predictions[rows] = np.where(s > 0, classes[1], classes[0])
            else:
                predictions[rows] = classes[np.argmax(scores[rows, : len(classes)], axis=1)]
        return np.array(predictions.tolist())
