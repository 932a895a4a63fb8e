"""Experiment configs: schema, loading, validation and grid expansion.

A config names one dataset, one task split, one featurizer and a list of
learners, each as ``{name: ..., <parameter>: <value>, ...}``. A grid axis
is marked: ``{grid: [v1, v2]}`` as a learner parameter's value, or as the
value of a key of a dict-valued parameter (``estimator_params: {C: {grid:
[0.1, 1]}}``), means "try each". Every other list is a plain value
(``l2s: [0.01, 0.1]``, ``task_graph: [[a, b], [b, c]]``). ``seeds`` and the
split's size (``n_train_per_task``, or ``k_shot`` for episodes) are the
experiment's own axes: a list there is always one value per grid point.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from . import __version__, data, features, learners  # noqa: F401  (registers the built-in components)
from .errors import ConfigError, DataError, did_you_mean, one_of
from .features import Featurizer, analyzer_keys, fit_on_of
from .grid import Cell, expand, learner_label, reject_axes  # noqa: F401  (Cell, learner_label: re-exported)
from .hashing import spec_hash
from .registry import DATASETS, FEATURIZERS, LEARNERS, SPLITS, check_keys, init_parameters
from .yamlio import load_yaml

MAX_CELLS = 100_000
RUN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


class BackendSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["loky", "dask"] = "loky"
    address: StrictStr | None = Field(default=None, pattern=r"^(tcp|tls)://[^\s/:]+:\d{1,5}$")


class ExperimentSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr | None = None
    dataset: dict[str, Any]
    split: dict[str, Any]
    featurizer: dict[str, Any] = Field(default_factory=lambda: {"name": "tfidf"})
    learners: list[dict[str, Any]] = Field(min_length=1)
    seeds: StrictInt | list[StrictInt] = 0
    n_jobs: StrictInt = Field(default=1, ge=-1, le=1024)
    backend: BackendSchema | Literal["loky", "dask"] = "loky"


@dataclass(frozen=True)
class Component:
    """A configured component: its registered name and the parameters given."""

    name: str
    params: dict

    def as_dict(self) -> dict:
        return {"name": self.name, **self.params}


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
    def protocol(self) -> str:
        """How cells are fitted and scored: ``episodic`` (few-shot episodes of new classes),
        ``holdout`` (meta-learn on some tasks, adapt to the held-out ones) or ``plain``."""
        return protocol_of(self.split)

    @property
    def episodic(self) -> bool:
        """Few-shot episodes (meta-learning protocol) rather than fixed tasks."""
        return self.protocol == "episodic"

    @functools.cached_property
    def data_fingerprint(self) -> str:
        """A hash of the data the experiment reads (file content, not path): results depend on it."""
        params = dict(self.dataset.params)
        try:
            return DATASETS.get(self.dataset.name)(**params).fingerprint()
        except OSError as exc:  # a path the system refuses to look up: a name too long, a folder not readable
            raise DataError(f"{self.source}: dataset: cannot read its data ({exc.strerror or exc}: "
                            f"{exc.filename})") from None

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
        return {**self.logical_spec(seed, size), "data_fingerprint": self.data_fingerprint, "mtl_version": __version__}

    def logical_spec(self, seed: int, size) -> dict:
        """What the config says about one grid point's data (no data fingerprint, no version)."""
        spec = {
            "dataset": self.dataset.as_dict(),
            "split": self.split.as_dict(),
            "featurizer": self.featurizer.as_dict(),
            "seed": seed,
        }
        return spec if self.episodic else {**spec, "n_train_per_task": size}

    def cells(self, with_ids: bool = True) -> list[Cell]:
        """The grid, in a stable order: learner, parameter setting, training size, seed.

        A cell's id hashes everything its result depends on, the data's
        content, the mtl version and the learner's defaults included, so edited
        data, changed code or a changed default never reuses a stored result.
        Its learner's ``random_state`` hashes the config's spec alone: the same
        config and seeds draw the same random numbers in every version and on
        every copy of the data. ``with_ids=False`` skips reading the data (ids
        empty).
        """
        cells = []
        for learner in self.learners:
            defaults = parameters_of(LEARNERS.get(learner.name))
            for params in expand(learner.params):
                for size in self.sizes:
                    for seed in self.seeds:
                        cell_id = ""
                        logical = {**self.logical_spec(seed, size), self.size_key: size, "learner": learner.name,
                                   "params": params}
                        if with_ids:
                            spec = {**logical, "data_fingerprint": self.data_fingerprint, "mtl_version": __version__,
                                    "effective_params": {**defaults, **params}}
                            cell_id = spec_hash(spec)
                        random_state = int(spec_hash(logical)[:8], 16) % (2**31)
                        cells.append(Cell(learner.name, params, seed, size, cell_id, random_state))
        return cells


def protocol_of(split: Component) -> str:
    if getattr(SPLITS.get(split.name), "episodic", False):
        return "episodic"
    return "holdout" if split.params.get("holdout_tasks") else "plain"


def parameters_of(cls) -> dict:
    """The configurable parameters of a registered class, with defaults (featurizers also take ``fit_on``)."""
    params = cls.parameters() if hasattr(cls, "parameters") else init_parameters(cls)
    if issubclass(cls, Featurizer):
        params = {**params, "fit_on": "labelled"}
    return {k: v for k, v in params.items() if k != "random_state"}


def component(raw: dict, registry, key: str) -> Component:
    """Validate ``{name: ..., **params}`` against a registry; errors name ``key``."""
    if "name" not in raw:
        raise ConfigError(f"{key}: missing 'name', expected one of {one_of(registry.names())}")
    name = raw["name"]
    if not isinstance(name, str):
        raise ConfigError(f"{key}.name: expected one of {one_of(registry.names())}, got {name!r}")
    cls = registry.get(name, where=f"{key}.name")
    params = {k: v for k, v in raw.items() if k != "name"}
    check_keys(params, parameters_of(cls), key)
    return Component(name, params)


def check_instance(cls, params: dict, key: str) -> None:
    """Build the component and run its own value checks."""
    instance = cls(**params)
    if hasattr(instance, "check"):
        try:
            instance.check()
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{key}: {exc}{list_hint(params, str(exc), cls)}") from None


def list_hint(params: dict, message: str, cls=None) -> str:
    """A reminder of the grid syntax when a rejected parameter was given a list (not for a parameter
    whose value is a list, such as a meta-learner's candidates)."""
    defaults = parameters_of(cls) if cls is not None else {}
    lists = [k for k, v in params.items() if isinstance(v, list) and not isinstance(defaults.get(k), (list, tuple))]
    lists += [k for v in params.values() if isinstance(v, dict) for k, w in v.items() if isinstance(w, list)]
    named = [k for k in lists if f"'{k}'" in message]
    return f" (a list is one value; to try each, write {named[0]}: {{grid: [...]}})" if named else ""


def training_sizes(value, key: str, allow_all: bool = True) -> list:
    values = value if isinstance(value, list) else [value]
    expected = "a positive integer, 'all', or a list of them" if allow_all else "a positive integer or a list of them"
    if not values:
        raise ConfigError(f"{key}: expected {expected}; got []")
    for v in values:
        if not ((allow_all and v == "all") or (isinstance(v, int) and not isinstance(v, bool) and v > 0)):
            raise ConfigError(f"{key}: expected {expected}; got {v!r}")
    if len(set(values)) != len(values):
        raise ConfigError(f"{key}: lists a size twice: {values!r}")
    return values


def check_seeds(seeds: list, key: str = "seeds") -> list:
    if not seeds:
        raise ConfigError(f"{key}: expected an integer or a non-empty list of integers, got []")
    for seed in seeds:
        if not 0 <= seed < 2**32:
            raise ConfigError(f"{key}: seeds are integers in [0, 2^32), got {seed}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"{key}: lists a seed twice: {seeds!r}")
    return seeds


def check_run_name(name: str, key: str) -> str:
    """Run names are plain folder names: no separators, no leading dot, at most 100 characters."""
    if not RUN_NAME.fullmatch(name):
        raise ConfigError(
            f"{key}: run names use letters, digits, '-', '_' and '.', do not start with '.', and have at most "
            f"100 characters; got {name!r}"
        )
    return name


EXPECTED = {
    "seeds": "expected an integer or a list of integers",
    "backend": "expected 'loky', 'dask', or a mapping {name: dask, address: tcp://HOST:PORT}",
    "n_jobs": "expected an integer: the number of parallel jobs (-1: all cores, else 1 to 1024)",
    "name": "expected a run name (letters, digits, '-', '_', '.')",
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

    for key in ("dataset", "split", "featurizer"):
        reject_axes(getattr(schema, key), key)
    dataset = component(schema.dataset, DATASETS, "dataset")
    if base_dir is not None and isinstance(dataset.params.get("path"), str):
        path = Path(dataset.params["path"]).expanduser()
        dataset.params["path"] = str(path if path.is_absolute() else (base_dir / path).resolve())
    check_instance(DATASETS.get(dataset.name), dataset.params, "dataset")

    split_raw = dict(schema.split)
    split_class = SPLITS.get(split_raw["name"], where="split.name") if isinstance(split_raw.get("name"), str) else None
    size_key = getattr(split_class, "size_key", "n_train_per_task")
    default_sizes = getattr(split_class, "default_sizes", "all")
    sizes = training_sizes(
        split_raw.pop(size_key, default_sizes), f"split.{size_key}", allow_all=size_key == "n_train_per_task"
    )
    split = component(split_raw, SPLITS, "split")
    check_instance(SPLITS.get(split.name), split.params, "split")

    featurizer = component(schema.featurizer, FEATURIZERS, "featurizer")
    check_featurizer(featurizer, dataset)

    protocol = protocol_of(split)
    chosen = []
    for i, raw_learner in enumerate(schema.learners):
        key = f"learners[{i}]"
        learner = component(raw_learner, LEARNERS, key)
        check_protocol(learner, protocol, key)
        for point in expand(learner.params, key):
            check_inference(point, protocol, key)
            check_instance(LEARNERS.get(learner.name), point, key)
            check_folds(point, sizes, split, key)
        chosen.append(learner)

    if schema.n_jobs == 0:
        raise ConfigError(f"n_jobs: {EXPECTED['n_jobs']}, got 0")
    backend = schema.backend if isinstance(schema.backend, BackendSchema) else BackendSchema(name=schema.backend)
    seeds = check_seeds(schema.seeds if isinstance(schema.seeds, list) else [schema.seeds])
    name = check_run_name(schema.name, "name") if schema.name is not None else check_run_name(
        Path(source).stem, "name (taken from the file name; set 'name:' to choose another)"
    )
    experiment = Experiment(
        name=name,
        dataset=dataset,
        split=split,
        featurizer=featurizer,
        learners=chosen,
        seeds=seeds,
        sizes=sizes,
        n_jobs=schema.n_jobs,
        backend=backend.model_dump(),
        source=source,
    )
    n_cells = sum(len(expand(c.params)) for c in chosen) * len(sizes) * len(seeds)
    if n_cells > MAX_CELLS:
        raise ConfigError(f"learners: the grid has {n_cells} cells, more than {MAX_CELLS}; split it into several runs")
    return experiment


def check_featurizer(featurizer: Component, dataset: Component) -> None:
    """The featurizer must take what the dataset gives (text or a feature matrix), with valid parameters."""
    cls = FEATURIZERS.get(featurizer.name)
    gives = getattr(DATASETS.get(dataset.name), "gives", "text")
    try:
        _, params = fit_on_of(featurizer.params)
        takes = cls.takes_of(params)
        if gives not in takes:
            fitting = sorted(n for n, c in FEATURIZERS.items() if gives in c.takes)
            raise ConfigError(
                f"featurizer.name: {featurizer.name} takes {' or '.join(takes)}, but dataset {dataset.name} gives "
                f"{gives}; use one of {one_of(fitting)}"
            )
        if gives == "bags" and analyzer_keys(params):
            raise ConfigError(
                f"featurizer.{analyzer_keys(params)[0]}: dataset {dataset.name} gives bags of features and counts, "
                "not text, so there is no analyzer to set; remove it"
            )
        cls.check(params)
    except (ValueError, TypeError) as exc:
        lists_by_design = {k: v for k, v in featurizer.params.items() if k not in ("parts", "weights")}
        raise ConfigError(f"featurizer: {exc}{list_hint(lists_by_design, str(exc))}") from None


def check_protocol(learner: Component, protocol: str, key: str) -> None:
    """A protocol accepts some kinds of learner: meta-learners need tasks or classes to learn from
    before the ones they are scored on."""
    from .learners.base import learner_kind
    from .protocols import PROTOCOLS

    kind = learner_kind(LEARNERS.get(learner.name))
    if kind not in PROTOCOLS[protocol].accepts:
        needs = sorted(name for name, p in PROTOCOLS.items() if kind in p.accepts)
        raise ConfigError(
            f"{key}.name: {learner.name} is a {kind}-learner; the {protocol} protocol of this split does not take "
            f"one (it needs protocol {' or '.join(needs)}: holdout_tasks > 0 in hierarchy-pairs or by-column, "
            "or the episodes split)"
        )


def check_inference(params: dict, protocol: str, key: str) -> None:
    """Parameters that only make sense in episodes (or outside them), checked on one grid point."""
    if protocol != "episodic" and params.get("transductive") not in (None, False):
        raise ConfigError(f"{key}.transductive: transductive inference uses an episode's unlabelled queries; "
                          "it needs the episodes split")
    if protocol == "episodic" and isinstance(params.get("task_graph"), list):
        raise ConfigError(f"{key}.task_graph: names tasks, but the episodes split has none (each episode is one task)")


def check_folds(params: dict, sizes: list, split: Component, key: str) -> None:
    """Cross-validation folds cannot outnumber the training samples of a task."""
    folds = params.get("cv")
    if not isinstance(folds, int):
        return
    per_size = split.params.get("n_way", 5) if protocol_of(split) == "episodic" else 1
    smallest = min((s * per_size for s in sizes if isinstance(s, int)), default=None)
    if smallest is not None and folds > smallest:
        raise ConfigError(
            f"{key}.cv: {folds} folds, but the smallest training size gives {smallest} samples per task"
        )


def load(path: str | Path) -> Experiment:
    """Read and validate a YAML experiment config."""
    path = Path(path)
    return from_dict(load_yaml(path), str(path), path.parent)
