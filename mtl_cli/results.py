"""Records and tables: per-task records in, accuracy tables out.

A table row is one learner setting and training size: the mean over tasks
of each run (seed), then the mean and 95% confidence interval (Student t)
over runs. Tables are computed from the records alone.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
from scipy import stats

from .fileio import write_atomic

METRICS = ("accuracy", "macro_f1")
TIMES = ("fit_seconds", "predict_seconds", "featurize_seconds")  # episodic runs: episode_seconds too


def mean_ci95(values) -> tuple[float, float]:
    """Mean and half-width of its 95% Student-t confidence interval (NaN for one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return mean, float(half)


def group(records, keys):
    """Records grouped by the values of ``keys``, groups in order of first appearance."""
    groups: dict[tuple, list] = {}
    for record in records:
        groups.setdefault(tuple(record[k] for k in keys), []).append(record)
    return groups


def scored_by_positive_class(records: list[dict]) -> bool:
    """Whether the records carry the F1 of their tasks' label 1 and its counts (``split: categories``)."""
    return bool(records) and all("tp" in r for r in records)


def metrics_of(records: list[dict]) -> tuple[str, ...]:
    """The metrics every record has, of METRICS and ``f1`` (tasks scored by their positive class); episodes
    have accuracy alone."""
    return tuple(m for m in (*METRICS, "f1") if records and all(m in r for r in records))


def f1_of_counts(tp: int, fp: int, fn: int) -> float:
    """F1 of the positive class from its counts: 2 tp / (2 tp + fp + fn), 0 without a true positive."""
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def micro_f1(run: list[dict]) -> float:
    """F1 of the counts summed over a run's tasks."""
    return f1_of_counts(*(sum(r[k] for r in run) for k in ("tp", "fp", "fn")))


def summary_rows(records: list[dict], size_key: str = "n_train_per_task") -> list[dict]:
    """One row per (learner, training size): mean over tasks per seed, then mean and CI over seeds.

    Where tasks are scored by their positive class, ``f1`` is its F1 averaged over tasks (macro) and
    ``micro_f1`` the F1 of the counts summed over tasks, per seed.
    """
    metrics = metrics_of(records)
    rows = []
    for (label, n), members in group(records, ("learner", size_key)).items():
        runs = group(members, ("seed",))
        row = {"learner": label, size_key: n}
        for metric in metrics:
            per_run = [np.mean([r[metric] for r in run]) for run in runs.values()]
            row[f"{metric}_mean"], row[f"{metric}_ci95"] = mean_ci95(per_run)
        if scored_by_positive_class(records):
            row["micro_f1_mean"], row["micro_f1_ci95"] = mean_ci95([micro_f1(run) for run in runs.values()])
        row["n_runs"] = len(runs)
        row["n_tasks"] = len({r["task"] for r in members})
        rows.append(row)
    return rows


def per_task_rows(records: list[dict], size_key: str = "n_train_per_task") -> list[dict]:
    """One row per (learner, training size, task): mean and CI over seeds."""
    metrics = metrics_of(records)
    rows = []
    for (label, n, task), members in group(records, ("learner", size_key, "task")).items():
        row = {"learner": label, size_key: n, "task": task}
        for metric in metrics:
            row[f"{metric}_mean"], row[f"{metric}_ci95"] = mean_ci95([r[metric] for r in members])
        row["n_runs"] = len(members)
        rows.append(row)
    return rows


def episode_rows(records: list[dict]) -> list[dict]:
    """One row per (learner, n_way, k_shot): mean accuracy and 95% CI over all episodes (of all seeds),
    and whether the learner used the unlabelled queries (``inference``: inductive or transductive)."""
    rows = []
    for (label, n_way, k_shot), members in group(records, ("learner", "n_way", "k_shot")).items():
        row = {"learner": label, "inference": members[0].get("inference", "inductive"), "n_way": n_way,
               "k_shot": k_shot}
        row["accuracy_mean"], row["accuracy_ci95"] = mean_ci95([r["accuracy"] for r in members])
        row["n_episodes"] = len(members)
        row["n_runs"] = len({r["seed"] for r in members})
        rows.append(row)
    return rows


def timing_rows(records: list[dict], size_key: str = "n_train_per_task") -> list[dict]:
    """Seconds per run (one fit of a learner on all tasks, or one meta-fit), mean over seeds."""
    rows = []
    for (label, n), members in group(records, ("learner", size_key)).items():
        runs = [run[0] for run in group(members, ("seed",)).values()]
        row = {"learner": label, size_key: n}
        for key in TIMES + ("episode_seconds",):
            if key in runs[0]:
                row[f"{key}_mean"] = float(np.mean([r[key] for r in runs]))
        row["n_runs"] = len(runs)
        rows.append(row)
    return rows


def clean(value):
    """NaN -> None, for JSON and empty CSV cells."""
    return None if isinstance(value, float) and math.isnan(value) else value


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: "" if clean(v) is None else (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
            )
    return out.getvalue()


def to_markdown(rows: list[dict], title: str) -> str:
    """A Markdown table; metrics shown as ``mean ± ci95``, p-values with two significant digits."""
    if not rows:
        return f"# {title}\n\nNo results.\n"
    columns = [k for k in rows[0] if not k.endswith("_ci95")]
    header = [c.removesuffix("_mean") for c in columns]

    def cell(row, column):
        value = row[column]
        if column.endswith("_mean"):
            ci = row.get(column.removesuffix("_mean") + "_ci95", math.nan)
            unit = 2 if "seconds" in column else 3
            ci_text = "" if ci is None or math.isnan(ci) else f" ± {ci:.{unit}f}"
            return f"{value:.{unit}f}{ci_text}"
        if column.startswith("p_") and isinstance(value, float):
            return f"{value:.2g}"  # p-values: two significant digits
        return str(value)

    lines = [f"# {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(row, c) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIAL.get(c, c) for c in str(text))


def to_latex(rows: list[dict], title: str) -> str:
    """The Markdown table's cells as a LaTeX ``booktabs`` table (needs \\usepackage{booktabs})."""
    if not rows:
        return f"% {latex_escape(title)}: no results\n"
    markdown = to_markdown(rows, title).splitlines()[2:]
    header, body = markdown[0], markdown[2:]

    def cells(line):
        return [cell.strip() for cell in line.strip("|").split("|")]

    def latex_cell(cell):
        return latex_escape(cell).replace(" ± ", r" $\pm$ ")

    n = len(cells(header))
    lines = [f"% {latex_escape(title)}", r"\begin{tabular}{l" + "r" * (n - 1) + "}", r"\toprule",
             " & ".join(latex_cell(c) for c in cells(header)) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_cell(c) for c in cells(line)) + r" \\" for line in body]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_tables(run_dir: Path, records: list[dict], title: str, size_key: str = "n_train_per_task",
                 protocol: str = "plain") -> dict[str, list[dict]]:
    """Write results.jsonl and every table of a run; returns the tables.

    Episodic runs get one row per (learner, n_way, k_shot) over episodes; the others one row per
    (learner, size) over seeds, and a per-task table.
    """
    run_dir = Path(run_dir)
    write_atomic(run_dir / "results.jsonl", "".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    if protocol == "episodic":
        tables = {"accuracy": episode_rows(records), "timing": timing_rows(records, size_key)}
    else:
        tables = {
            "accuracy": summary_rows(records, size_key),
            "accuracy_per_task": per_task_rows(records, size_key),
            "timing": timing_rows(records, size_key),
        }
    for name, rows in tables.items():
        write_atomic(run_dir / f"{name}.csv", to_csv(rows))
        write_atomic(run_dir / f"{name}.md", to_markdown(rows, f"{title}: {name.replace('_', ' ')}"))
        write_atomic(run_dir / f"{name}.tex", to_latex(rows, f"{title}: {name.replace('_', ' ')}"))
    write_atomic(
        run_dir / "accuracy.json",
        json.dumps([{k: clean(v) for k, v in row.items()} for row in tables["accuracy"]], indent=2) + "\n",
    )
    return tables
