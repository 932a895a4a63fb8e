"""Explicit grids: {grid: [...]} is an axis, every other list is a value, so list-valued parameters work."""

from __future__ import annotations

from typer.testing import CliRunner

from mtl_cli import config as config_module
from mtl_cli.cli import app
from mtl_cli.config import Cell
from mtl_cli.runner import make_learner

runner = CliRunner()

LISTS = """
name: lists
dataset: {name: synthetic, n_tasks: 3, n_features: 10, n_train: 60, n_test: 60}
split: {name: by-column, n_train_per_task: [20]}
featurizer: {name: none}
learners:
  - {name: shared-w-cv, penalty: mean, l2s: [0.01, 0.1], alphas: [0.1, 1.0, 10.0]}
  - {name: shared-w, penalty: graph, task_graph: [[task-00, task-01], [task-01, task-02, 2.0]]}
  - {name: shared-w, penalty: graph, task_graph: {grid: [complete, [[task-00, task-02]]]}}
seeds: [0, 1]
n_jobs: 1
"""

META_LISTS = """
name: metalists
dataset: {name: synthetic, n_tasks: 6, n_features: 10, n_train: 60, n_test: 60}
split: {name: by-column, n_train_per_task: [10], holdout_tasks: 0.34}
featurizer: {name: none}
learners:
  - {name: meta-subspace, ranks: [2, 3]}
  - {name: reptile, inner_lrs: [0.5, 1.0], n_meta_iterations: 20}
  - {name: ridge-head, l2s: [0.1, 1.0]}
seeds: [0]
n_jobs: 1
"""


def test_list_valued_parameters_are_values_and_grid_marks_axes(tmp_path):
    path = tmp_path / "lists.yaml"
    path.write_text(LISTS)
    experiment = config_module.load(path)
    cells = experiment.cells()
    assert len(cells) == (1 + 1 + 2) * 2  # only the marked axis multiplies
    assert cells[0].params["l2s"] == [0.01, 0.1] and cells[0].params["alphas"] == [0.1, 1.0, 10.0]
    assert cells[2].params["task_graph"] == [["task-00", "task-01"], ["task-01", "task-02", 2.0]]
    assert [c.params["task_graph"] for c in cells[4::2]] == ["complete", [["task-00", "task-02"]]]
    result = runner.invoke(app, ["train", str(path), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    assert "fitted 8 cells" in result.stdout


def test_meta_learners_take_their_candidate_lists(tmp_path):
    path = tmp_path / "meta.yaml"
    path.write_text(META_LISTS)
    result = runner.invoke(app, ["train", str(path), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    assert "fitted 3 cells" in result.stdout


def test_task_graph_names_tasks_and_the_learner_gets_their_ids():
    cell = Cell("shared-w", {"penalty": "graph", "task_graph": [["b", "c", 2.0], ["a", "c"]]}, 0, 10, "0" * 16)
    learner = make_learner(cell, ["a", "b", "c"])
    assert learner.task_graph == [[1, 2, 2.0], [0, 2]]
    assert cell.params["task_graph"] == [["b", "c", 2.0], ["a", "c"]]  # the cell (and its label) keep the names


def test_ngram_range_is_a_plain_list(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("text,label\n" + "".join(f"good day {i},pos\nbad day {i},neg\n" for i in range(10)))
    path = tmp_path / "ngrams.yaml"
    path.write_text(f"""
dataset: {{name: files, path: {data}}}
split: {{name: single}}
featurizer: {{name: tfidf, ngram_range: [1, 2]}}
learners: [{{name: pooled, estimator: logistic}}]
""")
    result = runner.invoke(app, ["train", str(path), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    import json

    record = json.loads((tmp_path / "runs" / "ngrams" / "results.jsonl").read_text().splitlines()[0])
    assert record["n_features"] == 5  # good, bad, day, "good day", "bad day" (unigrams alone: 3)
