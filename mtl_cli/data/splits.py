"""Task splits: how a corpus becomes a list of related tasks.

Each split returns every task with its full training pool; the runner then
draws ``n_train_per_task`` training samples per task (``base.subsample``).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..registry import SPLITS
from ..validation import check_number, is_number
from .base import Corpus, Task, label_sets, stable_hash
from .newsgroups import HIERARCHY


def rows_of(labels: np.ndarray, classes) -> np.ndarray:
    return np.flatnonzero(np.isin(labels, list(classes)))


class HoldoutTasks:
    """Mixin: ``holdout_tasks``, a fraction of the tasks held out for meta-learning.

    Meta-learners learn from the other tasks' full training pools and are
    then adapted to each held-out task from ``n_train_per_task`` samples;
    the other learners see the held-out tasks' samples only. Results cover
    the held-out tasks alone. The held-out subset is drawn once by
    ``holdout_seed``.
    """

    def check_holdout(self) -> None:
        if not is_number(self.holdout_tasks) or not 0 <= self.holdout_tasks < 1:
            raise ValueError(f"'holdout_tasks' must be a fraction in [0, 1), got {self.holdout_tasks!r}")
        check_number(type(self).__name__, "holdout_seed", self.holdout_seed, low=0, high=2**32 - 1, integer=True)

    def heldout(self, tasks: list[Task]) -> set[str]:
        """Names of the held-out tasks (none when ``holdout_tasks`` is 0)."""
        if not self.holdout_tasks:
            return set()
        n = min(len(tasks) - 1, max(1, int(round(self.holdout_tasks * len(tasks)))))
        order = np.random.default_rng([self.holdout_seed, stable_hash("holdout")]).permutation(len(tasks))
        return {tasks[i].name for i in order[:n]}


@SPLITS.register("single")
class Single:
    """All classes of the corpus as one multi-class task (e.g. the 20-way problem)."""

    def tasks(self, corpus: Corpus) -> list[Task]:
        train, test = corpus.train, corpus.test
        return [Task("all", np.arange(len(train)), train.labels, np.arange(len(test)), test.labels)]


@SPLITS.register("hierarchy-pairs")
class HierarchyPairs(HoldoutTasks):
    """Binary tasks from the 20 Newsgroups hierarchy: one newsgroup of group A vs one of group B.

    For ``groups: [comp, rec]`` there is one task per (comp.*, rec.*) pair of
    newsgroups (5 x 4 = 20 tasks); label 1 always means "group A", so the
    tasks are related. Each task's test set is every test post of its two
    newsgroups. Groups: comp, rec, sci, talk.politics, religion, misc.

    Parameters
    ----------
    groups : list of two group names, default=('comp', 'rec')
    holdout_tasks : float, default=0.0
        The fraction of the tasks held out for meta-learning (0: none).
    holdout_seed : int, default=0
        Seed of the draw of the held-out tasks.
    """

    def __init__(self, groups=("comp", "rec"), holdout_tasks=0.0, holdout_seed=0):
        self.groups = groups
        self.holdout_tasks = holdout_tasks
        self.holdout_seed = holdout_seed

    def check(self) -> None:
        self.check_holdout()
        groups = list(self.groups)
        if len(groups) != 2 or groups[0] == groups[1]:
            raise ValueError(f"'groups' must name two different groups, got {groups}")
        for group in groups:
            if group not in HIERARCHY:
                raise ValueError(f"'groups' has unknown group '{group}', expected one of {sorted(HIERARCHY)}")

    def tasks(self, corpus: Corpus) -> list[Task]:
        first, second = (HIERARCHY[g] for g in self.groups)
        known = set(corpus.train.labels)
        missing = [n for n in first + second if n not in known]
        if missing:
            raise DataError(
                f"split hierarchy-pairs needs the 20 Newsgroups labels; {corpus.name} lacks {missing[:3]}"
            )
        tasks = []
        for a in first:
            for b in second:
                index = {part: rows_of(getattr(corpus, part).labels, (a, b)) for part in ("train", "test")}
                tasks.append(
                    Task(
                        f"{a} vs {b}",
                        index["train"],
                        (corpus.train.labels[index["train"]] == a).astype(int),
                        index["test"],
                        (corpus.test.labels[index["test"]] == a).astype(int),
                    )
                )
        return tasks


@SPLITS.register("one-vs-rest")
class OneVsRest:
    """One binary task per class: the class (label 1) vs a seeded, balanced sample of the rest.

    Negatives are drawn once (by ``seed``), as many as the class has, in both
    the train and the test part, so chance accuracy is 50%.

    Parameters
    ----------
    seed : int, default=0
        Seed of the draw of the negatives.
    """

    def __init__(self, seed=0):
        self.seed = seed

    def check(self) -> None:
        check_number("one-vs-rest", "seed", self.seed, low=0, high=2**32 - 1, integer=True)

    def tasks(self, corpus: Corpus) -> list[Task]:
        tasks = []
        for cls in np.unique(corpus.train.labels):
            index, labels = {}, {}
            for part in ("train", "test"):
                y = getattr(corpus, part).labels
                positives = np.flatnonzero(y == cls)
                rest = np.flatnonzero(y != cls)
                rng = np.random.default_rng([self.seed, stable_hash(f"{cls}/{part}")])
                negatives = rng.choice(rest, size=min(len(positives), len(rest)), replace=False)
                index[part] = np.sort(np.concatenate([positives, negatives]))
                labels[part] = (y[index[part]] == cls).astype(int)
            tasks.append(Task(str(cls), index["train"], labels["train"], index["test"], labels["test"]))
        return tasks


@SPLITS.register("categories")
class Categories:
    """One binary task per category of a multi-label corpus: the category (label 1) vs every other document.

    A document's categories are its label split on ``+`` (the ``reuters``
    dataset labels a story with all its topic codes so; a plain label is a
    category of its own). Every task's pool is the whole train part and its
    test set the whole test part, so a task is as unbalanced as its category
    is rare (the classic Reuters-10 benchmark: ``top: 10``). Such tasks are
    scored by F1 of the category: records carry ``f1`` and the counts
    (``tp``, ``fp``, ``fn``) from which the tables give micro-averaged F1.

    Parameters
    ----------
    top : int, default=10
        The categories with the most training documents (ties by name).
    categories : list of str, default=None
        These categories instead of the ``top`` ones.
    """

    scores_positive_class = True

    def __init__(self, top=10, categories=None):
        self.top = top
        self.categories = categories

    def check(self) -> None:
        check_number("categories", "top", self.top, low=1, integer=True)
        if self.categories is not None and (
            not isinstance(self.categories, (list, tuple)) or not self.categories
            or not all(isinstance(c, str) for c in self.categories) or len(set(self.categories)) != len(self.categories)
        ):
            raise ValueError(f"'categories' must be a list of distinct category names, got {self.categories!r}")

    def chosen(self, train_sets: list[frozenset]) -> list[str]:
        counts: dict[str, int] = {}
        for categories in train_sets:
            for category in categories:
                counts[category] = counts.get(category, 0) + 1
        if self.categories is None:
            return sorted(counts, key=lambda c: (-counts[c], c))[: self.top]
        missing = [c for c in self.categories if c not in counts]
        if missing:
            raise DataError(f"split categories: no training document of category {missing[0]!r}")
        return list(self.categories)

    def tasks(self, corpus: Corpus) -> list[Task]:
        train_sets, test_sets = label_sets(corpus.train.labels), label_sets(corpus.test.labels)
        return [
            Task(
                category,
                np.arange(len(train_sets)),
                np.array([category in s for s in train_sets], dtype=int),
                np.arange(len(test_sets)),
                np.array([category in s for s in test_sets], dtype=int),
            )
            for category in self.chosen(train_sets)
        ]


@SPLITS.register("by-column")
class ByColumn(HoldoutTasks):
    """The tasks named by the dataset's task column (a ``task`` column in a files dataset).

    Parameters
    ----------
    holdout_tasks : float, default=0.0
        The fraction of the tasks held out for meta-learning (0: none).
    holdout_seed : int, default=0
        Seed of the draw of the held-out tasks.
    """

    def __init__(self, holdout_tasks=0.0, holdout_seed=0):
        self.holdout_tasks = holdout_tasks
        self.holdout_seed = holdout_seed

    def check(self) -> None:
        self.check_holdout()

    def tasks(self, corpus: Corpus) -> list[Task]:
        if corpus.train.tasks is None:
            raise DataError(f"split by-column needs a task column; {corpus.name} has none")
        tasks = []
        for name in sorted(set(corpus.train.tasks)):
            train_index = np.flatnonzero(corpus.train.tasks == name)
            test_index = np.flatnonzero(corpus.test.tasks == name)
            if len(test_index) == 0:
                raise DataError(f"{corpus.name}: task '{name}' has no test samples")
            tasks.append(
                Task(
                    str(name),
                    train_index,
                    corpus.train.labels[train_index],
                    test_index,
                    corpus.test.labels[test_index],
                )
            )
        return tasks
