"""Where a run's wall time goes, per process: when each one starts working, how long it is busy, how long idle.

Runs ``mtl train`` on the quickstart grid once per job count, each time in a
fresh process with empty caches (as ``bench_runner.py``), with the runner's
two task functions (featurize a grid point, fit a cell) wrapped to log their
start and end. Times are seconds after this process started: as in
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

STARTED = time.time()


def logged(function, kind: str, log: str):
    def run(*args, **kwargs):
        start = time.time()
        result = function(*args, **kwargs)
        with open(log, "a") as f:
            f.write(json.dumps({"kind": kind, "pid": os.getpid(), "start": start, "end": time.time()}) + "\n")
        return result

    return run


def one_run(config: str, jobs: int) -> None:
    from mtl_cli.cli import app, start_workers_early

    start_workers_early(Path(config), jobs)  # as `mtl train` does first: the workers start beside the imports
    from mtl_cli import runner

    imported = time.time()
    with tempfile.TemporaryDirectory() as runs:
        log = os.path.join(runs, "events.jsonl")
        runner.prepare_grid_point = logged(runner.prepare_grid_point, "featurize", log)
        runner.fit_cell = logged(runner.fit_cell, "fit", log)
        begun = time.time()
        with contextlib.redirect_stdout(io.StringIO()):
            app(["train", config, "--runs", os.path.join(runs, "runs"), "--jobs", str(jobs), "-q"],
                standalone_mode=False)
        ended = time.time()
        events = [json.loads(line) for line in open(log)]
    print(f"{jobs} job(s): imported at {imported - STARTED:.2f} s, mtl train ended at {ended - STARTED:.2f} s "
          f"(it took {ended - begun:.2f} s)")
    print("| process | first task starts | last task ends | busy s | featurizing s | idle s |")
    print("|---|---|---|---|---|---|")
    for k, pid in enumerate(sorted({e["pid"] for e in events})):
        mine = sorted((e for e in events if e["pid"] == pid), key=lambda e: e["start"])
        busy = sum(e["end"] - e["start"] for e in mine)
        featurizing = sum(e["end"] - e["start"] for e in mine if e["kind"] == "featurize")
        first, last = mine[0]["start"] - STARTED, mine[-1]["end"] - STARTED
        print(f"| {k + 1} | {first:.2f} | {last:.2f} | {busy:.2f} | {featurizing:.2f} | {last - first - busy:.2f} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one run, in this process
    args = parser.parse_args()
    if args.one:
        one_run(args.config, args.one)
        return
    for jobs in args.jobs:
        subprocess.run([sys.executable, __file__, "--config", args.config, "--one", str(jobs)], check=True)


if __name__ == "__main__":
    main()
