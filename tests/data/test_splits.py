import numpy as np
import pytest

from mtl_cli.data.base import Corpus, Part, subsample
from mtl_cli.data.newsgroups import HIERARCHY
from mtl_cli.data.splits import ByColumn, Categories, HierarchyPairs, OneVsRest, Single
from mtl_cli.errors import DataError

# Posts per newsgroup in the bydate archive (train, test), from its README.
COUNTS = {
    "comp.graphics": (584, 389), "comp.os.ms-windows.misc": (591, 394),
    "comp.sys.ibm.pc.hardware": (590, 392), "comp.sys.mac.hardware": (578, 385),
    "comp.windows.x": (593, 395), "rec.autos": (594, 396), "rec.motorcycles": (598, 398),
    "rec.sport.baseball": (597, 397), "rec.sport.hockey": (600, 399),
}


def test_newsgroups_has_the_bydate_sizes(newsgroups):
    assert len(newsgroups.train) == 11314 and len(newsgroups.test) == 7532
    assert newsgroups.train.data[0].startswith("From:")
    assert sorted(set(newsgroups.train.labels)) == sorted(n for g in HIERARCHY.values() for n in g)


def test_hierarchy_pairs_comp_vs_rec(newsgroups):
    tasks = HierarchyPairs(["comp", "rec"]).tasks(newsgroups)
    assert len(tasks) == 20
    for task in tasks:
        a, b = task.name.split(" vs ")
        assert a.startswith("comp.") and b.startswith("rec.")
        assert len(task.train_index) == COUNTS[a][0] + COUNTS[b][0]
        assert len(task.test_index) == COUNTS[a][1] + COUNTS[b][1]
        # label 1 always means the first group
        assert np.array_equal(task.train_labels, (newsgroups.train.labels[task.train_index] == a).astype(int))
        assert task.test_labels.sum() == COUNTS[a][1]


def test_hierarchy_pairs_other_groups(newsgroups):
    tasks = HierarchyPairs(["talk.politics", "religion"]).tasks(newsgroups)
    assert len(tasks) == 9
    assert [t.name for t in tasks][0] == "talk.politics.guns vs alt.atheism"


def test_hierarchy_pairs_rejects_bad_groups():
    with pytest.raises(ValueError, match="unknown group 'compu'"):
        HierarchyPairs(["compu", "rec"]).check()
    with pytest.raises(ValueError, match="two different groups"):
        HierarchyPairs(["rec", "rec"]).check()


def test_single_is_the_whole_label_set(newsgroups):
    (task,) = Single().tasks(newsgroups)
    assert task.n_train == 11314 and len(task.test_index) == 7532
    assert len(np.unique(task.train_labels)) == 20


def test_one_vs_rest_is_balanced_and_fixed(newsgroups):
    tasks = OneVsRest(seed=0).tasks(newsgroups)
    assert len(tasks) == 20
    for task in tasks:
        assert task.train_labels.mean() == 0.5 and task.test_labels.mean() == 0.5
        positives = newsgroups.train.labels[task.train_index[task.train_labels == 1]]
        assert set(positives) == {task.name}
    again = OneVsRest(seed=0).tasks(newsgroups)
    assert all(np.array_equal(a.train_index, b.train_index) for a, b in zip(tasks, again))


def test_subsampled_split_is_deterministic(newsgroups):
    tasks = HierarchyPairs(["comp", "rec"]).tasks(newsgroups)
    first = [subsample(t, 10, 7).train_index for t in tasks]
    second = [subsample(t, 10, 7).train_index for t in HierarchyPairs(["comp", "rec"]).tasks(newsgroups)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert all(subsample(t, 10, 7).train_labels.sum() == 5 for t in tasks)
    # a pinned draw: the same documents on every machine
    assert first[0].tolist() == [380, 730, 1715, 3527, 4763, 5167, 5230, 10051, 11086, 11131]


def toy_corpus(tasks_train, tasks_test):
    return Corpus(
        "toy",
        Part(["x"] * len(tasks_train), np.array([0, 1] * (len(tasks_train) // 2)), np.array(tasks_train, dtype=object)),
        Part(["x"] * len(tasks_test), np.array([0, 1] * (len(tasks_test) // 2)), np.array(tasks_test, dtype=object)),
    )


def test_by_column_uses_the_task_column():
    tasks = ByColumn().tasks(toy_corpus(["b", "a", "b", "a"], ["a", "b"]))
    assert [t.name for t in tasks] == ["a", "b"]
    assert tasks[0].train_index.tolist() == [1, 3] and tasks[0].test_index.tolist() == [0]


def test_by_column_errors():
    with pytest.raises(DataError, match="task 'b' has no test samples"):
        ByColumn().tasks(toy_corpus(["a", "b"], ["a", "a"]))
    corpus = Corpus("plain", Part(["x"], np.array([0])), Part(["x"], np.array([0])))
    with pytest.raises(DataError, match="needs a task column"):
        ByColumn().tasks(corpus)


def test_categories_are_one_vs_every_other_document_of_a_multi_label_corpus():
    train = Part(["1", "2", "3", "4", "5"], np.array(["a+b", "b", "c", "b+c", "d"], dtype=object))
    test = Part(["6", "7"], np.array(["a", "b+d"], dtype=object))
    tasks = Categories(top=2).tasks(Corpus("toy", train, test))
    assert [t.name for t in tasks] == ["b", "c"]  # b: 3 documents, then c (2) before a and d by name
    b = tasks[0]
    assert list(b.train_index) == [0, 1, 2, 3, 4] and list(b.train_labels) == [1, 1, 0, 1, 0]
    assert list(b.test_labels) == [0, 1]
    assert [t.name for t in Categories(categories=["d", "a"]).tasks(Corpus("toy", train, test))] == ["d", "a"]
    with pytest.raises(DataError, match="no training document of category 'e'"):
        Categories(categories=["e"]).tasks(Corpus("toy", train, test))


def test_micro_f1_pools_the_counts_of_the_tasks():
    from sklearn.metrics import f1_score

    from mtl_cli.protocols.plain import positive_class_scores
    from mtl_cli.results import micro_f1

    rng = np.random.default_rng(0)
    truths = [rng.random(50) < p for p in (0.05, 0.3, 0.6)]
    predictions = [rng.random(50) < 0.3 for _ in truths]
    records = [positive_class_scores(t.astype(int), p.astype(int)) for t, p in zip(truths, predictions)]
    for record, t, p in zip(records, truths, predictions):
        assert record["f1"] == pytest.approx(f1_score(t, p))
    assert micro_f1(records) == pytest.approx(f1_score(np.concatenate(truths), np.concatenate(predictions)))
    assert positive_class_scores(np.zeros(4, int), np.zeros(4, int))["f1"] == 0.0
