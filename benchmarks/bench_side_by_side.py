"""What two cores give at best: two independent 1-job runs of the quickstart side by side, against one alone.

A 2-job run shares one grid between two processes; two 1-job runs side by
side share nothing (each starts Python, imports, reads and tokenizes the
corpus, and fits the whole grid, in its own folder) and only compete for
the machine: its cores, caches and memory bandwidth. Doing two grids in the
time T_pair that each of them takes beside the other is a throughput of
2 T_alone / T_pair grids per T_alone: the most any way of sharing one grid
between two processes can reach on this machine, as even its start-up is
shared out. Each measurement is a fresh process with cold caches; alone and
side-by-side runs alternate.

    python benchmarks/bench_side_by_side.py [--config configs/quickstart.yaml] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time

from bench_runner import train_command
from measured import Measured


def alone(config: str) -> float:
    with tempfile.TemporaryDirectory() as runs:
        start = time.perf_counter()
        subprocess.run(train_command(config, runs, 1), check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def side_by_side(config: str) -> float:
    """The mean wall time of two 1-job runs started together, each in its own folder."""
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        start = time.perf_counter()
        runs = [subprocess.Popen(train_command(config, folder, 1), stdout=subprocess.DEVNULL)
                for folder in (first, second)]
        ends = []
        for run in runs:
            if run.wait() != 0:
                raise SystemExit(f"mtl train exited with {run.returncode}")
            ends.append(time.perf_counter() - start)
        return statistics.mean(ends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    single, pair = [], []
    for _ in range(args.repeats):
        single.append(alone(args.config))
        pair.append(side_by_side(args.config))
    t_alone, t_pair = statistics.median(single), statistics.median(pair)
    out = Measured("side-by-side")
    out.say("| 1-job run | wall s | slower than alone | ceiling of 2 processes over 1 |")
    out.say("|---|---|---|---|")
    out.say(f"| alone | {t_alone:.1f} | – | – |")
    out.say(f"| beside another | {t_pair:.1f} | {t_pair / t_alone - 1:.0%} | {2 * t_alone / t_pair:.2f}x |")
    out.save()


if __name__ == "__main__":
    main()
