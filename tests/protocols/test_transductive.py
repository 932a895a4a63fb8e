"""Transductive few-shot: prototypes refined with an episode's unlabelled queries, reported apart."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.data.episodes import sample_episodes
from mtl_cli.learners import Prototypes
from mtl_cli.protocols.episodic import episode_accuracy, episode_predictions

runner = CliRunner()


def clusters(seed=0, n_classes=5, per_class=40, d=30, spread=0.9):
    """Classes as noisy directions: one support document is a poor prototype, the queries help."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_classes, d))
    labels = np.repeat(np.arange(n_classes), per_class)
    X = centers[labels] + spread * np.sqrt(d) * rng.standard_normal((len(labels), d)) / 3
    return X, labels


def assert_query_labels_unread(adapt, X, episodes, seed: int) -> None:
    """Shuffling each episode's query labels changes none of the predictions ``adapt`` leads to."""
    rng = np.random.default_rng(seed)
    for episode in episodes:
        shuffled = replace(episode, query_labels=rng.permutation(episode.query_labels))
        assert np.array_equal(episode_predictions(adapt, X, X, episode, True),
                              episode_predictions(adapt, X, X, shuffled, True))


def test_refining_with_the_queries_helps_at_one_shot_and_never_reads_query_labels():
    X, labels = clusters()
    episodes = sample_episodes(labels, labels, list(range(5)), 5, 1, 15, 60, 0, "test", same_pool=True)
    inductive = Prototypes().meta_fit(X, labels)
    transductive = Prototypes(transductive=True)
    transductive.meta_fit(X, labels)
    transductive.temperature_ = 10.0
    plain = np.mean([episode_accuracy(inductive.adapt, X, X, e) for e in episodes])
    refined = np.mean([episode_accuracy(transductive.adapt, X, X, e, True) for e in episodes])
    assert refined > plain + 0.02
    assert_query_labels_unread(transductive.adapt, X, episodes[:10], seed=1)
    # inductive prototypes ignore queries even when handed them
    assert np.array_equal(episode_predictions(inductive.adapt, X, X, episodes[0], True),
                          episode_predictions(inductive.adapt, X, X, episodes[0]))


def test_transductive_rows_are_marked_and_never_compared_with_inductive_ones(tmp_path):
    words = {c: [f"{c}word{k}" for k in range(6)] for c in "abcdefghij"}
    rng = np.random.default_rng(0)
    lines = ["text,label,split"]
    for c, vocabulary in words.items():
        for i in range(30):
            text = " ".join(rng.choice(vocabulary, 4)) + " " + " ".join(rng.choice(sum(words.values(), []), 3))
            lines.append(f"{text},{c},{'test' if i % 3 == 0 else 'train'}")
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "t.yaml").write_text(f"""
dataset: {{name: files, path: {tmp_path / 'd.csv'}}}
split:
  name: episodes
  classes: {{meta_train: [a, b, c, d], meta_val: [e, f, g], meta_test: [h, i, j]}}
  n_way: 3
  k_shot: [1]
  n_query: 5
  n_episodes: 20
  n_val_episodes: 10
featurizer: {{name: tfidf}}
learners: [{{name: prototypes}}, {{name: prototypes, transductive: true}}, {{name: single-task, estimator: logistic}}]
""")
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["train", str(tmp_path / "t.yaml"), "--runs", str(runs), "-q"])
    assert result.exit_code == 0, result.output
    rows = {r["learner"]: r for r in json.loads((runs / "t" / "accuracy.json").read_text())}
    assert rows["prototypes[transductive=True]"]["inference"] == "transductive"
    assert rows["prototypes"]["inference"] == "inductive"
    result = runner.invoke(app, ["compare", str(runs / "t"), "-b", "prototypes"])
    assert result.exit_code == 0, result.output
    compared = (runs / "t" / "comparison.csv").read_text()
    assert "single-task" in compared and "transductive" not in compared


def test_transductive_ridge_head_helps_and_never_reads_query_labels():
    from mtl_cli.learners import RidgeHead

    X, labels = clusters(seed=2)
    episodes = sample_episodes(labels, labels, list(range(5)), 5, 1, 15, 60, 0, "test", same_pool=True)
    inductive = RidgeHead(l2s=[1.0]).meta_fit(X, labels)
    transductive = RidgeHead(l2s=[1.0], transductive=True, temperatures=[20.0]).meta_fit(X, labels)
    plain = np.mean([episode_accuracy(inductive.adapt, X, X, e) for e in episodes])
    refined = np.mean([episode_accuracy(transductive.adapt, X, X, e, True) for e in episodes])
    # self-training gains less than refining centroids (and a cold softmax hurts: meta-validation picks it)
    assert refined > plain + 0.015
    assert_query_labels_unread(transductive.adapt, X, episodes[:10], seed=3)


def test_transductive_learners_work_in_an_lsa_projection_of_sparse_features():
    import scipy.sparse as sp

    from mtl_cli.learners import RidgeHead

    X, labels = clusters(seed=3)
    X = sp.csr_matrix(np.abs(X))  # sparse input; the LSA projection makes it dense
    episode = sample_episodes(labels, labels, list(range(5)), 5, 1, 15, 1, 0, "test", same_pool=True)[0]
    for learner in (Prototypes(projection="lsa", n_components=10, transductive=True, temperatures=[10.0]),
                    RidgeHead(l2s=[1.0], projection="lsa", n_components=10, transductive=True, temperatures=[10.0])):
        learner.meta_fit(X, labels)
        predictions = episode_predictions(learner.adapt, X, X, episode, True)
        assert len(predictions) == len(episode.query) and set(predictions) <= set(range(5))
