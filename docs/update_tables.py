"""Rewrite the measured tables of the README and docs/ from the runs that made them (``make docs``).

A generated block sits between two markers; the first names its source:

    <!-- table: runs/quickstart/accuracy.md -->          the table of a file mtl wrote, as is
    <!-- table: runs/newsgroups-mtl/accuracy.json rows=n_train_per_task -->
                                                        a pivot: one row per size, one column per learner
    <!-- table: runs/newsgroups-fewshot/accuracy.json rows=learner cols=k_shot scale=100 digits=1 -->
    <!-- run: runs/newsgroups-mtl -->                    when and with what (its manifest)
    <!-- table: runs/benchmarks/shared-w.md part=3 -->   the third table a benchmark wrote
    <!-- run: runs/benchmarks/shared-w.md -->            when, with what and by which command it was measured
    ...
    <!-- /table -->   (or <!-- /run -->)

Cells of a pivot are ``mean ± ci95`` of ``metric`` (default accuracy).
Tests (tests/test_docs.py) train the fast configs and check their blocks,
and check that every "a ± b" written in a page's prose appears in one of
its generated blocks. Usage: python docs/update_tables.py [FILE ...] [--check]
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(
    r"(?P<open><!-- (?P<kind>table|run): (?P<source>\S+)(?P<options>[^>]*?) -->\n)"
    r"(?P<body>.*?)(?P<close><!-- /(?P=kind) -->)",
    re.S,
)


def table_of(markdown: str, part: int | None = None) -> str:
    """The table lines of a table file written by mtl or a benchmark (its title dropped); with ``part``,
    those of its part-th table only (counted from 1)."""
    tables, current = [], None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            tables.append(current)
        current.append(line)
    if part is not None:
        if not 1 <= part <= len(tables):
            raise SystemExit(f"part={part}: the file has {len(tables)} tables")
        tables = [tables[part - 1]]
    return "".join(line + "\n" for table in tables for line in table)


def short_label(learner: str) -> str:
    return learner.replace(",estimator=", ", ").replace("estimator=", "")


def cell(row: dict, metric: str, scale: float, digits: int) -> str:
    mean, ci = row[f"{metric}_mean"], row.get(f"{metric}_ci95")
    text = f"{scale * mean:.{digits}f}"
    return text if ci is None else f"{text} ± {scale * ci:.{digits}f}"


def pivot(rows: list[dict], options: dict) -> str:
    """One line per value of ``rows``, one column per value of ``cols``."""
    row_key, col_key = options.get("rows", "n_train_per_task"), options.get("cols", "learner")
    metric = options.get("metric", "accuracy")
    scale, digits = float(options.get("scale", 1)), int(options.get("digits", 3))
    row_values = list(dict.fromkeys(r[row_key] for r in rows))
    col_values = list(dict.fromkeys(r[col_key] for r in rows))
    found = {(r[row_key], r[col_key]): r for r in rows}
    name = lambda v: short_label(v) if isinstance(v, str) else f"{col_key} {v}"  # noqa: E731
    lines = ["| " + " | ".join([row_key] + [name(c) for c in col_values]) + " |",
             "|" + "---|" * (len(col_values) + 1)]
    for value in row_values:
        cells = [cell(found[(value, c)], metric, scale, digits) if (value, c) in found else "–" for c in col_values]
        lines.append("| " + " | ".join([short_label(str(value))] + cells) + " |")
    return "\n".join(lines) + "\n"


def run_info(run_dir: Path) -> str:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    started = datetime.datetime.fromisoformat(manifest["started"])
    versions = manifest["versions"]
    return (f"Measured {started.date()} with mtl {versions['mtl']}, scikit-learn {versions['scikit-learn']}, "
            f"`n_jobs: {manifest['n_jobs']}`.\n")


def generate(kind: str, source: str, options: str, root: Path) -> str:
    path = root / source
    if not path.exists():
        raise SystemExit(f"{path}: missing; run the config that writes it first ('make docs' runs them all)")
    if kind == "run":
        return run_info(path) if path.is_dir() else path.read_text().splitlines()[0] + "\n"
    opts = dict(item.split("=", 1) for item in options.split())
    if path.suffix == ".json":
        return pivot(json.loads(path.read_text()), opts)
    return table_of(path.read_text(), int(opts["part"]) if "part" in opts else None)


def blocks(text: str) -> list[tuple[str, str, str, str]]:
    """(kind, source, options, body) of every marked block."""
    return [(m["kind"], m["source"], m["options"].strip(), m["body"]) for m in BLOCK.finditer(text)]


def rewrite(text: str, root: Path) -> str:
    return BLOCK.sub(lambda m: m["open"] + generate(m["kind"], m["source"], m["options"], root) + m["close"], text)


PLUS_MINUS = re.compile(r"[+−-]?\d+\.\d+ ± \d+\.\d+")


def prose_numbers(text: str) -> set[str]:
    """Every "a ± b" written outside the generated blocks."""
    return set(PLUS_MINUS.findall(BLOCK.sub("", text)))


def main() -> None:
    files = [Path(a).resolve() for a in sys.argv[1:] if a != "--check"] or PAGES
    stale = []
    for page in files:
        text = page.read_text()
        new = rewrite(text, REPO)
        if "--check" in sys.argv:
            stale += [page] if new != text else []
        else:
            page.write_text(new)
            print(f"{page.relative_to(REPO)}: {len(blocks(text))} generated blocks")
    if stale:
        raise SystemExit(f"tables differ from the runs in {', '.join(map(str, stale))}; run 'make docs'")


if __name__ == "__main__":
    main()
