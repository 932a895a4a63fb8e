import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from mtl_cli.learners import PooledClassifier, SingleTaskClassifier


@pytest.fixture
def tasks_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 6))
    tasks = np.repeat([0, 1, 2], 40)
    w = rng.standard_normal((3, 6))
    y = (np.einsum("ij,ij->i", X, w[tasks]) > 0).astype(int)
    return X, y, tasks


def test_single_task_equals_independent_sklearn_models(tasks_data):
    X, y, tasks = tasks_data
    model = SingleTaskClassifier("logistic", {"C": 0.5}).fit(X, y, tasks)
    for t in range(3):
        rows = tasks == t
        reference = LogisticRegression(C=0.5).fit(X[rows], y[rows])
        assert np.allclose(model.estimators_[t].coef_, reference.coef_)
        assert np.array_equal(model.predict(X[rows], tasks[rows]), reference.predict(X[rows]))
    accuracies = [np.mean(model.predict(X[tasks == t], tasks[tasks == t]) == y[tasks == t]) for t in range(3)]
    assert model.score(X, y, tasks) == pytest.approx(np.mean(accuracies))


def test_pooled_equals_one_sklearn_model_on_all_tasks(tasks_data):
    X, y, tasks = tasks_data
    model = PooledClassifier("linear-svc", {"C": 2.0}, random_state=0).fit(X, y, tasks)
    reference = LinearSVC(C=2.0, random_state=0).fit(X, y)
    assert np.allclose(model.estimator_.coef_, reference.coef_)
    assert np.array_equal(model.predict(X, tasks), reference.predict(X))


def test_single_class_task_gets_a_constant_predictor():
    X = np.eye(4)
    model = SingleTaskClassifier("logistic").fit(X, np.array([1, 1, 0, 1]), np.array([0, 0, 1, 1]))
    assert model.predict(X[:2], np.array([0, 0])).tolist() == [1, 1]


def test_estimator_contract(tasks_data):
    X, y, tasks = tasks_data
    model = SingleTaskClassifier("ridge", {"alpha": 2.0}, random_state=3)
    copy = clone(model)
    assert copy.get_params() == {"estimator": "ridge", "estimator_params": {"alpha": 2.0}, "random_state": 3}
    assert copy.set_params(estimator="sgd").estimator == "sgd"
    with pytest.raises(NotFittedError):
        model.predict(X, tasks)
    model.fit(X, y, tasks)
    assert model.estimator_params == {"alpha": 2.0}  # parameters are never rewritten by fit
    with pytest.raises(ValueError, match="unknown task ids \\[7\\]"):
        model.predict(X[:2], np.array([0, 7]))


@pytest.mark.parametrize("estimator", ["linear-svc", "logistic", "ridge", "sgd", "multinomial-nb"])
def test_every_estimator_learns_a_separable_problem(estimator):
    rng = np.random.default_rng(1)
    X = np.abs(rng.standard_normal((200, 4)))
    y = (X[:, 0] > X[:, 1]).astype(int)
    tasks = np.zeros(200, dtype=int)
    model = SingleTaskClassifier(estimator, random_state=0).fit(X, y, tasks)
    assert model.score(X, y, tasks) > 0.7


def test_bad_estimator_spec_names_the_parameter():
    with pytest.raises(ValueError, match="'estimator' must be one of .*did you mean 'ridge'"):
        SingleTaskClassifier("rigde").check()
    with pytest.raises(ValueError, match="unknown parameter 'c' for logistic.*did you mean 'C'"):
        PooledClassifier("logistic", {"c": 1}).check()
