"""Running a grid: check the data, featurize once per (seed, size), fit every cell in parallel, keep results.

Each cell (learner setting x seed x training size) is a pure function of its
spec, which holds the data's content fingerprint and the package version.
Its records and fitted model are written to the run directory as soon as
it finishes, keyed by the hash of its spec, so an interrupted run keeps
every finished cell and the next run does only the rest.
"""

from __future__ import annotations

import datetime
import functools
import json
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import yaml

from .config import Cell, Experiment
from .diagnostics import GridEdgeWarning, edge_lines, validation_edge_lines
from .errors import ConfigError, DataError, UserError
from .grid import expand
from .hashing import spec_hash
from .parallel import execute
from .prepare import corpus_of, make_split, warn_about_tasks
from .protocols import PROTOCOLS
from .registry import LEARNERS
from .results import write_tables
from .rundir import RunDirectory, cache_dir_of, disk_errors, manifest, newest_run  # noqa: F401  (newest_run: for the CLI)


def task_ids(task_graph, task_names: list[str], where: str = "task_graph"):
    """Edges that name tasks (as in the tables) turned into the task ids a learner is fitted with."""
    if not isinstance(task_graph, list):
        return task_graph
    position = {name: k for k, name in enumerate(task_names)}
    edges = []
    for edge in task_graph:
        for name in edge[:2]:
            if str(name) not in position:
                raise ConfigError(f"{where}: no task named {str(name)!r}; the tasks are {sorted(position)[:6]}...")
        edges.append([position[str(edge[0])], position[str(edge[1])], *edge[2:]])
    return edges


def make_learner(cell: Cell, task_names: list[str] | None = None):
    params = dict(cell.params)
    if task_names is not None and "task_graph" in params:
        params["task_graph"] = task_ids(params["task_graph"], task_names)
    learner = LEARNERS.get(cell.learner)(**params)
    if "random_state" in learner.get_params():
        learner.set_params(random_state=cell.random_state)
    return learner


@dataclass
class CellOutcome:
    cell: Cell
    records: list[dict] | None = None
    model: object = None  # the fitted model, written as a skops file by the main process
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


def with_protocol(records: list[dict], protocol: str) -> list[dict]:
    """Each record says which protocol made it; tables, comparisons and plots read it from there."""
    return [{**record, "protocol": protocol} for record in records]


@guarded
def fit_cell(cell: Cell, feature_spec: dict, cache_dir: str | None, protocol_name: str) -> CellOutcome:
    """Fit one cell's learner as its protocol prescribes and score it."""
    protocol = PROTOCOLS[protocol_name]()
    data = protocol.prepare(feature_spec, cache_dir)
    learner = make_learner(cell, protocol.task_names(data))
    fitted, fit_seconds = protocol.fit(learner, cell, feature_spec, data)
    records = protocol.records(fitted, cell, feature_spec, data, fit_seconds)
    return CellOutcome(cell, with_protocol(records, protocol_name), fitted)


@guarded
def evaluate_cell(cell: Cell, feature_spec: dict, cache_dir: str | None, run_path: str, fit_seconds: float,
                  protocol_name: str) -> CellOutcome:
    """Score a cell's saved model again."""
    protocol = PROTOCOLS[protocol_name]()
    fitted = RunDirectory(Path(run_path)).load_model(cell)
    data = protocol.prepare(feature_spec, cache_dir)
    return CellOutcome(
        cell, with_protocol(protocol.records(fitted, cell, feature_spec, data, fit_seconds), protocol_name)
    )


def spec_key(experiment: Experiment, cell: Cell) -> str:
    """Cells with the same key share one featurization."""
    return json.dumps(experiment.feature_spec(cell.seed, cell.size), sort_keys=True)


@dataclass
class RunSummary:
    run_dir: Path
    protocol: str
    n_cells: int
    n_skipped: int = 0
    failures: list[CellOutcome] = field(default_factory=list)
    tables: dict = field(default_factory=dict)
    seconds: float = 0.0


def check_reachable(backend: dict, source: str = "<config>", timeout: float = 3.0) -> None:
    """A dask scheduler address that does not answer is a user error, found in seconds."""
    import socket

    address = backend.get("address")
    if backend.get("name") != "dask" or not address:
        return
    host, port = address.split("://", 1)[1].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ConfigError(
            f"{source}: backend.address: no dask scheduler answers at {address} ({exc.strerror or exc})"
        ) from None


def preflight(experiment: Experiment, cache_dir: str | None, refresh: bool = False) -> None:
    """Everything that can fail on the data before any cell is fitted: the data is there and
    parses, the split finds its tasks or classes, task graphs name real tasks, the backend answers.
    Data that is usable but suspicious (a task with one class) gives a DataWarning."""
    check_reachable(experiment.backend, experiment.source)
    spec = experiment.feature_spec(experiment.seeds[0], experiment.sizes[0])
    corpus = corpus_of(spec, cache_dir, refresh)
    split = make_split(spec)
    if experiment.episodic:
        split.parts(corpus)
        split.check_sizes(corpus, max(experiment.sizes))
        return
    tasks = split.tasks(corpus)
    for task in tasks:
        for part, index in (("training", task.train_index), ("test", task.test_index)):
            if len(index) == 0:
                raise DataError(f"{experiment.source}: split {experiment.split.name}: task '{task.name}' has no "
                                f"{part} samples in {corpus.name}")
    warn_about_tasks(tasks)
    names = [t.name for t in tasks]
    smallest = min(len(t.train_index) for t in tasks)
    for i, learner in enumerate(experiment.learners):
        for point in expand(learner.params):
            folds = point.get("cv", 0)
            if "all" in experiment.sizes and isinstance(folds, int) and folds > smallest:
                raise ConfigError(f"{experiment.source}: learners[{i}].cv: {folds} folds, but the smallest task "
                                  f"has {smallest} training samples")
            task_ids(point.get("task_graph"), names, f"{experiment.source}: learners[{i}].task_graph")


def now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def train(
    experiment: Experiment,
    runs_root: Path,
    n_jobs: int | None = None,
    force: bool = False,
    progress=None,
    wait: bool = False,
) -> RunSummary:
    """Fit every cell of the grid not yet done and write the run's tables."""
    start, started = time.perf_counter(), now()
    n_jobs = experiment.n_jobs if n_jobs is None else n_jobs
    cache_dir = cache_dir_of(runs_root)
    preflight(experiment, cache_dir, refresh=force)
    run = RunDirectory(Path(runs_root) / experiment.name)
    run.create()
    with run.lock(wait):
        run.write_config(yaml.safe_dump(experiment.as_dict(), sort_keys=False))
        cells = experiment.cells()
        done = run.finished(cells)  # each cell file is read once: here, or written by fit_grid
        todo = [c for c in cells if force or c.id not in done]
        summary = RunSummary(run.path, experiment.protocol, len(cells), n_skipped=len(cells) - len(todo))
        if todo:
            fit_grid(experiment, run, todo, cache_dir, n_jobs, force, progress, summary, done)
        records = records_of(cells, done)
        with disk_errors(run.path):
            summary.tables = write_tables(run.path, records, experiment.name, experiment.size_key,
                                          experiment.protocol)
        for line in edge_lines(records) + validation_edge_lines(records):
            warnings.warn(f"{run.path}: {line}", GridEdgeWarning)
        run.write_manifest(manifest(experiment, spec_hash(experiment.as_dict()), started, now(), n_jobs))
    summary.seconds = time.perf_counter() - start
    return summary


def records_of(cells, done: dict) -> list[dict]:
    """The records of the finished cells, in grid order."""
    return [record for cell in cells for record in done.get(cell.id, [])]


def prepare_grid_point(protocol_name: str, feature_spec: dict, cache_dir: str | None, force: bool) -> None:
    """Featurize one grid point into the cache (nothing is sent back to the main process)."""
    PROTOCOLS[protocol_name]().prepare(feature_spec, cache_dir, force)


def model_file_bytes(outcome: CellOutcome) -> bytes | None:
    """The outcome's model as a skops file, written here rather than in the worker that fitted it: a
    worker then never imports skops (0.8 s: it imports every scikit-learn module). A model skops
    cannot write makes the cell fail, as an error in its fit would."""
    try:
        return RunDirectory.model_bytes(outcome.model)
    except Exception:
        outcome.error = traceback.format_exc()
        return None


def fit_grid(experiment, run, todo, cache_dir, n_jobs, force, progress, summary, done: dict) -> None:
    """Featurize each distinct grid point once (in parallel), then fit the cells (in parallel); the
    records of each fitted cell go to its file and to ``done``."""
    specs = {}
    for cell in todo:
        specs.setdefault(spec_key(experiment, cell), experiment.feature_spec(cell.seed, cell.size))
    advance = progress.stage("featurizing", len(specs)) if progress else (lambda *_: None)
    try:
        execute(
            [joblib.delayed(prepare_grid_point)(experiment.protocol, spec, cache_dir, force)
             for spec in specs.values()],
            n_jobs, experiment.backend, lambda _: advance(),
        )
    except UserError as exc:  # the data of a grid point, e.g. an empty vocabulary
        raise type(exc)(f"{experiment.source}: {exc}") from None

    advance = progress.stage("fitting", len(todo)) if progress else (lambda *_: None)

    def keep(outcome: CellOutcome):
        model_data = model_file_bytes(outcome) if outcome.error is None else None
        if outcome.error is None:
            run.save(outcome.cell, outcome.records, model_data)
            done[outcome.cell.id] = outcome.records
        else:
            if outcome.user_error:  # say which config and learner the user has to change
                outcome.error = f"{experiment.source}: learner {outcome.cell.label}: {outcome.error}"
            summary.failures.append(outcome)
        advance()

    execute(
        [joblib.delayed(fit_cell)(c, specs[spec_key(experiment, c)], cache_dir, experiment.protocol) for c in todo],
        n_jobs, experiment.backend, keep,
    )


def evaluate(run_dir: Path, n_jobs: int = 1, progress=None, wait: bool = False) -> RunSummary:
    """Score a run's saved models on the test parts again and rewrite its tables."""
    start = time.perf_counter()
    run = RunDirectory(run_dir)
    experiment = run.load_config()
    run.check_versions()
    cache_dir = cache_dir_of(run.path.parent)
    preflight(experiment, cache_dir)
    with run.lock(wait):
        all_cells = experiment.cells()
        cells = [c for c in all_cells if run.model_file(c).exists()]
        done = run.finished(all_cells)
        summary = RunSummary(run.path, experiment.protocol, len(all_cells), n_skipped=len(all_cells) - len(cells))
        advance = progress.stage("evaluating", len(cells)) if progress else (lambda *_: None)

        def fit_seconds(cell):
            old = done.get(cell.id, [])
            return old[0].get("fit_seconds", float("nan")) if old else float("nan")

        def keep(outcome: CellOutcome):
            if outcome.error is None:
                run.save(outcome.cell, outcome.records)
                done[outcome.cell.id] = outcome.records
            else:
                summary.failures.append(outcome)
            advance()

        tasks = [
            joblib.delayed(evaluate_cell)(
                c, experiment.feature_spec(c.seed, c.size), cache_dir, str(run.path), fit_seconds(c),
                experiment.protocol,
            )
            for c in cells
        ]
        execute(tasks, n_jobs, experiment.backend, keep)
        with disk_errors(run.path):
            summary.tables = write_tables(run.path, records_of(all_cells, done), experiment.name,
                                          experiment.size_key, experiment.protocol)
    summary.seconds = time.perf_counter() - start
    return summary
