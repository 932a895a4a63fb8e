"""Paired comparisons of learners with a baseline: "does sharing help here, and by how much?"

Every learner of a run sees the same seeds, tasks and episodes, so a
learner and the baseline are compared on matched units: a seed (the mean
over tasks of that seed's run, as in the accuracy table) or, for episodic
runs, one episode. For each learner and training size,

    difference = mean over units u of (metric(learner, u) - metric(baseline, u))

with the half-width of its 95% Student-t confidence interval over units.
Pairing removes what the units share (an easy seed is easy for both), so
the interval is narrower than the two tables' intervals side by side.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .errors import UserError
from .fileio import write_atomic
from .results import METRICS, group, mean_ci95, to_csv, to_markdown


def resolve_baseline(labels: list[str], name: str) -> str:
    """The learner label that ``name`` means: the label itself, or the only one it starts."""
    if name in labels:
        return name
    matches = [label for label in labels if label.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"--baseline: no learner of this run is {name!r} or starts with it; learners: {labels}")
    raise UserError(f"--baseline: {name!r} starts several learners: {matches}; give one of them in full")


def verdict(difference: float, ci95: float) -> str:
    """Whether the 95% interval of the difference lies above 0, below it, or across it."""
    if math.isnan(ci95):
        return "one pair: no interval"
    if difference - ci95 > 0:
        return "better"
    if difference + ci95 < 0:
        return "worse"
    return "no clear difference"


def unit_scores(records: list[dict], metric: str, episodic: bool) -> dict[tuple, float]:
    """metric per matched unit: (seed, episode) for episodic runs, else seed (mean over its tasks)."""
    if episodic:
        return {(r["seed"], r["episode"]): r[metric] for r in records}
    return {
        seed: float(np.mean([r[metric] for r in members])) for (seed,), members in group(records, ("seed",)).items()
    }


def paired_rows(records: list[dict], baseline: str, metric: str = "accuracy") -> list[dict]:
    """One row per (learner other than the baseline, setting): the paired difference with the baseline.

    A setting is a training size, or (n_way, k_shot) for episodic runs.
    """
    if not records:
        return []
    episodic = records[0].get("protocol") == "episodic"
    keys = ("learner", "n_way", "k_shot") if episodic else ("learner", "n_train_per_task")
    baseline = resolve_baseline(list(dict.fromkeys(r["learner"] for r in records)), baseline)
    by_setting = group(records, keys)
    rows = []
    for (label, *setting), members in by_setting.items():
        if label == baseline or (baseline, *setting) not in by_setting:
            continue
        ours = unit_scores(members, metric, episodic)
        theirs = unit_scores(by_setting[(baseline, *setting)], metric, episodic)
        units = [u for u in ours if u in theirs]
        if not units:
            continue
        difference, ci95 = mean_ci95([ours[u] - theirs[u] for u in units])
        rows.append({
            "learner": label,
            **dict(zip(keys[1:], setting)),
            "baseline": baseline,
            f"baseline_{metric}_mean": float(np.mean([theirs[u] for u in units])),
            f"{metric}_mean": float(np.mean([ours[u] for u in units])),
            "difference_mean": difference,
            "difference_ci95": ci95,
            "n_pairs": len(units),
            "verdict": verdict(difference, ci95),
        })
    return rows


def compare_run(run_dir, baseline: str, metric: str = "accuracy") -> tuple[list[dict], list]:
    """Paired rows of a run directory's records; writes comparison.csv and comparison.md there.

    Returns the rows and the paths written.
    """
    run_dir = Path(run_dir)
    path = run_dir / "results.jsonl"
    if not path.is_file():
        raise UserError(f"{run_dir}: no results.jsonl; run 'mtl train CONFIG' first")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not records:
        raise UserError(f"{path}: no records; no cell has finished")
    if metric not in records[0]:
        available = [m for m in METRICS if m in records[0]]
        raise UserError(f"--metric: {metric!r} is not in {path}; expected one of {available}")
    rows = paired_rows(records, baseline, metric)
    against = rows[0]["baseline"] if rows else baseline
    title = f"{run_dir.name}: test {metric.replace('_', ' ')}, paired difference with {against}"
    written = [run_dir / "comparison.csv", run_dir / "comparison.md"]
    write_atomic(written[0], to_csv(rows))
    write_atomic(written[1], to_markdown(rows, title))
    return rows, written
