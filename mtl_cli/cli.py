"""The ``mtl`` command line: thin commands over the library."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    help="Multi-task and meta-learning experiments on text classification.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Manage datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")

RUNS_OPTION = typer.Option(Path("runs"), "--runs", help="Folder that holds run directories.")
WAIT_OPTION = typer.Option(False, "--wait", help="If another mtl command is writing the run, wait for it.")


@contextlib.contextmanager
def user_errors():
    """Print a UserError as one line and exit with code 2; anything else is a bug.

    Warnings meant for the user (data, run directory, cache) are printed as
    one line each; SIGTERM is handled like Ctrl-C: the workers are stopped,
    finished cells are kept, and the exit code is 130.
    """
    import signal
    import warnings

    from .errors import UserError

    def one_line(message, category, *args, **kwargs):
        typer.echo(f"Warning: {message}", err=True)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            yield
    except UserError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("Interrupted: the cells finished so far are kept; run the same command to continue.", err=True)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


class Progress:
    """A rich progress bar on stderr, one task per stage."""

    def __init__(self, enabled: bool):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

        self.bar = Bar(
            TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), disable=not enabled,
        )

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc):
        self.bar.stop()

    def stage(self, name: str, total: int):
        task = self.bar.add_task(name, total=total)
        return lambda: self.bar.advance(task)


def report(summary, verb: str) -> None:
    """Print the score table and where the run lives; exit 1 (or 2) if cells failed."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    rows = summary.tables.get("accuracy", [])
    if rows:
        episodic = summary.protocol == "episodic"
        size_key = "k_shot" if episodic else "n_train_per_task"
        spread = "episodes" if episodic else "seeds"
        table = Table(title=f"{summary.run_dir.name}: test scores (mean ± 95% CI over {spread})")
        metrics = [m for m in ("accuracy", "macro_f1", "f1", "micro_f1") if f"{m}_mean" in rows[0]]
        count = "n_episodes" if spread == "episodes" else "n_runs"
        for column in ["learner", size_key, *metrics, count]:
            table.add_column(column, justify="left" if column == "learner" else "right", overflow="fold")
        for row in rows:
            fmt = lambda m, c: f"{m:.3f}" + ("" if c != c else f" ± {c:.3f}")  # noqa: E731  (c != c: NaN)
            table.add_row(
                escape(row["learner"]), str(row[size_key]),
                *(fmt(row[f"{m}_mean"], row[f"{m}_ci95"]) for m in metrics), str(row[count]),
            )
        console.print(table)
    done = summary.n_cells - summary.n_skipped - len(summary.failures)
    console.print(
        f"{verb} {done} cells, {summary.n_skipped} already done or skipped, {len(summary.failures)} failed, "
        f"in {summary.seconds:.1f} s -> {summary.run_dir}"
    )
    if summary.failures:
        first = summary.failures[0]
        if all(f.user_error for f in summary.failures):
            typer.echo(f"Error: {first.error}", err=True)
            raise typer.Exit(2)
        typer.echo(f"Error: cell {first.cell.label} seed={first.cell.seed} size={first.cell.size} failed:", err=True)
        typer.echo(first.error.rstrip(), err=True)
        raise typer.Exit(1)


@app.command()
def train(
    config: Path = typer.Argument(..., help="YAML experiment config."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Parallel jobs (default: the config's n_jobs)."),
    force: bool = typer.Option(False, "--force", help="Refit every cell and rebuild its features."),
    runs: Path = RUNS_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    wait: bool = WAIT_OPTION,
):
    """Fit every cell of a config's grid and write accuracy tables under runs/."""
    from .parallel import workers_for_this_command

    with workers_for_this_command(), user_errors():
        start_workers_early(config, jobs, None if force else runs)
        from . import config as config_module
        from .runner import train as run_train

        experiment = config_module.load(config)
        check_jobs(jobs)
        with Progress(enabled=not quiet) as progress:
            summary = run_train(experiment, runs, n_jobs=jobs, force=force, progress=progress, wait=wait)
    report(summary, "fitted")


def start_workers_early(config: Path, jobs: int | None, runs: Path | None = None) -> None:
    """Start the grid's local workers before the heavy imports and the config's checks, so that their
    start-up (about a second on 2 cores) overlaps this process's instead of following it; with the
    runs folder, each worker also warms up on the config's first grid point (``worker.start``).

    Only a peek at ``n_jobs`` and ``backend``: a config this cannot read is
    left to the real check, which reports it (the workers then only cost
    their start).
    """
    from .errors import UserError
    from .parallel import start_workers
    from .worker import start
    from .yamlio import load_yaml

    try:
        document = load_yaml(config)
    except (UserError, OSError):
        return
    settings = document if isinstance(document, dict) else {}
    n_jobs = settings.get("n_jobs", 1) if jobs is None else jobs
    if settings.get("backend", "loky") == "loky" and type(n_jobs) is int and (n_jobs == -1 or 1 <= n_jobs <= 1024):
        start_workers(n_jobs, {"name": "loky"}, start, str(config), None if runs is None else str(runs))


def check_jobs(jobs: int | None) -> None:
    from .errors import UserError

    if jobs is not None and not (jobs == -1 or 1 <= jobs <= 1024):
        raise UserError(f"--jobs: expected -1 (all cores) or 1 to 1024, got {jobs}")


@app.command("eval")
def evaluate(
    run_dir: Optional[Path] = typer.Argument(None, help="Run directory (default: the newest under --runs)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Evaluate the run of this config."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Parallel jobs."),
    runs: Path = RUNS_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    wait: bool = WAIT_OPTION,
):
    """Score a run's saved models on the test data again and rewrite its tables."""
    from . import config as config_module
    from .parallel import workers_for_this_command
    from .runner import evaluate as run_evaluate, newest_run

    with workers_for_this_command(), user_errors():
        check_jobs(jobs)
        if config is not None:
            run_dir = runs / config_module.load(config).name
        elif run_dir is None:
            run_dir = newest_run(runs)
        with Progress(enabled=not quiet) as progress:
            summary = run_evaluate(run_dir, n_jobs=jobs, progress=progress, wait=wait)
    report(summary, "evaluated")


@app.command()
def plot(
    run_dir: Optional[Path] = typer.Argument(None, help="Run directory (default: the newest under --runs)."),
    metric: str = typer.Option("accuracy", "--metric", "-m",
                               help="accuracy, macro_f1, or f1 and micro_f1 (split: categories)."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Image file (.png, .svg, .pdf; default: RUN_DIR/METRIC.png)."
    ),
    runs: Path = RUNS_OPTION,
):
    """Draw a run's learning curves: test metric against training size, one line and 95% CI band per learner."""
    from .plot import plot_run
    from .runner import newest_run

    with user_errors():
        path = plot_run(run_dir if run_dir is not None else newest_run(runs), metric, out)
    typer.echo(f"wrote {path}")


@app.command("report")
def report_page(
    run_dir: Optional[Path] = typer.Argument(None, help="Run directory (default: the newest under --runs)."),
    baseline: Optional[str] = typer.Option(
        None, "--baseline", "-b", help="Baseline of the gain chart and comparison (default: the first learner)."
    ),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file (default: RUN_DIR/report.html)."),
    metric: Optional[str] = typer.Option(None, "--metric", "-m", help="accuracy, macro_f1 or f1 (default: f1 "
                                         "for split: categories, else accuracy)."),
    runs: Path = RUNS_OPTION,
):
    """Write one self-contained HTML page of a run: config, manifest, tables, curves, per-task gains, comparison."""
    from .report import write_report
    from .runner import newest_run

    with user_errors():
        path = write_report(run_dir if run_dir is not None else newest_run(runs), baseline, out, metric)
    typer.echo(f"wrote {path}")


@app.command()
def compare(
    run_dir: Optional[Path] = typer.Argument(None, help="Run directory (default: the newest under --runs)."),
    baseline: List[str] = typer.Option(
        ..., "--baseline", "-b", help="The baseline learner: its label, or a unique start of it. Repeat it to "
        "compare each learner with several (e.g. an inductive and a transductive one); Holm runs over all rows."
    ),
    metric: str = typer.Option("accuracy", "--metric", "-m", help="accuracy, macro_f1 or f1 (split: categories)."),
    test: str = typer.Option("t", "--test", help="t (paired t-test over seeds or episodes) or wilcoxon "
                             "(signed-rank over (seed, task) pairs or episodes)."),
    runs: Path = RUNS_OPTION,
):
    """Each learner minus a baseline (or several), paired, with a 95% CI, a Holm-adjusted p-value and a verdict."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .compare import compare_run
    from .rundir import run_protocol
    from .runner import newest_run

    with user_errors():
        run_dir = run_dir if run_dir is not None else newest_run(runs)
        rows, written = compare_run(run_dir, baseline, metric, test)
        episodic = run_protocol(run_dir) == "episodic"
    if not rows:
        typer.echo(f"no learner shares a training size with the baseline; wrote {written[1]}")
        return
    setting = ["n_way", "k_shot"] if episodic else ["n_train_per_task"]
    baselines = list(dict.fromkeys(row["baseline"] for row in rows))
    table = Table(title=f"{run_dir.name}: {metric} minus {escape(' / '.join(baselines))} (95% CI, paired; "
                        f"{rows[0]['test']} p-values, Holm-adjusted over {len(rows)} comparisons)")
    for column in ("learner", *setting, "baseline", "learner ", "difference (points)", "p (Holm)", "verdict"):
        table.add_column(
            column.strip(), justify="left" if column in ("learner", "verdict") else "right", overflow="fold"
        )
    colors = {"better": "green", "worse": "red"}
    for row in rows:
        ci = row["difference_ci95"]
        difference = f"{100 * row['difference_mean']:+.2f}" + (
            "" if ci != ci else f" ± {100 * ci:.2f}"
        )  # ci != ci: NaN
        color = colors.get(row["verdict"], "default")
        learner = row["learner"] + (f" (vs {row['baseline']})" if len(baselines) > 1 else "")
        table.add_row(
            escape(learner), *(str(row[key]) for key in setting), f"{row[f'baseline_{metric}_mean']:.3f}",
            f"{row[f'{metric}_mean']:.3f}", difference, f"{row['p_holm']:.3g}", f"[{color}]{row['verdict']}[/]",
        )
    Console().print(table)
    typer.echo(f"wrote {', '.join(map(str, written))}")


@app.command()
def check(
    config: Path = typer.Argument(..., help="YAML experiment config."),
    data: bool = typer.Option(True, "--data/--no-data", help="Also read the data and run the checks that need it."),
    runs: Path = RUNS_OPTION,
):
    """Validate a config and print its grid without running it."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from . import config as config_module
    from .rundir import cache_dir_of
    from .runner import check_reachable, preflight

    with user_errors():
        experiment = config_module.load(config)
        check_reachable(experiment.backend, experiment.source)
        if data:
            preflight(experiment, cache_dir_of(runs))
        cells = experiment.cells(with_ids=False)
    console = Console()
    console.print(
        f"[bold]{escape(experiment.name)}[/]: dataset {experiment.dataset.name}, split {experiment.split.name}, "
        f"featurizer {experiment.featurizer.name}, protocol {experiment.protocol}", highlight=False
    )
    for kind, component, registry in (("featurizer", experiment.featurizer, "FEATURIZERS"),
                                      *(("learner", c, "LEARNERS") for c in experiment.learners)):
        console.print(f"  {kind} {escape(describe(component, registry))}", highlight=False)
    table = Table(title=f"{len(cells)} cells")
    for column in ("learner", experiment.size_key, "seeds"):
        table.add_column(column)
    labels = {}
    for cell in cells:
        labels.setdefault((cell.label, cell.size), []).append(str(cell.seed))
    for (label, n), seeds in labels.items():
        table.add_row(escape(label), str(n), ",".join(seeds))
    console.print(table)


def describe(component, registry_name: str) -> str:
    """``name: given parameters; defaults: the others`` (what the config leaves implicit, made visible)."""
    from . import config as config_module
    from . import registry

    defaults = config_module.parameters_of(getattr(registry, registry_name).get(component.name))
    given = ", ".join(f"{k}={v!r}" for k, v in component.params.items())
    rest = ", ".join(f"{k}={v!r}" for k, v in defaults.items() if k not in component.params)
    return f"{component.name}: {given or '(no parameters given)'}" + (f"; defaults: {rest}" if rest else "")


@app.command("list")
def list_components():
    """List every dataset, task split, featurizer and learner with its parameters."""
    from rich.console import Console

    from . import config as config_module
    from .registry import DATASETS, FEATURIZERS, LEARNERS, SPLITS, summary

    console = Console()
    for registry in (DATASETS, SPLITS, FEATURIZERS, LEARNERS):
        console.print(f"[bold]{registry.kind}s[/]")
        for name, cls in registry.items():
            console.print(f"  [cyan]{name}[/]: {summary(cls)}", highlight=False)
            params = config_module.parameters_of(cls)
            if params:
                text = ", ".join(f"{k}={v!r}" for k, v in params.items())
                console.print(f"      {text}", highlight=False, style="dim")


@data_app.command("import")
def data_import(
    archive: Path = typer.Argument(..., help="20news-bydate.tar.gz, processed_acl-labeled.tar.gz, reuters.zip, or a "
                                   ".tar.gz of a sentence-transformers model."),
    data_home: Optional[Path] = typer.Option(
        None, "--data-home", help="scikit-learn data home (default: $SCIKIT_LEARN_DATA or ~/scikit_learn_data)."
    ),
    models_home: Optional[Path] = typer.Option(
        None, "--models-home", help="Where models go (default: $MTL_MODELS or ~/.cache/mtl/models)."
    ),
):
    """Install a dataset or model archive for offline use (recognised by its content)."""
    from .archives import import_archive

    with user_errors():
        path = import_archive(archive, None if data_home is None else str(data_home), models_home)
    typer.echo(f"wrote {path}")


def main() -> None:
    """The ``mtl`` command. Once a command has finished, its exit handlers run and its output is
    flushed, then the process ends at once (``os._exit``, as mypy does): freeing a finished run's
    objects one by one (a corpus, its token counts, fitted models) took 0.25 to 0.35 s of the quickstart's
    11 to 17 s, for memory the operating system takes back anyway. An uncaught exception (a bug) exits as usual."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exit_status(exc.code)
    end_now(code)


def exit_status(code) -> int:
    """The process status of a ``SystemExit`` code, as Python's own exit gives it (a message: printed, 1)."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)
    return 1


def end_now(code: int) -> None:
    """Run the exit handlers, flush the standard streams and end the process with ``code``."""
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can be said
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
