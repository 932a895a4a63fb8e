"""Experiment configs: schema, loading, validation and grid expansion.

A config names one dataset, one task split, one featurizer and a list of
learners, each as ``{name: ..., <parameter>: <value>, ...}``. In a learner,
a list value is a grid axis ("try each"); so is a list inside a dict-valued
parameter (``estimator_params: {C: [0.1, 1]}``). Seeds and
the split's size axis (``n_train_per_task``, or ``k_shot`` for episodes)
are grid axes too.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import data, features, learners  # noqa: F401  (registers the built-in components)
from .errors import ConfigError, did_you_mean, one_of
from .registry import DATASETS, FEATURIZERS, LEARNERS, SPLITS, check_keys, init_parameters


class BackendSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["loky", "dask"] = "loky"
    address: str | None = None


class ExperimentSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    dataset: dict[str, Any]
    split: dict[str, Any]
    featurizer: dict[str, Any] = Field(default_factory=lambda: {"name": "tfidf"})
    learners: list[dict[str, Any]] = Field(min_length=1)
    seeds: int | list[int] = 0
    n_jobs: int = Field(default=1, ge=-1)
    backend: BackendSchema | Literal["loky", "dask"] = "loky"


@dataclass(frozen=True)
class Component:
    """A configured component: its registered name and the parameters given."""

    name: str
    params: dict

    def as_dict(self) -> dict:
        return {"name": self.name, **self.params}


@dataclass(frozen=True)
class Cell:
    """One grid point: a learner with one parameter setting, a seed and a training size."""

    learner: str
    params: dict
    seed: int
    size: int | str  # training samples per task, or support samples per class (k_shot) for episodes
    id: str

    @property
    def label(self) -> str:
        return learner_label(self.learner, self.params)

    def record_fields(self) -> dict:
        """What identifies this cell in each of its result records."""
        return {"cell": self.id, "learner": self.label, "learner_name": self.learner, "params": self.params,
                "seed": self.seed}


@dataclass
class Experiment:
    """A validated experiment: components, grid axes and how to run it."""

    name: str
    dataset: Component
    split: Component
    featurizer: Component
    learners: list[Component]
    seeds: list[int]
    sizes: list
    n_jobs: int = 1
    backend: dict = field(default_factory=lambda: {"name": "loky", "address": None})
    source: str = "<config>"

    @property
    def episodic(self) -> bool:
        """Few-shot episodes (meta-learning protocol) rather than fixed tasks."""
        return getattr(SPLITS.get(self.split.name), "episodic", False)

    @property
    def size_key(self) -> str:
        """The name of the size axis: ``n_train_per_task``, or ``k_shot`` for episodes."""
        return getattr(SPLITS.get(self.split.name), "size_key", "n_train_per_task")

    def as_dict(self) -> dict:
        """The normalized config, as written into the run directory."""
        return {
            "name": self.name,
            "dataset": self.dataset.as_dict(),
            "split": {**self.split.as_dict(), self.size_key: self.sizes},
            "featurizer": self.featurizer.as_dict(),
            "learners": [c.as_dict() for c in self.learners],
            "seeds": self.seeds,
            "n_jobs": self.n_jobs,
            "backend": self.backend,
        }

    def feature_spec(self, seed: int, size) -> dict:
        """Everything that determines the featurized tasks of one grid point.

        Episodic splits featurize their parts once per seed, whatever the shot.
        """
        spec = {
            "dataset": self.dataset.as_dict(),
            "split": self.split.as_dict(),
            "featurizer": self.featurizer.as_dict(),
            "seed": seed,
        }
        return spec if self.episodic else {**spec, "n_train_per_task": size}

    def cells(self) -> list[Cell]:
        """The grid, in a stable order: learner, parameter setting, training size, seed."""
        cells = []
        for learner in self.learners:
            for params in expand(learner.params):
                for size in self.sizes:
                    for seed in self.seeds:
                        spec = {**self.feature_spec(seed, size), self.size_key: size, "learner": learner.name, "params": params}
                        cells.append(Cell(learner.name, params, seed, size, spec_hash(spec)))
        return cells


def spec_hash(spec: dict) -> str:
    """A short stable hash of a JSON-able spec (the key of a cell's cached result)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def expand(params: dict) -> list[dict]:
    """All combinations of the list-valued entries of ``params`` (one level of dicts deep)."""
    axes = []  # (key, inner key or None, values)
    for key, value in params.items():
        if isinstance(value, list):
            axes.append((key, None, value))
        elif isinstance(value, dict):
            axes.extend((key, inner, v) for inner, v in value.items() if isinstance(v, list))
    grid = []
    for combo in itertools.product(*(values for _, _, values in axes)):
        point = {k: dict(v) if isinstance(v, dict) else v for k, v in params.items()}
        for (key, inner, _), value in zip(axes, combo):
            if inner is None:
                point[key] = value
            else:
                point[key][inner] = value
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


def parameters_of(cls) -> dict:
    """The configurable parameters of a registered class, with defaults."""
    params = cls.parameters() if hasattr(cls, "parameters") else init_parameters(cls)
    return {k: v for k, v in params.items() if k != "random_state"}


def component(raw: dict, registry, key: str) -> Component:
    """Validate ``{name: ..., **params}`` against a registry; errors name ``key``."""
    if "name" not in raw:
        raise ConfigError(f"{key}: missing 'name', expected one of {one_of(registry.names())}")
    name = raw["name"]
    cls = registry.get(str(name), where=f"{key}.name")
    params = {k: v for k, v in raw.items() if k != "name"}
    check_keys(params, parameters_of(cls), key)
    return Component(name, params)


def check_instance(cls, params: dict, key: str) -> None:
    """Build the component and run its own value checks."""
    instance = cls(**params)
    if hasattr(instance, "check"):
        try:
            instance.check()
        except ValueError as exc:
            raise ConfigError(f"{key}: {exc}") from None


def training_sizes(value, key: str, allow_all: bool = True) -> list:
    values = value if isinstance(value, list) else [value]
    expected = "a positive integer, 'all', or a list of them" if allow_all else "a positive integer or a list of them"
    if not values:
        raise ConfigError(f"{key}: expected {expected}; got []")
    for v in values:
        if not ((allow_all and v == "all") or (isinstance(v, int) and not isinstance(v, bool) and v > 0)):
            raise ConfigError(f"{key}: expected {expected}; got {v!r}")
    return values


EXPECTED = {
    "seeds": "expected an integer or a list of integers",
    "backend": "expected 'loky', 'dask', or a mapping {name: dask, address: tcp://HOST:PORT}",
    "n_jobs": "expected an integer: the number of parallel jobs (-1: all cores)",
}


def pydantic_message(error: ValidationError, raw: dict) -> str:
    """One line for the first schema error: the key, what was expected and what was given."""
    first = error.errors()[0]
    loc = first["loc"]
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    if first["type"] == "extra_forbidden":
        allowed = list(ExperimentSchema.model_fields)
        return f"{key}: unknown key, expected one of {one_of(allowed)}{did_you_mean(key, allowed)}"
    if first["type"] == "missing":
        return f"{key}: required key is missing"
    top = str(loc[0])
    if top in EXPECTED:
        return f"{top}: {EXPECTED[top]}, got {raw.get(top)!r}"
    return f"{key}: {first['msg']}, got {first.get('input')!r}"


def from_dict(raw: Any, source: str = "<config>", base_dir: Path | None = None) -> Experiment:
    """Validate a parsed config; every error is a ConfigError naming the key."""
    try:
        return build(raw, source, base_dir)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def build(raw: Any, source: str, base_dir: Path | None) -> Experiment:
    if not isinstance(raw, dict):
        raise ConfigError(f"expected a mapping of keys (dataset, split, learners, ...), got {type(raw).__name__}")
    try:
        schema = ExperimentSchema.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(exc, raw)) from None

    dataset = component(schema.dataset, DATASETS, "dataset")
    if base_dir is not None and isinstance(dataset.params.get("path"), str):
        path = Path(dataset.params["path"]).expanduser()
        dataset.params["path"] = str(path if path.is_absolute() else (base_dir / path).resolve())
    check_instance(DATASETS.get(dataset.name), dataset.params, "dataset")

    split_raw = dict(schema.split)
    split_class = SPLITS.get(str(split_raw.get("name")), where="split.name") if "name" in split_raw else None
    size_key = getattr(split_class, "size_key", "n_train_per_task")
    default_sizes = getattr(split_class, "default_sizes", "all")
    sizes = training_sizes(
        split_raw.pop(size_key, default_sizes), f"split.{size_key}", allow_all=size_key == "n_train_per_task"
    )
    split = component(split_raw, SPLITS, "split")
    check_instance(SPLITS.get(split.name), split.params, "split")

    featurizer = component(schema.featurizer, FEATURIZERS, "featurizer")

    learners = []
    for i, raw_learner in enumerate(schema.learners):
        key = f"learners[{i}]"
        learner = component(raw_learner, LEARNERS, key)
        for point in expand(learner.params):
            check_instance(LEARNERS.get(learner.name), point, key)
        learners.append(learner)

    backend = schema.backend if isinstance(schema.backend, BackendSchema) else BackendSchema(name=schema.backend)
    seeds = schema.seeds if isinstance(schema.seeds, list) else [schema.seeds]
    if not seeds:
        raise ConfigError("seeds: expected an integer or a non-empty list of integers, got []")
    return Experiment(
        name=schema.name or Path(source).stem,
        dataset=dataset,
        split=split,
        featurizer=featurizer,
        learners=learners,
        seeds=seeds,
        sizes=sizes,
        n_jobs=schema.n_jobs,
        backend=backend.model_dump(),
        source=source,
    )


def load(path: str | Path) -> Experiment:
    """Read and validate a YAML experiment config."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        raise ConfigError(f"{path}: not valid YAML at {where} ({getattr(exc, 'problem', exc)})") from None
    return from_dict(raw, str(path), path.parent)
