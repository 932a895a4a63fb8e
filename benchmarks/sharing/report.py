"""Does a shared-W learner ever lose to the better of single-task and pooled? One table over four datasets.

For each run (20 Newsgroups comp vs rec, Amazon's four domains, Reuters-10
and a user's CSV) and each training size, every ``shared-w-cv`` learner is
paired over seeds with the stronger of ``single-task`` and ``pooled`` at that
size (the one with the higher mean test score: the bar is set on test data,
so it is a report, never a model choice). Differences are means over seeds
of the per-seed mean over tasks, with a 95% t interval; p-values are
Holm-adjusted over every comparison of the run. The metric is accuracy, and
F1 of the topic on Reuters-10 (its tasks are unbalanced).

Every penalty is shown: picking the best one after reading this table would
be selection on test data. A dataset is "never worse" for a penalty when no
size has the verdict "worse".

    python benchmarks/sharing/report.py [RUN_DIR ...]   (writes runs/sharing/sharing.md and .csv)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mtl_cli.compare import UNVARIED, paired_rows
from mtl_cli.fileio import write_atomic
from mtl_cli.results import group, to_csv, to_markdown
from mtl_cli.rundir import read_records

RUNS = ["runs/newsgroups-mtl", "runs/amazon-mtl", "runs/reuters-mtl", "runs/user-csv-mtl"]
BAR = "max(single-task, pooled)"
OUT = Path("runs/sharing")


def with_bar(records: list[dict], metric: str) -> tuple[list[dict], dict]:
    """The shared-w-cv records and, per size, those of the better baseline relabelled as BAR."""
    kept = [r for r in records if r["learner_name"] == "shared-w-cv"]
    chosen = {}
    for (size,), members in group([r for r in records if r["learner_name"] in ("single-task", "pooled")],
                                  ("n_train_per_task",)).items():
        means = {label: np.mean([r[metric] for r in rs]) for (label,), rs in group(members, ("learner",)).items()}
        chosen[size] = max(means, key=means.get)
        kept += [{**r, "learner": BAR} for r in members if r["learner"] == chosen[size]]
    return kept, chosen


def report(run_dir: Path) -> list[dict]:
    records = read_records(run_dir)
    metric = "f1" if "tp" in records[0] else "accuracy"
    kept, chosen = with_bar(records, metric)
    rows = []
    for row in paired_rows(kept, BAR, metric):
        size = row["n_train_per_task"]
        rows.append({
            "dataset": run_dir.name, "metric": metric, "learner": row["learner"], "n_train_per_task": size,
            "bar": chosen[size].split("[")[0], "bar_score_mean": row[f"baseline_{metric}_mean"],
            "score_mean": row[f"{metric}_mean"], "difference_mean": row["difference_mean"],
            "difference_ci95": row["difference_ci95"], "p_holm": row["p_holm"], "verdict": row["verdict"],
        })
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Per dataset and penalty: the sizes where it is worse, better, or not tested (seeds changed nothing)."""
    lines = []
    for (dataset, learner), members in group(rows, ("dataset", "learner")).items():
        by = {v: ", ".join(str(r["n_train_per_task"]) for r in members if r["verdict"] == v) or "never"
              for v in ("worse", "better", UNVARIED)}
        lines.append({"dataset": dataset, "learner": learner, "worse at": by["worse"], "better at": by["better"],
                      "not tested at": by[UNVARIED], "sizes": len(members)})
    return lines


def main() -> None:
    runs = [Path(p) for p in (sys.argv[1:] or RUNS)]
    rows = [row for run in runs for row in report(run)]
    OUT.mkdir(parents=True, exist_ok=True)
    title = f"shared-w-cv minus {BAR} at each size, paired over seeds (Holm-adjusted within each dataset)"
    write_atomic(OUT / "sharing.csv", to_csv(rows))
    write_atomic(OUT / "sharing.md", to_markdown(rows, title))
    write_atomic(OUT / "summary.md", to_markdown(summary(rows), "where each shared-w-cv penalty loses or wins"))
    print((OUT / "summary.md").read_text())


if __name__ == "__main__":
    main()
