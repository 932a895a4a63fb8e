"""What a finished run's records say about its own set-up: cross-validated choices on the edge of their grid.

A learner that chooses a value by cross-validation (``shared-w-cv`` picks
``l2`` from ``l2s``) and lands on the smallest or largest candidate in
most of its fits has probably not found its best value: the optimum may lie
beyond the grid. The run is still valid; the warning says which grid to
widen. A smallest candidate of at most ``NEGLIGIBLE`` is not flagged: a
ridge that weak hardly changes the fit, so going lower changes nothing.

Meta-learners choose on meta-validation episodes or tasks and record every
candidate's score (``validation_scores``). Their tie rule prefers the most
conservative candidate, so an edge choice alone says little; what is
reported is a smallest or largest candidate that scored strictly best and
was chosen, in more than half of a learner's fits: the best value may lie
beyond it.
"""

from __future__ import annotations

from . import learners  # noqa: F401  (registers the learners this reads)
from .registry import LEARNERS
from .results import group


NEGLIGIBLE = 1e-6


class GridEdgeWarning(UserWarning):
    """A cross-validated or meta-validated choice sat on the edge of its candidates in most fits of a learner."""


def candidates(record: dict, grid_name: str) -> list | None:
    """The values a record's learner chose among: its own ``grid_name`` parameter, else the default."""
    values = record["params"].get(grid_name)
    if values is None:
        values = getattr(LEARNERS.get(record["learner_name"])(), grid_name, None)
    return None if values is None else sorted(float(v) for v in values)


def edges_picked(values: list[float], picks: list, n_fits: int):
    """(edge, its value, the word for beyond it, fits) for each edge of the sorted candidates ``values``
    that is the pick in more than half of ``n_fits`` fits."""
    for edge, value, beyond in (("smallest", values[0], "smaller"), ("largest", values[-1], "larger")):
        hits = sum(p == value for p in picks)
        if 2 * hits > n_fits:
            yield edge, value, beyond, hits


def edge_lines(records: list[dict]) -> list[str]:
    """One line per (learner setting, parameter, edge) where the choice was the smallest or the largest of
    at least two candidates in more than half of the learner's fits (one fit per cell)."""
    lines = []
    for (label,), members in group(records, ("learner",)).items():
        grids = getattr(LEARNERS.get(members[0]["learner_name"]), "cv_grids", {})
        fits = list({r["cell"]: r for r in members}.values())
        for chosen_name, grid_name in grids.items():
            values = candidates(fits[0], grid_name)
            if not values or len(set(values)) < 2:
                continue
            picks = [float((r.get("selected_params") or {}).get(chosen_name, "nan")) for r in fits]
            for edge, value, beyond, hits in edges_picked(values, picks, len(fits)):
                if not (edge == "smallest" and value <= NEGLIGIBLE):
                    lines.append(f"{label}: cross-validation chose the {edge} {chosen_name} of {grid_name} "
                                 f"({value:g}) in {hits} of {len(fits)} fits; a {beyond} {chosen_name} may fit "
                                 f"better (add one to {grid_name})")
    return lines


def strict_best(scores: dict) -> float | None:
    """The candidate (a number) whose validation score is above every other's, or None (a tie, or none scored)."""
    scored = sorted(((s, float(v)) for v, s in scores.items() if s is not None), reverse=True)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def validation_edge_lines(records: list[dict]) -> list[str]:
    """One line per (learner setting, meta-hyperparameter, edge) where the smallest or the largest of at
    least two candidates scored strictly best on validation, and was the value chosen, in more than half
    of the learner's fits. An edge best by less than the choice's tie margin, where the learner chose an
    inner value, is a plateau: a wider grid would not change the choice."""
    lines = []
    for (label,), members in group([r for r in records if r.get("validation_scores")], ("learner",)).items():
        fits = list({r["cell"]: (r["validation_scores"], r.get("selected_params") or {}) for r in members}.values())
        for name in sorted({name for scores, _ in fits for name in scores}):
            grids = [(scores[name], chosen.get(name)) for scores, chosen in fits if name in scores]
            values = sorted({float(v) for scores, _ in grids for v in scores})
            if len(values) < 2:
                continue
            best = [b if (b := strict_best(scores)) is not None and (chosen is None or float(chosen) == b) else None
                    for scores, chosen in grids]
            for edge, value, beyond, hits in edges_picked(values, best, len(fits)):
                lines.append(f"{label}: meta-validation scored the {edge} {name} ({value:g}) best in {hits} of "
                             f"{len(fits)} fits; a {beyond} {name} may do better (widen its candidates)")
    return lines
