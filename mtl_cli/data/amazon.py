"""Amazon multi-domain sentiment (Blitzer, Dredze & Pereira, 2007), the labelled ``processed_acl`` reviews.

Four domains (books, dvd, electronics, kitchen), 1,000 positive and 1,000
negative reviews each, given as bags of features: lower-cased unigrams and
``_``-joined bigrams with their counts, not as text. Each domain is a task
(``split: by-column``); the label is ``positive`` or ``negative``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..fileio import install_extracted
from ..registry import DATASETS
from ..validation import check_bool, check_folder, check_number
from .base import Corpus, Part, stable_hash

DOMAINS = ("books", "dvd", "electronics", "kitchen")
LABELS = ("negative", "positive")
FOLDER = "mtl_amazon_sentiment"  # in scikit-learn's data home
IMPORT_HINT = "run 'mtl data import PATH/processed_acl-labeled.tar.gz'"


def data_folder(data_home: str | None) -> Path:
    from sklearn.datasets import get_data_home

    return Path(get_data_home(data_home)) / FOLDER / "processed_acl"


def review_files(root: Path):
    return [root / domain / f"{label}.review" for domain in DOMAINS for label in LABELS]


def parse_line(line: str, where: str) -> tuple[dict, str]:
    """One review: ``feature:count ... #label#:positive`` -> ({feature: count}, label)."""
    *pairs, last = line.split()
    if not last.startswith("#label#:") or last[8:] not in LABELS:
        raise DataError(f"{where}: does not end with #label#:positive or #label#:negative")
    bag = {}
    for pair in pairs:
        feature, _, count = pair.rpartition(":")
        if not feature or not count.isdigit():
            raise DataError(f"{where}: {pair[:40]!r} is not feature:count")
        bag[feature] = bag.get(feature, 0) + int(count)
    return bag, last[8:]


def read_reviews(path: Path) -> tuple[list[dict], list[str]]:
    bags, labels = [], []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    bag, label = parse_line(line, f"{path}:{number}")
                    bags.append(bag)
                    labels.append(label)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    return bags, labels


@DATASETS.register("amazon-sentiment")
class AmazonSentiment:
    """Amazon reviews in four domains (tasks), labelled positive or negative, as bags of uni- and bigrams.

    The reviews of a domain are split once, stratified and seeded
    independently of the experiment's seeds, into ``n_test_per_domain``
    test reviews and the rest for training (Blitzer et al. trained on 1,600
    and tested on 400 per domain). 146 of the 8,000 reviews repeat an
    earlier review of their domain feature for feature; with
    ``deduplicate`` (the default) only the first copy is kept, so that no
    test review has a copy in the training part (a random split of all
    8,000 puts 52 such copies in the test part).

    Parameters
    ----------
    domains : list of str, default=('books', 'dvd', 'electronics', 'kitchen')
        The domains to read.
    n_test_per_domain : int, default=400
        Test reviews per domain, half of each label.
    deduplicate : bool, default=True
        Keep one copy of reviews that repeat within a domain.
    data_home : str, default=None
        scikit-learn data home, where ``mtl data import`` put the reviews.
    """

    gives = "bags"

    def __init__(self, domains=DOMAINS, n_test_per_domain=400, deduplicate=True, data_home=None):
        self.domains = domains
        self.n_test_per_domain = n_test_per_domain
        self.deduplicate = deduplicate
        self.data_home = data_home

    def check(self) -> None:
        if not isinstance(self.domains, (list, tuple)) or not self.domains:
            raise ValueError(f"'domains' must be a non-empty list drawn from {list(DOMAINS)}, got {self.domains!r}")
        bad = [d for d in self.domains if d not in DOMAINS]
        if bad or len(set(self.domains)) != len(self.domains):
            raise ValueError(f"'domains' must be distinct names from {list(DOMAINS)}, got {list(self.domains)}")
        check_number("amazon-sentiment", "n_test_per_domain", self.n_test_per_domain, low=2, high=1900,
                      integer=True)
        check_bool("amazon-sentiment", "deduplicate", self.deduplicate)
        check_folder("data_home", self.data_home)

    def root(self) -> Path:
        root = data_folder(self.data_home)
        missing = [p for p in review_files(root) if not p.is_file()]
        if missing:
            raise DataError(f"amazon-sentiment is not installed ({missing[0]} is missing); {IMPORT_HINT}")
        return root

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in review_files(self.root()):
            digest.update(path.read_bytes())
        return digest.hexdigest()[:32]

    def load(self) -> Corpus:
        root = self.root()
        parts = {"train": ([], [], []), "test": ([], [], [])}
        for domain in self.domains:
            bags, labels = [], []
            for label in LABELS:
                domain_bags, domain_labels = read_reviews(root / domain / f"{label}.review")
                bags += domain_bags
                labels += domain_labels
            if self.deduplicate:
                first = {}
                for i, bag in enumerate(bags):
                    first.setdefault(tuple(sorted(bag.items())), i)
                keep = sorted(first.values())
                bags, labels = [bags[i] for i in keep], [labels[i] for i in keep]
            labels = np.array(labels, dtype=object)
            rng = np.random.default_rng([0, stable_hash(f"amazon-sentiment/{domain}")])
            test = np.zeros(len(labels), dtype=bool)
            for k, label in enumerate(LABELS):
                members = rng.permutation(np.flatnonzero(labels == label))
                test[members[: self.n_test_per_domain // 2 + (k < self.n_test_per_domain % 2)]] = True
            for part, rows in (("train", np.flatnonzero(~test)), ("test", np.flatnonzero(test))):
                data, part_labels, tasks = parts[part]
                data += [bags[i] for i in rows]
                part_labels += labels[rows].tolist()
                tasks += [domain] * len(rows)
        train, test = (Part(data, np.array(part_labels, dtype=object), np.array(tasks, dtype=object))
                       for data, part_labels, tasks in parts.values())
        return Corpus("amazon-sentiment", train, test)


def is_processed_acl(members: list[str]) -> bool:
    return any(name.startswith("processed_acl/") and name.endswith(".review") for name in members)


def check_reviews(archive: Path, unpacked: Path) -> None:
    """The extracted ``processed_acl`` folder holds 1,000 parseable reviews per domain and label."""
    for path in review_files(unpacked):
        if not path.is_file():
            raise DataError(f"{archive}: has no {path.relative_to(unpacked.parent)}; expected the labelled "
                            "processed_acl reviews of books, dvd, electronics and kitchen")
        bags, _ = read_reviews(path)
        if len(bags) != 1000:
            raise DataError(f"{archive}: {path.relative_to(unpacked.parent)} holds {len(bags)} reviews, not 1,000")


def import_archive(archive: Path, data_home: str | None = None) -> Path:
    """Install ``processed_acl-labeled.tar.gz`` (checked: 4 domains x 2 labels, 1,000 parseable reviews
    each) into the data home; return the folder."""
    target = data_folder(data_home)
    try:
        return install_extracted(archive, "processed_acl", target, lambda unpacked: check_reviews(archive, unpacked))
    except OSError as exc:
        raise DataError(f"{target.parent}: cannot install the reviews there ({exc.strerror or exc})") from None
