import numpy as np
import pytest

from mtl_cli.learners import MultiTaskLinearClassifier, MultiTaskLinearClassifierCV
from mtl_cli.learners.shared_w_cv import task_folds


def related_tasks(n_per_task=12, T=8, d=30, seed=0, spread=0.2):
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(d)
    W = w0 + spread * rng.standard_normal((T, d))

    def draw(n):
        X = rng.standard_normal((T * n, d))
        tasks = np.repeat(np.arange(T), n)
        y = ((X * W[tasks]).sum(axis=1) > 0).astype(int)
        return X, y, tasks

    return draw(n_per_task), draw(200)


def test_folds_are_stratified_seeded_and_cover_every_sample():
    y = np.array([0, 1] * 10 + [1] * 5)
    tasks = np.array([0] * 20 + [1] * 5)
    folds = task_folds(y, tasks, 3, seed=0)
    assert np.array_equal(folds, task_folds(y, tasks, 3, seed=0))
    assert not np.array_equal(folds, task_folds(y, tasks, 3, seed=1))
    for fold in range(3):
        members = folds == fold
        assert {0, 1} <= set(y[members & (tasks == 0)])  # both classes of task 0 in every fold
    assert np.bincount(folds[tasks == 1]).tolist() == [2, 2, 1]


def test_cv_picks_strong_coupling_for_closely_related_tasks_and_beats_independent():
    (X, y, tasks), (X_test, y_test, tasks_test) = related_tasks()
    model = MultiTaskLinearClassifierCV(penalty="mean", l2s=[0.1], random_state=0).fit(X, y, tasks)
    assert model.l2_ == 0.1 and model.alpha_ >= 10 * model.l2_
    assert model.selected_params_ == {"alpha": model.alpha_, "l2": model.l2_}
    assert len(model.cv_results_) == 6
    independent = MultiTaskLinearClassifierCV(penalty="none", l2s=[0.01, 0.1, 1.0], random_state=0).fit(X, y, tasks)
    assert model.score(X_test, y_test, tasks_test) > independent.score(X_test, y_test, tasks_test) + 0.05
    assert np.array_equal(
        model.predict_proba(X_test, tasks_test), model.best_estimator_.predict_proba(X_test, tasks_test)
    )


def test_l21_path_starts_where_w_is_zero():
    (X, y, tasks), _ = related_tasks(n_per_task=20, T=4, d=15)
    probe = MultiTaskLinearClassifier(penalty="l21", l2=0.01)
    alpha_max = np.linalg.norm(probe.gradient_at_zero(X, y, tasks), axis=0).max()
    at_max = MultiTaskLinearClassifier(penalty="l21", alpha=alpha_max * 1.001, l2=0.01, tol=1e-8).fit(X, y, tasks)
    below = MultiTaskLinearClassifier(penalty="l21", alpha=alpha_max * 0.9, l2=0.01, tol=1e-8).fit(X, y, tasks)
    assert np.all(at_max.coef_ == 0) and np.any(below.coef_ != 0)


def test_cv_with_explicit_grid_and_bad_parameters():
    (X, y, tasks), _ = related_tasks(n_per_task=9, T=3, d=5)
    model = MultiTaskLinearClassifierCV(penalty="l21", alphas=[0.001, 0.1], l2s=[0.01], cv=2).fit(X, y, tasks)
    assert model.alpha_ in (0.001, 0.1)
    assert model.predict(X, tasks).shape == y.shape
    with pytest.raises(ValueError, match="'cv' parameter .* must be an int >= 2"):
        MultiTaskLinearClassifierCV(cv=1).fit(X, y, tasks)
    with pytest.raises(ValueError, match="'penalty' parameter"):
        MultiTaskLinearClassifierCV(penalty="lasso").fit(X, y, tasks)


def test_task_losses_match_a_hand_computation():
    (X, y, tasks), _ = related_tasks(n_per_task=10, T=2, d=4)
    model = MultiTaskLinearClassifier(penalty="mean", alpha=0.1).fit(X, y, tasks)
    margins = model.decision_function(X, tasks)
    signs = 2 * y - 1
    expected = [np.mean(np.logaddexp(0, -(signs * margins)[tasks == t])) for t in (0, 1)]
    assert list(model.task_losses(X, y, tasks).values()) == pytest.approx(expected)
    # the training objective is the sum of the task losses plus the penalty
    penalty = model.penalty_.value(model.coef_)
    assert sum(expected) + penalty == pytest.approx(model.objective_, rel=1e-9)


def test_loss_scoring_never_picks_the_all_zero_model_on_informative_data():
    (X, y, tasks), _ = related_tasks(n_per_task=6, T=10, d=20, seed=3)
    for penalty in ("l21", "trace"):
        model = MultiTaskLinearClassifierCV(penalty=penalty, l2s=[0.01], random_state=0).fit(X, y, tasks)
        assert model.alpha_ < model.cv_results_[0]["alpha"]  # not alpha_max, where W = 0
        assert np.any(model.coef_ != 0)
