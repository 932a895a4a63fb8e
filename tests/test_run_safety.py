"""Runs that cannot be corrupted, escaped, served stale, or made to run code."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mtl_cli.cli import app
from mtl_cli.rundir import RunDirectory

runner = CliRunner()
TABLES = ("accuracy.csv", "accuracy.md", "accuracy.json", "accuracy_per_task.csv", "accuracy_per_task.md")


class Payload:
    """Unpickling this creates a marker file: proof that a file was executed, not just read."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def csv_dataset(path: Path, flip_test: bool = False) -> Path:
    """Two tasks whose label is given by one word; ``flip_test`` makes the test labels the opposite."""
    lines = ["text,label,task,split"]
    for task in ("a", "b"):
        for i in range(12):
            positive = i % 2 == 0
            word = "good" if positive else "bad"
            lines.append(f"{word} thing {i},{'pos' if positive else 'neg'},{task},train")
            test_label = positive != flip_test
            lines.append(f"{word} item {i},{'pos' if test_label else 'neg'},{task},test")
    path.write_text("\n".join(lines) + "\n")
    return path


def files_config(tmp_path: Path, data: Path) -> Path:
    config = tmp_path / "csv.yaml"
    config.write_text(f"""
name: csvrun
dataset: {{name: files, path: {data}}}
split: {{name: by-column, n_train_per_task: [6]}}
featurizer: {{name: tfidf}}
learners: [{{name: single-task, estimator: logistic, estimator_params: {{C: 100.0}}}}]
seeds: [0]
""")
    return config


def accuracy(runs: Path, name: str) -> float:
    return json.loads((runs / name / "accuracy.json").read_text())[0]["accuracy_mean"]


def train(config, runs, *extra):
    return runner.invoke(app, ["train", str(config), "--runs", str(runs), "-q", *extra])


def test_edited_data_is_never_served_stale(tmp_path):
    data = csv_dataset(tmp_path / "data.csv")
    config, runs = files_config(tmp_path, data), tmp_path / "runs"
    assert train(config, runs).exit_code == 0
    assert accuracy(runs, "csvrun") == 1.0
    csv_dataset(data, flip_test=True)  # same path, new content
    result = train(config, runs)
    assert result.exit_code == 0, result.output
    assert "fitted 1 cells" in result.stdout  # a new cell: its id holds the data's fingerprint
    assert accuracy(runs, "csvrun") == 0.0
    result = train(config, runs, "--force")
    assert result.exit_code == 0 and accuracy(runs, "csvrun") == 0.0


def test_planted_pickles_are_never_executed(tmp_path, synthetic_config):
    config, runs, marker = synthetic_config(), tmp_path / "runs", tmp_path / "EXECUTED"
    assert train(config, runs).exit_code == 0
    before = (runs / "syn" / "accuracy.csv").read_text()
    evil = Payload(marker)
    # where the first version kept pickles: models/*.joblib, and every cache file
    import pickle

    for model in (runs / "syn" / "models").glob("*.skops"):
        model.with_suffix(".joblib").write_bytes(pickle.dumps(evil))
    caches = list((runs / ".cache").rglob("*.npz"))
    assert caches
    for cache in caches:
        with open(cache, "wb") as f:
            np.savez(f, __meta__=np.array([evil], dtype=object), allow_pickle=True)
    shutil.rmtree(runs / "syn" / "cells")  # make train read the caches
    result = train(config, runs)
    assert result.exit_code == 0, result.output
    assert "unreadable cache file" in result.stderr
    assert (runs / "syn" / "accuracy.csv").read_text() == before  # rebuilt from the data, same numbers
    for command in (["eval", str(runs / "syn"), "-q"], ["compare", str(runs / "syn"), "-b", "pooled"]):
        assert runner.invoke(app, command).exit_code == 0
    # a model file that is a pickle, and one that names a type that is not ours
    models = sorted((runs / "syn" / "models").glob("*.skops"))
    models[0].write_bytes(pickle.dumps(evil))
    result = runner.invoke(app, ["eval", str(runs / "syn"), "-q"])
    assert result.exit_code == 2 and "not a model file written by mtl" in result.stderr
    import skops.io

    models[0].write_bytes(skops.io.dumps(Payload(marker)))
    result = runner.invoke(app, ["eval", str(runs / "syn"), "-q"])
    assert result.exit_code == 2 and "which mtl does not load" in result.stderr
    assert not marker.exists()


def test_a_second_train_of_the_same_run_is_refused_or_waits(tmp_path, synthetic_config):
    config, runs = synthetic_config(), tmp_path / "runs"
    run = RunDirectory(runs / "syn")
    run.create()
    with run.lock():
        result = train(config, runs)
        assert result.exit_code == 2
        assert "in use by mtl pid" in result.stderr and "--wait" in result.stderr
        assert not list(run.cells.glob("*.json"))
    held = threading.Event()

    def hold_for_a_second():
        with run.lock():
            held.set()
            time.sleep(1.0)

    thread = threading.Thread(target=hold_for_a_second)
    thread.start()
    held.wait()
    start = time.perf_counter()
    result = train(config, runs, "--wait")
    thread.join()
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - start >= 0.5


def test_empty_or_corrupt_cell_files_are_refitted(tmp_path, synthetic_config):
    config, runs = synthetic_config(), tmp_path / "runs"
    assert train(config, runs).exit_code == 0
    tables = {name: (runs / "syn" / name).read_text() for name in TABLES}
    cells = sorted((runs / "syn" / "cells").glob("*.json"))
    cells[0].write_text("")
    cells[1].write_text("[{\"accura")
    result = train(config, runs)
    assert result.exit_code == 0, result.output
    assert "fitted 2 cells, 10 already done" in result.stdout
    assert result.stderr.count("counts as not done") == 2
    assert {name: (runs / "syn" / name).read_text() for name in TABLES} == tables


def test_runs_folder_that_is_a_file_or_unwritable(tmp_path, synthetic_config):
    config = synthetic_config()
    runs = tmp_path / "runs"
    runs.write_text("")
    result = train(config, runs)
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


MEDIUM_CONFIG = """
name: slow
dataset: {name: synthetic, n_tasks: 6, n_features: 100, n_train: 200, n_test: 200}
split: {name: by-column, n_train_per_task: [20, 50, 100, 200]}
featurizer: {name: none}
learners:
  - {name: shared-w, penalty: mean, alpha: 1.0}
  - {name: single-task, estimator: logistic}
seeds: [0, 1, 2, 3, 4, 5, 6, 7]
n_jobs: 2
"""
SLOW_CONFIG = """
name: slow
dataset: {name: synthetic, n_tasks: 6, n_features: 300, n_train: 400, n_test: 200}
split: {name: by-column, n_train_per_task: [50, 100, 200, 400]}
featurizer: {name: none}
learners:
  - {name: shared-w-cv, penalty: mean, l2s: [0.001, 0.01, 0.1], cv: 3}
  - {name: shared-w-cv, penalty: l21, l2s: [0.001, 0.01], cv: 3}
seeds: [0, 1, 2, 3, 4, 5, 6, 7]
n_jobs: 2
"""


def start_training(tmp_path: Path, runs: Path, text: str = SLOW_CONFIG) -> subprocess.Popen:
    config = tmp_path / "slow.yaml"
    config.write_text(text)
    mtl = Path(sys.executable).parent / "mtl"
    return subprocess.Popen([str(mtl), "train", str(config), "--runs", str(runs), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_cells(runs: Path, n: int, process, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while len(list((runs / "slow" / "cells").glob("*.json"))) < n:
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline, "no cell finished in time"
        time.sleep(0.1)


def test_sigterm_stops_the_workers_and_keeps_finished_cells(tmp_path):
    psutil = pytest.importorskip("psutil")
    runs = tmp_path / "runs"
    process = start_training(tmp_path, runs)
    wait_for_cells(runs, 1, process)
    workers = psutil.Process(process.pid).children(recursive=True)
    assert workers
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Interrupted" in stderr and "Traceback" not in stderr
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"workers left running: {alive}"
    assert list((runs / "slow" / "cells").glob("*.json"))


def test_kill_9_then_rerun_gives_byte_identical_tables(tmp_path):
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    process = start_training(tmp_path, killed, MEDIUM_CONFIG)
    wait_for_cells(killed, 3, process)
    process.kill()
    process.wait()
    config = tmp_path / "slow.yaml"
    result = train(config, killed, "--wait")
    assert result.exit_code == 0, result.output
    import re

    fitted = int(re.search(r"fitted (\d+) cells", result.stdout).group(1))
    assert 0 < fitted < 64 and "already done" in result.stdout  # killed in the middle
    assert train(config, clean).exit_code == 0
    for name in TABLES:
        assert (killed / "slow" / name).read_bytes() == (clean / "slow" / name).read_bytes(), name


def test_manifest_records_provenance_and_eval_warns_on_other_versions(tmp_path, synthetic_config):
    config, runs = synthetic_config(), tmp_path / "runs"
    assert train(config, runs).exit_code == 0
    path = runs / "syn" / "manifest.json"
    manifest = json.loads(path.read_text())
    assert set(manifest["versions"]) == {"python", "numpy", "scipy", "scikit-learn", "mtl"}
    for key in ("platform", "command", "config_hash", "data_fingerprint", "started", "finished", "n_jobs", "backend"):
        assert key in manifest
    assert manifest["protocol"] == "plain"
    result = runner.invoke(app, ["eval", str(runs / "syn"), "-q"])
    assert result.exit_code == 0 and "other versions" not in result.stderr
    manifest["versions"]["scikit-learn"] = "0.24.2"
    path.write_text(json.dumps(manifest))
    result = runner.invoke(app, ["eval", str(runs / "syn"), "-q"])
    assert result.exit_code == 0
    assert "made with other versions (scikit-learn 0.24.2 ->" in result.stderr


def test_a_model_may_name_our_classes_but_never_our_functions(tmp_path):
    import skops.io

    from mtl_cli.fileio import write_atomic
    from mtl_cli.learners.meta import LinearScores
    from mtl_cli.rundir import is_our_class

    assert is_our_class("mtl_cli.learners.meta.LinearScores")
    assert not is_our_class("mtl_cli.fileio.write_atomic") and not is_our_class("mtl_cli.nowhere.X")
    assert not is_our_class("os.system")
    run = RunDirectory(tmp_path / "run")
    run.create()

    class Cell:
        id = "abc"

    run.models.joinpath("abc.skops").write_bytes(skops.io.dumps(LinearScores(write_atomic, np.eye(2), 0.0, [0, 1])))
    with pytest.raises(Exception, match="which mtl does not load"):
        run.load_model(Cell())
