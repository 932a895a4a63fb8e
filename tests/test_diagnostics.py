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


def train_config(tmp_path, name: str, text: str):
    """``mtl train`` of a config written to ``tmp_path/<name>.yaml``; returns the CLI result (exit 0 checked)."""
    (tmp_path / f"{name}.yaml").write_text(text)
    result = CliRunner().invoke(app, ["train", str(tmp_path / f"{name}.yaml"), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    return result


def test_train_warns_in_one_line_when_the_grid_is_too_strong(tmp_path):
    result = train_config(
        tmp_path, "edge",
        "dataset: {name: synthetic, n_tasks: 3, n_features: 10, n_train: 40, n_test: 40, seed: 1}\n"
        "split: {name: by-column, n_train_per_task: [40]}\nfeaturizer: {name: none}\n"
        "learners: [{name: shared-w-cv, penalty: mean, l2s: [3.0, 10.0], n_alphas: 2}]\nseeds: [0, 1]\n")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 1 and "chose the smallest l2 of l2s (3) in 2 of 2 fits" in warnings[0]


def meta_fits(scores_per_fit: list[dict], chosen: list | None = None) -> list[dict]:
    """Records of meta-learner fits; each chose ``chosen[i]`` (default: its best candidate)."""
    chosen = chosen or [max((s, v) for v, s in scores.items() if s is not None)[1] for scores in scores_per_fit]
    return [{"learner": "ridge-head", "learner_name": "ridge-head", "params": {}, "cell": f"c{i}", "episode": e,
             "validation_scores": {"l2": {repr(v): s for v, s in scores.items()}},
             "selected_params": {"l2": chosen[i]}}
            for i, scores in enumerate(scores_per_fit) for e in range(2)]


def test_an_edge_that_meta_validation_scores_strictly_best_in_most_fits_is_reported():
    from mtl_cli.diagnostics import validation_edge_lines

    largest_best = {0.1: 0.70, 1.0: 0.72, 10.0: 0.75}
    (line,) = validation_edge_lines(meta_fits([largest_best, largest_best, {0.1: 0.7, 1.0: 0.8, 10.0: 0.75}]))
    assert "ridge-head: meta-validation scored the largest l2 (10) best in 2 of 3 fits" in line
    assert "a larger l2 may do better" in line
    smallest_best = {0.1: 0.9, 1.0: 0.8, 10.0: None}  # None: a candidate nothing could score
    (line,) = validation_edge_lines(meta_fits([smallest_best, smallest_best]))
    assert "the smallest l2 (0.1) best in 2 of 2 fits" in line
    tie = {0.1: 0.75, 1.0: 0.72, 10.0: 0.75}  # the tie rule picks the edge, but no value was strictly best
    assert validation_edge_lines(meta_fits([tie, tie, tie])) == []
    assert validation_edge_lines(meta_fits([largest_best, {0.1: 0.7, 1.0: 0.8, 10.0: 0.75}])) == []  # half only
    assert validation_edge_lines(meta_fits([{1.0: 0.8}, {1.0: 0.8}])) == []  # one candidate
    plateau = {0.001: 0.4708, 0.003: 0.4704, 0.01: 0.4694, 0.1: 0.46}  # the tie rule chose 0.01: a wider grid
    assert validation_edge_lines(meta_fits([plateau, plateau], chosen=[0.01, 0.01])) == []  # would not change it


def test_meta_learners_record_the_validation_score_of_every_candidate(tmp_path):
    import json

    train_config(
        tmp_path, "meta",
        "dataset: {name: synthetic, n_tasks: 8, n_features: 10, n_train: 60, n_test: 40, seed: 2}\n"
        "split: {name: by-column, holdout_tasks: 0.25, n_train_per_task: [4]}\nfeaturizer: {name: none}\n"
        "learners: [{name: ridge-head, l2s: [0.1, 1.0, 10.0]}, {name: pooled, estimator: ridge}]\nseeds: [0]\n")
    records = [json.loads(line) for line in open(tmp_path / "runs" / "meta" / "results.jsonl")]
    meta = [r for r in records if r["learner_name"] == "ridge-head"]
    assert meta and all(set(r["validation_scores"]["l2"]) == {"0.1", "1.0", "10.0"} for r in meta)
    assert all(0 <= s <= 1 for r in meta for s in r["validation_scores"]["l2"].values())
    chosen = meta[0]["selected_params"]["l2"]
    scores = {float(v): s for v, s in meta[0]["validation_scores"]["l2"].items()}
    assert scores[chosen] >= max(scores.values()) - 0.005  # the choice is within the tie rule of the best
    assert all(r["validation_scores"] is None for r in records if r["learner_name"] == "pooled")
