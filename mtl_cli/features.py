"""Featurizers, and turning a (dataset, split, seed, size) into task matrices.

A featurizer is fitted on the labelled training samples of one grid point
(or, with ``fit_on: train-pool``, on every train-part sample, unlabelled),
never on test samples; its output is cached on content by ``prepare``, so a
grid of many learners featurizes once. What can be shared across grid points
comes through a ``Workspace``: text vectorizers select columns of the
corpus's token counts (``tokens``), sentence embeddings are cached per text
(``embeddings``).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .errors import DataError, first_line
from .hashing import content_keys
from .registry import FEATURIZERS, check_keys, init_parameters
from .validation import check_number


FIT_ON = ("labelled", "train-pool")


def fit_on_of(params: dict) -> tuple[str, dict]:
    """(``fit_on``, the featurizer's own parameters): ``labelled`` fits it on the grid point's labelled
    training samples (meta-train documents for episodes), ``train-pool`` on every train-part sample of
    the dataset, without its label; never on a test sample."""
    params = dict(params)
    fit_on = params.pop("fit_on", "labelled")
    if fit_on not in FIT_ON:
        raise ValueError(f"'fit_on' must be one of {list(FIT_ON)}, got {fit_on!r}")
    return fit_on, params


PROBE_DOCUMENTS = ["alpha beta gamma delta", "beta gamma delta epsilon", "gamma delta epsilon alpha",
                   "delta epsilon alpha beta", "epsilon alpha beta gamma"]
ANALYZER_KEYS = ("strip_accents", "lowercase", "stop_words", "token_pattern", "ngram_range", "analyzer",
                 "encoding", "decode_error", "vocabulary")


def analyzer_keys(params: dict) -> list[str]:
    """The text-analyzer parameters given (in a concat's parts too): meaningless on bags."""
    keys = [k for k in params if k in ANALYZER_KEYS]
    for i, part in enumerate(params.get("parts") or []):
        if isinstance(part, dict):
            keys += [f"parts[{i}].{k}" for k in analyzer_keys({k: v for k, v in part.items() if k != "name"})]
    return keys


DATA_DEPENDENT = ("no terms remain", "empty vocabulary", "max_df corresponds to < documents than min_df")


def df_bounds_crossed(params: dict) -> str | None:
    """Why ``min_df`` and ``max_df`` leave no term on any corpus, or None. Both counts (int) or both
    fractions of the documents (float): max_df < min_df excludes every term whatever the data; one of
    each depends on the number of documents, and is left to the data."""
    low, high = params.get("min_df", 1), params.get("max_df", 1.0)
    kinds = {type(v) for v in (low, high)}
    if len(kinds) == 1 and kinds <= {int, float} and high < low:
        return f"max_df ({high!r}) is below min_df ({low!r}): no term can be kept"
    return None


@dataclass(frozen=True)
class Workspace:
    """What featurizers may reuse across grid points: the cache folder, and every text of the corpus
    (train part then test part), which text vectorizers tokenize once (see ``tokens``)."""

    cache_dir: str | None = None
    texts: list | None = None  # strings, or bags ({feature: count})


def workspace_of(corpus, cache_dir: str | None) -> Workspace:
    texts = corpus.train.data + corpus.test.data if isinstance(corpus.train.data, list) else None
    return Workspace(cache_dir, texts)


def is_bags(documents) -> bool:
    return bool(documents) and isinstance(documents[0], dict)


def precounted(vectorizer, workspace: Workspace | None):
    """The vectorizer, fitted from the corpus's token counts when the workspace has its texts and a cache
    (without one, counting the whole corpus would cost more than fitting on the grid point's texts)."""
    from .tokens import ANALYZER, PrecountedVectorizer, bag_counts, corpus_counts

    if workspace is not None and is_bags(workspace.texts):  # the only way to vectorize bags
        return PrecountedVectorizer(vectorizer, bag_counts(workspace.texts))
    if workspace is None or None in (workspace.texts, workspace.cache_dir) or vectorizer.vocabulary is not None:
        return vectorizer
    analyzer = {key: getattr(vectorizer, key) for key in ANALYZER}
    try:
        counts = corpus_counts(workspace.texts, analyzer, workspace.cache_dir)
    except ValueError:  # nothing to count in the whole corpus: scikit-learn says so on the grid point's texts
        return vectorizer
    return PrecountedVectorizer(vectorizer, counts)


class Featurizer:
    """Base: builds an unfitted scikit-learn transformer from config parameters."""

    # what it transforms: "text" (documents), "bags" (documents as {feature: count}) or "matrix" (feature rows)
    takes = ("text",)

    @classmethod
    def parameters(cls) -> dict:
        return {}

    @classmethod
    def takes_of(cls, params: dict) -> tuple[str, ...]:
        """What this featurizer, with these parameters, transforms."""
        return cls.takes

    @classmethod
    def check(cls, params: dict) -> None:
        """Build the transformer and fit it on a few probe documents, so that scikit-learn's own
        validation judges the parameters; errors that depend on the data (an empty vocabulary
        after pruning the probe) are left for the real data, unless they hold for any data."""
        try:
            cls.build(params, 0).fit(PROBE_DOCUMENTS)
        except (ValueError, TypeError) as exc:
            message = first_line(exc)
            if not any(text in message for text in DATA_DEPENDENT):
                raise ValueError(message) from None
        crossed = df_bounds_crossed(params)
        if crossed:
            raise ValueError(crossed)

    @classmethod
    def build(cls, params: dict, seed: int, workspace: Workspace | None = None):
        """An unfitted transformer; ``workspace`` holds what it may reuse across grid points."""
        raise NotImplementedError


NOT_FROM_YAML = ("input", "dtype", "tokenizer", "preprocessor")


def yaml_parameters(cls) -> dict:
    """The parameters of a scikit-learn vectorizer that a YAML config can set."""
    return {k: v for k, v in init_parameters(cls).items() if k not in NOT_FROM_YAML}


def as_sklearn(params: dict) -> dict:
    """YAML lists to tuples (scikit-learn wants ``ngram_range=(1, 2)``)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


@FEATURIZERS.register("tfidf")
class Tfidf(Featurizer):
    """TF-IDF weighted word counts (scikit-learn TfidfVectorizer; its parameters pass through).

    On a dataset of bags (features and counts given, e.g. amazon-sentiment)
    the given counts stand for the analyzer's: vocabulary pruning and
    weighting apply to them, analyzer parameters do not.
    """

    takes = ("text", "bags")

    @classmethod
    def parameters(cls):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return yaml_parameters(TfidfVectorizer)

    @classmethod
    def build(cls, params, seed, workspace=None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return precounted(TfidfVectorizer(**as_sklearn(params)), workspace)


@FEATURIZERS.register("count")
class Count(Featurizer):
    """Raw word counts (scikit-learn CountVectorizer; its parameters pass through; bags as in ``tfidf``)."""

    takes = ("text", "bags")

    @classmethod
    def parameters(cls):
        from sklearn.feature_extraction.text import CountVectorizer

        return yaml_parameters(CountVectorizer)

    @classmethod
    def build(cls, params, seed, workspace=None):
        from sklearn.feature_extraction.text import CountVectorizer

        return precounted(CountVectorizer(**as_sklearn(params)), workspace)


TFIDF_WEIGHTING = ("norm", "use_idf", "smooth_idf", "sublinear_tf")


@FEATURIZERS.register("hashing")
class Hashing(Featurizer):
    """Hashed word counts with TF-IDF weighting: no vocabulary to store (HashingVectorizer + TfidfTransformer)."""

    @classmethod
    def parameters(cls):
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

        hashing = yaml_parameters(HashingVectorizer)
        hashing.update(norm="l2", alternate_sign=False)
        return hashing | {k: init_parameters(TfidfTransformer)[k] for k in TFIDF_WEIGHTING}

    @classmethod
    def build(cls, params, seed, workspace=None):
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
        from sklearn.pipeline import make_pipeline

        params = as_sklearn(params)
        weighting = {k: params.pop(k) for k in TFIDF_WEIGHTING if k in params}
        hashing = HashingVectorizer(**{"alternate_sign": False, **params, "norm": None})
        return make_pipeline(hashing, TfidfTransformer(**weighting))


@FEATURIZERS.register("lsa")
class LSA(Featurizer):
    """Latent semantic analysis: TF-IDF, then TruncatedSVD to n_components, then unit length."""

    takes = ("text", "bags")

    @classmethod
    def parameters(cls):
        return Tfidf.parameters() | {"n_components": 100, "n_iter": 5}

    @classmethod
    def check(cls, params):
        params = dict(params)
        check_number("lsa", "n_components", params.pop("n_components", 100), low=1, integer=True)
        check_number("lsa", "n_iter", params.pop("n_iter", 5), low=1, integer=True)
        Tfidf.check(params)

    @classmethod
    def build(cls, params, seed, workspace=None):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import Normalizer

        params = dict(params)
        svd = TruncatedSVD(params.pop("n_components", 100), n_iter=params.pop("n_iter", 5), random_state=seed)
        return make_pipeline(Tfidf.build(params, seed, workspace), svd, Normalizer(copy=False))


@FEATURIZERS.register("none")
class Identity(Featurizer):
    """No featurization: for datasets that already give feature matrices (synthetic)."""

    takes = ("matrix",)

    @classmethod
    def check(cls, params):
        pass

    @classmethod
    def build(cls, params, seed, workspace=None):
        from sklearn.preprocessing import FunctionTransformer

        return FunctionTransformer()


@FEATURIZERS.register("concat")
class Concat(Featurizer):
    """Several featurizers side by side: each part's rows scaled to unit length, times its weight, then joined.

    ``parts`` is a list of featurizers ``{name: ..., <parameter>: ...}``;
    ``weights`` (default all 1) scales them. With unit parts, the dot product
    of two joined rows is sum_k w_k^2 cos_k: a weighted sum of the parts'
    cosine similarities, so no part dominates by its scale or dimension.
    """

    @classmethod
    def parameters(cls) -> dict:
        return {"parts": None, "weights": None}

    @staticmethod
    def part_classes(params: dict) -> list:
        """(class, parameters) of each part, checked; errors name ``featurizer.parts[i]``."""
        parts = params.get("parts")
        if not isinstance(parts, list) or not parts:
            raise ValueError(f"'parts' must be a non-empty list of featurizers {{name: ..., ...}}, got {parts!r}")
        classes = []
        for i, part in enumerate(parts):
            if not isinstance(part, dict) or not isinstance(part.get("name"), str):
                raise ValueError(f"'parts[{i}]' must be a mapping with a 'name', got {part!r}")
            cls = FEATURIZERS.get(part["name"], where=f"featurizer.parts[{i}].name")
            rest = {k: v for k, v in part.items() if k != "name"}
            check_keys(rest, cls.parameters(), f"featurizer.parts[{i}]")
            classes.append((cls, rest))
        return classes

    @classmethod
    def takes_of(cls, params):
        kinds = [set(part.takes_of(rest)) for part, rest in cls.part_classes(params)]
        common = set.intersection(*kinds)
        if not common:
            raise ValueError(f"'parts' mix featurizers that take no common input: {[sorted(k) for k in kinds]}")
        return tuple(sorted(common))

    @classmethod
    def check(cls, params):
        parts = cls.part_classes(params)
        weights = params.get("weights")
        if weights is not None:
            if not isinstance(weights, list) or len(weights) != len(parts):
                raise ValueError(f"'weights' must be a list of {len(parts)} numbers, one per part, got {weights!r}")
            for weight in weights:
                check_number("concat", "weights", weight, low=0, low_open=True)
        for i, (part, rest) in enumerate(parts):
            try:
                part.check(rest)
            except ValueError as exc:
                raise ValueError(f"parts[{i}]: {exc}") from None

    @classmethod
    def build(cls, params, seed, workspace=None):
        parts = [part.build(rest, seed, workspace) for part, rest in cls.part_classes(params)]
        return UnitConcat(parts, params.get("weights") or [1.0] * len(parts))


class UnitConcat:
    """Fitted side by side: ``transform`` joins the parts' outputs, each row of each part at unit length."""

    def __init__(self, parts, weights):
        self.parts, self.weights = parts, weights

    def join(self, blocks):
        from sklearn.preprocessing import normalize

        scaled = [weight * normalize(block) for block, weight in zip(blocks, self.weights)]
        if any(sp.issparse(block) for block in scaled):
            return sp.hstack([sp.csr_matrix(block) for block in scaled], format="csr")
        return np.hstack(scaled)

    def fit(self, X):
        for part in self.parts:
            part.fit(X)
        return self

    def fit_transform(self, X):
        return self.join([part.fit_transform(X) for part in self.parts])

    def transform(self, X):
        return self.join([part.transform(X) for part in self.parts])


@FEATURIZERS.register("sentence-embedding")
class SentenceEmbedding(Featurizer):
    """Pretrained sentence embeddings (sentence-transformers; the ``embed`` extra), cached per text content.

    ``model`` is a model folder, the name of one installed by ``mtl data
    import`` (its last component), or a Hugging Face hub name; texts are
    cut at ``max_seq_length`` word pieces; ``normalize`` gives unit rows.
    Nothing is fitted, so ``fit_on`` changes nothing. See ``embeddings``.
    """

    @classmethod
    def parameters(cls):
        return {"model": "sentence-transformers/all-MiniLM-L6-v2", "max_seq_length": 256, "batch_size": 32,
                "normalize": True, "device": "auto"}

    @classmethod
    def check(cls, params):
        from .embeddings import check_device, check_model

        params = cls.parameters() | params
        check_number("sentence-embedding", "max_seq_length", params["max_seq_length"], low=1, integer=True)
        check_number("sentence-embedding", "batch_size", params["batch_size"], low=1, integer=True)
        if not isinstance(params["normalize"], bool):
            raise ValueError(f"'normalize' must be true or false, got {params['normalize']!r}")
        check_model(params["model"])
        check_device(params["device"])

    @classmethod
    def build(cls, params, seed, workspace=None):
        from .embeddings import SentenceEncoder

        return SentenceEncoder(**(cls.parameters() | params), cache_dir=workspace and workspace.cache_dir)


@dataclass
class TaskSet:
    """The featurized tasks of one grid point, stacked.

    Row i of ``X_train`` belongs to task ``task_names[task_train[i]]`` and
    has label ``y_train[i]``; likewise for the test part.
    """

    task_names: list[str]
    X_train: object
    y_train: np.ndarray
    task_train: np.ndarray
    X_test: object
    y_test: np.ndarray
    task_test: np.ndarray
    n_features: int
    featurize_seconds: float
    document_train: np.ndarray  # per training row: which document it is (see ``document_ids``)
    heldout: np.ndarray | None = None  # per task: held out for meta-learning (see splits.HoldoutTasks)


def document_ids(samples, index: np.ndarray) -> np.ndarray:
    """Which document each sample is: the smallest corpus index among the samples of the same content
    (texts and bags by ``content_keys``), so a text repeated in several rows counts once; rows of a
    matrix are distinct documents. ``index``: the samples' corpus indices, sorted."""
    if not isinstance(samples, list) or not samples or not isinstance(samples[0], (str, dict)):
        return np.asarray(index)
    _, first, inverse = np.unique(np.array(content_keys(samples)), return_index=True, return_inverse=True)
    return np.asarray(index)[first][inverse]


def stack(tasks, index_attr: str, label_attr: str, matrix, unique: np.ndarray):
    """Stack the rows of every task; row k of ``matrix`` is corpus sample ``unique[k]`` (sorted).

    Returns (rows, labels, task of each row, position in ``unique`` of each row).
    """
    positions = np.searchsorted(unique, np.concatenate([getattr(t, index_attr) for t in tasks]))
    labels = np.concatenate([getattr(t, label_attr) for t in tasks])
    task_ids = np.concatenate([np.full(len(getattr(t, index_attr)), k) for k, t in enumerate(tasks)])
    return matrix[positions], labels, task_ids, positions


@contextlib.contextmanager
def data_errors(featurizer: str):
    """A featurizer that finds nothing to keep in the data (an empty vocabulary) is a DataError."""
    try:
        yield
    except ValueError as exc:
        message = first_line(exc)
        if any(text in message for text in DATA_DEPENDENT):
            raise DataError(f"featurizer {featurizer}: {message}") from None
        raise


def unfitted_featurizer(name: str, params: dict, seed: int, corpus, cache_dir: str | None) -> tuple[str, object]:
    """(``fit_on``, the unfitted transformer) of a featurizer's config parameters, which may reuse the
    corpus's token counts (built here: read, or tokenized on a cold cache)."""
    fit_on, params = fit_on_of(params)
    return fit_on, FEATURIZERS.get(name).build(params, seed, workspace_of(corpus, cache_dir))


def featurize(corpus, tasks, featurizer: str, params: dict, seed: int, cache_dir: str | None = None) -> TaskSet:
    """Fit the featurizer on the tasks' training samples (or, with ``fit_on: train-pool``, on every
    train-part sample of the corpus) and transform both parts.

    Each distinct training and test sample is transformed once, then
    gathered per task. Test samples never reach ``fit``.
    """
    start = time.perf_counter()
    fit_on, transformer = unfitted_featurizer(featurizer, params, seed, corpus, cache_dir)
    if fit_on == "train-pool":
        with data_errors(featurizer):
            transformer.fit(corpus.train.rows(np.arange(len(corpus.train))))
    matrices, uniques, samples_of = {}, {}, {}
    for part, attr in (("train", "train_index"), ("test", "test_index")):
        unique = np.unique(np.concatenate([getattr(t, attr) for t in tasks]))
        samples = samples_of[part] = getattr(corpus, part).rows(unique)
        fit_here = part == "train" and fit_on == "labelled"
        with data_errors(featurizer):
            matrices[part] = transformer.fit_transform(samples) if fit_here else transformer.transform(samples)
        if sp.issparse(matrices[part]):
            matrices[part] = sp.csr_matrix(matrices[part])
        uniques[part] = unique
    X_train, y_train, task_train, positions = stack(
        tasks, "train_index", "train_labels", matrices["train"], uniques["train"])
    document_train = document_ids(samples_of["train"], uniques["train"])[positions]
    X_test, y_test, task_test, _ = stack(tasks, "test_index", "test_labels", matrices["test"], uniques["test"])
    return TaskSet(
        task_names=[t.name for t in tasks],
        X_train=X_train,
        y_train=y_train,
        task_train=task_train,
        X_test=X_test,
        y_test=y_test,
        task_test=task_test,
        n_features=X_train.shape[1],
        featurize_seconds=time.perf_counter() - start,
        document_train=document_train,
        heldout=np.zeros(len(tasks), dtype=bool),
    )
