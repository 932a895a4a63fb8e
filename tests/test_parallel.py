import json
import os
import threading
import time

import joblib
import pytest

from mtl_cli import worker
from mtl_cli.parallel import execute, local_jobs, start_workers, stop_workers, workers

LOKY = {"name": "loky", "address": None}


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def fail_on(k: int, bad: int) -> int:
    if k == bad:
        raise ValueError(f"task {k} failed")
    time.sleep(0.05)
    return k


@pytest.fixture
def two_jobs(monkeypatch):
    """Two local jobs (this process and one worker), started and ready, whatever the machine's cores."""
    monkeypatch.setattr(joblib, "cpu_count", lambda: 2)
    start_workers(2, LOKY, worker.start)
    workers(2).submit(pid_after, 0).result()
    yield
    stop_workers()


def test_local_jobs_are_capped_at_the_cores(monkeypatch):
    monkeypatch.setattr(joblib, "cpu_count", lambda: 4)
    assert [local_jobs(n) for n in (1, 3, 4, 64, -1)] == [1, 3, 4, 4, 4]


def test_this_process_and_a_worker_share_the_tasks_and_results_come_to_the_main_thread(two_jobs):
    seen = []

    def keep(pid):
        assert threading.current_thread() is threading.main_thread()
        seen.append(pid)

    execute([joblib.delayed(pid_after)(0.1) for _ in range(20)], 2, LOKY, keep)
    assert len(seen) == 20
    assert os.getpid() in seen and len(set(seen)) == 2  # neither process did all the work


@pytest.mark.parametrize("bad", [0, 7])
def test_a_failing_task_stops_the_queue_and_its_error_is_raised(two_jobs, bad):
    seen = []
    with pytest.raises(ValueError, match=f"task {bad} failed"):
        execute([joblib.delayed(fail_on)(k, bad) for k in range(40)], 2, LOKY, seen.append)
    assert bad not in seen and len(seen) < 39  # the tasks after the failure were not run


def test_one_job_runs_in_order_in_this_process():
    seen = []
    execute([joblib.delayed(fail_on)(k, -1) for k in range(5)], 1, LOKY, seen.append)
    assert seen == [0, 1, 2, 3, 4]


def test_the_command_leaves_no_worker_behind(synthetic_config, tmp_path, monkeypatch):
    psutil = pytest.importorskip("psutil")
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    monkeypatch.setattr(joblib, "cpu_count", lambda: 2)
    result = CliRunner().invoke(app, ["train", str(synthetic_config()), "--runs", str(tmp_path), "-q", "-j", "2"])
    assert result.exit_code == 0, result.output
    assert {r["cell"] for r in map(json.loads, (tmp_path / "syn" / "results.jsonl").read_text().splitlines())}
    children = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True) if p.status() != "zombie"]
    assert not [c for c in children if "resource_tracker" not in c]  # the trackers live as long as this process


def test_a_worker_warms_up_on_the_first_grid_point_and_leaves_errors_to_the_main_process(tmp_path, newsgroups_home):
    from pathlib import Path

    from mtl_cli import config, tokens
    from mtl_cli.prepare import warm_up

    quickstart = Path(__file__).parents[1] / "configs" / "quickstart.yaml"
    tokens.LOADED.clear()
    assert worker.start(str(quickstart), str(tmp_path)) is None  # a worker's first task, as `mtl train` hands it
    assert len(tokens.LOADED) == 1  # the corpus's token counts, kept for this process's first grid task
    assert len(list((tmp_path / ".cache" / "tokens").glob("*/merged.npz"))) == 1  # and stored for the others
    assert worker.start(str(tmp_path / "missing.yaml"), str(tmp_path)) is None  # the main process reports it
    experiment = config.load(quickstart)
    spec = experiment.feature_spec(experiment.seeds[0], experiment.sizes[0])
    assert warm_up(spec | {"dataset": {"name": "no-such-dataset"}}, str(tmp_path)) is None  # raises nothing
