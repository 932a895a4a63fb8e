"""Running a grid: featurize once per (seed, size), fit every cell in parallel, keep results.

Each cell (learner setting x seed x training size) is a pure function of its
spec. Its records and fitted model are written to the run directory as soon
as it finishes, keyed by the hash of its spec, so an interrupted run keeps
every finished cell and the next run does only the rest.
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import yaml

from . import config as config_module
from . import episodic as episodes_module
from . import holdout
from .config import Cell, Experiment
from .errors import UserError
from .features import TaskSet, featurize
from .registry import DATASETS, LEARNERS, SPLITS
from .results import write_atomic, write_tables


def read_corpus(dataset: dict):
    """Load the corpus of a dataset spec ``{name, **params}``."""
    params = dict(dataset)
    return DATASETS.get(params.pop("name"))(**params).load()


@functools.lru_cache(maxsize=4)
def load_corpus(dataset_json: str, cache_dir: str | None = None):
    """The corpus of a dataset spec, loaded once per process.

    Datasets marked ``disk_cache`` are also kept on disk as a plain pickle,
    which a worker reads in a fraction of the time it takes to parse them.
    """
    dataset = json.loads(dataset_json)
    if cache_dir is None or not getattr(DATASETS.get(dataset["name"]), "disk_cache", False):
        return read_corpus(dataset)
    return joblib.Memory(Path(cache_dir) / "corpora", verbose=0).cache(read_corpus)(dataset)


def split_tasks(feature_spec: dict, cache_dir: str | None = None):
    """The tasks of a grid point, before featurization, and the names of the held-out tasks.

    Training sets are subsampled to ``n_train_per_task``, except those of the
    tasks that meta-learners learn from when tasks are held out (full pools).
    """
    from .data import subsample

    corpus = load_corpus(json.dumps(feature_spec["dataset"], sort_keys=True), cache_dir)
    params = dict(feature_spec["split"])
    split = SPLITS.get(params.pop("name"))(**params)
    tasks = split.tasks(corpus)
    heldout = split.heldout(tasks) if hasattr(split, "heldout") else set()
    n, seed = feature_spec["n_train_per_task"], feature_spec["seed"]
    return corpus, [subsample(t, n, seed) if not heldout or t.name in heldout else t for t in tasks], heldout


def build_task_set(feature_spec: dict, cache_dir: str | None = None) -> TaskSet:
    """Featurize the tasks of one grid point (the function the disk cache wraps)."""
    corpus, tasks, heldout = split_tasks(feature_spec, cache_dir)
    featurizer = dict(feature_spec["featurizer"])
    task_set = featurize(corpus, tasks, featurizer.pop("name"), featurizer, feature_spec["seed"])
    task_set.heldout = np.array([t.name in heldout for t in tasks])
    return task_set


def cached_task_set(feature_spec: dict, cache_dir: str | None) -> TaskSet:
    if cache_dir is None:
        return build_task_set(feature_spec)
    memory = joblib.Memory(Path(cache_dir) / "features", verbose=0)
    return memory.cache(build_task_set, ignore=["cache_dir"])(feature_spec, cache_dir)


def make_learner(cell: Cell):
    learner = LEARNERS.get(cell.learner)(**cell.params)
    if "random_state" in learner.get_params():
        learner.set_params(random_state=int(cell.id[:8], 16) % (2**31))
    return learner


def score(model, task_set: TaskSet, cell: Cell, fit_seconds: float, y_pred=None, predict_seconds=None,
          only=None) -> list[dict]:
    """Per-task test records of a fitted model (of the tasks in ``only``, if given)."""
    from sklearn.metrics import f1_score

    if y_pred is None:
        start = time.perf_counter()
        y_pred = model.predict(task_set.X_test, task_set.task_test)
        predict_seconds = time.perf_counter() - start
    records = []
    for k, task in enumerate(task_set.task_names):
        if only is not None and k not in only:
            continue
        test, train = task_set.task_test == k, task_set.task_train == k
        y_true = task_set.y_test[test]
        records.append(
            {
                **cell.record_fields(),
                "n_train_per_task": cell.size,
                "task": task,
                "n_train": int(train.sum()),
                "n_test": int(test.sum()),
                "n_features": task_set.n_features,
                "accuracy": float(np.mean(y_pred[test] == y_true)),
                "macro_f1": float(f1_score(y_true, y_pred[test], average="macro")),
                "fit_seconds": fit_seconds,
                "predict_seconds": predict_seconds,
                "featurize_seconds": task_set.featurize_seconds,
                "selected_params": getattr(model, "selected_params_", None),
            }
        )
    return records


@dataclass
class CellOutcome:
    cell: Cell
    records: list[dict] | None = None
    model: object = None
    error: str | None = None
    user_error: bool = False


def guarded(work):
    """Run a cell's work; a failure becomes an outcome (never cached) instead of stopping the grid.

    The grid is parallel across cells, so each cell gets one BLAS thread (as
    loky gives its workers); BLAS threads spinning beside small solvers
    made in-process cells up to 10x slower.
    """

    @functools.wraps(work)
    def run(cell, *args):
        from threadpoolctl import threadpool_limits

        try:
            with threadpool_limits(limits=1):
                return work(cell, *args)
        except UserError as exc:
            return CellOutcome(cell, error=str(exc), user_error=True)
        except Exception:
            return CellOutcome(cell, error=traceback.format_exc())

    return run


@guarded
def fit_cell(cell: Cell, feature_spec: dict, cache_dir: str | None, episodic: bool = False) -> CellOutcome:
    """Fit one cell's learner and score it: on its tasks' test parts, or on the evaluation episodes."""
    model = make_learner(cell)
    if episodic:
        data = episodes_module.cached_episode_data(feature_spec, cache_dir)
        seconds = episodes_module.meta_fit(model, cell, feature_spec, data)
        return CellOutcome(cell, episodes_module.run_episodes(model, cell, feature_spec, data, seconds), model)
    task_set = cached_task_set(feature_spec, cache_dir)
    if task_set.heldout.any():
        model, fit_seconds = holdout.fit(model, task_set, cell)
        return CellOutcome(cell, holdout.score(model, task_set, cell, fit_seconds), model)
    start = time.perf_counter()
    model.fit(task_set.X_train, task_set.y_train, task_set.task_train)
    fit_seconds = time.perf_counter() - start
    return CellOutcome(cell, score(model, task_set, cell, fit_seconds), model)


@guarded
def evaluate_cell(cell: Cell, feature_spec: dict, cache_dir: str | None, model_path: str, fit_seconds: float,
                  episodic: bool = False):
    model = joblib.load(model_path)
    if episodic:
        data = episodes_module.cached_episode_data(feature_spec, cache_dir)
        return CellOutcome(cell, episodes_module.run_episodes(model, cell, feature_spec, data, fit_seconds))
    task_set = cached_task_set(feature_spec, cache_dir)
    if task_set.heldout.any():
        return CellOutcome(cell, holdout.score(model, task_set, cell, fit_seconds))
    return CellOutcome(cell, score(model, task_set, cell, fit_seconds))


def spec_key(experiment: Experiment, cell: Cell) -> str:
    """Cells with the same key share one featurization."""
    return json.dumps(experiment.feature_spec(cell.seed, cell.size), sort_keys=True)


@contextlib.contextmanager
def parallel_backend(backend: dict, n_jobs: int):
    """joblib's backend for the grid: local processes (loky) or a dask.distributed cluster."""
    if backend["name"] == "loky":
        yield n_jobs
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UserError("backend 'dask' needs dask.distributed: pip install 'mtl-cli[dask]'") from None
    if backend.get("address"):
        cluster, client = None, Client(backend["address"])
    else:
        workers = n_jobs if n_jobs > 0 else joblib.cpu_count()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        with joblib.parallel_config(backend="dask"):
            yield -1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@dataclass
class RunSummary:
    run_dir: Path
    n_cells: int
    n_skipped: int = 0
    failures: list[CellOutcome] = field(default_factory=list)
    tables: dict = field(default_factory=dict)
    seconds: float = 0.0


class RunDirectory:
    """The files of one run: config, per-cell records and models, tables."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.cells = self.path / "cells"
        self.models = self.path / "models"

    def create(self) -> None:
        self.cells.mkdir(parents=True, exist_ok=True)
        self.models.mkdir(parents=True, exist_ok=True)

    def cell_file(self, cell: Cell) -> Path:
        return self.cells / f"{cell.id}.json"

    def model_file(self, cell: Cell) -> Path:
        return self.models / f"{cell.id}.joblib"

    def has(self, cell: Cell) -> bool:
        return self.cell_file(cell).exists()

    def save(self, outcome: CellOutcome) -> None:
        """Model first, records last: a cell counts as done once its records exist."""
        if outcome.model is not None:
            partial = self.model_file(outcome.cell).with_suffix(".partial")
            joblib.dump(outcome.model, partial)
            partial.replace(self.model_file(outcome.cell))
        write_atomic(self.cell_file(outcome.cell), json.dumps(outcome.records))

    def records(self, cells: list[Cell]) -> list[dict]:
        return [r for c in cells if self.has(c) for r in json.loads(self.cell_file(c).read_text())]

    def load_config(self) -> Experiment:
        path = self.path / "config.yaml"
        if not path.is_file():
            raise UserError(f"{self.path}: not a run directory (no config.yaml); run 'mtl train CONFIG' first")
        return config_module.from_dict(yaml.safe_load(path.read_text()), str(path))


def execute(tasks, n_jobs: int, backend: dict, on_result):
    """Run delayed tasks with joblib, handing each result to ``on_result`` as it finishes."""
    if not tasks:
        return
    with parallel_backend(backend, n_jobs) as jobs:
        for outcome in joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(tasks):
            on_result(outcome)


def train(
    experiment: Experiment,
    runs_root: Path,
    n_jobs: int | None = None,
    force: bool = False,
    progress=None,
) -> RunSummary:
    """Fit every cell of the grid not yet done and write the run's tables."""
    start = time.perf_counter()
    n_jobs = experiment.n_jobs if n_jobs is None else n_jobs
    run = RunDirectory(Path(runs_root) / experiment.name)
    run.create()
    write_atomic(run.path / "config.yaml", yaml.safe_dump(experiment.as_dict(), sort_keys=False))
    cache_dir = str(Path(runs_root) / ".cache")
    cells = experiment.cells()
    todo = [c for c in cells if force or not run.has(c)]
    summary = RunSummary(run.path, len(cells), n_skipped=len(cells) - len(todo))
    if todo:
        specs = {}
        for cell in todo:
            specs.setdefault(spec_key(experiment, cell), experiment.feature_spec(cell.seed, cell.size))
        advance = progress.stage("featurizing", len(specs)) if progress else (lambda *_: None)
        prepare = episodes_module.cached_episode_data if experiment.episodic else cached_task_set
        execute(
            [joblib.delayed(prepare)(spec, cache_dir) for spec in specs.values()],
            n_jobs, experiment.backend, lambda _: advance(),
        )

        advance = progress.stage("fitting", len(todo)) if progress else (lambda *_: None)

        def keep(outcome: CellOutcome):
            if outcome.error is None:
                run.save(outcome)
            else:
                summary.failures.append(outcome)
            advance()

        execute(
            [joblib.delayed(fit_cell)(c, specs[spec_key(experiment, c)], cache_dir, experiment.episodic) for c in todo],
            n_jobs, experiment.backend, keep,
        )
    summary.tables = write_tables(run.path, run.records(cells), experiment.name, experiment.size_key, experiment.episodic)
    summary.seconds = time.perf_counter() - start
    return summary


def evaluate(run_dir: Path, n_jobs: int = 1, progress=None) -> RunSummary:
    """Score a run's saved models on the test parts again and rewrite its tables."""
    start = time.perf_counter()
    run = RunDirectory(run_dir)
    experiment = run.load_config()
    cache_dir = str(run.path.parent / ".cache")
    all_cells = experiment.cells()
    cells = [c for c in all_cells if run.model_file(c).exists()]
    summary = RunSummary(run.path, len(all_cells), n_skipped=len(all_cells) - len(cells))
    advance = progress.stage("evaluating", len(cells)) if progress else (lambda *_: None)

    def fit_seconds(cell):
        old = json.loads(run.cell_file(cell).read_text()) if run.has(cell) else []
        return old[0]["fit_seconds"] if old else float("nan")

    def keep(outcome: CellOutcome):
        if outcome.error is None:
            write_atomic(run.cell_file(outcome.cell), json.dumps(outcome.records))
        else:
            summary.failures.append(outcome)
        advance()

    tasks = [
        joblib.delayed(evaluate_cell)(
            c, experiment.feature_spec(c.seed, c.size), cache_dir, str(run.model_file(c)), fit_seconds(c),
            experiment.episodic,
        )
        for c in cells
    ]
    execute(tasks, n_jobs, experiment.backend, keep)
    summary.tables = write_tables(run.path, run.records(all_cells), experiment.name, experiment.size_key, experiment.episodic)
    summary.seconds = time.perf_counter() - start
    return summary


def newest_run(runs_root: Path) -> Path:
    """The run directory whose config was written last."""
    configs = sorted(Path(runs_root).glob("*/config.yaml"), key=lambda p: p.stat().st_mtime)
    if not configs:
        raise UserError(f"{runs_root}: holds no runs; run 'mtl train CONFIG' first")
    return configs[-1].parent
