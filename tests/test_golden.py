"""Golden experiments: real data, fixed seeds, accuracy bounds and pinned tables."""

from pathlib import Path

import pytest

from mtl_cli import config as config_module
from mtl_cli.runner import train

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name, floor", [("newsgroups-20way", 0.86), ("newsgroups-20way-clean", 0.70)])
def test_newsgroups_20way_linear_svm(tmp_path, newsgroups_home, name, floor):
    summary = train(config_module.load(CONFIGS / f"{name}.yaml"), tmp_path, n_jobs=1)
    (row,) = summary.tables["accuracy"]
    assert row["n_train_per_task"] == "all" and row["n_tasks"] == 1
    assert floor <= row["accuracy_mean"] < floor + 0.03


def test_quickstart_sharing_helps_held_out_tasks_with_4_posts(tmp_path, newsgroups_home):
    experiment = config_module.load(CONFIGS / "quickstart.yaml")
    assert experiment.protocol == "holdout"
    rows = {
        (r["learner"].split("[")[0], r["n_train_per_task"]): r
        for r in train(experiment, tmp_path, n_jobs=2).tables["accuracy"]
    }
    assert {learner for learner, _ in rows} == {"single-task", "pooled", "shared-w-cv", "meta-bias"}
    single = rows[("single-task", 4)]
    for sharing in ("pooled", "shared-w-cv", "meta-bias"):
        row = rows[(sharing, 4)]
        assert row["accuracy_mean"] - row["accuracy_ci95"] > single["accuracy_mean"] + single["accuracy_ci95"], sharing
    assert all(r["n_tasks"] == 5 for r in rows.values())  # scored on the held-out tasks only
    assert rows[("single-task", 100)]["accuracy_mean"] > 0.95


# configs/synthetic.yaml: (learner, n_train_per_task) -> accuracy_mean, computed once and pinned.
GOLDEN_SYNTHETIC = {
    ("single-task[C=0.1,estimator=logistic]", 10): 0.5985,
    ("single-task[C=0.1,estimator=logistic]", 200): 0.8617,
    ("single-task[C=1.0,estimator=logistic]", 10): 0.6028,
    ("single-task[C=1.0,estimator=logistic]", 50): 0.7339,
    ("pooled[C=1.0,estimator=logistic]", 10): 0.7877,
    ("pooled[C=1.0,estimator=logistic]", 20): 0.8202,
    ("pooled[C=1.0,estimator=logistic]", 200): 0.8775,
}


def test_synthetic_golden_table(tmp_path):
    table = train(config_module.load(CONFIGS / "synthetic.yaml"), tmp_path, n_jobs=1).tables["accuracy"]
    got = {(r["learner"], r["n_train_per_task"]): round(r["accuracy_mean"], 4) for r in table}
    for key, expected in GOLDEN_SYNTHETIC.items():
        assert got[key] == pytest.approx(expected, abs=0.005)
    assert len(got) == 12
