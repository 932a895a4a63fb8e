"""What every evaluation protocol does for one cell: prepare its data, fit its learner, make its records."""

from __future__ import annotations

import math
import time


class Protocol:
    """How a cell is fitted and scored.

    ``accepts`` names the kinds of learner it takes (``multitask``: fit(X,
    y, tasks); ``meta``: meta_fit, then adapt to each new task). The runner
    picks one protocol per experiment and calls only these methods.
    """

    name = ""
    accepts: tuple[str, ...] = ("multitask",)

    def prepare(self, feature_spec: dict, cache_dir: str | None, refresh: bool = False):
        """The featurized data of a grid point (cached on content)."""
        raise NotImplementedError

    def task_names(self, data) -> list[str] | None:
        """The names of the tasks a learner is fitted on (None where tasks have no names)."""
        return None

    def fit(self, learner, cell, feature_spec: dict, data):
        """Fit ``learner`` as the protocol prescribes; returns (what to keep and score, seconds)."""
        raise NotImplementedError

    def records(self, fitted, cell, feature_spec: dict, data, fit_seconds: float) -> list[dict]:
        """The test records of a fitted cell."""
        raise NotImplementedError


def timed(function, *args, **kwargs):
    """(result, seconds) of a call."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def validation_scores_of(model) -> dict | None:
    """A meta-learner's validation accuracy of each candidate it chose among, ``{name: {value: score}}``
    with values as text (JSON keys) and None for a candidate nothing could score; None without any."""
    scores = getattr(model, "validation_scores_", None)
    return None if not scores else {
        name: {repr(float(v)): float(s) if math.isfinite(s) else None for v, s in by_value.items()}
        for name, by_value in scores.items()
    }
