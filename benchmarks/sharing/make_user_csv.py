"""Write a user's CSV with a task column, from Reuters-21578: five tasks, each a metal vs a crop.

Each task tells the single-label stories of one metal topic from those of
one crop topic (label ``metal`` or ``crop``), keeping the ApteMod split in a
``split`` column: the kind of small, related tasks a user brings in a file.

    python benchmarks/sharing/make_user_csv.py [OUT]   (default: runs/user-csv/metals-vs-crops.csv)
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from mtl_cli.data.reuters import Reuters
from mtl_cli.fileio import write_atomic

PAIRS = [("copper", "coffee"), ("gold", "sugar"), ("alum", "cocoa"), ("iron-steel", "rubber"), ("tin", "cotton")]
DEFAULT = Path("runs/user-csv/metals-vs-crops.csv")


def rows(corpus):
    for part_name in ("train", "test"):
        part = getattr(corpus, part_name)
        for text, topic in zip(part.data, part.labels):
            for metal, crop in PAIRS:
                if topic in (metal, crop):
                    yield {"text": text, "label": "metal" if topic == metal else "crop",
                           "task": f"{metal} vs {crop}", "split": part_name}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    out.parent.mkdir(parents=True, exist_ok=True)
    table = list(rows(Reuters(documents="single-label").load()))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["text", "label", "task", "split"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    write_atomic(out, text.getvalue())
    print(f"wrote {out} ({len(table)} stories)")


if __name__ == "__main__":
    main()
