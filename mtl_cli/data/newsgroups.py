"""The 20 Newsgroups "bydate" corpus, through scikit-learn's fetch_20newsgroups."""

from __future__ import annotations

import codecs
import os
import pickle
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from ..errors import DataError, first_line
from ..registry import DATASETS
from ..validation import check_bool, check_folder
from .base import Corpus, Part, file_fingerprint

CACHE_NAME = "20news-bydate_py3.pkz"  # the file fetch_20newsgroups reads
REMOVABLE = ("headers", "footers", "quotes")

# The top of the newsgroup hierarchy: group -> its newsgroups.
HIERARCHY = {
    "comp": [
        "comp.graphics",
        "comp.os.ms-windows.misc",
        "comp.sys.ibm.pc.hardware",
        "comp.sys.mac.hardware",
        "comp.windows.x",
    ],
    "rec": ["rec.autos", "rec.motorcycles", "rec.sport.baseball", "rec.sport.hockey"],
    "sci": ["sci.crypt", "sci.electronics", "sci.med", "sci.space"],
    "talk.politics": ["talk.politics.guns", "talk.politics.mideast", "talk.politics.misc"],
    "religion": ["alt.atheism", "soc.religion.christian", "talk.religion.misc"],
    "misc": ["misc.forsale"],
}


def how_to_get(data_home) -> str:
    return (
        f"put the corpus in the scikit-learn data home ({data_home}): with internet, "
        "any fetch_20newsgroups() call downloads it; offline, run "
        "'mtl data import PATH/20news-bydate.tar.gz'"
    )


@DATASETS.register("20newsgroups")
class Newsgroups:
    """20 Newsgroups "bydate": 11,314 train / 7,532 test posts in 20 newsgroups.

    Parameters
    ----------
    remove : list of {"headers", "footers", "quotes"}, default=()
        Parts of each post to strip (scikit-learn's ``remove``); default keeps all.
    data_home : str, default=None
        scikit-learn data home; None means ``$SCIKIT_LEARN_DATA`` or
        ``~/scikit_learn_data``.
    download : bool, default=True
        Download the corpus when it is not in the data home.
    """

    disk_cache = True  # the runner keeps a fast-loading copy

    def __init__(self, remove=(), data_home=None, download=True):
        self.remove = remove
        self.data_home = data_home
        self.download = download

    gives = "text"

    def fingerprint(self) -> str:
        """The hash of scikit-learn's cached copy of the corpus (fetched first, if allowed and missing)."""
        from sklearn.datasets import get_data_home

        home = get_data_home(self.data_home)
        path = Path(home, CACHE_NAME)
        if not path.is_file():
            if not self.download:
                raise DataError(f"20 Newsgroups is not available; {how_to_get(home)}")
            self.load()
        return file_fingerprint(path)

    def check(self) -> None:
        if not isinstance(self.remove, (list, tuple)):
            raise ValueError(f"'remove' must be a list drawn from {list(REMOVABLE)}, got {self.remove!r}")
        check_folder("data_home", self.data_home)
        check_bool("20newsgroups", "download", self.download)
        bad = [r for r in self.remove if r not in REMOVABLE]
        if bad:
            raise ValueError(f"'remove' may hold {list(REMOVABLE)}, got {bad}")

    def load(self) -> Corpus:
        from sklearn.datasets import fetch_20newsgroups, get_data_home

        parts = {}
        for subset in ("train", "test"):
            try:
                bunch = fetch_20newsgroups(
                    subset=subset,
                    remove=tuple(self.remove),
                    data_home=self.data_home,
                    download_if_missing=self.download,
                )
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                home = get_data_home(self.data_home)
                reason = first_line(exc)
                raise DataError(
                    f"20 Newsgroups is not available ({reason}); {how_to_get(home)}"
                ) from None
            names = np.array(bunch.target_names, dtype=object)
            parts[subset] = Part(list(bunch.data), names[bunch.target])
        return Corpus("20newsgroups", parts["train"], parts["test"])


def import_archive(archive: str | os.PathLike, data_home: str | None = None) -> Path:
    """Install the official 20news-bydate.tar.gz so fetch_20newsgroups reads it offline.

    Writes the cache file scikit-learn itself writes after a download (a
    zlib-compressed pickle of ``load_files`` for each part) into the data home.
    Returns the path of that file.
    """
    from sklearn.datasets import get_data_home, load_files

    archive = Path(archive)
    if not archive.is_file():
        raise DataError(f"{archive}: no such file; expected the 20news-bydate.tar.gz archive")
    home = Path(get_data_home(data_home))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise DataError(f"{archive}: not a readable .tar.gz archive ({exc})") from None
        cache = {}
        for part in ("train", "test"):
            folder = Path(tmp, f"20news-bydate-{part}")
            if not folder.is_dir():
                raise DataError(
                    f"{archive}: has no folder 20news-bydate-{part}/; expected the "
                    "official 20news-bydate archive"
                )
            cache[part] = load_files(folder, encoding="latin1")
    target = home / CACHE_NAME
    partial = target.with_suffix(".partial")
    partial.write_bytes(codecs.encode(pickle.dumps(cache), "zlib_codec"))
    os.replace(partial, target)
    return target
