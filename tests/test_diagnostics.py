"""Cross-validated choices on the edge of their grid are reported after a run."""

from __future__ import annotations

from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.diagnostics import edge_lines


def fits(params: dict, chosen: list[float]) -> list[dict]:
    label = "shared-w-cv[" + ",".join(f"{k}={v}" for k, v in params.items()) + "]"
    return [{"learner": label, "learner_name": "shared-w-cv", "params": params, "cell": f"c{i}", "task": task,
             "selected_params": {"alpha": 0.1, "l2": l2}} for i, l2 in enumerate(chosen) for task in ("a", "b")]


def test_an_edge_chosen_in_most_fits_is_reported_once():
    (line,) = edge_lines(fits({"l2s": [0.01, 0.1, 1.0]}, [0.01, 0.01, 0.01, 0.1]))
    assert "chose the smallest l2 of l2s (0.01) in 3 of 4 fits" in line and "smaller l2" in line
    (line,) = edge_lines(fits({"l2s": [0.01, 0.1, 1.0]}, [1.0, 1.0, 0.1]))
    assert "the largest l2 of l2s (1) in 2 of 3 fits" in line
    assert edge_lines(fits({"l2s": [0.01, 0.1, 1.0]}, [0.01, 0.1, 1.0, 0.1])) == []  # no edge in most fits
    assert edge_lines(fits({"l2s": [0.1]}, [0.1, 0.1])) == []  # one candidate: nothing was chosen


def test_the_default_grid_reaches_a_negligible_ridge_and_its_floor_is_not_flagged():
    assert edge_lines(fits({}, [1e-6, 1e-6, 1e-5])) == []
    (line,) = edge_lines(fits({}, [0.1, 0.1]))  # the default grid's strongest ridge, chosen every time
    assert "largest l2 of l2s (0.1)" in line


def test_train_warns_in_one_line_when_the_grid_is_too_strong(tmp_path):
    (tmp_path / "edge.yaml").write_text(
        "dataset: {name: synthetic, n_tasks: 3, n_features: 10, n_train: 40, n_test: 40, seed: 1}\n"
        "split: {name: by-column, n_train_per_task: [40]}\nfeaturizer: {name: none}\n"
        "learners: [{name: shared-w-cv, penalty: mean, l2s: [3.0, 10.0], n_alphas: 2}]\nseeds: [0, 1]\n")
    result = CliRunner().invoke(app, ["train", str(tmp_path / "edge.yaml"), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "chose the smallest l2 of l2s (3) in 2 of 2 fits" in warnings[0]
