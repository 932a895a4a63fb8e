"""Files that are written whole or not at all, and arrays stored in a format that cannot run code.

``install_extracted`` puts a folder from an archive in place the same way:
whole and checked, or not at all.

``save_arrays``/``load_arrays`` keep a flat dict of numpy arrays, sparse
matrices, lists of strings and JSON values in one ``.npz`` file, read back
with ``allow_pickle=False``: a planted or corrupted file can fail to load,
but never execute anything. ``stored`` builds a value once into such a file
and reads it back after: the caches are made of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tarfile
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import DataError, first_line

META = "__meta__"
# what reading a damaged or planted .npz can raise: a cache entry that raises one is rebuilt
UNREADABLE = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile)


class CacheWarning(UserWarning):
    """A cache file could not be read or written; the value was computed instead."""


@contextlib.contextmanager
def advisory_lock(path: Path, wait: bool = True):
    """An advisory lock (fcntl) on the file ``path``, released when the block ends or the process dies.

    Yields True once held; with ``wait`` off, yields False at once when another process holds it.
    """
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def install_extracted(archive: Path, folder: str, target: Path, check) -> Path:
    """Extract the .tar.gz ``archive`` into a temporary folder beside ``target``, call ``check`` on its
    ``folder`` (it raises what is wrong), then move that folder to ``target``, replacing what was there.

    A failed check or an interrupted extraction leaves the old ``target`` as
    it was. An unreadable archive is a DataError; a file system failure is
    the OSError, for the caller to name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, EOFError) as exc:
            raise DataError(f"{archive}: not a readable .tar.gz archive ({first_line(exc)})") from None
        check(Path(tmp, folder))
        if target.exists():
            shutil.rmtree(target)
        os.replace(Path(tmp, folder), target)
    return target


@contextlib.contextmanager
def atomic_file(path: Path):
    """A binary file object whose content replaces ``path`` whole when the block ends, or not at all.

    The temporary file has a unique name beside the target, so two writers
    never share one; it is removed if the block fails.
    """
    path = Path(path)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a part."""
    with atomic_file(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def encode(name: str, value, arrays: dict) -> dict:
    """Put ``value`` into ``arrays`` (under keys starting with ``name``); return how to read it back."""
    if sp.issparse(value):
        value = sp.csr_matrix(value)
        arrays.update({f"{name}.data": value.data, f"{name}.indices": value.indices, f"{name}.indptr": value.indptr})
        return {"kind": "csr", "shape": list(value.shape)}
    if isinstance(value, np.ndarray):
        if value.dtype != object:
            arrays[name] = value
            return {"kind": "array"}
        if all(isinstance(v, str) for v in value.ravel()):
            arrays[name] = value.astype(str) if value.size else np.array([], dtype="U1")
            return {"kind": "object-str"}
        return {"kind": "object-json", "value": value.tolist()}
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        encoded = [v.encode("utf-8", "surrogatepass") for v in value]
        arrays[f"{name}.bytes"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        arrays[f"{name}.ends"] = np.cumsum([len(b) for b in encoded], dtype=np.int64)
        return {"kind": "texts"}
    return {"kind": "json", "value": value}


def decode(name: str, meta: dict, arrays) -> object:
    kind = meta["kind"]
    if kind == "csr":
        parts = (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"])
        return sp.csr_matrix(parts, shape=tuple(meta["shape"]))
    if kind == "array":
        return arrays[name]
    if kind == "object-str":
        return arrays[name].astype(object)
    if kind == "object-json":
        values = np.empty(len(meta["value"]), dtype=object)
        values[:] = meta["value"]
        return values
    if kind == "texts":
        data, ends = arrays[f"{name}.bytes"].tobytes(), arrays[f"{name}.ends"]
        starts = np.concatenate([[0], ends[:-1]])
        return [data[a:b].decode("utf-8", "surrogatepass") for a, b in zip(starts.tolist(), ends.tolist())]
    if kind == "json":
        return meta["value"]
    raise ValueError(f"unknown stored kind {kind!r}")


def save_arrays(path: Path, fields: dict) -> None:
    """Store a flat dict of arrays, sparse matrices, string lists and JSON values, atomically."""
    arrays, meta = {}, {}
    for name, value in fields.items():
        meta[name] = encode(name, value, arrays)
    arrays[META] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with atomic_file(path) as f:
        np.savez(f, **arrays)


def load_arrays(path: Path) -> dict:
    """Read what ``save_arrays`` stored; never unpickles (a ValueError for anything else)."""
    with np.load(path, allow_pickle=False) as arrays:
        meta = json.loads(arrays[META].tobytes().decode("utf-8"))
        return {name: decode(name, m, arrays) for name, m in meta.items()}


@contextlib.contextmanager
def lock_if_possible(path: Path):
    """``advisory_lock(path)``, or no lock where its folder cannot be written (nothing is stored there then)."""
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):
            stack.enter_context(advisory_lock(path))
        yield


def stored(path: Path, build, to_fields, from_fields, refresh: bool = False, warning=CacheWarning):
    """``from_fields`` of the arrays stored at ``path``, or ``build()``, stored there for the next call.

    One process builds while any other asking for the same file waits (an
    advisory lock beside it), then reads what was stored: two processes of
    one grid never parse a corpus, or merge its token counts, twice.
    ``refresh`` builds again and overwrites. An unreadable file is built
    again, and a folder that cannot be written means building without
    storing, each with a ``warning``.
    """
    path = Path(path)

    def read():
        try:
            return from_fields(load_arrays(path))
        except UNREADABLE as exc:
            warnings.warn(f"{path}: unreadable cache file ({type(exc).__name__}); building it again", warning)
            return None

    if not refresh and path.is_file() and (value := read()) is not None:
        return value
    rebuild = refresh or path.is_file()  # asked to, or the file there is unreadable
    with lock_if_possible(path.with_name(path.name + ".lock")):
        if not rebuild and path.is_file() and (value := read()) is not None:  # built while this one waited
            return value
        value = build()
        try:
            save_arrays(path, to_fields(value))
        except OSError as exc:
            warnings.warn(f"{path.parent}: cannot write the cache ({exc.strerror}); continuing without it", warning)
    return value
