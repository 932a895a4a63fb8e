"""The run directory: its config, per-cell records and models, its lock and its manifest.

A cell counts as done once its records file holds a JSON list of records;
an empty or corrupt one counts as not done (refitted, with a warning).
Models are stored with skops, and loaded only when every type they name is
a class defined in mtl_cli or one that skops trusts by default (numpy,
scipy, scikit-learn): a model file from somebody else's run can fail to
load, but it never runs code. One ``mtl train`` or ``mtl eval`` writes a
run at a time (an ``fcntl`` lock on ``.lock``).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import importlib.abc
import json
import os
import platform
import socket
import sys
import warnings
from pathlib import Path

from .errors import UserError
from .fileio import advisory_lock, write_atomic

MODEL_SUFFIX = ".skops"
TRUSTED_PREFIX = "mtl_cli."


class WithoutTorch(importlib.abc.MetaPathFinder):
    """An import hook under which ``import torch`` fails (``sys.modules`` is left as it is)."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "torch":
            raise ImportError("torch is not imported while skops.io is")
        return None


def cache_dir_of(runs_root) -> str:
    """The folder of the caches that the runs under ``runs_root`` share (features, token counts, corpora)."""
    return str(Path(runs_root) / ".cache")


def skops_io():
    """``skops.io``, imported without importing torch.

    Importing skops.io lists scikit-learn's estimators by walking every
    scikit-learn module, and one of them
    (``sklearn.externals.array_api_compat.torch``) imports torch when it is
    installed (the embed extra): 1.2 s and 300 MB in every process that
    writes a model, for nothing skops uses. Where torch is not imported
    yet, its import fails while skops is imported, and the walk skips that
    module; a later ``import torch`` works as usual.
    """
    if "skops.io" not in sys.modules and "torch" not in sys.modules:
        hook = WithoutTorch()
        sys.meta_path.insert(0, hook)
        try:
            import skops.io  # noqa: F401
        finally:
            sys.meta_path.remove(hook)
    import skops.io

    return skops.io


def is_our_class(name: str) -> bool:
    """Whether ``name`` is a class defined in mtl_cli (functions and other objects are never trusted:
    a model could otherwise hold one where a learner calls an attribute)."""
    import importlib
    import inspect

    if not name.startswith(TRUSTED_PREFIX):
        return False
    module_name, _, attribute = name.rpartition(".")
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        return False
    return inspect.isclass(value) and value.__module__ == module_name


class RunWarning(UserWarning):
    """Something in a run directory was not as written (an empty cell file, other versions)."""


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM until the block is done: an interrupt between two writes of one cell
    would leave a half-saved cell (and some libraries turn an exception raised mid-write into another)."""
    import signal

    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def disk_error(exc: OSError, path) -> UserError:
    """One line for a file system failure: what, where, and what to do."""
    advice = {
        errno.ENOSPC: "free some disk space and run again (finished cells are kept)",
        errno.EROFS: "the file system is read-only; pass --runs to a writable folder",
        errno.EACCES: "no permission; pass --runs to a folder you can write",
        errno.ENOTDIR: "a file stands where a folder is needed; pass --runs to a folder",
        errno.EEXIST: "a file stands where a folder is needed; pass --runs to a folder",
    }.get(exc.errno, "check the folder and run again")
    return UserError(f"{getattr(exc, 'filename', None) or path}: {exc.strerror or exc}; {advice}")


@contextlib.contextmanager
def disk_errors(path):
    """Turn file system failures into one-line user errors."""
    try:
        yield
    except OSError as exc:
        raise disk_error(exc, path) from None


def versions() -> dict:
    import numpy
    import scipy
    import sklearn

    from . import __version__

    return {"python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__, "mtl": __version__}


class RunDirectory:
    """The files of one run: config, per-cell records and models, tables, lock and manifest."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.cells = self.path / "cells"
        self.models = self.path / "models"

    def create(self) -> None:
        with disk_errors(self.path):
            self.cells.mkdir(parents=True, exist_ok=True)
            self.models.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def lock(self, wait: bool = False):
        """Hold the run's lock; a second holder waits (``wait``) or gets a UserError naming the first."""
        lock_path = self.path / ".lock"
        with contextlib.ExitStack() as stack:
            with disk_errors(lock_path):
                held = stack.enter_context(advisory_lock(lock_path, wait))
                if not held:
                    holder = lock_path.read_text().strip() or "another process"
                    raise UserError(f"{self.path}: in use by {holder}; wait for it to finish, or pass --wait")
                started = datetime.datetime.now().isoformat(timespec="seconds")
                lock_path.write_text(f"mtl pid {os.getpid()} on {socket.gethostname()} since {started}")
            yield

    def cell_file(self, cell) -> Path:
        return self.cells / f"{cell.id}.json"

    def model_file(self, cell) -> Path:
        return self.models / f"{cell.id}{MODEL_SUFFIX}"

    def cell_records(self, cell) -> list[dict] | None:
        """The records of a finished cell; None if not finished (or its file is unusable)."""
        path = self.cell_file(cell)
        if not path.exists():
            return None
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(records, list) and records and all(isinstance(r, dict) for r in records):
                return records
            reason = "holds no records"
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            reason = f"is unreadable ({type(exc).__name__})"
        warnings.warn(f"{path} {reason}; the cell counts as not done and is refitted", RunWarning)
        return None

    def finished(self, cells) -> dict:
        """{cell id: records} of the cells whose files hold records (each file read once)."""
        return {c.id: records for c in cells if (records := self.cell_records(c)) is not None}

    def save(self, cell, records: list[dict], model_data: bytes | None = None) -> None:
        """Model first (``model_data``, from ``model_bytes``), records last: a cell counts as done once
        its records exist.

        Ctrl-C and SIGTERM wait until the cell is saved (they are blocked meanwhile, then delivered).
        """
        with disk_errors(self.path), signals_deferred():
            if model_data is not None:
                write_atomic(self.model_file(cell), model_data)
            write_atomic(self.cell_file(cell), json.dumps(records))

    @staticmethod
    def model_bytes(model) -> bytes:
        """A fitted model as a skops file."""
        return skops_io().dumps(model)

    def load_model(self, cell):
        """A cell's model, if every type in its file is trusted; else a UserError naming the type."""
        skops = skops_io()
        path = self.model_file(cell)
        with disk_errors(path):
            data = path.read_bytes()
        try:
            untrusted = skops.get_untrusted_types(data=data)
        except Exception as exc:  # skops raises several kinds on a malformed file
            raise UserError(f"{path}: not a model file written by mtl ({type(exc).__name__})") from None
        foreign = [t for t in untrusted if not is_our_class(t)]
        if foreign:
            raise UserError(
                f"{path}: refers to type {foreign[0]}, which mtl does not load; refit with 'mtl train --force'"
            )
        return skops.loads(data, trusted=untrusted)

    def load_config(self):
        from . import config as config_module

        path = self.path / "config.yaml"
        if not path.is_file():
            raise UserError(f"{self.path}: not a run directory (no config.yaml); run 'mtl train CONFIG' first")
        return config_module.from_dict(config_module.load_yaml(path), str(path))

    def write_config(self, text: str) -> None:
        with disk_errors(self.path):
            write_atomic(self.path / "config.yaml", text)

    def write_manifest(self, manifest: dict) -> None:
        with disk_errors(self.path):
            write_atomic(self.path / "manifest.json", json.dumps(manifest, indent=2))

    def check_versions(self) -> None:
        """Warn when the run was made with other versions of the packages that compute it."""
        recorded = read_manifest(self.path).get("versions", {})
        now = versions()
        changed = [f"{k} {recorded[k]} -> {now[k]}" for k in now if k in recorded and recorded[k] != now[k]]
        if changed:
            warnings.warn(f"{self.path} was made with other versions ({', '.join(changed)})", RunWarning)


def manifest(experiment, config_hash: str, started: str, finished: str, n_jobs: int) -> dict:
    """Provenance of a run: what computed it, from what, when, and how."""
    return {
        "versions": versions(),
        "platform": platform.platform(),
        "command": sys.argv,
        "config_hash": config_hash,
        "protocol": experiment.protocol,
        "data_fingerprint": experiment.data_fingerprint,
        "started": started,
        "finished": finished,
        "n_jobs": n_jobs,
        "backend": experiment.backend,
    }


def read_manifest(run_dir: Path) -> dict:
    """A run's manifest.json, or {} when it is missing or unreadable."""
    try:
        manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def read_records(run_dir: Path) -> list[dict]:
    """The records of a run's ``results.jsonl``; a UserError when there is none or it is empty."""
    path = Path(run_dir) / "results.jsonl"
    if not path.is_file():
        raise UserError(f"{run_dir}: no results.jsonl; run 'mtl train CONFIG' first")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not records:
        raise UserError(f"{path}: no records; no cell has finished")
    return records


def read_table(run_dir: Path) -> list[dict]:
    """The rows of a run's ``accuracy.json``; a UserError when there is none or it is empty."""
    path = Path(run_dir) / "accuracy.json"
    if not path.is_file():
        raise UserError(f"{run_dir}: no accuracy.json; run 'mtl train CONFIG' (or 'mtl eval') first")
    rows = json.loads(path.read_text(encoding="utf-8"))
    if not rows:
        raise UserError(f"{path}: the table is empty; no cell has finished")
    return rows


def run_protocol(run_dir: Path) -> str:
    """The protocol a run was made with, as its manifest records it."""
    protocol = read_manifest(run_dir).get("protocol")
    if not isinstance(protocol, str):
        path = Path(run_dir) / "manifest.json"
        raise UserError(f"{path}: missing or unreadable; run 'mtl train' on this run's config again")
    return protocol


def newest_run(runs_root: Path) -> Path:
    """The run directory whose config was written last."""
    configs = sorted(Path(runs_root).glob("*/config.yaml"), key=lambda p: p.stat().st_mtime)
    if not configs:
        raise UserError(f"{runs_root}: holds no runs; run 'mtl train CONFIG' first")
    return configs[-1].parent
