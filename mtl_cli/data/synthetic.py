"""A seeded generator of related binary classification tasks with known shared structure."""

from __future__ import annotations

import numpy as np

from ..registry import DATASETS
from ..validation import check_number
from .base import Corpus, Part

STRUCTURES = ("mean", "sparse", "lowrank")


@DATASETS.register("synthetic")
class Synthetic:
    """Related binary tasks whose weight vectors share a known structure.

    Each task t has a weight vector w_t in R^d and labels
    y = 1[x . w_t / ||w_t|| + noise * e > 0], x ~ N(0, I_d), e ~ N(0, 1).

    - ``mean``: w_t = w_0 + task_spread * v_t, with w_0, v_t ~ N(0, I_d / d)
      (tasks close to a common mean; mean-regularized MTL's setting);
    - ``sparse``: w_t is supported on one shared set of ``n_informative``
      features (joint feature selection's setting);
    - ``lowrank``: w_t = U a_t with U in R^{d x rank} shared (trace norm's setting).

    Returns dense feature matrices and a task column; use ``split: by-column``
    and ``featurizer: none``.

    Parameters
    ----------
    n_tasks : int, default=10
    n_features : int, default=50
    n_train : int, default=200
        Training samples per task.
    n_test : int, default=500
        Test samples per task.
    structure : {"mean", "sparse", "lowrank"}, default="mean"
    task_spread : float, default=0.3
        How far the tasks lie from their common mean (``mean``).
    n_informative : int, default=5
        The shared support's size (``sparse``).
    rank : int, default=2
        The shared subspace's dimension (``lowrank``).
    noise : float, default=0.2
        Label noise: the scale of e.
    seed : int, default=0
    """

    def __init__(
        self,
        n_tasks=10,
        n_features=50,
        n_train=200,
        n_test=500,
        structure="mean",
        task_spread=0.3,
        n_informative=5,
        rank=2,
        noise=0.2,
        seed=0,
    ):
        self.n_tasks = n_tasks
        self.n_features = n_features
        self.n_train = n_train
        self.n_test = n_test
        self.structure = structure
        self.task_spread = task_spread
        self.n_informative = n_informative
        self.rank = rank
        self.noise = noise
        self.seed = seed

    gives = "matrix"

    def fingerprint(self) -> str:
        """Generated from its parameters, which are part of every cell's spec already."""
        return "generated"

    def check(self) -> None:
        if self.structure not in STRUCTURES:
            raise ValueError(f"'structure' must be one of {list(STRUCTURES)}, got {self.structure!r}")
        for key in ("n_tasks", "n_features", "n_train", "n_test", "n_informative", "rank"):
            value = getattr(self, key)
            check_number("synthetic", key, value, low=1, integer=True)
        for key in ("task_spread", "noise"):
            check_number("synthetic", key, getattr(self, key), low=0)
        check_number("synthetic", "seed", self.seed, low=0, high=2**32 - 1, integer=True)
        if self.n_tasks * (self.n_train + self.n_test) * self.n_features > 10**8:
            raise ValueError("n_tasks * (n_train + n_test) * n_features must be at most 1e8 (memory)")

    def weights(self, rng: np.random.Generator) -> np.ndarray:
        """The (T, d) matrix of true task weight vectors, one row per task (see ``mtl_cli.optim``).

        Drawn feature by feature (a (d, T) draw, transposed), so a seed gives the same tasks as ever.
        """
        d, T = self.n_features, self.n_tasks
        if self.structure == "mean":
            w0 = rng.standard_normal((d, 1))
            return (w0 + self.task_spread * rng.standard_normal((d, T))).T
        if self.structure == "sparse":
            W = np.zeros((d, T))
            support = rng.choice(d, size=min(self.n_informative, d), replace=False)
            W[support] = rng.standard_normal((len(support), T))
            return W.T
        U = rng.standard_normal((d, self.rank))
        return (U @ rng.standard_normal((self.rank, T))).T

    def load(self) -> Corpus:
        rng = np.random.default_rng(self.seed)
        W = self.weights(rng)
        W /= np.linalg.norm(W, axis=1, keepdims=True)
        parts = []
        for n in (self.n_train, self.n_test):
            X = rng.standard_normal((self.n_tasks * n, self.n_features))
            task = np.repeat(np.arange(self.n_tasks), n)
            margin = np.einsum("ij,ij->i", X, W[task])
            y = (margin + self.noise * rng.standard_normal(len(task)) > 0).astype(int)
            names = np.array([f"task-{t:02d}" for t in range(self.n_tasks)], dtype=object)
            parts.append(Part(X, y, names[task]))
        return Corpus("synthetic", parts[0], parts[1])
