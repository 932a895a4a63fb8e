"""What a benchmark measured, kept for the docs: each line goes to stdout and to ``runs/benchmarks/<name>.md``.

The file opens with one line saying when, with which mtl, on how many
cores and by which command it was measured; ``docs/update_tables.py``
copies that line and the file's tables into ``docs/benchmarks.md``
(``make bench`` runs every timing script, then that), so no timing in the
docs is typed by hand. ``MTL_BENCHMARKS_OUT`` names another folder (the tests' smoke runs).
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import mtl_cli

FOLDER = Path(os.environ.get("MTL_BENCHMARKS_OUT", Path(__file__).resolve().parents[1] / "runs" / "benchmarks"))


class Measured:
    def __init__(self, name: str):
        self.path, self.lines = FOLDER / f"{name}.md", []

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def save(self) -> None:
        command = " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
        head = (f"Measured {datetime.date.today()} with mtl {mtl_cli.__version__} on {os.cpu_count()} cores: "
                f"`{command}`.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join([head, "", *self.lines]) + "\n")
        print(f"\n(written to {self.path})")
