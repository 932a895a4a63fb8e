"""The grid language: which parameter values are axes, and the cells they expand to.

A grid axis is written ``{grid: [v1, v2, ...]}``: as the value of a
learner's parameter, or of a key inside a dict-valued parameter. Every
other list is a plain value. ``expand`` turns a learner's parameters into
one plain parameter dict per combination of its axes.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from .errors import ConfigError

GRID = "grid"  # {grid: [values]} marks a grid axis


@dataclass(frozen=True)
class Cell:
    """One grid point: a learner with one parameter setting, a seed and a training size."""

    learner: str
    params: dict
    seed: int
    size: int | str  # training samples per task, or support samples per class (k_shot) for episodes
    id: str  # hash of everything the result depends on: the key of its files
    random_state: int = 0  # the learner's seed: a hash of the logical spec (not of the data's bytes or the version)

    @property
    def label(self) -> str:
        return learner_label(self.learner, self.params)

    def record_fields(self) -> dict:
        """What identifies this cell in each of its result records."""
        return {"cell": self.id, "learner": self.label, "learner_name": self.learner, "params": self.params,
                "seed": self.seed}


def is_axis(value) -> bool:
    """A grid axis is written ``{grid: [values]}``."""
    return isinstance(value, dict) and GRID in value


def grid_axes(params: dict, key: str) -> list[tuple[str, str | None, list]]:
    """The marked axes of a learner's parameters: (parameter, inner key or None, values)."""
    axes = []
    for name, value in params.items():
        where = f"{key}.{name}"
        if is_axis(value):
            axes.append((name, None, axis_values(value, where)))
        elif isinstance(value, dict):
            for inner, v in value.items():
                if is_axis(v):
                    axes.append((name, inner, axis_values(v, f"{where}.{inner}")))
                else:
                    reject_axes(v, f"{where}.{inner}")
        else:
            reject_axes(value, where)
    return axes


def axis_values(value: dict, where: str) -> list:
    if set(value) != {GRID} or not isinstance(value[GRID], list):
        raise ConfigError(f"{where}: a grid axis is written {{grid: [value, ...]}} and nothing else, got {value!r}")
    values = value[GRID]
    if not values:
        raise ConfigError(f"{where}.grid: empty grid axis; give at least one value")
    seen = [json.dumps(v, sort_keys=True, default=str) for v in values]
    if len(set(seen)) != len(seen):
        raise ConfigError(f"{where}.grid: lists a value twice: {values!r}")
    return values


def reject_axes(value, where: str) -> None:
    """Grid axes are allowed only where ``expand`` looks for them; anywhere else they are an error."""
    if is_axis(value):
        raise ConfigError(
            f"{where}: a grid axis is allowed as a learner parameter or one level inside one, not here"
        )
    if isinstance(value, dict):
        for k, v in value.items():
            reject_axes(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            reject_axes(v, f"{where}[{i}]")


def expand(params: dict, key: str = "learner") -> list[dict]:
    """All combinations of the marked axes of ``params``, each a plain parameter dict."""
    axes = grid_axes(params, key)
    grid = []
    for combo in itertools.product(*(values for _, _, values in axes)):
        point = {k: dict(v) if isinstance(v, dict) else v for k, v in params.items()}
        for (name, inner, _), value in zip(axes, combo):
            if inner is None:
                point[name] = value
            else:
                point[name][inner] = value
        grid.append(point)
    return grid


def learner_label(name: str, params: dict) -> str:
    """``single-task[C=0.1,estimator=logistic]``: the name with its sorted parameters."""
    flat = {}
    for key, value in params.items():
        if isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    if not flat:
        return name
    return name + "[" + ",".join(f"{k}={flat[k]}" for k in sorted(flat)) + "]"
