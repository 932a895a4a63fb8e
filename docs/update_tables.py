"""Rewrite the README's measured tables from the runs that made them (``make docs``).

A table in the README sits between two markers that name the run's table file:

    <!-- table: runs/quickstart/accuracy.md -->
    | learner | ... |
    <!-- /table -->

Between them goes that file's table, as written by ``mtl train``. A test
(tests/test_docs.py) trains the quickstart and checks the README's block.
Usage: python docs/update_tables.py [README.md] [--check]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(<!-- table: (?P<source>\S+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)


def table_of(markdown: str) -> str:
    """The table lines of a table file written by mtl (its title dropped)."""
    return "".join(line + "\n" for line in markdown.splitlines() if line.startswith("|"))


def blocks(text: str) -> list[tuple[str, str]]:
    """(source file, table text) of every marked block."""
    return [(m["source"], m["body"]) for m in BLOCK.finditer(text)]


def rewrite(text: str, root: Path) -> str:
    def replace(match):
        source = root / match["source"]
        if not source.is_file():
            raise SystemExit(f"{source}: missing; run the config that writes it first")
        return match.group(1) + table_of(source.read_text()) + match.group(4)

    return BLOCK.sub(replace, text)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--check"]
    readme = Path(args[0]) if args else REPO / "README.md"
    text = readme.read_text()
    new = rewrite(text, REPO)
    if "--check" in sys.argv:
        raise SystemExit(0 if new == text else f"{readme}: tables differ from the runs; run 'make docs'")
    readme.write_text(new)
    print(f"rewrote {len(blocks(text))} tables in {readme}")


if __name__ == "__main__":
    main()
