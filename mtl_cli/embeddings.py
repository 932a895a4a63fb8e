"""Pretrained sentence embeddings (sentence-transformers), computed once per text and cached on content.

An embedding depends only on a text and the encoder, never on a label, so
it is stored under ``<cache>/embeddings/<encoder key>/`` by the sha256 of
the text's UTF-8 bytes, where the encoder key hashes the model's files (not
its name or path) and the settings that change the vectors
(``max_seq_length``, ``normalize``). Every grid point and every config that
reads a text reuses its vector; only texts an experiment reads are encoded.

Vectors are written in shards of ``SHARD`` texts as they are computed (an
interrupted run keeps what it encoded), with ``fileio.save_arrays`` (no
pickle). A file lock lets one process encode at a time, with every core;
the others wait and then find their texts cached.

Models are found, in order: a local folder, a folder of that name in the
models home (``$MTL_MODELS``, default ``~/.cache/mtl/models``; ``mtl data
import`` installs an archived model there), or a Hugging Face hub name
(downloaded by sentence-transformers when online).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import sys
import time
import uuid
import warnings
from pathlib import Path

import numpy as np

from .errors import DataError, first_line
from .fileio import UNREADABLE, advisory_lock, install_extracted, load_arrays, save_arrays
from .hashing import content_keys, spec_hash

SHARD = 1024  # texts per cache file, and between two progress lines
REPORT_EVERY_S = 20.0
HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
EXTRA_HINT = "it needs sentence-transformers: pip install 'mtl-cli[embed]'"


class EmbeddingCacheWarning(UserWarning):
    """A cached embedding file could not be read; its texts are encoded again."""


def models_home() -> Path:
    """Where ``mtl data import`` installs models: ``$MTL_MODELS`` or ``~/.cache/mtl/models``."""
    return Path(os.environ.get("MTL_MODELS") or Path.home() / ".cache" / "mtl" / "models")


def is_model_folder(path: Path) -> bool:
    """Whether ``path`` is a sentence-transformers model folder; a path the system cannot even look up
    (a name too long, say) is not one."""
    try:
        return path.is_dir() and ((path / "modules.json").is_file() or (path / "config.json").is_file())
    except OSError:
        return False


def local_folder(model: str) -> Path | None:
    """The folder of ``model``: itself if it is one, else its last name component in the models home."""
    for folder in (Path(model).expanduser(), models_home() / Path(model).name):
        if is_model_folder(folder):
            return folder
    return None


def check_model(model: str) -> None:
    """Raise ValueError (one line) unless sentence-transformers is installed and ``model`` can be found
    without loading it: a local folder, one in the models home, or a hub name while online."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ValueError(f"sentence-embedding: {EXTRA_HINT}")
    if not isinstance(model, str) or not model:
        raise ValueError(f"'model' must be a model folder or a hub name, got {model!r}")
    if local_folder(model) is not None:
        return
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    if not HUB_NAME.match(model) or (offline and hub_snapshot(model) is None):
        raise ValueError(
            f"'model' {model!r}: no such model folder, none named {Path(model).name!r} in the models home "
            f"({models_home()}){', and the hub is offline (HF_HUB_OFFLINE)' if offline else ''}; install an "
            "archived model with 'mtl data import ARCHIVE' or give a folder"
        )


def check_device(device) -> None:
    """Raise ValueError unless ``device`` is ``auto`` or a device torch has here."""
    if device == "auto":
        return
    if not isinstance(device, str) or not re.fullmatch(r"cpu|mps|cuda(:\d+)?", device):
        raise ValueError(f"'device' must be auto, cpu, cuda, cuda:N or mps, got {device!r}")
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"'device' {device!r}: torch sees no CUDA GPU here; use auto or cpu")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError("'device' 'mps': torch sees no Apple GPU here; use auto or cpu")


def hub_snapshot(model: str) -> Path | None:
    """The folder of a hub model already in the local Hugging Face cache, or None."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, local_files_only=True))
    except Exception:  # not cached, or not a valid hub id
        return None


def model_folder(model: str) -> Path:
    """A local folder holding ``model``, downloading a hub model into the Hugging Face cache if needed."""
    folder = local_folder(model) or hub_snapshot(model)
    if folder is not None:
        return folder
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model))
    except Exception as exc:
        raise DataError(f"model {model!r}: cannot download it ({first_line(exc)}); install it with "
                        "'mtl data import ARCHIVE' or give a folder") from None


def folder_digest(folder: Path) -> str:
    """sha256 over the relative paths and bytes of every file in a model folder."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts)
    stamp = tuple((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _digest(str(folder.resolve()), stamp)


@functools.lru_cache(maxsize=8)
def _digest(folder: str, stamp: tuple) -> str:
    digest = hashlib.sha256()
    for relative, _, _ in stamp:
        digest.update(relative.encode() + b"\0")
        with open(Path(folder, relative), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pick_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=2)
def load_encoder(folder: str, device: str, max_seq_length: int):
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # our own progress lines say what is happening
    try:
        encoder = SentenceTransformer(folder, device=device, local_files_only=True)
    except Exception as exc:
        raise DataError(f"model folder {folder}: cannot load it with sentence-transformers "
                        f"({type(exc).__name__}: {first_line(exc)})") from None
    encoder.max_seq_length = max_seq_length
    return encoder


LAST_READ: dict = {}  # in this process: the store read last, and the shard files it was read from


class EmbeddingStore:
    """The cached vectors of one encoder: shards of (text keys, float32 rows)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def read(self) -> tuple[dict, np.ndarray | None]:
        """(text key -> row, rows) over every readable shard; read again only when the shards changed."""
        shards = sorted(self.folder.glob("*.npz"))
        stamp = (str(self.folder), tuple((s.name, s.stat().st_size, s.stat().st_mtime_ns) for s in shards))
        if LAST_READ.get("stamp") != stamp:
            LAST_READ.update(stamp=stamp, value=self.read_shards(shards))
        return LAST_READ["value"]

    def read_shards(self, shards) -> tuple[dict, np.ndarray | None]:
        keys, blocks = [], []
        for shard in shards:
            try:
                fields = load_arrays(shard)
                shard_keys, vectors = list(fields["keys"]), np.asarray(fields["vectors"], dtype=np.float32)
                if vectors.ndim != 2 or len(shard_keys) != len(vectors):
                    raise ValueError("keys and vectors disagree")
            except UNREADABLE as exc:
                warnings.warn(f"{shard}: unreadable embedding cache file ({type(exc).__name__}); its texts are "
                              "encoded again", EmbeddingCacheWarning)
                continue
            keys.extend(shard_keys)
            blocks.append(vectors)
        if not blocks:
            return {}, None
        return {key: row for row, key in enumerate(keys)}, np.vstack(blocks)

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        save_arrays(self.folder / f"{uuid.uuid4().hex}.npz", {"keys": keys, "vectors": vectors.astype(np.float32)})

    def locked(self):
        """One encoding process at a time per encoder (an advisory lock, released if the process dies)."""
        return advisory_lock(self.folder / ".lock")


class SentenceEncoder:
    """A transformer (``fit`` learns nothing) mapping texts to their sentence embeddings, cached on content."""

    def __init__(self, model: str, max_seq_length: int, batch_size: int, normalize: bool, device: str,
                 cache_dir: str | None):
        self.model, self.max_seq_length, self.batch_size = model, max_seq_length, batch_size
        self.normalize, self.device, self.cache_dir = normalize, device, cache_dir

    def fit(self, texts, y=None):
        return self

    def fit_transform(self, texts, y=None):
        return self.transform(texts)

    def key(self, folder: Path) -> str:
        """What the vectors depend on: the model's files and the settings that change the output."""
        return spec_hash({"model": folder_digest(folder), "max_seq_length": self.max_seq_length,
                          "normalize": bool(self.normalize)}, 32)

    def transform(self, texts) -> np.ndarray:
        texts = list(texts)
        keys = content_keys(texts)
        folder = model_folder(self.model)
        if self.cache_dir is None:
            text_of = dict(zip(keys, texts))
            row = {key: i for i, key in enumerate(text_of)}
            return self.encode(folder, list(text_of.values()))[[row[k] for k in keys]]
        store = EmbeddingStore(Path(self.cache_dir) / "embeddings" / self.key(folder))
        index, vectors = store.read()
        if any(k not in index for k in keys):
            with store.locked():
                index, vectors = store.read()  # another process may have encoded them meanwhile
                todo = {k: t for k, t in zip(keys, texts) if k not in index}
                self.encode_into(store, folder, list(todo), list(todo.values()))
                index, vectors = store.read()
        return vectors[[index[k] for k in keys]]

    def encode_into(self, store: EmbeddingStore, folder: Path, keys: list[str], texts: list[str]) -> None:
        """Encode ``texts`` shard by shard, saving each shard as soon as it is done."""
        if not texts:
            return
        start, reported = time.perf_counter(), time.perf_counter()
        device = pick_device(self.device)
        print(f"mtl: encoding {len(texts):,} texts with {self.model} on {device} (cached for later runs)",
              file=sys.stderr, flush=True)
        for done in range(0, len(texts), SHARD):
            chunk = slice(done, done + SHARD)
            store.add(keys[chunk], self.encode(folder, texts[chunk]))
            finished, now = min(done + SHARD, len(texts)), time.perf_counter()
            if now - reported > REPORT_EVERY_S or finished == len(texts):
                rate = finished / (now - start)
                print(f"mtl: encoded {finished:,}/{len(texts):,} texts ({rate:.1f}/s, "
                      f"{(len(texts) - finished) / rate / 60:.1f} min left)", file=sys.stderr, flush=True)
                reported = now

    def encode(self, folder: Path, texts: list[str]) -> np.ndarray:
        """The embeddings of ``texts``, with every core this process may use (one encoder runs at a time)."""
        import torch

        encoder = load_encoder(str(folder), pick_device(self.device), self.max_seq_length)
        threads = torch.get_num_threads()
        torch.set_num_threads(available_cores())
        try:
            vectors = encoder.encode(texts, batch_size=self.batch_size, normalize_embeddings=bool(self.normalize),
                                     convert_to_numpy=True, show_progress_bar=False)
        finally:
            torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)


def install_model(archive: Path, members: list[str], home: Path | None = None) -> Path:
    """Extract a .tar.gz holding one sentence-transformers model folder into the models home."""
    tops = {name.split("/")[0] for name in members if name.strip("/")}
    if len(tops) != 1:
        raise DataError(f"{archive}: holds {len(tops)} top-level entries; expected one model folder")
    name = tops.pop()
    home = Path(home) if home is not None else models_home()

    def check(folder: Path) -> None:
        if not is_model_folder(folder):
            raise DataError(f"{archive}: {name}/ has no modules.json or config.json; not a model folder")

    try:
        return install_extracted(archive, name, home / name, check)
    except OSError as exc:
        raise DataError(f"{home}: cannot install the model there ({exc.strerror or exc})") from None
