"""Shared-W with alpha and l2 chosen by cross-validation within each task's training data."""

from __future__ import annotations

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..data.base import stable_hash
from ..optim.penalties import PENALTIES
from ..registry import LEARNERS
from ..validation import check_choice, check_number, check_numbers
from .base import BaseMultiTaskClassifier, per_task_accuracy, seed_of
from .shared_w import MultiTaskLinearClassifier


def task_folds(y, tasks, n_folds: int, seed: int) -> np.ndarray:
    """A fold id per sample, stratified within each (task, class).

    Each (task, class) group is shuffled (seeded) and dealt round-robin over
    the folds, so every fold gets a share of every group that has at least
    ``n_folds`` members; a smaller group lands in the first folds only.
    """
    folds = np.empty(len(y), dtype=int)
    for task in np.unique(tasks):
        for cls in np.unique(y[tasks == task]):
            members = np.flatnonzero((tasks == task) & (y == cls))
            rng = np.random.default_rng([seed, stable_hash(f"{task}/{cls}")])
            folds[rng.permutation(members)] = np.arange(len(members)) % n_folds
    return folds


@LEARNERS.register("shared-w-cv")
class MultiTaskLinearClassifierCV(BaseMultiTaskClassifier):
    """Shared-W multitask classifier with alpha and l2 chosen by k-fold CV on the training data.

    For each l2 in ``l2s`` the alphas are fitted from the strongest to the
    weakest coupling, each fit warm-started from the previous one, on every
    fold; the (alpha, l2) with the best mean validation score (mean over
    tasks, then over folds; ties go to the stronger regularization) is then
    refitted on all the training data. Test data is never seen.

    The validation score is the model's own loss (``scoring="loss"``: minus
    the mean over tasks of the mean validation loss, a smooth measure that
    rarely ties and that penalizes the trivial W = 0 of a too-large alpha)
    or its accuracy (``scoring="accuracy"``).

    Parameters
    ----------
    loss : {"logistic", "squared_hinge", "squared"}, default="logistic"
    penalty : {"none", "mean", "l21", "trace", "graph", "cluster"}, default="mean"
    alphas : list of float, default=None
        Coupling strengths to try; None: ``n_alphas`` on a data-driven path.
    n_alphas : int, default=6
    l2s : list of float, default=(1e-06, 1e-05, 0.0001, 0.001, 0.01, 0.1)
        Ridge strengths to try (per sample of a task: l2 = 1/(C n_t) in
        scikit-learn's terms, so 1e-6 is hardly any ridge and 0.1 a strong one).
    cv : int, default=3
        Folds, stratified within each task and class.
    scoring : {"loss", "accuracy"}, default="loss"
    task_graph : list of [s, t] or [s, t, weight], or "complete", default=None
        As in ``shared-w``.
    n_clusters : int, default=2
        As in ``shared-w`` (``penalty="cluster"``).
    solver : {"auto", "lbfgs", "sparsa", "fista", "pgd"}, default="auto"
    tol : float, default=0.0001
    max_iter : int, default=2000
    random_state : int, RandomState instance or None, default=None
        Seed of the fold assignment (None: a fresh one each fit).
    """

    cv_grids = {"l2": "l2s"}  # a chosen value and its candidates, checked for grid edges after a run

    def __init__(
        self,
        loss="logistic",
        penalty="mean",
        alphas=None,
        n_alphas=6,
        l2s=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1),
        cv=3,
        scoring="loss",
        task_graph=None,
        n_clusters=2,
        solver="auto",
        tol=1e-4,
        max_iter=2000,
        random_state=None,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alphas = alphas
        self.n_alphas = n_alphas
        self.l2s = l2s
        self.cv = cv
        self.scoring = scoring
        self.task_graph = task_graph
        self.n_clusters = n_clusters
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def base(self, **params) -> MultiTaskLinearClassifier:
        return MultiTaskLinearClassifier(
            loss=self.loss, penalty=self.penalty, task_graph=self.task_graph, n_clusters=self.n_clusters,
            solver=self.solver,
            tol=self.tol, max_iter=self.max_iter, **params,
        )

    def check(self) -> None:
        owner = type(self).__name__
        self.base().check()
        check_number(owner, "cv", self.cv, low=2, integer=True)
        check_number(owner, "n_alphas", self.n_alphas, low=1, integer=True)
        check_choice(owner, "scoring", self.scoring, ("loss", "accuracy"))
        check_numbers(owner, "l2s", self.l2s, low=0)
        if self.alphas is not None:
            check_numbers(owner, "alphas", self.alphas, low=0)

    def fit(self, X, y, tasks=None):
        """Choose (alpha, l2) by cross-validation on the training data, then refit on all of it.

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
        self.check()
        X, y, tasks = self.fit_inputs(X, y, tasks, dtype=np.float64)
        if len(y) < self.cv:
            n = len(y)
            raise ValueError(f"cv={self.cv} folds need at least {self.cv} samples, got {n} sample{'s' * (n != 1)}")
        seed = seed_of(self.random_state)
        folds = task_folds(y, tasks, self.cv, seed)
        l2s = sorted(self.l2s, reverse=True)
        choice = PENALTIES[self.penalty]
        alpha_max = self.alpha_max(X, y, tasks) if self.alphas is None and choice.alpha_max is not None else None
        paths = [
            np.sort(np.asarray(self.alphas, dtype=float))[::-1] if self.alphas is not None
            else choice.default_alphas(l2, alpha_max, self.n_alphas)
            for l2 in l2s
        ]
        scores = [np.zeros(len(path)) for path in paths]
        for fold in range(self.cv):
            train, valid = folds != fold, folds == fold
            for l2, path, fold_scores in zip(l2s, paths, scores):
                model = self.base(l2=l2, warm_start=True)
                for k, alpha in enumerate(path):
                    model.set_params(alpha=alpha).fit(X[train], y[train], tasks[train])
                    fold_scores[k] += self.validation_score(model, X[valid], y[valid], tasks[valid]) / self.cv
        best = max(
            ((s, -i, -k) for i, fold_scores in enumerate(scores) for k, s in enumerate(fold_scores)),
        )
        i, k = -best[1], -best[2]
        self.l2_, self.alpha_ = float(l2s[i]), float(paths[i][k])
        self.cv_results_ = [
            {"l2": float(l2), "alpha": float(alpha), f"mean_validation_{self.scoring}": float(s)}
            for l2, path, fold_scores in zip(l2s, paths, scores)
            for alpha, s in zip(path, fold_scores)
        ]
        self.selected_params_ = {"alpha": self.alpha_, "l2": self.l2_}
        self.best_estimator_ = self.base(alpha=self.alpha_, l2=self.l2_).fit(X, y, tasks)
        self.tasks_, self.classes_ = self.best_estimator_.tasks_, self.best_estimator_.classes_
        self.coef_, self.intercept_ = self.best_estimator_.coef_, self.best_estimator_.intercept_
        self.n_iter_ = self.best_estimator_.n_iter_
        return self

    def alpha_max(self, X, y, tasks) -> float:
        """The smallest alpha where W = 0 is optimal, from the datafit's gradient at W = 0 (the
        largest feature-column norm for l21, the spectral norm for trace). It does not depend on l2."""
        return PENALTIES[self.penalty].alpha_max(self.base().gradient_at_zero(X, y, tasks))

    def validation_score(self, model, X, y, tasks) -> float:
        """Higher is better: minus the mean task loss, or the mean task accuracy."""
        if self.scoring == "loss":
            return -float(np.mean(list(model.task_losses(X, y, tasks).values())))
        return float(np.mean(list(per_task_accuracy(y, model.predict(X, tasks), tasks).values())))

    def decision_function(self, X, tasks=None):
        """The chosen model's ``decision_function``.

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
        return self.best_estimator_.decision_function(X, tasks)

    @available_if(lambda self: self.loss == "logistic")
    def predict_proba(self, X, tasks=None):
        """The chosen model's ``predict_proba`` (logistic loss only).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        proba : ndarray of shape (n_samples, max classes)
        """
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X, tasks)

    def predict(self, X, tasks=None):
        """The chosen model's ``predict``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X, tasks = self.predict_inputs(X, tasks, dtype=np.float64)
        return self.best_estimator_.predict(X, tasks)
