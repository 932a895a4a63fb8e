"""Episodic evaluation: meta-fit a learner once, then adapt and score it on many few-shot episodes."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from ..data.episodes import Episodes, sample_episodes
from ..features import data_errors, unfitted_featurizer
from ..grid import Cell
from ..learners.base import learner_kind
from ..prepare import cached, corpus_of
from .base import Protocol, validation_scores_of


@dataclass
class EpisodeData:
    """Featurized documents of an episodic split: labels are class names."""

    X_meta_train: object
    y_meta_train: np.ndarray
    X_meta_val: object
    y_meta_val: np.ndarray
    X_support: object
    y_support: np.ndarray
    X_query: object
    y_query: np.ndarray
    classes: dict
    n_features: int
    featurize_seconds: float


def episodes_split(feature_spec: dict) -> Episodes:
    """The episodes split of a feature spec."""
    return Episodes(**{k: v for k, v in feature_spec["split"].items() if k != "name"})


def build_episode_data(feature_spec: dict, cache_dir: str | None = None) -> EpisodeData:
    """Fit the featurizer on meta-train (or all train-part) documents and transform every part."""
    start = time.perf_counter()
    corpus = corpus_of(feature_spec, cache_dir)
    split = episodes_split(feature_spec)
    parts = split.parts(corpus)
    featurizer = dict(feature_spec["featurizer"])
    fit_on, transformer = unfitted_featurizer(featurizer.pop("name"), featurizer, feature_spec["seed"], corpus,
                                              cache_dir)
    fit_rows = parts.meta_train if fit_on == "labelled" else np.arange(len(corpus.train))
    with data_errors(feature_spec["featurizer"]["name"]):
        transformer.fit(corpus.train.rows(fit_rows))

    def part(name, rows):
        return transformer.transform(getattr(corpus, name).rows(rows)), getattr(corpus, name).labels[rows]

    X_train, y_train = part("train", parts.meta_train)
    X_val, y_val = part("train", parts.meta_val)
    X_support, y_support = part("train", parts.support_pool)
    X_query, y_query = part(parts.query_part, parts.query_pool)
    return EpisodeData(X_train, y_train, X_val, y_val, X_support, y_support, X_query, y_query,
                       parts.classes, X_train.shape[1], time.perf_counter() - start)


def cached_episode_data(feature_spec: dict, cache_dir: str | None, refresh: bool = False) -> EpisodeData:
    return cached("episodes", feature_spec, lambda: build_episode_data(feature_spec, cache_dir), cache_dir, refresh,
                  from_fields=lambda fields: EpisodeData(**fields))


class EpisodicValidation:
    """Seeded N-way K-shot episodes of the meta-validation classes (support and query from the train part)."""

    def __init__(self, X, labels, classes, n_way, k_shot, n_query, n_episodes, seed):
        self.X, self.labels, self.n_way, self.k_shot = X, labels, n_way, k_shot
        self.episodes = sample_episodes(labels, labels, classes, n_way, k_shot, n_query, n_episodes, seed, "meta-val",
                                        same_pool=True)

    def score(self, adapt, with_queries: bool = False) -> float:
        """Mean accuracy over the validation episodes of the classifiers ``adapt(X_support, y_support)``
        (or ``adapt(X_support, y_support, X_query)``, transductive) returns."""
        return float(np.mean([episode_accuracy(adapt, self.X, self.X, e, with_queries) for e in self.episodes]))


def episode_predictions(adapt, X_support_pool, X_query_pool, episode, with_queries: bool = False):
    """The predicted labels of an episode's queries; a transductive learner also gets the queries
    (their features, never their labels)."""
    queries = X_query_pool[episode.query]
    extra = (queries,) if with_queries else ()
    return adapt(X_support_pool[episode.support], episode.support_labels, *extra).predict(queries)


def episode_accuracy(adapt, X_support_pool, X_query_pool, episode, with_queries: bool = False) -> float:
    predictions = episode_predictions(adapt, X_support_pool, X_query_pool, episode, with_queries)
    return float(np.mean(predictions == episode.query_labels))


def inference_of(model) -> str:
    """``transductive`` when the learner adapts with the unlabelled queries, else ``inductive``."""
    return "transductive" if getattr(model, "transductive", False) is True else "inductive"


def single_task_adapter(learner):
    """Adapt a plain (X, y, tasks) learner by fitting a fresh copy on the support set alone."""

    def adapt(X_support, y_support):
        model = clone(learner).fit(X_support, y_support, np.zeros(len(y_support), dtype=int))

        class OneTask:
            def predict(self, X):
                return model.predict(X, np.zeros(X.shape[0], dtype=int))

        return OneTask()

    return adapt


def adapter_of(model):
    """How ``model`` meets an episode: (its own ``adapt`` if it is a meta-learner, else a fresh fit on the
    support set; whether it also takes the queries' features, as a transductive learner does)."""
    adapt = model.adapt if learner_kind(model) == "meta" else single_task_adapter(model)
    return adapt, inference_of(model) == "transductive"


def run_episodes(model, cell: Cell, feature_spec: dict, data: EpisodeData, fit_seconds: float) -> list[dict]:
    """Adapt the (meta-fitted) model on each evaluation episode and score it on the query set."""
    split = episodes_split(feature_spec)
    episodes = sample_episodes(
        data.y_support, data.y_query, data.classes["meta_test"], split.n_way, cell.size, split.n_query,
        split.n_episodes, cell.seed, "meta-test", same_pool=split.queries == "train-part",
    )
    adapt, with_queries = adapter_of(model)
    inference = inference_of(model)
    records = []
    start = time.perf_counter()
    for index, episode in enumerate(episodes):
        records.append(
            {
                **cell.record_fields(),
                "n_way": split.n_way,
                "k_shot": cell.size,
                "episode": index,
                "classes": list(episode.classes),
                "inference": inference,
                "accuracy": episode_accuracy(adapt, data.X_support, data.X_query, episode, with_queries),
                "n_features": data.n_features,
                "fit_seconds": fit_seconds,
                "featurize_seconds": data.featurize_seconds,
                "selected_params": getattr(model, "selected_params_", None),
                "validation_scores": validation_scores_of(model),
            }
        )
    seconds_per_episode = (time.perf_counter() - start) / max(1, len(episodes))
    for record in records:
        record["episode_seconds"] = seconds_per_episode
    return records


def meta_fit(model, cell: Cell, feature_spec: dict, data: EpisodeData) -> float:
    """Meta-fit a meta-learner on the meta-train documents, validating on meta-val episodes; returns seconds."""
    if learner_kind(model) != "meta":
        return 0.0
    split = episodes_split(feature_spec)
    validation = EpisodicValidation(
        data.X_meta_val, data.y_meta_val, data.classes["meta_val"], split.n_way, cell.size, split.n_query,
        split.n_val_episodes, cell.seed,
    )
    start = time.perf_counter()
    model.meta_fit(data.X_meta_train, data.y_meta_train, validation=validation)
    return time.perf_counter() - start


class Episodic(Protocol):
    """Meta-fit once on the meta-train classes (hyperparameters chosen on meta-val episodes), then adapt
    and score on each N-way K-shot episode of the meta-test classes. Plain learners fit each support set."""

    name = "episodic"
    accepts = ("multitask", "meta")

    def prepare(self, feature_spec, cache_dir, refresh=False) -> EpisodeData:
        return cached_episode_data(feature_spec, cache_dir, refresh)

    def fit(self, learner, cell, feature_spec, data: EpisodeData):
        return learner, meta_fit(learner, cell, feature_spec, data)

    def records(self, fitted, cell, feature_spec, data: EpisodeData, fit_seconds):
        return run_episodes(fitted, cell, feature_spec, data, fit_seconds)
