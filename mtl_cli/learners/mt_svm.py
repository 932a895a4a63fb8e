"""The multi-task SVM of Evgeniou & Pontil (2004), solved exactly by one scikit-learn LinearSVC.

The mean-regularized multi-task SVM minimizes, over task weights w_t and
intercepts b_t, with y in {-1, +1} and n_t the samples of task t,

    F(W, b) = sum_t (1/n_t) sum_{i in t} loss(y_i (w_t . x_i + b_t))
              + (l2/2) sum_t ||w_t||^2 + (alpha/2) sum_t ||w_t - w_bar||^2

(loss the hinge max(0, 1 - z) or its square): the ``mean`` penalty of
``shared-w``. Feature augmentation turns it into one SVM: a sample x of
task t becomes phi(x, t) = (c x, x in block t, s e_t), and w_t = c u_0 + v_t,
b_t = s beta_t. LinearSVC minimizes (1/2)||theta||^2 + C sum_i s_i loss(.)
with per-sample weights s_i = 1/n_t; minimizing (1/2)(||u_0||^2 + sum
||v_t||^2) over the decompositions of W gives
(1/2)(sum ||w_t||^2 - c^2 / (1 + T c^2) ||sum_t w_t||^2), which times 1/C is
the mean penalty exactly when 1/C = l2 + alpha and c^2 = alpha / (T l2).
The intercepts carry the penalty (l2 + alpha) b_t^2 / (2 s^2), made
negligible by ``intercept_scaling`` s. liblinear's dual coordinate descent
solves it to ``tol``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..optim.datafits import StackedTasks
from ..registry import LEARNERS
from ..validation import check_choice, check_number
from .base import BaseMultiTaskClassifier


@LEARNERS.register("mt-svm")
class MultiTaskSVC(BaseMultiTaskClassifier):
    """The exact multi-task SVM of Evgeniou & Pontil (2004): mean-regularized tasks, one LinearSVC.

    Binary tasks; a task's positive class is the larger of its two labels.

    Parameters
    ----------
    loss : {"hinge", "squared_hinge"}, default="hinge"
    alpha : float, default=1.0
        Coupling strength: how strongly each w_t is pulled to the mean of the tasks' weights.
    l2 : float, default=0.01
        Ridge strength (> 0).
    intercept_scaling : float, default=10.0
        s above: the per-task intercepts' penalty shrinks as 1/s^2, but a
        large s slows liblinear's coordinate descent (100 can take 10^5 passes).
    tol : float, default=0.0001
        liblinear's stopping tolerance.
    max_iter : int, default=100000
    random_state : int, RandomState instance or None, default=None
        Seed of liblinear's coordinate order.
    """

    def __init__(self, loss="hinge", alpha=1.0, l2=0.01, intercept_scaling=10.0, tol=1e-4, max_iter=100000,
                 random_state=None):
        self.loss = loss
        self.alpha = alpha
        self.l2 = l2
        self.intercept_scaling = intercept_scaling
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def check(self) -> None:
        owner = type(self).__name__
        check_choice(owner, "loss", self.loss, ("hinge", "squared_hinge"))
        check_number(owner, "alpha", self.alpha, low=0)
        check_number(owner, "l2", self.l2, low=0, low_open=True)
        check_number(owner, "intercept_scaling", self.intercept_scaling, low=0, low_open=True)
        check_number(owner, "tol", self.tol, low=0, low_open=True)
        check_number(owner, "max_iter", self.max_iter, low=1, integer=True)

    def fit(self, X, y, tasks=None):
        """Fit every task's w_t and b_t by one LinearSVC on the augmented samples.

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
        from sklearn.svm import LinearSVC

        self.check()
        X, y, tasks = self.fit_inputs(X, y, tasks, dtype=np.float64)
        self.remember_tasks(y, tasks)
        if any(len(classes) > 2 for classes in self.classes_):
            widest = max(self.classes_, key=len)
            raise ValueError(f"Only binary classification is supported: {type(self).__name__} takes binary "
                             f"tasks; a task has classes {widest}")
        index = np.searchsorted(self.tasks_, tasks)
        positive = np.array([classes[-1] for classes in self.classes_], dtype=object)
        signs = np.where(y == positive[index], 1.0, -1.0)
        T, d = len(self.tasks_), X.shape[1]
        shared = np.sqrt(self.alpha / (T * self.l2))
        lifted = StackedTasks.build(X, signs, index, T).Z
        indicator = sp.csr_matrix((np.full(len(y), self.intercept_scaling), (np.arange(len(y)), index)),
                                  shape=(len(y), T))
        Z = sp.hstack([shared * sp.csr_matrix(X), lifted, indicator], format="csr")
        svm = LinearSVC(C=1.0 / (self.l2 + self.alpha), loss=self.loss, fit_intercept=False, tol=self.tol,
                        max_iter=self.max_iter, random_state=self.random_state, dual=True)
        counts = np.bincount(index, minlength=T)
        svm.fit(Z, signs, sample_weight=1.0 / counts[index])
        theta = svm.coef_.ravel()
        u0, V, beta = theta[:d], theta[d:d + T * d].reshape(T, d), theta[d + T * d:]
        self.coef_ = shared * u0 + V
        self.intercept_ = self.intercept_scaling * beta
        self.n_iter_ = int(np.max(svm.n_iter_))
        return self

    def decision_function(self, X, tasks=None):
        """w_t . x + b_t of each sample for its own task.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        X, tasks = self.predict_inputs(X, tasks, dtype=np.float64)
        index = np.searchsorted(self.tasks_, tasks)
        scores = X @ self.coef_.T
        scores = np.asarray(scores.toarray() if sp.issparse(scores) else scores)
        return scores[np.arange(X.shape[0]), index] + self.intercept_[index]

    def predict(self, X, tasks=None):
        """The class of each sample: its task's positive class where the score is > 0.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        tasks : array-like of shape (n_samples,), default=None
            The task id of each sample; None is allowed for a model of one task.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X, tasks)
        index = np.searchsorted(self.tasks_, self.check_tasks(tasks, len(scores)))
        predictions = np.empty(len(scores), dtype=object)
        for k in np.unique(index):
            rows, classes = index == k, self.classes_[k]
            predictions[rows] = np.where(scores[rows] > 0, classes[-1], classes[0])
        return np.array(predictions.tolist())
