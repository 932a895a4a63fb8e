"""Runner benchmark on the quickstart grid: wall time, featurization and fit time, 2 jobs vs 1.

Each measurement is one ``mtl train`` in a fresh process with an empty run
directory and empty caches, as a user's first run: it includes starting
Python, importing, loading the corpus, tokenizing it, featurizing and
fitting (with 1 job all in that process, with 2 in it and one fresh worker).
1-job and 2-job runs alternate.

    python benchmarks/bench_runner.py [--config configs/quickstart.yaml] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measured import Measured

from mtl_cli.rundir import read_records


def train_command(config: str, runs: str, n_jobs: int) -> list[str]:
    """``mtl train`` of ``config`` into the folder ``runs``, in a fresh Python process."""
    return [sys.executable, "-m", "mtl_cli", "train", config, "--runs", runs, "--jobs", str(n_jobs), "-q"]


def measure(config: str, n_jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as runs:
        start = time.perf_counter()
        subprocess.run(train_command(config, runs, n_jobs), check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        (run_dir,) = [p for p in Path(runs).iterdir() if not p.name.startswith(".")]
        records = read_records(run_dir)
    cells = {r["cell"]: r for r in records}.values()
    featurized = {(r["seed"], r["n_train_per_task"]): r["featurize_seconds"] for r in records}
    return {
        "wall_seconds": wall,
        "featurize_seconds": sum(featurized.values()),
        "fit_seconds": sum(r["fit_seconds"] for r in cells),
        "cells": len(cells),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = {1: [], 2: []}
    for _ in range(args.repeats):  # alternated, so that a slower spell of the machine meets both
        for jobs in (1, 2):
            results[jobs].append(measure(args.config, jobs))

    def median(jobs, key):
        return statistics.median(r[key] for r in results[jobs])

    out = Measured("runner")
    out.say("| jobs | wall s | featurize s (sum) | fit s (sum) | speedup over 1 job |")
    out.say("|---|---|---|---|---|")
    for jobs in (1, 2):
        speedup = median(1, "wall_seconds") / median(jobs, "wall_seconds")
        out.say(f"| {jobs} | {median(jobs, 'wall_seconds'):.1f} | {median(jobs, 'featurize_seconds'):.1f} "
                f"| {median(jobs, 'fit_seconds'):.1f} | {speedup:.2f}x |")
    out.save()


if __name__ == "__main__":
    main()
