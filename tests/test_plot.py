"""Learning-curve plots drawn from a run's accuracy table."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.plot import learning_curves, plot_run

pytest.importorskip("matplotlib")

ROWS = [
    {"learner": "single", "n_train_per_task": 5, "accuracy_mean": 0.5, "accuracy_ci95": 0.02, "n_runs": 3},
    {"learner": "single", "n_train_per_task": 50, "accuracy_mean": 0.8, "accuracy_ci95": 0.01, "n_runs": 3},
    {"learner": "shared", "n_train_per_task": 50, "accuracy_mean": 0.9, "accuracy_ci95": math.nan, "n_runs": 1},
    {"learner": "shared", "n_train_per_task": 5, "accuracy_mean": 0.7, "accuracy_ci95": 0.05, "n_runs": 3},
]


def test_one_line_per_learner_through_the_table_means_with_ci_bands():
    figure = learning_curves(ROWS, "accuracy", "t")
    axes = figure.axes[0]
    lines = {line.get_label(): line for line in axes.get_lines()}
    assert set(lines) == {"single", "shared"}
    assert list(lines["shared"].get_xdata()) == [5, 50]  # sorted by size, whatever the table order
    assert list(lines["shared"].get_ydata()) == [0.7, 0.9]
    assert axes.get_xscale() == "log"
    band = axes.collections[1].get_paths()[0].vertices[:, 1]  # shared: 0.7 ± 0.05, then 0.9 ± 0 (NaN CI)
    assert band.min() == pytest.approx(0.65) and band.max() == pytest.approx(0.9)


def test_sizes_that_are_not_numbers_keep_the_table_order():
    rows = [dict(row, n_train_per_task={5: 5, 50: "all"}[row["n_train_per_task"]]) for row in ROWS]
    axes = learning_curves(rows, "accuracy").axes[0]
    assert axes.get_xscale() == "linear"
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["5", "all"]


def test_episodic_runs_with_several_ways_get_one_curve_per_way():
    rows = [{"learner": "prototypes", "n_way": w, "k_shot": k, "accuracy_mean": 0.1 * k / w,
             "accuracy_ci95": 0.01, "n_episodes": 100} for w in (5, 10) for k in (1, 5)]
    axes = learning_curves(rows, "accuracy", size_key="k_shot").axes[0]
    assert {line.get_label() for line in axes.get_lines()} == {"prototypes (5-way)", "prototypes (10-way)"}
    assert axes.get_xlabel() == "shots per class"


def write_run(tmp_path, rows):
    run = tmp_path / "runs" / "demo"
    run.mkdir(parents=True)
    (run / "accuracy.json").write_text(json.dumps([{k: (None if v != v else v) for k, v in r.items()} for r in rows]))
    (run / "config.yaml").write_text("name: demo\n")
    (run / "manifest.json").write_text(json.dumps({"protocol": "plain"}))
    return run


def test_cli_writes_the_image_into_the_run_and_elsewhere_on_request(tmp_path):
    run = write_run(tmp_path, ROWS)
    result = CliRunner().invoke(app, ["plot", "--runs", str(tmp_path / "runs")])  # newest run by default
    assert result.exit_code == 0, result.output
    assert (run / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = CliRunner().invoke(app, ["plot", str(run), "--out", str(tmp_path / "curve.svg")])
    assert result.exit_code == 0
    assert b"<svg" in (tmp_path / "curve.svg").read_bytes()[:500]


@pytest.mark.parametrize("args, message", [
    (["--metric", "f1"], "--metric: 'f1' is not in"),
    (["--out", "curve.gif"], "--out: curve.gif must end in .png, .svg or .pdf"),
])
def test_cli_bad_options_are_one_line_errors_with_exit_code_2(tmp_path, args, message):
    run = write_run(tmp_path, ROWS)
    result = CliRunner().invoke(app, ["plot", str(run), *args])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert not list(run.glob("*.png"))


def test_a_run_without_a_table_is_a_user_error(tmp_path):
    result = CliRunner().invoke(app, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "no accuracy.json" in result.stderr


def test_plot_of_a_real_training_run(synthetic_runs):
    out = plot_run(synthetic_runs / "syn", "macro_f1")
    assert out == synthetic_runs / "syn" / "macro_f1.png" and out.stat().st_size > 1000
    table = json.loads((synthetic_runs / "syn" / "accuracy.json").read_text())
    axes = learning_curves(table, "macro_f1").axes[0]
    pooled = next(line for line in axes.get_lines() if line.get_label().startswith("pooled"))
    expected = [row["macro_f1_mean"] for row in table if row["learner"].startswith("pooled")]
    assert np.allclose(pooled.get_ydata(), expected)
