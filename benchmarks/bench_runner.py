"""Runner benchmark on the quickstart grid: wall time, featurization and fit time, 2 jobs vs 1.

Each measurement starts from an empty run directory and empty caches (on
disk, in this process and in fresh workers), so it includes loading the
corpus, tokenizing it, featurizing and fitting.

    python benchmarks/bench_runner.py [--config configs/quickstart.yaml] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from mtl_cli import config as config_module
from mtl_cli.rundir import read_records
from mtl_cli.runner import train


def forget_everything() -> None:
    """Cold start: no corpus or token counts kept in this process, and fresh worker processes."""
    from joblib.externals.loky import get_reusable_executor

    from mtl_cli import prepare, tokens

    prepare.load_corpus.cache_clear()
    tokens.LOADED.clear()
    get_reusable_executor().shutdown(wait=True)


def measure(experiment, n_jobs: int) -> dict:
    forget_everything()
    with tempfile.TemporaryDirectory() as runs:
        summary = train(experiment, Path(runs), n_jobs=n_jobs)
        records = read_records(summary.run_dir)
    cells = {r["cell"]: r for r in records}.values()
    featurized = {(r["seed"], r["n_train_per_task"]): r["featurize_seconds"] for r in records}
    return {
        "wall_seconds": summary.seconds,
        "featurize_seconds": sum(featurized.values()),
        "fit_seconds": sum(r["fit_seconds"] for r in cells),
        "cells": len(cells),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    experiment = config_module.load(args.config)
    results = {jobs: [measure(experiment, jobs) for _ in range(args.repeats)] for jobs in (1, 2)}

    def median(jobs, key):
        return statistics.median(r[key] for r in results[jobs])

    print(f"{args.config}: {results[1][0]['cells']} cells, median of {args.repeats} runs, cold cache\n")
    print("| jobs | wall s | featurize s (sum) | fit s (sum) |")
    print("|---|---|---|---|")
    for jobs in (1, 2):
        print(
            f"| {jobs} | {median(jobs, 'wall_seconds'):.1f} | {median(jobs, 'featurize_seconds'):.1f} "
            f"| {median(jobs, 'fit_seconds'):.1f} |"
        )
    print(f"\nspeedup of 2 jobs over 1: {median(1, 'wall_seconds') / median(2, 'wall_seconds'):.2f}x")


if __name__ == "__main__":
    main()
