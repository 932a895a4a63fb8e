"""Penalties say what they are, and solvers check what they need before they iterate."""

from __future__ import annotations

import numpy as np
import pytest

from mtl_cli.learners import MultiTaskLinearClassifier
from mtl_cli.optim.datafits import LOSSES, MultiTaskDatafit, StackedTasks
from mtl_cli.optim.penalties import PENALTIES, Penalty, make_penalty
from mtl_cli.optim.solvers import fista, lbfgs, sparsa


def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    tasks = np.repeat([0, 1], 20)
    signs = np.where(X[:, 0] > 0, 1.0, -1.0)
    return StackedTasks.build(X, signs, tasks, 2, False)


def problem3():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    return StackedTasks.build(X, np.where(X[:, 0] > 0, 1.0, -1.0), np.repeat([0, 1, 2], 10), 3, False)


@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_each_choice_builds_what_it_declares(name):
    choice = PENALTIES[name]
    penalty = make_penalty(name, 3, 0.5, 0.1, [[0, 1], [1, 2]])
    assert isinstance(penalty, Penalty)
    assert penalty.smooth == choice.smooth
    W = np.random.default_rng(1).normal(size=(3, 4))
    assert np.isfinite(penalty.value(W)) and penalty.value(W) >= 0
    if choice.has_prox:
        assert penalty.prox(W, 0.1).shape == W.shape
    else:  # a solver that needs the prox refuses it before iterating
        with pytest.raises(TypeError, match="must implement `prox`"):
            sparsa(problem3(), MultiTaskDatafit(LOSSES["logistic"]), penalty, np.zeros(problem3().n_params))
    alphas = choice.default_alphas(0.01, 2.0 if choice.alpha_max else None, 4)
    assert np.all(np.diff(alphas) <= 0)


def test_lbfgs_refuses_a_nonsmooth_penalty_before_iterating():
    data = problem()
    with pytest.raises(TypeError, match="L21 is not compatible with lbfgs: it must be smooth"):
        lbfgs(data, MultiTaskDatafit(LOSSES["logistic"]), make_penalty("l21", 2, 0.1, 0.1), np.zeros(data.n_params))


class NoProx(Penalty):
    def value(self, W):
        return 0.0


@pytest.mark.parametrize("solver", [sparsa, fista])
def test_proximal_solvers_need_a_prox(solver):
    data = problem()
    with pytest.raises(TypeError, match="NoProx is not compatible with proximal gradient: it must implement `prox`"):
        solver(data, MultiTaskDatafit(LOSSES["logistic"]), NoProx(), np.zeros(data.n_params))


def test_learner_reads_penalty_facts_from_the_choice():
    with pytest.raises(ValueError, match="needs a smooth penalty"):
        MultiTaskLinearClassifier(penalty="trace", solver="lbfgs").check()
    with pytest.raises(ValueError, match="task_graph"):
        MultiTaskLinearClassifier(penalty="graph").check()
    assert [name for name, c in sorted(PENALTIES.items()) if c.on_support] == ["l21", "mean", "none"]


class ValueOnly:
    def value(self, data, margins):
        return 0.0


def test_solvers_check_the_datafit_too():
    data = problem()
    for solver in (sparsa, fista, lbfgs):
        with pytest.raises(TypeError, match="ValueOnly is not compatible with .*: it must implement `gradient`"):
            solver(data, ValueOnly(), make_penalty("mean", 2, 0.1, 0.1), np.zeros(data.n_params))
