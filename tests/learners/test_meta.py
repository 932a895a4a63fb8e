"""Episodic protocol and meta-learners."""

import json

import numpy as np
import scipy.sparse as sp

from mtl_cli import config as config_module
from mtl_cli.data.episodes import CLASS_SPLITS, sample_episodes
from mtl_cli.learners import MetaBias, Prototypes, RidgeHead
from mtl_cli.learners.meta import ridge_head
from mtl_cli.runner import train

EPISODES_CONFIG = """
name: few
dataset: {{name: 20newsgroups, download: false}}
split: {{name: episodes, k_shot: [1, 3], n_episodes: 20, n_val_episodes: 5, n_query: 5}}
featurizer: {{name: tfidf, min_df: 3}}
learners: {learners}
seeds: [0]
"""


def test_bao2020_split_is_class_disjoint():
    split = CLASS_SPLITS["bao2020"]
    assert len(split["meta_train"]) == 8 and len(split["meta_val"]) == 5 and len(split["meta_test"]) == 7
    assert not set(split["meta_train"]) & set(split["meta_test"])
    assert not set(split["meta_val"]) & (set(split["meta_train"]) | set(split["meta_test"]))


def test_episodes_are_seeded_and_disjoint_within_a_shared_pool():
    labels = np.repeat(np.array(["a", "b", "c", "d"]), 10)
    first = sample_episodes(labels, labels, ["a", "b", "c", "d"], 3, 2, 4, 30, seed=1, name="val", same_pool=True)
    again = sample_episodes(labels, labels, ["a", "b", "c", "d"], 3, 2, 4, 30, seed=1, name="val", same_pool=True)
    other = sample_episodes(labels, labels, ["a", "b", "c", "d"], 3, 2, 4, 30, seed=2, name="val", same_pool=True)
    assert all(np.array_equal(e.support, f.support) and np.array_equal(e.query, f.query) for e, f in zip(first, again))
    assert any(not np.array_equal(e.support, f.support) for e, f in zip(first, other))
    for e in first:
        assert len(set(e.classes)) == 3 and len(e.support) == 6 and len(e.query) == 12
        assert not set(e.support) & set(e.query)
        assert [labels[i] for i in e.support] == [e.classes[j] for j in e.support_labels]
        assert [labels[i] for i in e.query] == [e.classes[j] for j in e.query_labels]


def test_meta_fit_never_sees_meta_test_documents(tmp_path, newsgroups_home, newsgroups, spy_meta):
    log = tmp_path / "spy.jsonl"
    config = tmp_path / "few.yaml"
    config.write_text(
        EPISODES_CONFIG.format(learners=f"[{{name: spy-meta, log: {log}}}, {{name: prototypes}}, {{name: ridge-head}}]")
    )
    summary = train(config_module.load(config), tmp_path / "runs", n_jobs=1)
    assert not summary.failures
    split = CLASS_SPLITS["bao2020"]
    calls = [call for call in map(json.loads, open(log)) if "meta_fit" in call]
    assert len(calls) == 2  # one meta-fit per shot setting
    n_meta_train = int(np.isin(newsgroups.train.labels, split["meta_train"]).sum())
    for call in calls:
        assert call["meta_fit"] == sorted(split["meta_train"]) and call["n"] == n_meta_train
        assert call["validation"] == sorted(split["meta_val"])
    records = [json.loads(line) for line in open(tmp_path / "runs" / "few" / "results.jsonl")]
    assert {c for r in records for c in r["classes"]} <= set(split["meta_test"])
    # the same episodes for every learner
    by_learner = {}
    for r in records:
        by_learner.setdefault(r["learner"], {})[(r["k_shot"], r["episode"])] = r["classes"]
    episodes = list(by_learner.values())
    assert all(e == episodes[0] for e in episodes) and len(episodes[0]) == 40
    table = summary.tables["accuracy"]
    assert [(r["learner"], r["k_shot"], r["n_episodes"]) for r in table][:2] == [
        ("spy-meta[log=" + str(log) + "]", 1, 20),
        ("spy-meta[log=" + str(log) + "]", 3, 20),
    ]
    protos = [r for r in table if r["learner"] == "prototypes"]
    assert all(0.2 < r["accuracy_mean"] <= 1.0 for r in protos)
    assert protos[1]["accuracy_mean"] > protos[0]["accuracy_mean"]  # 3 shots beat 1
    # a rerun gives the same table
    again = train(config_module.load(config), tmp_path / "again", n_jobs=1)
    assert again.tables["accuracy"] == table


def test_prototypes_match_a_hand_computation():
    X_support = sp.csr_matrix(np.array([[3.0, 0, 0], [1, 1, 0], [0, 0, 2], [0, 1, 1]]))
    y_support = np.array([0, 0, 1, 1])
    model = Prototypes().meta_fit(X_support, y_support)
    # unit rows: [1,0,0], [.707,.707,0] -> centroid [.854,.354,0]; [0,0,1], [0,.707,.707] -> [0,.354,.854]
    query = sp.csr_matrix(np.array([[1.0, 0.2, 0], [0, 0.2, 1.0], [0, 1.0, 0.9]]))
    c0 = np.array([1 + 2**-0.5, 2**-0.5, 0]) / 2
    c1 = np.array([0, 2**-0.5, 1 + 2**-0.5]) / 2
    c0, c1 = c0 / np.linalg.norm(c0), c1 / np.linalg.norm(c1)
    q = query.toarray() / np.linalg.norm(query.toarray(), axis=1, keepdims=True)
    expected = np.argmax(np.stack([q @ c0, q @ c1], axis=1), axis=1)
    classifier = model.adapt(X_support, y_support)
    assert classifier.predict(query).tolist() == expected.tolist() == [0, 1, 1]
    assert np.allclose(classifier.decision_function(query), np.stack([q @ c0, q @ c1], axis=1))


def test_meta_bias_with_zero_bias_is_plain_ridge():
    rng = np.random.default_rng(0)
    X = sp.csr_matrix(rng.random((12, 6)))
    y = np.repeat([0, 1, 2], 4)
    model = MetaBias(l2s=[0.5])
    model.projection_ = RidgeHead().fit_projection(X)
    model.bias_, model.l2_ = np.zeros(6), 0.5
    plain = RidgeHead(l2s=[0.5]).meta_fit(X, y)
    a, b = model.adapt(X, y), plain.adapt(X, y)
    assert np.allclose(a.W, b.W) and np.allclose(a.b, b.b)
    # and the ridge head is the closed form (Z Z^T + 1 + l2 I) alpha = Y, W = Z^T alpha
    W, bias, _ = ridge_head(X, y, 0.5)
    Z = X.toarray()
    alpha = np.linalg.solve(Z @ Z.T + 1 + 0.5 * np.eye(12), np.eye(3)[y])
    assert np.allclose(W, Z.T @ alpha) and np.allclose(bias, alpha.sum(axis=0))


def test_meta_bias_helps_related_binary_tasks():
    rng = np.random.default_rng(1)
    d = 30
    w0 = rng.standard_normal(d)
    X, y, tasks = [], [], []
    for t in range(20):  # training tasks near w0
        Xt = rng.standard_normal((100, d))
        (
            X.append(Xt),
            y.append((Xt @ (w0 + 0.2 * rng.standard_normal(d)) > 0).astype(int)),
            tasks.append(np.full(100, t)),
        )
    model = MetaBias(l2s=[1.0], meta_l2=1.0).meta_fit(np.vstack(X), np.concatenate(y), np.concatenate(tasks))
    plain = RidgeHead(l2s=[1.0]).meta_fit(np.vstack(X), np.concatenate(y))
    w_new = w0 + 0.2 * rng.standard_normal(d)
    Xs, Xq = rng.standard_normal((4, d)), rng.standard_normal((500, d))
    ys, yq = (Xs @ w_new > 0).astype(int), (Xq @ w_new > 0).astype(int)
    if len(set(ys)) < 2:
        ys[0] = 1 - ys[0]
    assert np.mean(model.adapt(Xs, ys).predict(Xq) == yq) > np.mean(plain.adapt(Xs, ys).predict(Xq) == yq) + 0.1


def test_eval_rescores_an_episodic_run_from_saved_models(tmp_path, newsgroups_home):
    from mtl_cli.runner import evaluate

    config = tmp_path / "few.yaml"
    config.write_text(EPISODES_CONFIG.format(learners="[{name: ridge-head}, {name: reptile, n_meta_iterations: 20}]"))
    summary = train(config_module.load(config), tmp_path / "runs", n_jobs=1)
    again = evaluate(tmp_path / "runs" / "few")
    assert not again.failures and again.n_skipped == 0
    assert again.tables["accuracy"] == summary.tables["accuracy"]
    records = [json.loads(line) for line in open(tmp_path / "runs" / "few" / "results.jsonl")]
    assert {tuple(r["selected_params"]) for r in records} == {("l2",), ("inner_lr",)}


def test_choose_skips_candidates_that_could_not_be_scored():
    """A nan validation score (nothing to score) never wins; with only nans the first candidate does."""
    import numpy as np

    from mtl_cli.learners.meta import RidgeHead

    class Scores:
        def __init__(self, by_value):
            self.by_value = by_value

        def score(self, adapt, with_queries=False):
            return self.by_value[adapt(None, None)]  # here adapt gives back the candidate it was called with

    def candidate(X_support, y_support, value):
        return value

    learner = RidgeHead()
    assert learner.choose("l2", [10.0, 1.0, 0.1], Scores({10.0: np.nan, 1.0: 0.6, 0.1: 0.9}), candidate) == 0.1
    assert learner.choose("l2", [10.0, 1.0], Scores({10.0: np.nan, 1.0: np.nan}), candidate) == 10.0
    assert learner.selected_params_ == {"l2": 10.0}
