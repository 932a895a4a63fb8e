"""The multitask datafit: per-task mean losses over a shared weight matrix.

Samples of all columns (tasks, or (task, class) pairs) are stacked. With W of
shape (T, d) (row t is task t's weight vector w_t) and intercepts b (T,),

    f(W, b) = sum_t (1/n_t) sum_{i in t} loss(y_i (w_t . x_i + b_t)),   y_i in {-1, +1}.

The stacking is "lifted": row i of X is placed in the column block of its
task, Z[i, t_i * d + j] = X[i, j], so that the margins are one sparse
product ``Z @ vec(W)`` and the gradient one transposed product
``Z.T @ r``: a pass over the nonzeros of X each, whatever T. Z may keep
only the columns of the (task, feature) pairs that occur in the data (the
support; ``StackedTasks.build``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit


class Logistic:
    """loss(z) = log(1 + exp(-z)); loss'' <= 1/4."""

    lipschitz = 0.25

    @staticmethod
    def value(z):
        return np.logaddexp(0.0, -z)

    @staticmethod
    def derivative(z):
        return -expit(-z)


class SquaredHinge:
    """loss(z) = max(0, 1 - z)^2; its derivative is 2-Lipschitz."""

    lipschitz = 2.0

    @staticmethod
    def value(z):
        return np.maximum(0.0, 1.0 - z) ** 2

    @staticmethod
    def derivative(z):
        return -2.0 * np.maximum(0.0, 1.0 - z)


class Squared:
    """loss(z) = (1 - z)^2 (least squares on +-1 targets)."""

    lipschitz = 2.0

    @staticmethod
    def value(z):
        return (1.0 - z) ** 2

    @staticmethod
    def derivative(z):
        return -2.0 * (1.0 - z)


LOSSES = {"logistic": Logistic, "squared_hinge": SquaredHinge, "squared": Squared}


@dataclass
class StackedTasks:
    """The lifted design of a multitask problem and its parameter layout (no loss: see MultiTaskDatafit).

    Z : (n, n_weights) CSR matrix, row i holding x_i in block ``column[i]``.
    y : (n,) labels in {-1, +1}.
    column : (n,) column (task) of each row.
    weight : (n,) 1 / n_t of the row's column.
    support : None, every weight W[t, j] is a parameter (n_weights = T * d);
        or the sorted lifted indices t * d + j of the weights kept: only the
        pairs where feature j occurs in column t's rows (``on_support``).
    """

    Z: sp.csr_matrix
    y: np.ndarray
    column: np.ndarray
    weight: np.ndarray
    n_columns: int
    n_features: int
    support: np.ndarray | None = None

    @classmethod
    def build(cls, X, y, column, n_columns: int, on_support: bool = False) -> "StackedTasks":
        """Lift X; with ``on_support``, keep only the weights of the (column, feature) pairs with data.

        The datafit does not depend on the other weights: a penalty whose
        minimum over them has a closed form (0 for none and l21, see
        ``MeanOnSupport`` for mean) gives a problem on the support alone with
        the same optimum, and the solver's vectors shrink to the nonzero
        pattern: on text, 9-23% of T * d for tasks of 5-200 posts.
        """
        X = sp.csr_matrix(X, dtype=np.float64)
        d = X.shape[1]
        column = np.asarray(column)
        index_dtype = np.int32 if n_columns * d < 2**31 else np.int64
        block_start = np.repeat((column * d).astype(index_dtype), np.diff(X.indptr))
        indices = X.indices.astype(index_dtype, copy=False) + block_start
        support, n_weights = None, n_columns * d
        if on_support:  # a mark per lifted column and a table of new positions: O(nnz + T d), no sort
            present = np.zeros(n_weights, dtype=bool)
            present[indices] = True
            support = np.flatnonzero(present).astype(index_dtype)
            position = np.cumsum(present, dtype=index_dtype) - 1
            indices, n_weights = position[indices], len(support)
        Z = sp.csr_matrix((X.data, indices, X.indptr.astype(index_dtype, copy=False)), shape=(X.shape[0], n_weights))
        counts = np.bincount(column, minlength=n_columns)
        return cls(Z, np.asarray(y, dtype=np.float64), column, 1.0 / counts[column], n_columns, d, support)

    @property
    def n_weights(self) -> int:
        return self.Z.shape[1]

    @property
    def n_params(self) -> int:
        return self.n_weights + self.n_columns

    @property
    def feature_of_weight(self) -> np.ndarray | None:
        """The feature j of each weight on the support (None without a support)."""
        return None if self.support is None else self.support % self.n_features

    def split(self, x):
        """Views (W, b) of a flat parameter vector: W of shape (T, d), or the 1-D weights on the support."""
        w, b = x[: self.n_weights], x[self.n_weights :]
        return (w.reshape(self.n_columns, self.n_features) if self.support is None else w), b

    def join(self, W, b):
        """The flat parameter vector of a (T, d) W and intercepts b."""
        W = np.ravel(W)
        return np.concatenate([W if self.support is None else W[self.support], b])

    def expand(self, W, off_support=None) -> np.ndarray:
        """The (T, d) matrix of the W part of ``split``; off the support, feature j's weights are
        ``off_support[j]`` (default 0)."""
        if self.support is None:
            return np.array(W).reshape(self.n_columns, self.n_features)
        full = np.zeros((self.n_columns, self.n_features))
        if off_support is not None:
            full[:] = off_support
        full.ravel()[self.support] = W
        return full

    def margins(self, x):
        """x_i . w_{t_i} + b_{t_i} for every row, x the flat (W, b)."""
        return self.Z @ x[: self.n_weights] + x[self.n_weights :][self.column]


class MultiTaskDatafit:
    """f(W, b) = sum_t (1/n_t) sum_{i in t} loss(y_i m_i) on a StackedTasks, m the margins.

    What the solvers need from a datafit: its ``value`` and ``gradient`` at
    given margins, and a ``lipschitz`` bound of the gradient.
    """

    def __init__(self, loss):
        self.loss = loss

    def value(self, data: StackedTasks, margins) -> float:
        return float(data.weight @ self.loss.value(data.y * margins))

    def gradient(self, data: StackedTasks, margins):
        """The flat gradient (dW, db) at the given margins: one pass over Z^T."""
        r = data.weight * data.y * self.loss.derivative(data.y * margins)
        return np.concatenate([data.Z.T @ r, np.bincount(data.column, weights=r, minlength=data.n_columns)])

    def lipschitz(self, data: StackedTasks) -> float:
        """An upper bound of the gradient's Lipschitz constant: L_loss * max_t mean_i (||x_i||^2 + 1)."""
        Z = data.Z
        squares = sp.csr_matrix((Z.data**2, Z.indices, Z.indptr), shape=Z.shape)
        sq_norms = squares @ np.ones(squares.shape[1]) + 1.0
        per_column = np.bincount(data.column, weights=data.weight * sq_norms, minlength=data.n_columns)
        return self.loss.lipschitz * float(per_column.max())
