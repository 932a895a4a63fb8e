"""Run the corpus of bad inputs (tests/bad_inputs.py) through the real `mtl` entry point, one process each.

Reports how many end in the contract (exit 2, one 'Error:' line naming the file or key, no traceback),
and how long the slowest took. Usage: python benchmarks/bench_bad_inputs.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from bad_inputs import CASES  # noqa: E402
from measured import Measured  # noqa: E402
from test_bad_inputs import prepare  # noqa: E402


def main() -> None:
    mtl = Path(sys.executable).parent / "mtl"
    clean, problems, times = 0, [], []
    for case_id in sorted(CASES):
        with tempfile.TemporaryDirectory() as folder:
            args, _ = prepare(case_id, Path(folder))
            env = {**os.environ, "SCIKIT_LEARN_DATA": str(Path(folder) / "no-data-home")}
            start = time.perf_counter()
            result = subprocess.run([str(mtl), *args], capture_output=True, text=True, timeout=120, env=env)
            seconds = time.perf_counter() - start
        times.append((seconds, case_id))
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        ok = result.returncode == 2 and len(errors) == 1 and "Traceback" not in result.stderr + result.stdout
        ok = ok and CASES[case_id][3] in errors[0]
        clean += ok
        if not ok:
            problems.append((case_id, result.returncode, result.stderr.strip()[-300:]))
    times.sort(reverse=True)
    out = Measured("bad-inputs")
    out.say("| bad inputs tried | clean exit 2 with one line | other | median s | slowest s | slowest case |")
    out.say("|---|---|---|---|---|---|")
    out.say(f"| {len(CASES)} | {clean} | {len(problems)} | {times[len(times) // 2][0]:.2f} | {times[0][0]:.2f} "
            f"| {times[0][1]} |")
    for case_id, code, stderr in problems:
        out.say(f"\n{case_id}: exit {code}: {stderr}")
    out.save()


if __name__ == "__main__":
    main()
