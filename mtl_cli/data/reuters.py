"""Reuters-21578, ApteMod split (Lewis; the corpus NLTK installs as ``corpora/reuters.zip``).

10,788 newswire stories from 1987, 7,769 for training and 3,019 for
testing, with 90 topic categories; 1,628 stories carry more than one. The
zip holds ``reuters/cats.txt`` (one line per story: its file id, then its
topic codes) and the stories as ``reuters/training/<id>`` and
``reuters/test/<id>`` (title line first). ``mtl data import reuters.zip``
checks the zip and copies it into the data home; it is read from there as it
is, without unpacking.
"""

from __future__ import annotations

import shutil
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError, first_line
from ..fileio import atomic_file
from ..registry import DATASETS
from ..validation import check_folder
from .base import LABEL_JOIN, Corpus, Part, file_fingerprint, stable_hash

FOLDER = "mtl_reuters"  # in scikit-learn's data home
ZIP_NAME = "reuters.zip"
CATS = "reuters/cats.txt"
PARTS = {"train": "training", "test": "test"}
SIZES = {"training": 7769, "test": 3019}
DOCUMENTS = ("all", "single-label", "bao2020")
BAO_PER_CLASS = 20  # Bao et al. (2020): 620 stories, 31 topics
IMPORT_HINT = "run 'mtl data import PATH/reuters.zip'"


def zip_path(data_home: str | None) -> Path:
    from sklearn.datasets import get_data_home

    return Path(get_data_home(data_home)) / FOLDER / ZIP_NAME


def read_categories(archive: zipfile.ZipFile, where) -> list[tuple[str, tuple[str, ...]]]:
    """``cats.txt`` as (file id, topic codes) per story, in file order."""
    try:
        text = archive.read(CATS).decode("ascii")
    except KeyError:
        raise DataError(f"{where}: has no {CATS}; expected NLTK's reuters.zip (ApteMod)") from None
    except UnicodeDecodeError:
        raise DataError(f"{where}: {CATS} is not ASCII") from None
    stories = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2 or fields[0].split("/")[0] not in SIZES:
            raise DataError(f"{where}: {CATS} line {number} is not 'training|test/ID topic...'")
        if any(LABEL_JOIN in code for code in fields[1:]):
            raise DataError(f"{where}: {CATS} line {number} has a topic code with '{LABEL_JOIN}'")
        stories.append((fields[0], tuple(sorted(set(fields[1:])))))
    return stories


def check_archive(archive: zipfile.ZipFile, where) -> None:
    """A readable ApteMod zip: every member intact, 7,769 training and 3,019 test stories, each present."""
    try:
        corrupt = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        corrupt = first_line(exc)
    if corrupt:
        raise DataError(f"{where}: a corrupt archive ({corrupt} fails its check)")
    stories = read_categories(archive, where)
    counts = {part: sum(fid.startswith(part + "/") for fid, _ in stories) for part in SIZES}
    if counts != SIZES:
        raise DataError(f"{where}: {CATS} lists {counts['training']} training and {counts['test']} test "
                        f"stories; the ApteMod split has {SIZES['training']} and {SIZES['test']}")
    present = set(archive.namelist())
    missing = [fid for fid, _ in stories if f"reuters/{fid}" not in present]
    if missing:
        raise DataError(f"{where}: lists reuters/{missing[0]} in {CATS} but does not hold it "
                        f"({len(missing)} stories missing)")


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .zip archive ({first_line(exc)})") from None


@DATASETS.register("reuters")
class Reuters:
    """Reuters-21578 newswire stories (ApteMod split), labelled by topic.

    A story's label is its topic codes, sorted and joined by ``+`` (e.g.
    ``corn+grain+wheat``); the ``categories`` split reads them back as a set,
    one binary task per topic. Text is read as Latin-1 (one story has a byte
    outside ASCII).

    Parameters
    ----------
    documents : "all", "single-label" or "bao2020", default="all"
        ``single-label`` keeps the 9,160 stories with exactly one topic.
        ``bao2020`` is the few-shot data of Bao et al. (2020): the 31 topics
        with at least 20 single-label stories, 20 stories each (620 in all),
        drawn once with a fixed seed from both parts into the train part
        (their own 620 are not published by id, so this draws as many from
        the same population). The test part holds the other single-label
        stories of these topics; Bao et al. sample an episode's support and
        queries from the 620 alone (``split: {name: episodes, queries:
        train-part}``).
    data_home : str, default=None
        scikit-learn data home, where ``mtl data import`` put ``reuters.zip``.
    """

    gives = "text"

    def __init__(self, documents="all", data_home=None):
        self.documents = documents
        self.data_home = data_home

    def check(self) -> None:
        if self.documents not in DOCUMENTS:
            raise ValueError(f"'documents' must be one of {list(DOCUMENTS)}, got {self.documents!r}")
        check_folder("data_home", self.data_home)

    def path(self) -> Path:
        path = zip_path(self.data_home)
        if not path.is_file():
            raise DataError(f"reuters is not installed ({path} is missing); {IMPORT_HINT}")
        return path

    def fingerprint(self) -> str:
        return file_fingerprint(self.path())

    def chosen(self, stories: list, texts: dict) -> dict[str, list]:
        """The (file id, topics) of the stories of each part, in file order."""
        if self.documents != "all":
            stories = [story for story in stories if len(story[1]) == 1]
        if self.documents == "bao2020":
            parts = bao2020_draw(stories, texts)
        else:
            parts = {part: [s for s in stories if s[0].startswith(folder + "/")] for part, folder in PARTS.items()}
        return {part: sorted(chosen, key=file_order) for part, chosen in parts.items()}

    def load(self) -> Corpus:
        path = self.path()
        with open_zip(path) as archive:
            stories = sorted(read_categories(archive, path), key=file_order)
            try:
                texts = {fid: archive.read(f"reuters/{fid}").decode("latin-1") for fid, _ in stories}
            except (KeyError, zipfile.BadZipFile, zlib.error) as exc:
                raise DataError(f"{path}: unreadable ({first_line(exc)}); {IMPORT_HINT} again") from None
        parts = {
            part: Part([texts[fid] for fid, _ in chosen],
                       np.array([LABEL_JOIN.join(topics) for _, topics in chosen], dtype=object))
            for part, chosen in self.chosen(stories, texts).items()
        }
        return Corpus("reuters", parts["train"], parts["test"])


def file_order(story: tuple) -> tuple[str, int]:
    """training/ before test/, then by file number."""
    folder, number = story[0].split("/")
    return folder != "training", int(number)


def has_body(text: str) -> bool:
    """Whether a story has text beyond its upper-case title and dateline (718 single-label stories do not)."""
    return any(c.islower() for c in text)


def bao2020_draw(single_label: list, texts: dict) -> dict[str, list]:
    """``BAO_PER_CLASS`` single-label stories of every topic that has as many, drawn once per topic (seeded)
    for the train part; the topic's other stories go to the test part.

    A text is kept once (the first copy in file order), and stories with a body are drawn before
    title-only ones, which only retail (16 stories with a body) and orange (18) need.
    """
    parts: dict[str, list] = {"train": [], "test": []}
    for topic in sorted({topics[0] for _, topics in single_label}):
        members = [story for story in single_label if story[1][0] == topic]
        if len(members) < BAO_PER_CLASS:
            continue
        distinct = list({texts[story[0]]: story for story in reversed(members)}.values())[::-1]
        rng = np.random.default_rng([0, stable_hash(f"reuters/bao2020/{topic}")])
        body = [story for story in distinct if has_body(texts[story[0]])]
        title_only = [story for story in distinct if not has_body(texts[story[0]])]
        drawn = [body[i] for i in rng.permutation(len(body))]
        drawn += [title_only[i] for i in rng.permutation(len(title_only))]
        parts["train"] += drawn[:BAO_PER_CLASS]
        parts["test"] += drawn[BAO_PER_CLASS:]
    return parts


def is_reuters_zip(archive: Path) -> bool:
    try:
        with zipfile.ZipFile(archive) as z:
            return CATS in z.namelist()
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def import_archive(archive: Path, data_home: str | None = None) -> Path:
    """Check NLTK's ``reuters.zip`` (the ApteMod sizes, every listed story present) and copy it into the
    data home; return the path written."""
    with open_zip(archive) as z:
        check_archive(z, archive)
    target = zip_path(data_home)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(archive, "rb") as source, atomic_file(target) as copy:
            shutil.copyfileobj(source, copy)
    except OSError as exc:
        raise DataError(f"{target.parent}: cannot install reuters.zip there ({exc.strerror or exc})") from None
    return target
