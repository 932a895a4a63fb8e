"""The user's own labelled texts from a CSV or JSON Lines file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..registry import DATASETS
from ..validation import check_number
from .base import Corpus, Part, file_fingerprint, stable_hash

REQUIRED = ("text", "label")
SPLITS = ("train", "test")


MAX_FIELD = 64 << 20  # characters in one CSV field (the csv module's default is 128 KiB)


def read_rows(path: Path) -> list[dict]:
    """The records of a .csv (with a header row) or .jsonl file, as dicts.

    The file is UTF-8, with or without a byte-order mark (Excel writes one).
    """
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected a .csv or .jsonl file of labelled texts")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise DataError(f"{path}: unknown file type '{suffix}'; expected .csv or .jsonl")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return read_csv(f, path) if suffix == ".csv" else read_jsonl(f, path)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_csv(f, path: Path) -> list[dict]:
    previous = csv.field_size_limit(MAX_FIELD)
    try:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return []
        header = [name.strip() for name in header]
        duplicates = sorted({name for name in header if header.count(name) > 1})
        if duplicates:
            raise DataError(f"{path}: the header names column '{duplicates[0]}' twice")
        rows = []
        for fields in reader:
            if not fields:
                continue  # a blank line
            if len(fields) != len(header):
                raise DataError(
                    f"{path}: line {reader.line_num}: {len(fields)} fields where the header has {len(header)}"
                )
            rows.append(dict(zip(header, fields)))
        return rows
    except csv.Error as exc:
        raise DataError(f"{path}: line {reader.line_num}: not valid CSV ({exc})") from None
    finally:
        csv.field_size_limit(previous)


def read_jsonl(f, path: Path) -> list[dict]:
    rows = []
    for line_no, line in enumerate(f, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise DataError(f"{path}: line {line_no}: not valid JSON ({reason})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}: line {line_no}: expected a JSON object")
        rows.append(row)
    return rows


LABEL_TYPES = {str: "a string", int: "an integer", bool: "a boolean"}


def as_label(value, where: str, column: str) -> str:
    """One rule for every label (and task name): its text, stripped of surrounding whitespace.

    CSV cells are text already. In JSON Lines a label may be a string, an
    integer or a boolean (written as JSON writes it: ``1``, ``true``); a
    float or any other type is refused, so ``1``, ``1.0`` and ``"1"`` cannot
    silently become two classes.
    """
    if value is None or type(value) not in LABEL_TYPES:
        raise DataError(f"{where}: column '{column}' must be a string, an integer or a boolean, got {value!r}")
    text = json.dumps(value) if isinstance(value, bool) else str(value).strip()
    if not text:
        raise DataError(f"{where}: column '{column}' is empty")
    return text


def check_one_type(values: list, rows_at: list[str], column: str, path: Path) -> None:
    """JSON Lines: a column's values are all strings, all integers or all booleans."""
    kinds = {}
    for value, where in zip(values, rows_at):
        kinds.setdefault(type(value), where)
    if len(kinds) > 1:
        (a, where_a), (b, where_b) = list(kinds.items())[:2]
        raise DataError(
            f"{path}: column '{column}' mixes types: {LABEL_TYPES.get(a, a.__name__)} ({where_a.split(': ')[-1]}) "
            f"and {LABEL_TYPES.get(b, b.__name__)} ({where_b.split(': ')[-1]}); use one type"
        )


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
    path : str, default=None
        The file (.csv with a header row, or .jsonl); relative paths are
        relative to the config file. Required.
    test_size : float, default=0.25
        Without a ``split`` column: the seeded, stratified (by task and
        label) fraction of samples held out for testing.
    seed : int, default=0
        Seed of that held-out draw.
    """

    def __init__(self, path=None, test_size=0.25, seed=0):
        self.path = path
        self.test_size = test_size
        self.seed = seed

    gives = "text"

    def fingerprint(self) -> str:
        """The hash of the file's content: editing it changes every cell that reads it."""
        path = Path(self.path)
        if not path.is_file():
            raise DataError(f"{path}: no such file; expected a .csv or .jsonl file of labelled texts")
        return file_fingerprint(path)

    def check(self) -> None:
        if not self.path or not isinstance(self.path, str):
            raise ValueError(f"'path' is required: the .csv or .jsonl file of labelled texts, got {self.path!r}")
        check_number("files", "test_size", self.test_size, low=0, low_open=True, high=0.99)
        check_number("files", "seed", self.seed, low=0, high=2**32 - 1, integer=True)

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
        texts, labels, tasks, splits, rows_at = [], [], [], [], []
        for offset, row in enumerate(rows):
            where = f"{path}: row {first_line + offset}"
            rows_at.append(where)
            text = row.get("text")
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"{where}: column 'text' is empty or not a string")
            texts.append(text)
            labels.append(as_label(row.get("label"), where, "label"))
            if has_task:
                tasks.append(as_label(row.get("task"), where, "task"))
            if has_split:
                split = row.get("split")
                split = split.strip() if isinstance(split, str) else split
                if split not in SPLITS:
                    raise DataError(f"{where}: column 'split' must be 'train' or 'test', got {row.get('split')!r}")
                splits.append(split)
        if path.suffix.lower() != ".csv":
            for column in ("label", "task") if has_task else ("label",):
                check_one_type([row.get(column) for row in rows], rows_at, column, path)
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
        if task_column is not None:
            only_test = sorted(set(task_column[is_test]) - set(task_column[~is_test]))
            if only_test:
                raise DataError(f"{path}: task '{only_test[0]}' has test rows but no training rows")
        return Corpus(f"files:{path.name}", part(~is_test), part(is_test))
