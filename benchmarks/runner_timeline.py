"""Where a run's wall time goes, per process: when each one starts working, how long it is busy, how long idle.

Runs ``mtl train`` on the quickstart grid once per job count, each time in a
fresh process with empty caches (as ``bench_runner.py``), with the runner's
two task functions (featurize a grid point, fit a cell) wrapped to log their
start and end, and a worker's first task (``worker.start``: its imports and
its warm-up on the corpus and its token counts, while the main process
checks the data; not counted as busy).
Times are seconds after this process started: as in
``mtl train``, workers are started before the heavy imports. With 1 job the main process does the work;
with n, the main process and n - 1 workers spawned by loky.

    python benchmarks/runner_timeline.py [--config configs/quickstart.yaml] [--jobs 1 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measured import Measured

STARTED = time.time()


def logged(function, kind: str, log: str):
    def run(*args, **kwargs):
        start = time.time()
        result = function(*args, **kwargs)
        with open(log, "a") as f:
            f.write(json.dumps({"kind": kind, "pid": os.getpid(), "start": start, "end": time.time(),
                                "cpu": time.process_time()}) + "\n")
        return result

    return run


def one_run(config: str, jobs: int) -> None:
    from mtl_cli import cli, worker

    with tempfile.TemporaryDirectory() as runs:
        log, runs_root = os.path.join(runs, "events.jsonl"), os.path.join(runs, "runs")
        worker.start = logged(worker.start, "warm-up", log)  # a worker's first task: imports and warm-up
        cli.start_workers_early(Path(config), jobs, Path(runs_root))  # as `mtl train` does first
        cli.start_workers_early = lambda *args: None  # (done)
        from mtl_cli import runner

        runner.prepare_grid_point = logged(runner.prepare_grid_point, "featurize", log)
        runner.fit_cell = logged(runner.fit_cell, "fit", log)
        begun = time.time()
        with contextlib.redirect_stdout(io.StringIO()):
            cli.app(["train", config, "--runs", runs_root, "--jobs", str(jobs), "-q"], standalone_mode=False)
        ended = time.time()
        events = [json.loads(line) for line in open(log)]
    for pid in sorted({e["pid"] for e in events}, key=lambda pid: pid != os.getpid()):
        mine = sorted((e for e in events if e["pid"] == pid), key=lambda e: e["start"])
        warm = [f"{e['start'] - STARTED:.2f} to {e['end'] - STARTED:.2f}" for e in mine if e["kind"] == "warm-up"]
        tasks = [e for e in mine if e["kind"] != "warm-up"]
        busy = sum(e["end"] - e["start"] for e in tasks)
        featurizing = sum(e["end"] - e["start"] for e in tasks if e["kind"] == "featurize")
        first, last = tasks[0]["start"] - STARTED, tasks[-1]["end"] - STARTED
        process = "main" if pid == os.getpid() else "worker"
        print(f"| {jobs} | {ended - begun:.2f} | {process} | {' '.join(warm) or '-'} "
              f"| {first:.2f} | {last:.2f} | {busy:.2f} | {featurizing:.2f} | {last - first - busy:.2f} "
              f"| {mine[-1]['cpu']:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one run, in this process
    args = parser.parse_args()
    if args.one:
        one_run(args.config, args.one)
        return
    out = Measured("timeline")
    out.say("| jobs | mtl train s | process | first task (worker.start) | first grid task starts | last task ends "
            "| busy s | featurizing s | idle s | CPU s |")
    out.say("|---|---|---|---|---|---|---|---|---|---|")
    for jobs in args.jobs:
        rows = subprocess.run([sys.executable, __file__, "--config", args.config, "--one", str(jobs)], check=True,
                              stdout=subprocess.PIPE, text=True).stdout
        for row in rows.splitlines():
            out.say(row)
    out.save()


if __name__ == "__main__":
    main()
