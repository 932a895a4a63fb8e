"""The user's own labelled texts from a CSV or JSON Lines file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..registry import DATASETS
from .base import Corpus, Part, stable_hash

REQUIRED = ("text", "label")
SPLITS = ("train", "test")


def read_rows(path: Path) -> list[dict]:
    """The records of a .csv (with a header row) or .jsonl file, as dicts of strings."""
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected a .csv or .jsonl file of labelled texts")
    suffix = path.suffix.lower()
    try:
        with open(path, encoding="utf-8", newline="") as f:
            if suffix == ".csv":
                return list(csv.DictReader(f))
            if suffix in (".jsonl", ".ndjson"):
                rows = []
                for line_no, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataError(f"{path}: line {line_no}: not valid JSON ({exc.msg})") from None
                    if not isinstance(row, dict):
                        raise DataError(f"{path}: line {line_no}: expected a JSON object")
                    rows.append(row)
                return rows
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    raise DataError(f"{path}: unknown file type '{suffix}'; expected .csv or .jsonl")


def stratified_test_mask(strata: np.ndarray, test_size: float, seed: int) -> np.ndarray:
    """Mark a seeded fraction of each stratum as test (at least one sample stays in train)."""
    mask = np.zeros(len(strata), dtype=bool)
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        rng = np.random.default_rng([seed, stable_hash(str(stratum))])
        n_test = min(int(np.floor(test_size * len(members) + 0.5)), len(members) - 1)
        mask[rng.permutation(members)[:n_test]] = True
    return mask


@DATASETS.register("files")
class LabelledFiles:
    """Your own labelled texts: a CSV or JSONL file with columns text, label[, task][, split].

    Parameters
    ----------
    path : str
        The file (.csv with a header row, or .jsonl); relative paths are
        relative to the config file.
    test_size : float
        Without a ``split`` column: the seeded, stratified (by task and
        label) fraction of samples held out for testing.
    seed : int
        Seed of that held-out draw.
    """

    def __init__(self, path=None, test_size=0.25, seed=0):
        self.path = path
        self.test_size = test_size
        self.seed = seed

    def check(self) -> None:
        if not self.path:
            raise ValueError("'path' is required: the .csv or .jsonl file of labelled texts")
        if not 0 < self.test_size < 1:
            raise ValueError(f"'test_size' must be between 0 and 1, got {self.test_size!r}")

    def load(self) -> Corpus:
        path = Path(self.path)
        rows = read_rows(path)
        if not rows:
            raise DataError(f"{path}: holds no rows")
        first_line = 2 if path.suffix.lower() == ".csv" else 1
        columns = rows[0].keys()
        for column in REQUIRED:
            if column not in columns:
                raise DataError(f"{path}: has no column '{column}'; columns are {sorted(columns)}")
        has_task, has_split = "task" in columns, "split" in columns
        texts, labels, tasks, splits = [], [], [], []
        for offset, row in enumerate(rows):
            where = f"{path}: row {first_line + offset}"
            text, label = row.get("text"), row.get("label")
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"{where}: column 'text' is empty or not a string")
            if label is None or str(label).strip() == "":
                raise DataError(f"{where}: column 'label' is empty")
            texts.append(text)
            labels.append(str(label))
            if has_task:
                if row.get("task") in (None, ""):
                    raise DataError(f"{where}: column 'task' is empty")
                tasks.append(str(row["task"]))
            if has_split:
                if row.get("split") not in SPLITS:
                    raise DataError(f"{where}: column 'split' must be 'train' or 'test', got {row.get('split')!r}")
                splits.append(row["split"])
        labels = np.array(labels, dtype=object)
        task_column = np.array(tasks, dtype=object) if has_task else None
        if has_split:
            is_test = np.array(splits) == "test"
        else:
            strata = labels if task_column is None else task_column + "\x00" + labels
            is_test = stratified_test_mask(strata, self.test_size, self.seed)

        def part(mask):
            index = np.flatnonzero(mask)
            return Part(
                [texts[i] for i in index],
                labels[index],
                None if task_column is None else task_column[index],
            )

        if not is_test.any() or is_test.all():
            raise DataError(f"{path}: needs both training and test rows")
        return Corpus(f"files:{path.name}", part(~is_test), part(is_test))
