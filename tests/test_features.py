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

    def fit(self, docs):
        self.fit_transform(docs)
        return self

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
        def build(cls, params, seed, workspace=None):
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


CONCAT_TEXTS = ["good movie great plot", "bad film awful plot", "great actor good film", "awful movie bad actor"] * 3


def test_concat_joins_unit_parts_with_their_weights():
    from mtl_cli.features import Concat

    params = {"parts": [{"name": "tfidf"}, {"name": "count", "binary": True}], "weights": [1.0, 2.0]}
    Concat.check(params)
    transformer = Concat.build(params, seed=0)
    X = transformer.fit_transform(CONCAT_TEXTS)
    n_words = len(set(" ".join(CONCAT_TEXTS).split()))
    assert sp.issparse(X) and X.shape == (len(CONCAT_TEXTS), 2 * n_words)
    first, second = X[:, :n_words].toarray(), X[:, n_words:].toarray()
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0) and np.allclose(np.linalg.norm(second, axis=1), 2.0)
    assert np.allclose(transformer.transform(CONCAT_TEXTS[:2]).toarray(), X[:2].toarray())


def test_concat_of_lsa_and_tfidf_trains_from_the_cli(tmp_path):
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    data = tmp_path / "d.csv"
    data.write_text("text,label\n" + "".join(f"{t} {i},{'pos' if 'good' in t else 'neg'}\n"
                                            for i, t in enumerate(CONCAT_TEXTS * 2)))
    config = tmp_path / "concat.yaml"
    config.write_text(f"""
dataset: {{name: files, path: {data}}}
split: {{name: single}}
featurizer: {{name: concat, parts: [{{name: lsa, n_components: 3}}, {{name: tfidf}}]}}
learners: [{{name: pooled, estimator: logistic}}]
""")
    result = CliRunner().invoke(app, ["train", str(config), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("featurizer, message", [
    ("{name: concat}", "'parts' must be a non-empty list"),
    ("{name: concat, parts: [{name: tfidf}, {name: tfidff}]}", "featurizer.parts[1].name: unknown featurizer 'tfidff'"),
    ("{name: concat, parts: [{name: tfidf, min_dff: 2}]}", "featurizer.parts[0]: unknown parameter 'min_dff'"),
    ("{name: concat, parts: [{name: tfidf, min_df: -1}]}", "parts[0]: The 'min_df' parameter"),
    ("{name: concat, parts: [{name: tfidf}], weights: [0]}", "'weights' parameter"),
    ("{name: concat, parts: [{name: tfidf}], weights: [1, 2]}", "one per part"),
    ("{name: concat, parts: [{name: tfidf}, {name: none}]}", "mix featurizers that take no common input"),
])
def test_concat_mistakes_name_the_part(tmp_path, featurizer, message):
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    config = tmp_path / "c.yaml"
    config.write_text(f"dataset: {{name: files, path: d.csv}}\nsplit: {{name: single}}\nfeaturizer: {featurizer}\n"
                      "learners: [{name: pooled}]\n")
    result = CliRunner().invoke(app, ["check", str(config), "--no-data"])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_fit_on_train_pool_sees_every_train_text_and_no_test_text(tmp_path, spy):
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    data = tmp_path / "d.csv"
    rows = [(f"{word} item {i}", "pos" if word == "good" else "neg", task, split)
            for i in range(6) for word in ("good", "bad") for task in ("a", "b") for split in ("train", "test")]
    data.write_text("text,label,task,split\n" + "".join(f"{t} {task}{sp_},{y},{task},{sp_}\n"
                                                        for t, y, task, sp_ in rows))
    log = tmp_path / "fits.jsonl"
    config = tmp_path / "pool.yaml"
    config.write_text(f"""
dataset: {{name: files, path: {data}}}
split: {{name: by-column, n_train_per_task: [4]}}
featurizer: {{name: spy, log: {log}, fit_on: train-pool}}
learners: [{{name: pooled, estimator: logistic}}]
""")
    result = CliRunner().invoke(app, ["train", str(config), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    (fitted,) = fitted_documents(log)  # one fit, on the pool, not on the 4 labelled posts per task
    train_texts = {f"{t} {task}{s}" for t, _, task, s in rows if s == "train"}
    assert set(fitted) == train_texts and len(fitted) == 24
    assert not any(text.endswith("test") for text in fitted)


def test_a_text_repeated_in_several_rows_is_one_document():
    """Held-out validation (protocols.holdout) holds out documents by content: a text in two tasks' rows,
    at two corpus indices, is the same document; rows of a matrix are distinct documents."""
    from mtl_cli.data.base import Corpus, Part, Task
    from mtl_cli.features import document_ids

    assert document_ids(["b", "a", "b", "c"], np.array([2, 4, 7, 9])).tolist() == [2, 4, 2, 9]
    assert document_ids(np.ones((3, 2)), np.array([0, 1, 2])).tolist() == [0, 1, 2]
    texts = ["good pasta", "bad pasta", "good pasta", "bad tea", "good tea"]
    train = Part(texts, np.array([1, 0, 1, 0, 1]))
    corpus = Corpus("repeats", train, Part(["good"], np.array([1])))
    tasks = [Task("pasta", np.array([0, 1]), np.array([1, 0]), np.array([0]), np.array([1])),
             Task("food", np.array([2, 3, 4]), np.array([1, 0, 1]), np.array([0]), np.array([1]))]
    task_set = featurize(corpus, tasks, "tfidf", {}, seed=0)
    assert task_set.document_train.tolist() == [0, 1, 0, 3, 4]  # row 3 of the stack is corpus text 2 = text 0


@pytest.mark.parametrize("name", ["tfidf", "count", "lsa"])
def test_document_frequency_bounds_are_refused_only_where_no_corpus_could_satisfy_them(name):
    """Two counts or two fractions with max_df < min_df keep no term on any corpus: refused by the check.
    A count and a fraction cross or not depending on the number of documents: left to the data."""
    check = FEATURIZERS.get(name).check
    for low, high in [(0.5, 0.1), (3, 2)]:
        with pytest.raises(ValueError, match="is below min_df"):
            check({"min_df": low, "max_df": high})
    for low, high in [(2, 0.1), (0.5, 100), (0.1, 0.5), (2, 3)]:
        check({"min_df": low, "max_df": high})
