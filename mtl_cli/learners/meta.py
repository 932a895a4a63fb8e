"""Meta-learned learners: learn from many training tasks how to learn a new one from few examples.

Each has ``meta_fit(X, y, tasks=None, validation=None)``, which learns from
the training tasks (``tasks`` None: the classes of ``y`` are the units, as in
class-disjoint episodes), choosing its meta-hyperparameters on
``validation`` (an EpisodicValidation, never meta-test data), and
``adapt(X_support, y_support)``, which returns a fitted classifier with
``predict``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.base import BaseEstimator
from sklearn.utils.extmath import safe_sparse_dot

from ..data.base import stable_hash
from ..errors import FeatureShapeError
from ..optim.transport import balanced_assignment
from ..registry import LEARNERS
from ..validation import check_bool, check_choice, check_number, check_numbers
from .base import seed_of

PROJECTIONS = ("none", "lsa")
METRICS = ("cosine", "within-class")


def unit_rows(Z):
    """Rows scaled to unit Euclidean length (sparse stays sparse)."""
    from sklearn.preprocessing import normalize

    return normalize(Z) if sp.issparse(Z) else normalize(np.asarray(Z))


def dense(Z) -> np.ndarray:
    """Z as a numpy array (sparse rows densified)."""
    return Z.toarray() if sp.issparse(Z) else np.asarray(Z)


def class_means(Z, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted classes, each row's class position, the mean row of each class) of rows Z labelled y."""
    classes, labels = np.unique(y, return_inverse=True)
    means = np.vstack([np.asarray(Z[labels == c].mean(axis=0)) for c in range(len(classes))])
    return classes, labels, means


class Projection:
    """Identity, or LSA (TruncatedSVD) fitted on the meta-training documents."""

    def __init__(self, kind: str, n_components: int, seed: int):
        self.kind, self.n_components, self.seed = kind, n_components, seed
        self.svd = None

    def fit(self, X):
        if self.kind == "lsa":
            from sklearn.decomposition import TruncatedSVD

            self.svd = TruncatedSVD(min(self.n_components, min(X.shape) - 1), random_state=self.seed).fit(X)
        return self

    def __call__(self, X):
        return X if self.svd is None else unit_rows(self.svd.transform(X))


class UnitRows:
    """A projection followed by scaling each row to unit length."""

    def __init__(self, project):
        self.project = project

    def __call__(self, X):
        return unit_rows(self.project(X))


class Subspace:
    """Projection onto the first columns of a learned basis, rows then scaled to unit length."""

    def __init__(self, basis):
        self.basis = basis

    def __call__(self, X):
        return unit_rows(safe_sparse_dot(X, self.basis))


class Centered:
    """A projection, rows scaled to unit length, then the mean unit row m of the meta-train documents subtracted."""

    def __init__(self, project, mean):
        self.project, self.mean = project, mean

    def __call__(self, X):
        return dense(unit_rows(self.project(X))) - self.mean


class Whitened:
    """A projection, rows scaled to unit length, then mapped by the symmetric matrix M."""

    def __init__(self, project, M):
        self.project, self.M = project, M

    def __call__(self, X):
        return unit_rows(self.project(X)) @ self.M


MAX_DENSE_MAP_DIMENSIONS = 2048  # the widest input a learned dense d x d map is made for (whitening, linear ProtoNet)


def within_class_spectrum(Z, groups) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues w and eigenvectors V (columns) of the within-class covariance of the rows of Z,
    S_w = (1/n) sum_i (z_i - m_g(i))(z_i - m_g(i))', m_g the mean row of row i's group."""
    Z = dense(Z).astype(float, copy=False)
    _, labels, means = class_means(Z, groups)
    residuals = Z - means[labels]
    w, V = np.linalg.eigh(residuals.T @ residuals / len(Z))
    return np.maximum(w, 0.0), V


def whitening(w, V, shrinkage: float) -> np.ndarray:
    """M = sqrt(mu) (S_w + mu I)^(-1/2) with mu = shrinkage * mean(w): S_w's directions scaled by
    sqrt(mu / (w_j + mu)), so that a large shrinkage leaves Z nearly as it is (M -> I)."""
    mu = shrinkage * max(w.mean(), 1e-12)
    return (V * np.sqrt(mu / (w + mu))) @ V.T


def group_of(y, tasks=None) -> np.ndarray:
    """The class of each sample: its label, or (with training tasks) its (task, label) pair."""
    y = np.asarray(y)
    if tasks is None:
        return y
    return np.unique(np.stack([np.unique(tasks, return_inverse=True)[1], np.unique(y, return_inverse=True)[1]]),
                     axis=1, return_inverse=True)[1].ravel()


def query_shares(scores, temperature: float, balanced: bool = False) -> np.ndarray:
    """r (queries x classes), each row a query's shares of the classes, summing to 1: softmax_c(temperature
    s_qc), or with ``balanced`` the plan that gives each class an equal share of the queries
    (``optim.transport``). Balanced only with at least as many queries as classes: with fewer, an equal
    share is under one query and every balanced row is uniform, so the softmax is used."""
    if balanced and scores.shape[0] >= scores.shape[1]:
        return balanced_assignment(scores, temperature)
    return softmax(temperature * scores, axis=1)


class LinearScores:
    """A fitted few-shot classifier: argmax_c of (project(X) @ W + b)[:, c], with its classes."""

    def __init__(self, project, W, b, classes):
        self.project, self.W, self.b, self.classes = project, W, b, classes

    def decision_function(self, X):
        return np.asarray(safe_sparse_dot(self.project(X), self.W)) + self.b

    def predict(self, X):
        return self.classes[np.argmax(self.decision_function(X), axis=1)]


class BalancedScores(LinearScores):
    """Cosine scores whose predictions assign the rows of X jointly, each class an equal share of them:
    argmax_c of their balanced ``query_shares`` at ``temperature`` (with fewer rows than classes, of
    the softmax: the argmax of the scores). Made for the queries of one episode, whose classes are
    equally represented."""

    def __init__(self, project, W, b, classes, temperature):
        super().__init__(project, W, b, classes)
        self.temperature = temperature

    def predict(self, X):
        return self.classes[np.argmax(query_shares(self.decision_function(X), self.temperature, True), axis=1)]


class MetaLearner(BaseEstimator):
    """Base: a learner that is meta-fitted once, then adapted to each new task."""

    kind = "meta"

    # the ranges of the parameters meta-learners share: (name, low, low_open, integer); lists hold candidates
    SCALARS = (("n_components", 1, False, True), ("meta_l2", 0, False, False), ("n_meta_tasks", 1, False, True),
               ("inner_steps", 1, False, True), ("meta_lr", 0, True, False), ("n_meta_iterations", 1, False, True),
               ("refine_steps", 1, False, True))
    LISTS = (("l2s", 0, True, False), ("ranks", 1, False, True), ("inner_lrs", 0, True, False),
             ("temperatures", 0, True, False), ("shrinkages", 0, True, False))

    def check(self) -> None:
        """Validate the parameters this learner has; ValueError names the parameter and the value given."""
        owner = type(self).__name__
        params = self.get_params()
        if "projection" in params:
            check_choice(owner, "projection", self.projection, PROJECTIONS)
        for flag in ("transductive", "center", "balanced"):
            if flag in params:
                check_bool(owner, flag, params[flag])
        if "metric" in params:
            check_choice(owner, "metric", self.metric, METRICS)
        for name, low, low_open, integer in self.SCALARS:
            if name in params:
                check_number(owner, name, params[name], low=low, low_open=low_open, integer=integer)
        for name, low, low_open, integer in self.LISTS:
            if name in params:
                check_numbers(owner, name, params[name], low=low, low_open=low_open, integer=integer)

    def meta_fit(self, X, y, tasks=None, validation=None):
        """Learn from the training tasks (or classes) how to learn a new one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        tasks : array-like of shape (n_samples,), default=None
            The training task of each sample; None: the samples are classes
            to draw episodes from (the episodic protocol).
        validation : object with ``score(adapt)``, ``n_way`` and ``k_shot``, default=None
            Episodes or tasks on which meta-hyperparameters are chosen.

        Returns
        -------
        self : object
        """
        raise NotImplementedError

    def adapt(self, X_support, y_support, X_query=None):
        """A classifier for a new task, fitted from its few labelled samples.

        Parameters
        ----------
        X_support : {array-like, sparse matrix} of shape (n_support, n_features)
        y_support : array-like of shape (n_support,)
        X_query : {array-like, sparse matrix} of shape (n_query, n_features), default=None
            The episode's unlabelled queries, used only by a learner with ``transductive: true``.

        Returns
        -------
        classifier : object with ``predict(X)``
        """
        raise NotImplementedError

    def seed(self) -> int:
        """The integer seed of ``random_state``, with scikit-learn's meaning (None: a fresh one)."""
        return seed_of(self.random_state)

    def fit_projection(self, X):
        self.projection_ = Projection(
            getattr(self, "projection", "none"), getattr(self, "n_components", 200), self.seed()
        ).fit(X)
        return self.projection_

    def choose(self, name: str, candidates, validation, adapt, tolerance: float = 0.005, with_queries: bool = False):
        """Pick a meta-hyperparameter on the validation episodes (or tasks).

        ``candidates`` come in order of preference, the most conservative
        first (strongest regularization, smallest step); the first whose mean
        validation accuracy is within ``tolerance`` of the best wins, so a
        near-tie on a few validation tasks does not pick an unstable value.
        A score of nan (nothing to score) never wins; with no score at all,
        the first candidate does. ``with_queries``: ``adapt`` also takes the
        unlabelled queries (transductive).
        """
        candidates = list(candidates)
        chosen = candidates[0]
        if validation is not None and len(candidates) > 1:
            scores = [validation.score(lambda Xs, ys, *queries, v=v: adapt(Xs, ys, v, *queries), with_queries)
                      for v in candidates]
            self.validation_scores_ = getattr(self, "validation_scores_", {}) | {
                name: dict(zip(map(float, candidates), scores))
            }
            scored = [score for score in scores if np.isfinite(score)]  # nan: nothing was scored
            if scored:
                chosen = next(v for v, score in zip(candidates, scores) if score >= max(scored) - tolerance)
        self.selected_params_ = getattr(self, "selected_params_", {}) | {name: float(chosen)}
        return chosen


def ridge_head(Z, y, l2, offset=None, signed=False, targets=None):
    """Closed-form ridge on one-hot targets, in dual form (n_support << d): W = h + Z^T (Z Z^T + l2 I)^{-1} (Y - Z h).

    A constant feature gives each class a bias; h (``offset``) defaults to 0.
    ``signed``: one column of +-1 targets for labels {0, 1} instead.
    ``targets``: the (n, classes) matrix Y itself (soft labels), its classes those of ``y``.
    Returns (W of shape (d, n_columns), b, classes).
    """
    classes, labels = np.unique(y, return_inverse=True)
    Y = (2.0 * labels - 1.0)[:, None] if signed else np.eye(len(classes))[labels]
    if targets is not None:
        Y = targets
    if offset is not None:
        Y = Y - np.asarray(safe_sparse_dot(Z, offset))[:, None]
    K = np.asarray(safe_sparse_dot(Z, Z.T, dense_output=True)) + 1.0  # + 1: the constant feature
    alpha = np.linalg.solve(K + l2 * np.eye(len(K)), Y)
    W = np.asarray(safe_sparse_dot(Z.T, alpha))
    if offset is not None:
        W = W + offset[:, None]
    return W, alpha.sum(axis=0), classes


@LEARNERS.register("prototypes")
class Prototypes(MetaLearner):
    """Nearest class centroid by cosine similarity; optionally in an LSA space fitted on meta-train documents.

    Each support document is scaled to unit length, each class's centroid
    is their mean (then unit length), and a query goes to the class of the
    most similar centroid.

    Metric learned on the meta-train classes (``metric: within-class``):
    before the cosine, unit rows z are mapped to (S_w + mu I)^(-1/2) z, where
    S_w is the within-class covariance of the meta-train documents (held-out
    tasks: of each task's classes) and mu = shrinkage x the mean eigenvalue
    of S_w: directions along which documents of one class vary count less
    (nearest centroid with a shared, shrunk Mahalanobis metric, a closed-form
    linear ProtoNet). The shrinkage is chosen on meta-validation episodes,
    largest (nearest to plain cosine) first; inputs of more than 2,048
    dimensions need ``projection: lsa``.

    Centered (``center: true``): the mean m of the meta-train documents (unit
    rows) is subtracted before the metric and the cosine, z -> z - m, so that
    the cosine measures directions around the data's centre rather than
    around the origin, where every document shares m's direction
    (SimpleShot's CL2N, Wang et al., 2019). Same input bound as the metric.

    Transductive (``transductive: true``, episodes only): the episode's
    unlabelled query documents refine the centroids by ``refine_steps`` soft
    k-means steps (Ren et al., 2018): with s_qc the cosine of query q and
    centroid c and r_qc = softmax_c(temperature s_qc), each centroid becomes
    the unit-length mean of its support documents and of every query weighted
    by r_qc. The temperature is chosen on meta-validation episodes. Query
    labels are never seen; results are marked ``inference: transductive``.
    A ``refine_rate`` rho < 1 damps each step: c <- unit((1 - rho) c + rho c'),
    c' the centroid above.

    Balanced (``balanced: true``, with ``transductive: true``): r is instead
    the entropic optimal-transport plan that gives each class an equal share
    of the queries (``optim.transport``: rows sum to 1, columns to n_q / N;
    Sinkhorn's iterations, as in PT-MAP, Hu et al., 2021), and each query's
    prediction is the class of its largest share in the plan of the refined
    centroids. Only right when the episode's queries are balanced across its
    classes, as in the standard episodes here; on imbalanced queries it
    misassigns (Veilleux et al., 2021). With fewer queries than classes
    there is no balance to keep, and the plain shares and scores are used.

    Parameters
    ----------
    projection : {"none", "lsa"}, default="none"
        LSA (TruncatedSVD) fitted on the meta-training documents, or none.
    n_components : int, default=200
        Dimensions of the LSA projection.
    metric : {"cosine", "within-class"}, default="cosine"
        Cosine of the (projected) documents, or after the within-class whitening learned on meta-train.
    center : bool, default=False
        Subtract the meta-train documents' mean unit row before the metric and the cosine.
    shrinkages : list of float, default=(10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
        Candidate shrinkages of the within-class metric, chosen on meta-validation.
    transductive : bool, default=False
        Refine the centroids with the episode's unlabelled queries.
    temperatures : list of float, default=(1.0, 5.0, 10.0, 20.0, 40.0)
        Candidate softmax temperatures of the refinement, chosen on meta-validation.
    refine_steps : int, default=3
        Soft k-means steps.
    refine_rate : float in (0, 1], default=1.0
        The step rho of each refinement (1: the new centroid replaces the old).
    balanced : bool, default=False
        Assign the queries to the classes in equal shares (needs ``transductive: true``).
    random_state : int, RandomState instance or None, default=None
        Seed of what is drawn at random (None: a fresh seed).
    """

    def __init__(self, projection="none", n_components=200, metric="cosine", center=False,
                 shrinkages=(10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001), transductive=False,
                 temperatures=(1.0, 5.0, 10.0, 20.0, 40.0), refine_steps=3, refine_rate=1.0, balanced=False,
                 random_state=None):
        self.projection = projection
        self.n_components = n_components
        self.metric = metric
        self.center = center
        self.shrinkages = shrinkages
        self.transductive = transductive
        self.temperatures = temperatures
        self.refine_steps = refine_steps
        self.refine_rate = refine_rate
        self.balanced = balanced
        self.random_state = random_state

    def check(self) -> None:
        super().check()
        check_number(type(self).__name__, "refine_rate", self.refine_rate, low=0, high=1, low_open=True)
        if self.balanced and not self.transductive:
            raise ValueError("The 'balanced' parameter of Prototypes needs 'transductive: true' (it assigns the "
                             "episode's unlabelled queries).")

    def meta_fit(self, X, y, tasks=None, validation=None):
        self.check()
        base = self.fit_projection(X)
        if self.center or self.metric == "within-class":
            Z = self.dense_unit_rows(base, X)
            if self.center:
                self.projection_ = Centered(base, Z.mean(axis=0))
                Z = unit_rows(Z - self.projection_.mean)
            if self.metric == "within-class":
                self.fit_metric(Z, y, tasks, validation)
        if self.transductive:
            self.temperature_ = self.choose("temperature", sorted(self.temperatures), validation, self.head,
                                            with_queries=True)
        return self

    def dense_unit_rows(self, base: Projection, X) -> np.ndarray:
        """base(X) with unit rows, dense; FeatureShapeError for inputs too wide for a dense centering or metric."""
        width = X.shape[1] if base.svd is None else base.svd.components_.shape[0]
        if width > MAX_DENSE_MAP_DIMENSIONS:
            option = "metric 'within-class'" if self.metric == "within-class" else "center: true"
            raise FeatureShapeError(f"prototypes: {option} on {width} input dimensions; use "
                                    f"'projection: lsa' (at most {MAX_DENSE_MAP_DIMENSIONS} dimensions)")
        return dense(unit_rows(base(X)))

    def fit_metric(self, Z, y, tasks, validation) -> None:
        """Learn S_w on the meta-train documents Z (projected, unit rows) and choose the shrinkage on
        meta-validation (inductively)."""
        base = self.projection_
        w, V = within_class_spectrum(Z, group_of(y, tasks))
        metrics = {float(s): Whitened(base, whitening(w, V, s)) for s in self.shrinkages}
        self.shrinkage_ = self.choose("shrinkage", sorted(self.shrinkages, reverse=True), validation,
                                      lambda Xs, ys, s: self.head(Xs, ys, 1.0, project=metrics[float(s)]))
        self.projection_ = metrics[float(self.shrinkage_)]

    def head(self, X_support, y_support, temperature, X_query=None, project=None):
        project = self.projection_ if project is None else project
        Z = unit_rows(project(X_support))
        classes, labels, means = class_means(Z, y_support)
        centroids = unit_rows(means)
        if X_query is not None and X_query.shape[0]:
            counts = np.bincount(labels, minlength=len(classes))[:, None].astype(float)
            sums = means * counts
            Q = dense(unit_rows(project(X_query)))  # sparse without a projection
            for _ in range(self.refine_steps):
                weights = query_shares(np.asarray(safe_sparse_dot(Q, centroids.T)), temperature, self.balanced)
                refined = unit_rows((sums + weights.T @ Q) / (counts + weights.sum(axis=0)[:, None]))
                rate = self.refine_rate
                centroids = refined if rate == 1 else unit_rows((1 - rate) * centroids + rate * refined)
            if self.balanced:
                return BalancedScores(UnitRows(project), centroids.T, 0.0, classes, temperature)
        return LinearScores(UnitRows(project), np.asarray(centroids).T, 0.0, classes)

    def adapt(self, X_support, y_support, X_query=None):
        if not self.transductive:
            X_query = None
        return self.head(X_support, y_support, getattr(self, "temperature_", 1.0), X_query)


@LEARNERS.register("ridge-head")
class RidgeHead(MetaLearner):
    """Closed-form ridge regression head on the support set, one-hot targets (Bertinetto et al., 2019).

    The regularization is meta-learned: the value of ``l2s`` with the best
    accuracy on meta-validation episodes. (Its scale only matters for a
    loss, not for the argmax, so it is not learned here.)

    Transductive (``transductive: true``, episodes only): ``refine_steps``
    times, the head scores the episode's unlabelled queries, turns the scores
    into soft labels r_qc = softmax_c(temperature s_qc), and is refitted on
    the support (one-hot) and the queries (soft labels) together. The
    temperature is chosen on meta-validation episodes after l2. Query labels
    are never seen; results are marked ``inference: transductive``.

    Parameters
    ----------
    l2s : list of float, default=(0.01, 0.1, 1.0, 10.0, 100.0)
        Candidate ridge strengths, chosen on meta-validation.
    projection : {"none", "lsa"}, default="none"
        LSA (TruncatedSVD) fitted on the meta-training documents, or none.
    n_components : int, default=200
        Dimensions of the LSA projection.
    transductive : bool, default=False
        Refit the head with the episode's unlabelled queries and their soft labels.
    temperatures : list of float, default=(1.0, 5.0, 10.0, 20.0)
        Candidate softmax temperatures, chosen on meta-validation.
    refine_steps : int, default=3
    random_state : int, RandomState instance or None, default=None
        Seed of what is drawn at random (None: a fresh seed).
    """

    def __init__(self, l2s=(0.01, 0.1, 1.0, 10.0, 100.0), projection="none", n_components=200, transductive=False,
                 temperatures=(1.0, 5.0, 10.0, 20.0), refine_steps=3, random_state=None):
        self.l2s = l2s
        self.projection = projection
        self.n_components = n_components
        self.transductive = transductive
        self.temperatures = temperatures
        self.refine_steps = refine_steps
        self.random_state = random_state

    def head(self, X_support, y_support, l2):
        project = self.projection_
        W, b, classes = ridge_head(project(X_support), y_support, l2)
        return LinearScores(project, W, b, classes)

    def refined_head(self, X_support, y_support, temperature, X_query=None):
        """The head refitted ``refine_steps`` times on the support and the queries' soft labels."""
        head = self.head(X_support, y_support, self.l2_)
        if X_query is None or not X_query.shape[0]:
            return head
        project = self.projection_
        support, queries = project(X_support), project(X_query)  # dense after an LSA projection
        Z = sp.vstack([support, queries], format="csr") if sp.issparse(support) else np.vstack([support, queries])
        onehot = np.eye(len(head.classes))[np.searchsorted(head.classes, y_support)]
        for _ in range(self.refine_steps):
            soft = query_shares(head.decision_function(X_query), temperature)
            W, b, classes = ridge_head(Z, y_support, self.l2_, targets=np.vstack([onehot, soft]))
            head = LinearScores(project, W, b, classes)
        return head

    def meta_fit(self, X, y, tasks=None, validation=None):
        self.check()
        self.fit_projection(X)
        self.l2_ = self.choose("l2", sorted(self.l2s, reverse=True), validation, self.head)
        if self.transductive:
            self.temperature_ = self.choose("temperature", sorted(self.temperatures), validation, self.refined_head,
                                            with_queries=True)
        return self

    def adapt(self, X_support, y_support, X_query=None):
        if not self.transductive:
            return self.head(X_support, y_support, self.l2_)
        return self.refined_head(X_support, y_support, getattr(self, "temperature_", 1.0), X_query)


class ThenLinear:
    """A projection, its rows at unit length, then a linear map: x -> unit(project(x)) @ A."""

    def __init__(self, project, A):
        self.project, self.A = project, A

    def __call__(self, X):
        return np.asarray(safe_sparse_dot(unit_rows(self.project(X)), self.A))


class EpisodeBatch:
    """Training episodes stacked for one vectorized loss: support rows, query rows, and index maps.

    Episode e has classes e*N .. e*N+N-1 (prototype ids); ``average`` maps
    support rows to their class means, ``query_protos[q]`` lists the N
    prototype ids query q is scored against, ``query_labels[q]`` its class
    among them, and ``scatter`` sums per-(query, class) rows into prototypes.
    """

    def __init__(self, Z, y, tasks, n_way, k_shot, n_query, n_episodes, rng):
        support, protos, query, query_labels, query_episodes = [], [], [], [], []
        n_kept = 0
        for _ in range(n_episodes):
            index, labels = draw_training_task(rng, y, tasks, n_way, k_shot + n_query)
            split = [index[labels == k] for k in range(n_way)]
            if labels.max() + 1 != n_way or any(len(rows) <= k_shot for rows in split):
                continue  # a training task with other classes, or too few documents for queries
            for k, rows in enumerate(split):
                support.append(rows[:k_shot])
                protos.append(np.full(k_shot, n_kept * n_way + k))
                query.append(rows[k_shot:])
                query_labels.append(np.full(len(rows) - k_shot, k))
                query_episodes.append(np.full(len(rows) - k_shot, n_kept))
            n_kept += 1
        if not n_kept:
            raise ValueError(f"no {n_way}-way training episode with {k_shot} support and 1 query per class")
        support, protos = np.concatenate(support), np.concatenate(protos)
        self.X_support, self.X_query = Z[support], Z[np.concatenate(query)]
        self.query_labels = np.concatenate(query_labels)
        n_protos, n_queries = n_kept * n_way, len(self.query_labels)
        self.average = sp.csr_matrix((np.full(len(protos), 1.0 / k_shot), (protos, np.arange(len(protos)))),
                                     shape=(n_protos, len(protos)))
        self.query_protos = np.concatenate(query_episodes)[:, None] * n_way + np.arange(n_way)
        self.scatter = sp.csr_matrix((np.ones(n_queries * n_way), (self.query_protos.ravel(),
                                      np.arange(n_queries * n_way))), shape=(n_protos, n_queries * n_way))

    def loss_and_gradient(self, A, temperature):
        """Mean cross-entropy of the queries' softmax over -(t/2) ||A'x_q - c_k||^2, and its gradient in A."""
        Zs, Zq = np.asarray(safe_sparse_dot(self.X_support, A)), np.asarray(safe_sparse_dot(self.X_query, A))
        C = self.average @ Zs
        Cq = C[self.query_protos]  # (queries, N, r)
        differences = Zq[:, None, :] - Cq
        P = softmax(-0.5 * temperature * np.einsum("qkr,qkr->qk", differences, differences), axis=1)
        n = len(self.query_labels)
        loss = -np.mean(np.log(P[np.arange(n), self.query_labels] + 1e-300))
        R = P  # d loss / d logits = (P - Y) / n, and d logits_qk = -t (z_q - c_k) . (dz_q - dc_k)
        R[np.arange(n), self.query_labels] -= 1.0
        R *= temperature / n
        dZq = -np.einsum("qk,qkr->qr", R, differences)
        dC = self.scatter @ (R[:, :, None] * differences).reshape(-1, A.shape[1])
        dZs = self.average.T @ dC
        gradient = safe_sparse_dot(self.X_support.T, dZs) + safe_sparse_dot(self.X_query.T, dZq)
        return loss, np.asarray(gradient)


@LEARNERS.register("linear-protonet")
class LinearProtoNet(MetaLearner):
    """Prototypical networks with a linear embedding (Snell et al., 2017), trained episodically with L-BFGS.

    Documents x (rows at unit length) map to z = A'x; a class's prototype
    is the mean z of its support documents, and a query's class
    probabilities are softmax_k(-(t/2) ||z_q - c_k||^2). A (d x r) minimizes
    the mean query cross-entropy over ``n_meta_tasks`` N-way K-shot
    training episodes of the meta-train classes (N, K those of the
    evaluation episodes, ``n_query`` queries per class) plus
    (l2/2) ||A - A0||_F^2, where A0 holds the top r right singular vectors
    of the meta-train documents (with r = d, A0 is a rotation: A = A0 is
    nearest prototype by Euclidean distance, no meta-learning). l2 is chosen
    on meta-validation episodes, strongest first.

    Parameters
    ----------
    rank : int or None, default=None
        Columns r of A; None: the input dimension (at most 2048).
    temperature : float, default=10.0
        t, the scale of the squared distances.
    l2s : list of float, default=(1.0, 0.1, 0.01)
        Candidate strengths of the pull toward A0, chosen on meta-validation.
    n_meta_tasks : int, default=100
        Training episodes drawn once from the meta-train classes.
    n_query : int, default=10
        Queries per class in each training episode.
    max_iter : int, default=50
        L-BFGS iterations per l2 (each warm-started from the previous one).
    projection : {"none", "lsa"}, default="none"
        LSA (TruncatedSVD) fitted on the meta-training documents, or none.
    n_components : int, default=200
        Dimensions of the LSA projection.
    random_state : int, RandomState instance or None, default=None
        Seed of what is drawn at random (None: a fresh seed).
    """

    MAX_FULL_RANK = MAX_DENSE_MAP_DIMENSIONS
    SCALARS = MetaLearner.SCALARS + (("temperature", 0, True, False), ("n_query", 1, False, True),
                                     ("max_iter", 1, False, True))

    def __init__(self, rank=None, temperature=10.0, l2s=(1.0, 0.1, 0.01), n_meta_tasks=100, n_query=10, max_iter=50,
                 projection="none", n_components=200, random_state=None):
        self.rank = rank
        self.temperature = temperature
        self.l2s = l2s
        self.n_meta_tasks = n_meta_tasks
        self.n_query = n_query
        self.max_iter = max_iter
        self.projection = projection
        self.n_components = n_components
        self.random_state = random_state

    def check(self):
        super().check()
        if self.rank is not None:
            check_number(type(self).__name__, "rank", self.rank, low=1, integer=True)

    def head(self, X_support, y_support, A=None):
        project = ThenLinear(self.projection_, self.A_ if A is None else A)
        classes, _, C = class_means(project(X_support), y_support)
        t = self.temperature
        return LinearScores(project, t * C.T, -0.5 * t * (C**2).sum(axis=1), classes)

    def meta_fit(self, X, y, tasks=None, validation=None):
        from scipy.optimize import minimize
        from sklearn.decomposition import TruncatedSVD

        self.check()
        Z = unit_rows(self.fit_projection(X)(X))
        d = Z.shape[1]
        if self.rank is None and d > self.MAX_FULL_RANK:
            raise FeatureShapeError(f"linear-protonet: {d} input dimensions; set 'rank' (columns of A) or "
                                    f"'projection: lsa' to learn a map of at most {self.MAX_FULL_RANK} columns")
        r = min(self.rank or d, d)
        if r == d:
            _, _, Vt = np.linalg.svd(dense(Z), full_matrices=True)
        else:
            Vt = TruncatedSVD(r, random_state=self.seed()).fit(Z).components_
        self.A0_ = Vt[:r].T.copy()
        n_way = validation.n_way if validation is not None else 5
        k_shot = validation.k_shot if validation is not None else 5
        rng = np.random.default_rng([self.seed(), stable_hash("linear-protonet")])
        batch = EpisodeBatch(Z, np.asarray(y), tasks, n_way, k_shot, self.n_query, self.n_meta_tasks, rng)
        self.maps_, A, self.losses_ = {}, self.A0_, {}
        for l2 in sorted(self.l2s, reverse=True):
            def objective(a, l2=l2):
                A = a.reshape(self.A0_.shape)
                loss, gradient = batch.loss_and_gradient(A, self.temperature)
                step = A - self.A0_
                return loss + 0.5 * l2 * np.sum(step**2), (gradient + l2 * step).ravel()

            result = minimize(objective, A.ravel(), jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
            A = result.x.reshape(self.A0_.shape)
            self.maps_[float(l2)], self.losses_[float(l2)] = A, float(result.fun)
        self.l2_ = self.choose("l2", sorted(self.l2s, reverse=True), validation,
                               lambda Xs, ys, l2: self.head(Xs, ys, self.maps_[float(l2)]))
        self.A_ = self.maps_[float(self.l2_)]
        del self.maps_
        return self

    def adapt(self, X_support, y_support):
        return self.head(X_support, y_support)


def training_task_weights(X, y, tasks, l2: float) -> np.ndarray:
    """One ridge solution per training task (rows): each task's +-1 targets, or each class vs the rest."""
    from sklearn.linear_model import Ridge

    if tasks is None:
        classes = np.unique(y)
        targets = np.stack([np.where(y == c, 1.0, -1.0) for c in classes], axis=1)
        return np.atleast_2d(Ridge(alpha=l2, fit_intercept=False, solver="sparse_cg").fit(X, targets).coef_)
    rows = []
    for t in np.unique(tasks):
        members = tasks == t
        labels = np.unique(y[members])
        target = np.where(y[members] == labels[-1], 1.0, -1.0)
        rows.append(Ridge(alpha=l2, fit_intercept=False, solver="sparse_cg").fit(X[members], target).coef_)
    return np.array(rows)


@LEARNERS.register("meta-bias")
class MetaBias(MetaLearner):
    """Learning around a common mean (Denevi et al., 2018): ridge on the support set toward a bias h.

    h is the mean of ridge solutions on the training tasks (with
    ``tasks`` None, of each meta-train class against the rest). A new task
    solves, per class c, min_w ||Z w - y_c||^2 + l2 ||w - h||^2 with one-hot
    y_c (binary tasks: one +-1 target, as h was learned); l2 is chosen on
    meta-validation. With h = 0 this is ``ridge-head``. In N-way episodes
    with new classes a shared h adds the same score to every class, so it
    cannot change the argmax; it matters for related tasks with consistent
    labels (held-out binary tasks).

    Parameters
    ----------
    l2s : list of float, default=(0.01, 0.1, 1.0, 10.0)
        Candidate ridge strengths toward h, chosen on meta-validation.
    meta_l2 : float, default=1.0
        Ridge strength of the training tasks' solutions that h averages.
    projection : {"none", "lsa"}, default="none"
        LSA (TruncatedSVD) fitted on the meta-training documents, or none.
    n_components : int, default=200
        Dimensions of the LSA projection.
    random_state : int, RandomState instance or None, default=None
        Seed of what is drawn at random (None: a fresh seed).
    """

    def __init__(self, l2s=(0.01, 0.1, 1.0, 10.0), meta_l2=1.0, projection="none", n_components=200, random_state=None):
        self.l2s = l2s
        self.meta_l2 = meta_l2
        self.projection = projection
        self.n_components = n_components
        self.random_state = random_state

    def head(self, X_support, y_support, l2):
        classes = np.unique(y_support)
        if len(classes) == 2:  # one +-1 regression toward h, as the training tasks were fitted
            labels = np.where(y_support == classes[1], 1, 0)
            W, b, _ = ridge_head(self.projection_(X_support), labels, l2, offset=self.bias_, signed=True)
            return LinearScores(self.projection_, np.hstack([-W, W]) / 2, np.array([-b, b]).ravel() / 2, classes)
        W, b, classes = ridge_head(self.projection_(X_support), y_support, l2, offset=self.bias_)
        return LinearScores(self.projection_, W, b, classes)

    def meta_fit(self, X, y, tasks=None, validation=None):
        self.check()
        Z = self.fit_projection(X)(X)
        self.bias_ = training_task_weights(Z, np.asarray(y), tasks, self.meta_l2).mean(axis=0)
        self.l2_ = self.choose("l2", sorted(self.l2s, reverse=True), validation, self.head)
        return self

    def adapt(self, X_support, y_support):
        return self.head(X_support, y_support, self.l2_)


@LEARNERS.register("meta-subspace")
class MetaSubspace(MetaLearner):
    """A shared low-dimensional representation B (d x rank) learned from training tasks; new tasks are fitted in it.

    B holds the top right singular vectors of the matrix whose rows are
    ridge solutions of many training tasks: ``n_meta_tasks`` N-way episodes
    drawn from the meta-train classes (one weight vector per class of each)
    when ``tasks`` is None, else one per given training task. A new task
    fits a ridge head on the support documents projected on B (unit length).
    The rank (from ``ranks``, smallest preferred) and then l2 are chosen on
    meta-validation.

    Parameters
    ----------
    ranks : list of int, default=(5, 10, 25, 50, 100)
        Candidate ranks of B, chosen on meta-validation.
    n_meta_tasks : int, default=100
        Training tasks drawn from the meta-train classes (episodic protocol).
    l2s : list of float, default=(0.001, 0.01, 0.1, 1.0, 10.0)
        Candidate ridge strengths of the head, chosen on meta-validation
        (their median while the rank is chosen).
    meta_l2 : float, default=0.1
        Ridge strength of the training tasks' solutions.
    random_state : int, RandomState instance or None, default=None
        Seed of what is drawn at random (None: a fresh seed).
    """

    def __init__(self, ranks=(5, 10, 25, 50, 100), n_meta_tasks=100, l2s=(0.001, 0.01, 0.1, 1.0, 10.0), meta_l2=0.1,
                 random_state=None):
        self.ranks = ranks
        self.n_meta_tasks = n_meta_tasks
        self.l2s = l2s
        self.meta_l2 = meta_l2
        self.random_state = random_state

    def head(self, X_support, y_support, l2):
        project = Subspace(self.basis_[:, : self.rank_])
        W, b, classes = ridge_head(project(X_support), y_support, l2)
        return LinearScores(project, W, b, classes)

    def head_of_rank(self, X_support, y_support, rank):
        self.rank_ = int(rank)
        return self.head(X_support, y_support, float(np.median(self.l2s)))

    def meta_fit(self, X, y, tasks=None, validation=None):
        y = np.asarray(y)
        if tasks is None:
            rng = np.random.default_rng([self.seed(), stable_hash("meta-subspace")])
            n_way = validation.n_way if validation is not None else min(5, len(np.unique(y)))
            k_shot = max(validation.k_shot if validation is not None else 5, 5)
            rows = []
            for _ in range(self.n_meta_tasks):
                index, labels = draw_training_task(rng, y, None, n_way, k_shot)
                W, _, _ = ridge_head(X[index], labels, self.meta_l2)
                rows.append(W.T)
            weights = np.vstack(rows)
        else:
            weights = training_task_weights(X, y, tasks, self.meta_l2)
        from sklearn.utils.extmath import randomized_svd

        ranks = sorted({min(r, *weights.shape) for r in self.ranks})
        _, _, Vt = randomized_svd(weights - weights.mean(axis=0), ranks[-1], random_state=0)
        self.basis_ = Vt.T
        self.rank_ = int(self.choose("rank", ranks, validation, self.head_of_rank))
        self.l2_ = self.choose("l2", sorted(self.l2s, reverse=True), validation, self.head)
        return self

    def adapt(self, X_support, y_support):
        return self.head(X_support, y_support, self.l2_)


def draw_training_task(rng, y, tasks, n_way: int, k_shot: int):
    """Rows and labels 0..N-1 of a training task's support set.

    With ``tasks`` None: N random classes in random label order (class-disjoint
    episodes). Else: a random given task, its labels in sorted order (tasks
    whose labels mean the same thing).
    """
    if tasks is None:
        chosen = rng.choice(np.unique(y), size=n_way, replace=False)
        members = [np.flatnonzero(y == c) for c in chosen]
    else:
        rows = np.flatnonzero(tasks == rng.choice(np.unique(tasks)))
        members = [rows[y[rows] == c] for c in np.unique(y[rows])]
    index = [rng.choice(m, size=min(k_shot, len(m)), replace=False) for m in members]
    return np.concatenate(index), np.concatenate([np.full(len(i), k) for k, i in enumerate(index)])


def softmax_steps(Z, labels, W, b, steps: int, lr: float):
    """``steps`` full-batch gradient steps of softmax cross-entropy from (W, b)."""
    Y = np.eye(W.shape[1])[labels]
    for _ in range(steps):
        P = softmax(np.asarray(safe_sparse_dot(Z, W)) + b, axis=1)
        G = (P - Y) / len(labels)
        W = W - lr * np.asarray(safe_sparse_dot(Z.T, G))
        b = b - lr * G.sum(axis=0)
    return W, b


@LEARNERS.register("reptile")
class Reptile(MetaLearner):
    """First-order meta-learning of a linear softmax model's initialization (Nichol et al., 2018).

    From the initialization (W0, b0), a task is learned by ``inner_steps``
    gradient steps of cross-entropy on its support set. Meta-training draws
    N-way K-shot episodes from the meta-train classes and moves the
    initialization toward each adapted solution:
    W0 <- W0 + meta_lr (W_adapted - W0). The inner learning rate is chosen
    on meta-validation.

    Parameters
    ----------
    inner_steps : int, default=10
        Gradient steps on a support set.
    inner_lrs : list of float, default=(0.5, 1.0, 5.0, 20.0, 50.0)
        Candidate inner learning rates, chosen on meta-validation (meta-training
        uses their median).
    meta_lr : float, default=0.5
        Step of the initialization toward each adapted solution.
    n_meta_iterations : int, default=300
        Meta-training episodes.
    projection : {"none", "lsa"}, default="none"
        LSA (TruncatedSVD) fitted on the meta-training documents, or none.
    n_components : int, default=200
        Dimensions of the LSA projection.
    random_state : int, RandomState instance or None, default=None
        Seed of what is drawn at random (None: a fresh seed).
    """

    def __init__(self, inner_steps=10, inner_lrs=(0.5, 1.0, 5.0, 20.0, 50.0), meta_lr=0.5, n_meta_iterations=300,
                 projection="none", n_components=200, random_state=None):
        self.inner_steps = inner_steps
        self.inner_lrs = inner_lrs
        self.meta_lr = meta_lr
        self.n_meta_iterations = n_meta_iterations
        self.projection = projection
        self.n_components = n_components
        self.random_state = random_state

    def head(self, X_support, y_support, lr):
        classes, labels = np.unique(y_support, return_inverse=True)
        W, b = softmax_steps(self.projection_(X_support), labels, self.init_[0], self.init_[1], self.inner_steps, lr)
        return LinearScores(self.projection_, W, b, classes)

    def meta_fit(self, X, y, tasks=None, validation=None):
        self.check()
        project = self.fit_projection(X)
        Z, y = project(X), np.asarray(y)
        n_way = validation.n_way if validation is not None else 5
        k_shot = validation.k_shot if validation is not None else 5
        rng = np.random.default_rng([self.seed(), stable_hash("reptile")])
        W0, b0 = np.zeros((Z.shape[1], n_way)), np.zeros(n_way)
        lr = float(np.median(self.inner_lrs))
        for _ in range(self.n_meta_iterations):
            index, labels = draw_training_task(rng, y, tasks, n_way, k_shot)
            W, b = softmax_steps(Z[index], labels, W0, b0, self.inner_steps, lr)
            W0, b0 = W0 + self.meta_lr * (W - W0), b0 + self.meta_lr * (b - b0)
        self.init_ = (W0, b0)
        self.inner_lr_ = self.choose("inner_lr", sorted(self.inner_lrs), validation, self.head)
        return self

    def adapt(self, X_support, y_support):
        return self.head(X_support, y_support, self.inner_lr_)
