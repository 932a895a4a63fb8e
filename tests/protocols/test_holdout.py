"""Held-out tasks: meta-learners learn from the other tasks, results cover the held-out ones."""

import json

import pytest

from mtl_cli import config as config_module
from mtl_cli.data.splits import ByColumn, HierarchyPairs
from mtl_cli.prepare import split_tasks
from mtl_cli.runner import train

CONFIG = """
name: ho
dataset: {{name: synthetic, n_tasks: 8, n_features: 10, n_train: 80, n_test: 50, seed: 2}}
split: {{name: by-column, holdout_tasks: 0.25, n_train_per_task: [4, 10]}}
featurizer: {{name: none}}
learners: {learners}
seeds: [0, 1]
"""


def test_heldout_subset_is_seeded_and_a_quarter():
    split = HierarchyPairs(["comp", "rec"], holdout_tasks=0.25)
    names = [f"t{i}" for i in range(20)]

    class T:
        def __init__(self, name):
            self.name = name

    chosen = split.heldout([T(n) for n in names])
    assert len(chosen) == 5 and chosen == split.heldout([T(n) for n in names])
    assert HierarchyPairs(holdout_tasks=0.25, holdout_seed=1).heldout([T(n) for n in names]) != chosen
    assert ByColumn().heldout([T(n) for n in names]) == set()
    with pytest.raises(ValueError, match="'holdout_tasks' must be a fraction"):
        ByColumn(holdout_tasks=1.5).check()


def test_meta_learners_learn_from_training_tasks_only(tmp_path, spy_meta):
    log = tmp_path / "spy.jsonl"
    config = tmp_path / "ho.yaml"
    config.write_text(
        CONFIG.format(
            learners=f"[{{name: spy-meta, log: {log}}}, {{name: single-task, estimator: logistic}}, "
            "{name: meta-bias}]"
        )
    )
    experiment = config_module.load(config)
    summary = train(experiment, tmp_path / "runs", n_jobs=1)
    assert not summary.failures
    _, tasks, heldout = split_tasks(experiment.feature_spec(0, 4))
    assert len(heldout) == 2
    heldout_ids = {k for k, t in enumerate(tasks) if t.name in heldout}
    calls = [json.loads(line) for line in open(log)]
    fits = [c for c in calls if "meta_fit" in c]
    assert len(fits) == 4  # 2 sizes x 2 seeds
    for call in fits:
        assert not set(call["tasks"]) & heldout_ids  # never a held-out task
        assert len(call["tasks"]) == 5 and call["n"] == 5 * 80  # full pools of the 6 training tasks but 1
        assert call["validation"] == 1  # a quarter of the training tasks validate
    adapted = [c["adapt"] for c in calls if "adapt" in c]
    assert sorted(set(adapted)) == [4, 10]  # held-out tasks adapt from n_train_per_task samples
    records = [json.loads(line) for line in open(tmp_path / "runs" / "ho" / "results.jsonl")]
    assert {r["task"] for r in records} == heldout
    assert {r["n_train"] for r in records if r["n_train_per_task"] == 10} == {10}
    table = {(r["learner"], r["n_train_per_task"]): r for r in summary.tables["accuracy"]}
    assert table[("meta-bias", 4)]["accuracy_mean"] > table[("single-task[estimator=logistic]", 4)]["accuracy_mean"]
    assert all(r["n_tasks"] == 2 for r in summary.tables["accuracy"])


def test_eval_rescores_a_holdout_run(tmp_path):
    from mtl_cli.runner import evaluate

    config = tmp_path / "ho.yaml"
    config.write_text(CONFIG.format(learners="[{name: meta-bias}, {name: pooled, estimator: ridge}]"))
    summary = train(config_module.load(config), tmp_path / "runs", n_jobs=2)
    again = evaluate(tmp_path / "runs" / "ho", n_jobs=2)
    assert not again.failures and again.tables["accuracy"] == summary.tables["accuracy"]


def shared_sample_task_set(n_per_class=40):
    """Nine tasks, class a_i vs class b_j, where each class's samples are in three tasks (as in
    hierarchy-pairs); feature 0 of a row is its sample's id, feature 1 its label."""
    import numpy as np

    from mtl_cli.features import TaskSet

    samples = {c: np.arange(n_per_class) + k * n_per_class for k, c in enumerate(["a0", "a1", "a2", "b0", "b1", "b2"])}
    rows, labels, task_ids, names = [], [], [], []
    for i in range(3):
        for j in range(3):
            names.append(f"a{i} vs b{j}")
            for c, label in ((f"a{i}", 1), (f"b{j}", 0)):
                rows.append(samples[c])
                labels.append(np.full(n_per_class, label))
                task_ids.append(np.full(n_per_class, len(names) - 1))
    document_train = np.concatenate(rows)
    y = np.concatenate(labels)
    X = np.column_stack([document_train, y]).astype(float)
    task_train = np.concatenate(task_ids)
    heldout = np.zeros(9, dtype=bool)
    heldout[[0, 4]] = True
    return TaskSet(names, X, y, task_train, X[:0], y[:0], task_train[:0], 2, 0.0, document_train, heldout)


def test_validation_tasks_are_scored_on_samples_nothing_was_meta_fitted_on():
    """Tasks share samples, so validation holds out samples as well as tasks: a validation task's
    queries are in no meta-fit row, its support is not among its queries, and the draw is seeded."""
    import numpy as np

    from mtl_cli.learners.meta import MetaLearner, Prototypes
    from mtl_cli.protocols import holdout

    class Recorder(MetaLearner):
        def meta_fit(self, X, y, tasks=None, validation=None):
            self.fitted_samples_ = set(X[:, 0].tolist())
            self.splits_ = [(set(validation.X[s, 0].tolist()), set(validation.X[q, 0].tolist()))
                            for s, q in validation.splits]
            self.inner_ = Prototypes().meta_fit(X, y)
            return self

        def adapt(self, X_support, y_support):
            return self.inner_.adapt(X_support, y_support)

    task_set = shared_sample_task_set()

    class Cell:
        seed, size = 0, 10

    learner = Recorder()
    holdout.fit(learner, task_set, Cell)
    assert len(learner.splits_) == 1  # a quarter of the 7 training tasks
    support, queries = learner.splits_[0]
    assert len(support) == 10 and len(queries) >= 10
    assert not queries & learner.fitted_samples_  # before: every query was also a meta-fit row
    assert not queries & support
    # meta-fitting loses only the held-out samples: every other sample of the 6 fit tasks is there
    validation_ids, fit_ids, held_out = holdout.validation_plan(task_set, 0)
    fit_rows = np.isin(task_set.task_train, fit_ids)
    assert learner.fitted_samples_ == set(task_set.document_train[fit_rows & ~held_out].tolist())
    assert len(fit_ids) == 6 and not np.array_equal(held_out, holdout.validation_plan(task_set, 1)[2])
    assert np.array_equal(held_out, holdout.validation_plan(task_set, 0)[2])


def test_meta_learners_validate_with_every_training_sample(tmp_path):
    """``n_train_per_task: all``: a validation task adapts on all its samples but the held-out ones and is
    scored on those (before, it had no sample left to score and meta-fitting failed)."""
    config = tmp_path / "ho.yaml"
    config.write_text(CONFIG.format(learners="[{name: meta-bias}, {name: ridge-head}]").replace("[4, 10]", "[4, all]"))
    summary = train(config_module.load(config), tmp_path / "runs", n_jobs=1)
    assert not summary.failures
    records = [json.loads(line) for line in open(tmp_path / "runs" / "ho" / "results.jsonl")]
    assert {r["n_train_per_task"] for r in records} == {4, "all"}
    for r in records:  # every candidate was scored on validation, and the choice is one of them
        scores = r["validation_scores"]["l2"]
        assert len(scores) > 1 and all(s is not None for s in scores.values())
        assert repr(r["selected_params"]["l2"]) in scores
