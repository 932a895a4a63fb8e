"""The benchmark scripts still run against the code they time (a broken one would leave its docs table stale)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str, out: Path) -> str:
    env = {**os.environ, "MTL_BENCHMARKS_OUT": str(out)}
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / name), *args], capture_output=True,
                            text=True, env=env, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.data
def test_bench_meta_scores_every_learner_of_the_config_as_the_runner_does(tmp_path, newsgroups_home):
    run_script("bench_meta.py", "--episodes", "3", out=tmp_path)
    written = (tmp_path / "meta.md").read_text()
    assert written.startswith("Measured ") and "`python benchmarks/bench_meta.py --episodes 3`" in written
    rows = [line.split(" | ") for line in written.splitlines() if line.startswith("| ") and " | 1 | " in line]
    learners = {row[0].lstrip("| ") for row in rows}
    assert {"prototypes", "ridge-head", "meta-bias", "meta-subspace", "reptile"} <= learners
    assert all(0.0 <= float(row[-1].rstrip(" |")) <= 1.0 for row in rows)
