import json
import subprocess
import sys

import numpy as np
import pytest

from mtl_cli import config as config_module
from mtl_cli.learners import PooledClassifier
from mtl_cli.registry import LEARNERS
from mtl_cli.results import mean_ci95
from mtl_cli.runner import evaluate, train


def table_bytes(run_dir):
    return {
        name: (run_dir / name).read_bytes()
        for name in ("accuracy.csv", "accuracy.md", "accuracy.json", "accuracy_per_task.csv")
    }


def test_tables_hold_means_and_ci_over_seeds(synthetic_config, tmp_path):
    summary = train(config_module.load(synthetic_config()), tmp_path / "runs")
    run_dir = tmp_path / "runs" / "syn"
    records = [json.loads(line) for line in open(run_dir / "results.jsonl")]
    assert len(records) == 3 * 2 * 2 * 4  # settings x sizes x seeds x tasks
    rows = summary.tables["accuracy"]
    assert [(r["learner"], r["n_train_per_task"]) for r in rows][:2] == [
        ("single-task[C=0.1,estimator=logistic]", 10), ("single-task[C=0.1,estimator=logistic]", 30)
    ]
    row = rows[0]
    per_seed = [
        np.mean(
            [
                r["accuracy"]
                for r in records
                if r["learner"] == row["learner"] and r["n_train_per_task"] == 10 and r["seed"] == s
            ]
        )
        for s in (0, 1)
    ]
    assert row["accuracy_mean"] == pytest.approx(np.mean(per_seed))
    assert row["accuracy_ci95"] == pytest.approx(12.706204736 * np.std(per_seed, ddof=1) / np.sqrt(2))
    assert row["n_runs"] == 2 and row["n_tasks"] == 4
    assert 0.5 < row["accuracy_mean"] <= 1.0
    assert {r["n_train"] for r in records if r["n_train_per_task"] == 30} == {30}
    header = (run_dir / "accuracy.csv").read_text().splitlines()[0].split(",")
    assert header[:5] == ["learner", "n_train_per_task", "accuracy_mean", "accuracy_ci95", "macro_f1_mean"]
    assert "n_runs" in header
    assert json.loads((run_dir / "accuracy.json").read_text())[0]["n_runs"] == 2


def test_mean_ci95():
    assert mean_ci95([1.0, 2.0, 3.0]) == pytest.approx((2.0, 4.302652729 / np.sqrt(3)))
    mean, ci = mean_ci95([0.5])
    assert mean == 0.5 and np.isnan(ci)


def test_same_tables_whatever_the_number_of_jobs(synthetic_config, tmp_path):
    train(config_module.load(synthetic_config()), tmp_path / "one", n_jobs=1)
    train(config_module.load(synthetic_config()), tmp_path / "two", n_jobs=2)
    assert table_bytes(tmp_path / "one" / "syn") == table_bytes(tmp_path / "two" / "syn")


def test_dask_local_cluster_gives_the_same_tables_as_loky(synthetic_config, tmp_path):
    pytest.importorskip("dask.distributed")
    train(config_module.load(synthetic_config()), tmp_path / "loky", n_jobs=2)
    summary = train(config_module.load(synthetic_config(backend="dask")), tmp_path / "dask", n_jobs=2)
    assert not summary.failures
    assert table_bytes(tmp_path / "loky" / "syn") == table_bytes(tmp_path / "dask" / "syn")


class Interrupting(PooledClassifier):
    """Pooled, but the third fit in this process is interrupted as by Ctrl-C."""

    fits = 0

    def fit(self, X, y, tasks):
        type(self).fits += 1
        if type(self).fits == 3:
            raise KeyboardInterrupt
        return super().fit(X, y, tasks)


@pytest.fixture
def interrupting():
    LEARNERS.register("interrupting")(Interrupting)
    yield
    LEARNERS.unregister("interrupting")


def test_interrupted_run_keeps_finished_cells_and_resumes(synthetic_config, tmp_path, interrupting):
    path = synthetic_config()
    path.write_text(path.read_text().replace("name: pooled", "name: interrupting"))
    experiment = config_module.load(path)
    runs = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt):
        # the single-task cells (8) run first, then the third interrupting fit stops the run
        train(experiment, runs, n_jobs=1)
    cells_dir = runs / "syn" / "cells"
    finished = sorted(p.name for p in cells_dir.iterdir())
    assert len(finished) == 8 + 2
    assert not list((runs / "syn").rglob("*.partial"))
    assert all(json.loads((cells_dir / name).read_text()) for name in finished)

    summary = train(experiment, runs, n_jobs=1)
    assert summary.n_skipped == 10 and not summary.failures
    assert len(list(cells_dir.iterdir())) == 12

    reference = train(experiment, tmp_path / "fresh", n_jobs=1)
    assert table_bytes(runs / "syn") == table_bytes(tmp_path / "fresh" / "syn")
    assert reference.n_skipped == 0


def test_rerun_skips_done_cells_unless_forced(synthetic_config, tmp_path):
    experiment = config_module.load(synthetic_config())
    train(experiment, tmp_path)
    again = train(experiment, tmp_path)
    assert again.n_skipped == again.n_cells == 12
    forced = train(experiment, tmp_path, force=True)
    assert forced.n_skipped == 0


def test_eval_rescores_saved_models_without_refitting(synthetic_config, tmp_path):
    experiment = config_module.load(synthetic_config())
    train(experiment, tmp_path)
    run_dir = tmp_path / "syn"
    before = table_bytes(run_dir)
    (run_dir / "accuracy.csv").write_text("stale")
    summary = evaluate(run_dir)
    assert not summary.failures and summary.n_skipped == 0
    assert table_bytes(run_dir) == before
    records = [json.loads(line) for line in open(run_dir / "results.jsonl")]
    assert all(r["fit_seconds"] > 0 for r in records)  # kept from training


def test_failing_cells_are_reported_and_not_cached(tmp_path):
    experiment = config_module.from_dict(
        {
            "name": "nb",
            "dataset": {"name": "synthetic", "n_tasks": 2, "n_features": 5},
            "split": {"name": "by-column", "n_train_per_task": 20},
            "featurizer": {"name": "none"},
            "learners": [
                {"name": "single-task", "estimator": "multinomial-nb"},
                {"name": "pooled", "estimator": "ridge"},
            ],
        }
    )
    summary = train(experiment, tmp_path)
    assert len(summary.failures) == 1
    assert "Negative values" in summary.failures[0].error  # Gaussian features are not counts
    assert len(list((tmp_path / "nb" / "cells").iterdir())) == 1
    assert [r["learner"] for r in summary.tables["accuracy"]] == ["pooled[estimator=ridge]"]


def test_a_model_skops_cannot_write_fails_its_cell_and_the_others_are_saved(synthetic_config, tmp_path, monkeypatch):
    from mtl_cli.rundir import RunDirectory

    write = RunDirectory.model_bytes

    def refuse_pooled(model):
        if isinstance(model, PooledClassifier):
            raise TypeError("cannot write this model")
        return write(model)

    monkeypatch.setattr(RunDirectory, "model_bytes", staticmethod(refuse_pooled))
    summary = train(config_module.load(synthetic_config()), tmp_path)
    assert {f.cell.learner for f in summary.failures} == {"pooled"} and len(summary.failures) == 4
    assert "TypeError: cannot write this model" in summary.failures[0].error
    assert {r["learner"] for r in summary.tables["accuracy"]} == {"single-task[C=0.1,estimator=logistic]",
                                                                  "single-task[C=1.0,estimator=logistic]"}
    assert len(list((tmp_path / "syn" / "models").iterdir())) == 8  # the 8 single-task cells, no pooled one


def test_the_model_writer_is_imported_without_torch_which_still_imports_after():
    """skops' import walks every scikit-learn module, one of which imports torch (1.2 s, 300 MB per process)."""
    pytest.importorskip("torch")
    code = ("import sys; from mtl_cli.rundir import skops_io; io = skops_io(); "
            "assert 'torch' not in sys.modules and hasattr(io, 'dumps'); "
            "import torch; from sklearn.externals.array_api_compat import torch as compat; "
            "print(torch.tensor([1.0]).sum().item())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.0"
