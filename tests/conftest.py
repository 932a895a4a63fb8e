"""Shared fixtures. Tests never download: 20 Newsgroups comes from ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mtl_cli.data.newsgroups import CACHE_NAME, import_archive

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO.parent / "shared" / "data" / "20news-bydate.tar.gz"


DATA_FIXTURES = {"newsgroups_home", "newsgroups"}


def pytest_collection_modifyitems(items):
    """Mark the tests that read the 20 Newsgroups archive (``-m "not data"`` runs the rest)."""
    for item in items:
        if DATA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.data)


@pytest.fixture(scope="session")
def newsgroups_home() -> Path:
    """A scikit-learn data home holding 20 Newsgroups, set as $SCIKIT_LEARN_DATA."""
    home = os.environ.get("SCIKIT_LEARN_DATA")
    if not (home and Path(home, CACHE_NAME).is_file()):
        if not ARCHIVE.is_file():
            pytest.skip(f"20 Newsgroups: no prepared data home and no archive at {ARCHIVE}")
        home = str(REPO / ".cache" / "scikit_learn_data")
        if not Path(home, CACHE_NAME).is_file():
            Path(home).mkdir(parents=True, exist_ok=True)
            import_archive(ARCHIVE, home)
        os.environ["SCIKIT_LEARN_DATA"] = home
    return Path(home)


@pytest.fixture(scope="session")
def newsgroups(newsgroups_home):
    """The 20 Newsgroups corpus, headers kept."""
    from mtl_cli.data.newsgroups import Newsgroups

    return Newsgroups(download=False).load()


def make_spy_meta():
    import json

    from mtl_cli.learners.meta import MetaLearner, Prototypes

    class Spy(MetaLearner):
        """Logs its meta-fit and adapt calls; behaves like prototypes."""

        def __init__(self, log=None, random_state=None):
            self.log, self.random_state = log, random_state

        def write(self, record):
            with open(self.log, "a") as f:
                f.write(json.dumps(record) + "\n")

        def meta_fit(self, X, y, tasks=None, validation=None):
            self.write({
                "meta_fit": sorted(set(y.tolist())),
                "tasks": None if tasks is None else sorted(set(tasks.tolist())),
                "n": int(X.shape[0]),
                # episodic validation has its classes' labels; held-out validation its task splits
                "validation": (sorted(set(validation.labels)) if hasattr(validation, "labels")
                               else len(validation.splits)),
            })
            self.inner_ = Prototypes().meta_fit(X, y)
            return self

        def adapt(self, X_support, y_support):
            self.write({"adapt": len(y_support)})
            return self.inner_.adapt(X_support, y_support)

    return Spy


@pytest.fixture
def spy_meta():
    """Registers the spy meta-learner as ``spy-meta`` for one test."""
    from mtl_cli.registry import LEARNERS

    LEARNERS.register("spy-meta")(make_spy_meta())
    yield
    LEARNERS.unregister("spy-meta")


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


SYNTHETIC_CONFIG = """
name: {name}
dataset: {{name: synthetic, n_tasks: 4, n_features: 20, n_train: 60, n_test: 100, seed: 3}}
split: {{name: by-column, n_train_per_task: [10, 30]}}
featurizer: {{name: none}}
learners:
  - name: single-task
    estimator: logistic
    estimator_params: {{C: {{grid: [0.1, 1.0]}}}}
  - {{name: pooled, estimator: ridge}}
seeds: [0, 1]
n_jobs: {n_jobs}
backend: {backend}
"""


@pytest.fixture
def synthetic_config(tmp_path):
    """Write a small synthetic experiment config; returns a factory."""

    def make(name="syn", n_jobs=1, backend="loky"):
        return write_config(
            tmp_path / f"{name}.yaml", SYNTHETIC_CONFIG.format(name=name, n_jobs=n_jobs, backend=backend)
        )

    return make


@pytest.fixture(scope="session")
def synthetic_runs(tmp_path_factory) -> Path:
    """A runs folder holding one trained run of the synthetic config, ``syn``, shared by the tests that
    read a finished run (they may add files to it, such as plots, but never retrain it)."""
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    folder = tmp_path_factory.mktemp("synthetic-run")
    config = write_config(folder / "syn.yaml", SYNTHETIC_CONFIG.format(name="syn", n_jobs=1, backend="loky"))
    runs = folder / "runs"
    result = CliRunner().invoke(app, ["train", str(config), "--runs", str(runs), "-q"])
    assert result.exit_code == 0, result.output
    return runs


def imported_home(tmp_path_factory, archive: Path, name: str) -> Path:
    """A fresh data home with ``archive`` installed by ``mtl data import`` (skipped without the archive)."""
    from typer.testing import CliRunner

    from mtl_cli.cli import app

    if not archive.is_file():
        pytest.skip(f"no archive at {archive}")
    home = tmp_path_factory.mktemp(name)
    result = CliRunner().invoke(app, ["data", "import", str(archive), "--data-home", str(home)])
    assert result.exit_code == 0, result.output
    return home

