"""Class-disjoint few-shot episodes: N-way K-shot tasks drawn from held-out classes.

The classes are divided into meta-train, meta-validation and meta-test
classes. Meta-learners learn from meta-train documents (bydate train part);
their meta-hyperparameters are chosen on episodes of meta-validation
classes (train part); evaluation episodes draw N meta-test classes, K
support documents per class from the train part and Q query documents per
class from the test part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..registry import SPLITS
from ..validation import check_number
from .base import Corpus, stable_hash

# Bao et al. (ICLR 2020), "Few-shot text classification with distributional signatures": 20 Newsgroups split.
CLASS_SPLITS = {
    "bao2020": {
        "meta_train": [
            "rec.autos", "rec.motorcycles", "rec.sport.baseball", "rec.sport.hockey",
            "sci.crypt", "sci.electronics", "sci.med", "sci.space",
        ],
        "meta_val": [
            "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
            "comp.sys.mac.hardware", "comp.windows.x",
        ],
        "meta_test": [
            "alt.atheism", "misc.forsale", "soc.religion.christian", "talk.politics.guns",
            "talk.politics.mideast", "talk.politics.misc", "talk.religion.misc",
        ],
    },
    # Bao et al.'s Reuters-21578 split: their loader takes class ids 0-14, 15-19 and 20-30 of the 31 ApteMod
    # topics with at least 20 single-label stories; the ids follow the topics' alphabetical order.
    "bao2020-reuters": {
        "meta_train": [
            "acq", "alum", "bop", "cocoa", "coffee", "copper", "cotton", "cpi", "crude", "earn", "gnp", "gold",
            "grain", "interest", "ipi",
        ],
        "meta_val": ["iron-steel", "jobs", "livestock", "money-fx", "money-supply"],
        "meta_test": [
            "nat-gas", "orange", "reserves", "retail", "rubber", "ship", "sugar", "tin", "trade", "veg-oil", "wpi",
        ],
    },
}
ROLES = ("meta_train", "meta_val", "meta_test")
QUERIES = ("test-part", "train-part")


@dataclass(frozen=True)
class EpisodeParts:
    """Indices into the corpus: meta-train and meta-val documents (train part), and the
    meta-test support pool (train part) and query pool (in ``query_part``: test, or train)."""

    meta_train: np.ndarray
    meta_val: np.ndarray
    support_pool: np.ndarray
    query_pool: np.ndarray
    classes: dict
    query_part: str = "test"


@SPLITS.register("episodes")
class Episodes:
    """Class-disjoint N-way K-shot episodes (meta-train / meta-val / meta-test classes).

    Parameters
    ----------
    classes : "bao2020", "bao2020-reuters" or {meta_train: [...], meta_val: [...], meta_test: [...]}, \
default="bao2020"
        The class split: the 20 Newsgroups or the Reuters-21578 split of Bao et al. (2020).
    n_way : int, default=5
        Classes per episode.
    n_query : int, default=25
        Query documents per class.
    queries : "test-part" or "train-part", default="test-part"
        Where an evaluation episode's queries come from: the test part, or
        the train part like its support documents (disjoint from them within
        the episode), as Bao et al. sample both from one pool of documents.
    n_episodes : int, default=1000
        Evaluation episodes per seed and shot setting.
    n_val_episodes : int, default=100
        Meta-validation episodes for choosing meta-hyperparameters.
    """

    episodic = True
    size_key = "k_shot"  # the grid's size axis: support samples per class
    default_sizes = [1, 5]

    def __init__(self, classes="bao2020", n_way=5, n_query=25, n_episodes=1000, n_val_episodes=100,
                 queries="test-part"):
        self.classes = classes
        self.n_way = n_way
        self.n_query = n_query
        self.queries = queries
        self.n_episodes = n_episodes
        self.n_val_episodes = n_val_episodes

    def class_split(self) -> dict:
        if isinstance(self.classes, str):
            return CLASS_SPLITS[self.classes]
        return self.classes

    def check(self) -> None:
        if isinstance(self.classes, str):
            if self.classes not in CLASS_SPLITS:
                raise ValueError(f"'classes' must be one of {sorted(CLASS_SPLITS)} or a mapping; got {self.classes!r}")
        elif not isinstance(self.classes, dict) or sorted(self.classes) != sorted(ROLES):
            raise ValueError(f"'classes' must name lists for {list(ROLES)}; got {self.classes!r}")
        split = self.class_split()
        seen = [c for role in ROLES for c in split[role]]
        if len(seen) != len(set(seen)):
            raise ValueError("'classes': meta-train, meta-val and meta-test classes must be disjoint")
        for key in ("n_way", "n_query", "n_episodes", "n_val_episodes"):
            check_number("episodes", key, getattr(self, key), low=1, integer=True)
        if self.n_way > len(split["meta_test"]) or self.n_way > len(split["meta_val"]):
            raise ValueError(f"'n_way'={self.n_way} exceeds the meta-test or meta-val classes")
        if self.queries not in QUERIES:
            raise ValueError(f"'queries' must be one of {list(QUERIES)}, got {self.queries!r}")

    def parts(self, corpus: Corpus) -> EpisodeParts:
        split = self.class_split()
        known = set(corpus.train.labels)
        missing = [c for role in ROLES for c in split[role] if c not in known]
        if missing:
            raise DataError(f"split episodes: {corpus.name} has no class {missing[0]!r}")

        def rows(part, role):
            return np.flatnonzero(np.isin(getattr(corpus, part).labels, split[role]))

        query_part = "test" if self.queries == "test-part" else "train"
        return EpisodeParts(
            meta_train=rows("train", "meta_train"),
            meta_val=rows("train", "meta_val"),
            support_pool=rows("train", "meta_test"),
            query_pool=rows(query_part, "meta_test"),
            classes=split,
            query_part=query_part,
        )

    def check_sizes(self, corpus: Corpus, k_shot: int) -> None:
        """Every meta-val and meta-test class has enough documents for a K-shot episode (K support and
        ``n_query`` query documents); raise a DataError naming the first that does not."""
        split = self.class_split()
        same_pool = self.queries == "train-part"
        for role in ("meta_val", "meta_test"):
            needs = [("train", k_shot + self.n_query)]
            if role == "meta_test" and not same_pool:
                needs = [("train", k_shot), ("test", self.n_query)]
            for cls in split[role]:
                for part, need in needs:
                    have = int(np.sum(getattr(corpus, part).labels == cls))
                    if have < need:
                        raise DataError(f"split episodes: {role} class {cls!r} has {have} documents in the "
                                        f"{corpus.name} {part} part; a {k_shot}-shot episode with n_query "
                                        f"{self.n_query} needs {need}")


def draw(rng, members_by_class: dict, classes, counts) -> tuple[np.ndarray, np.ndarray]:
    """``counts`` members of each class (without replacement); labels are positions in ``classes``."""
    index, labels = [], []
    for position, cls in enumerate(classes):
        index.append(rng.choice(members_by_class[cls], size=counts, replace=False))
        labels.append(np.full(counts, position))
    return np.concatenate(index), np.concatenate(labels)


@dataclass(frozen=True)
class Episode:
    """Rows of the support and query matrices, and labels 0..N-1 in the episode's class order."""

    classes: tuple
    support: np.ndarray
    support_labels: np.ndarray
    query: np.ndarray
    query_labels: np.ndarray


def sample_episodes(support_labels, query_labels, classes, n_way, k_shot, n_query, n_episodes, seed, name,
                    same_pool=False):
    """Seeded episodes; the same (seed, name, k_shot, index) always gives the same episode.

    ``support_labels`` and ``query_labels`` are the class of each row of the
    support and query pools; with ``same_pool`` (meta-validation, or queries
    from the train part) they are one pool, and the support and query rows of
    an episode are disjoint.
    """
    support_members = {c: np.flatnonzero(support_labels == c) for c in classes}
    query_members = support_members if same_pool else {c: np.flatnonzero(query_labels == c) for c in classes}
    episodes = []
    for index in range(n_episodes):
        rng = np.random.default_rng([seed, stable_hash(name), k_shot, index])
        chosen = tuple(rng.choice(sorted(classes), size=n_way, replace=False))
        if same_pool:
            rows, labels = draw(rng, support_members, chosen, k_shot + n_query)
            per_class = k_shot + n_query
            is_support = (np.arange(len(rows)) % per_class) < k_shot
            episodes.append(
                Episode(chosen, rows[is_support], labels[is_support], rows[~is_support], labels[~is_support])
            )
        else:
            support, s_labels = draw(rng, support_members, chosen, k_shot)
            query, q_labels = draw(rng, query_members, chosen, n_query)
            episodes.append(Episode(chosen, support, s_labels, query, q_labels))
    return episodes
