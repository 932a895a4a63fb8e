import numpy as np
from hypothesis import given, settings, strategies as st

from mtl_cli.data.base import Task, allocate, subsample


def make_task(labels, name="t"):
    labels = np.asarray(labels)
    index = np.arange(100, 100 + len(labels))
    return Task(name, index, labels, np.arange(3), np.zeros(3, int))


@given(st.lists(st.integers(1, 50), min_size=1, max_size=6), st.integers(1, 200))
def test_allocate_sums_to_n_and_respects_class_sizes(sizes, n):
    counts = allocate(n, np.array(sizes))
    assert counts.sum() == min(n, sum(sizes))
    assert np.all(counts <= sizes)
    if n >= len(sizes):
        assert np.all(counts >= 1)


def test_allocate_is_proportional():
    assert allocate(10, np.array([80, 20])).tolist() == [8, 2]
    assert allocate(3, np.array([5, 5, 5])).tolist() == [1, 1, 1]


@settings(max_examples=50)
@given(st.integers(2, 60), st.integers(0, 10_000))
def test_subsample_is_stratified_seeded_and_nested(n, seed):
    task = make_task([0] * 70 + [1] * 30)
    small = subsample(task, n, seed)
    assert small.n_train == n
    assert set(np.unique(small.train_labels)) == {0, 1}
    assert np.array_equal(small.train_index, subsample(task, n, seed).train_index)
    larger = subsample(task, n + 5, seed)
    assert set(small.train_index) <= set(larger.train_index)
    # labels still belong to their samples
    assert np.array_equal(small.train_labels, task.train_labels[small.train_index - 100])


def test_subsample_all_or_too_many_keeps_the_pool():
    task = make_task([0, 1, 1])
    assert subsample(task, "all", 0) is task
    assert subsample(task, 10, 0) is task


def test_subsample_depends_on_seed_and_task_name():
    a = subsample(make_task([0, 1] * 50, "a"), 10, 0).train_index
    assert not np.array_equal(a, subsample(make_task([0, 1] * 50, "a"), 10, 1).train_index)
    assert not np.array_equal(a, subsample(make_task([0, 1] * 50, "b"), 10, 0).train_index)
