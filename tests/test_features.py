import json

import numpy as np
import pytest
import scipy.sparse as sp

from mtl_cli import config as config_module
from mtl_cli.features import Featurizer, featurize
from mtl_cli.registry import FEATURIZERS
from mtl_cli.prepare import split_tasks
from mtl_cli.runner import train


class SpyVectorizer:
    """A TF-IDF vectorizer that appends the documents it is fitted on to a log file."""

    def __init__(self, log):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.log, self.inner = log, TfidfVectorizer()

    def fit_transform(self, docs):
        with open(self.log, "a") as f:
            f.write(json.dumps(docs) + "\n")
        return self.inner.fit_transform(docs)

    def transform(self, docs):
        return self.inner.transform(docs)


@pytest.fixture
def spy():
    @FEATURIZERS.register("spy")
    class Spy(Featurizer):
        """Logs what it is fitted on."""

        @classmethod
        def parameters(cls):
            return {"log": None}

        @classmethod
        def check(cls, params):
            pass  # no probe fit: it would log the probe documents

        @classmethod
        def build(cls, params, seed):
            return SpyVectorizer(params["log"])

    yield
    FEATURIZERS.unregister("spy")


def fitted_documents(log):
    return [json.loads(line) for line in open(log)]


def newsgroups_config(tmp_path, log, sizes="[5, 20]"):
    path = tmp_path / "spy.yaml"
    path.write_text(f"""
name: spy
dataset: {{name: 20newsgroups, download: false}}
split: {{name: hierarchy-pairs, groups: [sci, religion], n_train_per_task: {sizes}}}
featurizer: {{name: spy, log: {log}}}
learners: [{{name: pooled, estimator: ridge}}, {{name: single-task, estimator: ridge}}]
seeds: [0, 1]
""")
    return config_module.load(path)


def test_no_test_document_reaches_fit_and_features_are_cached(tmp_path, newsgroups_home, spy):
    log = tmp_path / "fits.jsonl"
    experiment = newsgroups_config(tmp_path, log)
    train(experiment, tmp_path / "runs", n_jobs=1)
    fits = fitted_documents(log)
    assert len(fits) == 4  # one featurizer fit per (seed, size), shared by both learners
    for seed in (0, 1):
        for n in (5, 20):
            corpus, tasks, _ = split_tasks(experiment.feature_spec(seed, n))
            expected = {corpus.train.data[i] for t in tasks for i in t.train_index}
            assert any(set(docs) == expected and len(docs) == len(expected) for docs in fits)
            test_docs = {corpus.test.data[i] for t in tasks for i in t.test_index} - set(corpus.train.data)
            assert not any(set(docs) & test_docs for docs in fits)

    import shutil

    shutil.rmtree(tmp_path / "runs" / "spy" / "cells")
    train(experiment, tmp_path / "runs", n_jobs=1)
    assert len(fitted_documents(log)) == 4  # refitting the learners read the cached features
    train(experiment, tmp_path / "runs", n_jobs=1, force=True)
    assert len(fitted_documents(log)) == 8  # --force refits the featurizer too


def test_featurize_stacks_tasks(newsgroups):
    from mtl_cli.data.base import subsample
    from mtl_cli.data.splits import HierarchyPairs

    tasks = [subsample(t, 8, 0) for t in HierarchyPairs(["sci", "misc"]).tasks(newsgroups)]
    task_set = featurize(newsgroups, tasks, "tfidf", {"sublinear_tf": True}, seed=0)
    assert task_set.task_names == [t.name for t in tasks]
    assert task_set.X_train.shape[0] == 32 and sp.issparse(task_set.X_train)
    assert np.bincount(task_set.task_train).tolist() == [8, 8, 8, 8]
    assert task_set.X_test.shape[0] == sum(len(t.test_index) for t in tasks)
    # a misc.forsale post is in the test set of all four tasks, with the same features
    shared = np.intersect1d(tasks[0].test_index, tasks[3].test_index)[0]
    offsets = np.cumsum([0] + [len(t.test_index) for t in tasks])
    rows = [offsets[k] + np.flatnonzero(t.test_index == shared)[0] for k, t in enumerate(tasks)]
    assert all((task_set.X_test[r] != task_set.X_test[rows[0]]).nnz == 0 for r in rows)
    assert task_set.X_test[rows[0]].nnz > 0


@pytest.mark.parametrize(
    "name, params, columns",
    [
        ("count", {"min_df": 2}, None),
        ("hashing", {"n_features": 2**12, "sublinear_tf": True}, 2**12),
        ("lsa", {"n_components": 20}, 20),
        ("tfidf", {"ngram_range": [1, 2], "max_features": 500}, 500),
    ],
)
def test_featurizers_build_from_config_params(newsgroups, name, params, columns):
    from mtl_cli.data.base import subsample
    from mtl_cli.data.splits import HierarchyPairs

    tasks = [subsample(t, 30, 0) for t in HierarchyPairs(["sci", "misc"]).tasks(newsgroups)]
    task_set = featurize(newsgroups, tasks, name, params, seed=0)
    if columns:
        assert task_set.n_features == columns
    if name == "lsa":
        assert np.allclose(np.linalg.norm(task_set.X_test, axis=1), 1.0)
