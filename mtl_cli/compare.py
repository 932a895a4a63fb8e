"""Paired comparisons of learners with a baseline: "does sharing help here, and by how much?"

Every learner of a run sees the same seeds, tasks and episodes, so a
learner and the baseline are compared on matched units: a seed (the mean
over tasks of that seed's run, as in the accuracy table) or, for episodic
runs, one episode. For each learner and training size,

    difference = mean over units u of (metric(learner, u) - metric(baseline, u))

with the half-width of its 95% Student-t confidence interval over units.
Pairing removes what the units share (an easy seed is easy for both), so
the interval is narrower than the two tables' intervals side by side.

Each row also has a two-sided p-value for "no difference": the paired
t-test over the same units (``test="t"``), or the Wilcoxon signed-rank test
(``test="wilcoxon"``) over finer pairs, (seed, task) for task runs and
episodes for episodic runs. A run's comparisons are many tests at once, so
the p-values are adjusted by Holm's step-down method over all the rows
(family-wise error 5%), and the verdict ("better", "worse", "no clear
difference") uses the adjusted value: p_holm < 0.05 and the sign of the
mean difference.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import UserError
from .fileio import write_atomic
from .results import group, mean_ci95, metrics_of, to_csv, to_latex, to_markdown


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


TESTS = ("t", "wilcoxon")
ALPHA = 0.05


UNVARIED = "no variation over units: not tested"


def verdict(difference: float, p_holm: float) -> str:
    """Better or worse when the Holm-adjusted p-value is below 5%, else no clear difference."""
    if math.isnan(p_holm):
        return "too few pairs to test"
    if p_holm < ALPHA:
        return "better" if difference > 0 else "worse"
    return "no clear difference"


def paired_p_value(differences, test: str) -> float:
    """Two-sided p-value of "the differences are centred on 0" (NaN with fewer than 2 pairs)."""
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    if len(d) < 2:
        return float("nan")
    if np.all(d == d[0]):  # no spread: certain when the constant is not 0, nothing to see when it is
        return 1.0 if d[0] == 0 else 0.0
    if test == "wilcoxon":
        if not np.any(d):
            return 1.0
        return float(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    return float(stats.ttest_1samp(d, 0.0).pvalue)


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: the i-th smallest of m p-values becomes
    max over j <= i of min(1, (m - j + 1) p_(j)); NaN stays NaN and does not count in m."""
    order = [i for i in np.argsort(p_values) if not math.isnan(p_values[i])]
    adjusted, running = [float("nan")] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def unit_scores(records: list[dict], metric: str, episodic: bool) -> dict[tuple, float]:
    """metric per matched unit: (seed, episode) for episodic runs, else seed (mean over its tasks)."""
    if episodic:
        return {(r["seed"], r["episode"]): r[metric] for r in records}
    return {
        seed: float(np.mean([r[metric] for r in members])) for (seed,), members in group(records, ("seed",)).items()
    }


def fine_scores(records: list[dict], metric: str, episodic: bool) -> dict[tuple, float]:
    """metric per (seed, task) for task runs, per (seed, episode) for episodic runs: the Wilcoxon test's pairs."""
    unit = "episode" if episodic else "task"
    return {(r["seed"], r[unit]): r[metric] for r in records}


def paired_rows(records: list[dict], baselines: str | list[str], metric: str = "accuracy",
                test: str = "t") -> list[dict]:
    """One row per (baseline, learner, setting): the learner's paired difference with the baseline, its
    p-value and its Holm-adjusted p-value over all rows (every baseline's together).

    A setting is a training size, or (n_way, k_shot) for episodic runs. A
    learner is paired only with a baseline of its own inference (inductive
    or transductive), and a baseline with an earlier one only once.
    """
    if test not in TESTS:
        raise UserError(f"--test: expected one of {list(TESTS)}, got {test!r}")
    if not records:
        return []
    episodic = records[0].get("protocol") == "episodic"
    keys = ("learner", "n_way", "k_shot") if episodic else ("learner", "n_train_per_task")
    labels = list(dict.fromkeys(r["learner"] for r in records))
    chosen = list(dict.fromkeys(resolve_baseline(labels, name)
                                for name in ([baselines] if isinstance(baselines, str) else baselines)))
    by_setting = group(records, keys)
    rows = []
    for position, baseline in enumerate(chosen):
        for (label, *setting), members in by_setting.items():
            if label in chosen[:position + 1] or (baseline, *setting) not in by_setting:
                continue
            row = paired_row(members, by_setting[(baseline, *setting)], metric, test, episodic)
            if row is not None:
                rows.append({"learner": label, **dict(zip(keys[1:], setting)), "baseline": baseline, **row})
    for row, adjusted in zip(rows, holm([row["p_value"] for row in rows])):
        row["p_holm"] = adjusted
        row["verdict"] = UNVARIED if row.pop("unvaried") else verdict(row["difference_mean"], adjusted)
    return rows


def paired_row(members: list[dict], base: list[dict], metric: str, test: str, episodic: bool) -> dict | None:
    """The learner's records minus the baseline's, paired by unit; None when they share no unit or
    differ in inference (a transductive result is never compared with an inductive one)."""
    if members[0].get("inference") != base[0].get("inference"):
        return None
    ours, theirs = unit_scores(members, metric, episodic), unit_scores(base, metric, episodic)
    units = [u for u in ours if u in theirs]
    if not units:
        return None
    difference, ci95 = mean_ci95([ours[u] - theirs[u] for u in units])
    if test == "wilcoxon":
        fine, fine_base = fine_scores(members, metric, episodic), fine_scores(base, metric, episodic)
        p_value = paired_p_value([fine[u] - fine_base[u] for u in fine if u in fine_base], test)
    else:
        p_value = paired_p_value([ours[u] - theirs[u] for u in units], test)
    # both learners score the same on every unit (the seeds changed nothing, as at size "all"):
    # the units are one observation repeated, not replicates, so there is nothing to test
    unvaried = len(units) > 1 and len({ours[u] for u in units}) == 1 and len({theirs[u] for u in units}) == 1
    return {
        f"baseline_{metric}_mean": float(np.mean([theirs[u] for u in units])),
        f"{metric}_mean": float(np.mean([ours[u] for u in units])),
        "difference_mean": difference,
        "difference_ci95": ci95,
        "n_pairs": len(units),
        "test": "paired t" if test == "t" else "Wilcoxon signed-rank",
        "p_value": float("nan") if unvaried else p_value,
        "unvaried": unvaried,
    }


def compare_run(run_dir, baseline: str | list[str], metric: str = "accuracy",
                test: str = "t") -> tuple[list[dict], list]:
    """Paired rows of a run directory's records; writes comparison.csv and comparison.md there.

    Returns the rows and the paths written.
    """
    from .rundir import read_records

    run_dir = Path(run_dir)
    path = run_dir / "results.jsonl"
    records = read_records(run_dir)
    if metric not in records[0]:
        available = list(metrics_of(records))
        raise UserError(f"--metric: {metric!r} is not in {path}; expected one of {available}")
    rows = paired_rows(records, baseline, metric, test)
    against = " / ".join(dict.fromkeys(row["baseline"] for row in rows)) if rows else str(baseline)
    title = (f"{run_dir.name}: test {metric.replace('_', ' ')}, paired difference with {against} "
             f"(p-values Holm-adjusted over the {len(rows)} comparisons)")
    written = [run_dir / "comparison.csv", run_dir / "comparison.md", run_dir / "comparison.tex"]
    write_atomic(written[0], to_csv(rows))
    write_atomic(written[1], to_markdown(rows, title))
    write_atomic(written[2], to_latex(rows, title))
    return rows, written
