import pytest
import yaml
from typer.testing import CliRunner

from mtl_cli import config as config_module
from mtl_cli.cli import app
from mtl_cli.config import expand, learner_label

GOOD = {
    "name": "ok",
    "dataset": {"name": "synthetic"},
    "split": {"name": "by-column", "n_train_per_task": [10, "all"]},
    "featurizer": {"name": "none"},
    "learners": [{"name": "single-task", "estimator": "logistic", "estimator_params": {"C": {"grid": [0.1, 1]}}}],
    "seeds": [0, 1, 2],
}


def with_change(path, value):
    """GOOD with the entry at dotted ``path`` set to ``value`` (None deletes it)."""
    import copy

    config = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is None:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return config


BAD = [
    ("datset", {"name": "synthetic"}, "datset: unknown key", "did you mean 'dataset'"),
    ("dataset.name", "20newsgroup", "dataset.name: unknown dataset '20newsgroup'", "did you mean '20newsgroups'"),
    ("dataset.n_taks", 3, "dataset: unknown parameter 'n_taks'", "did you mean 'n_tasks'"),
    ("dataset.structure", "dense", "dataset: 'structure' must be one of", "'dense'"),
    ("split.name", "by-colum", "split.name: unknown task split 'by-colum'", "by-column"),
    ("split.n_train_per_task", [10, -1], "split.n_train_per_task", "-1"),
    ("split.n_train_per_task", "most", "split.n_train_per_task", "'most'"),
    ("featurizer.name", "tf-idf", "featurizer.name: unknown featurizer 'tf-idf'", "did you mean 'tfidf'"),
    ("learners.0.name", "single", "learners[0].name: unknown learner 'single'", "single-task"),
    ("learners.0.estimator", "logistc", "learners[0]: 'estimator' must be one of", "did you mean 'logistic'"),
    ("learners.0.estimator_params", {"CC": 1}, "learners[0]: 'estimator_params' has unknown parameter 'CC'", "'C'"),
    ("learners.0.alpha", 1, "learners[0]: unknown parameter 'alpha'", "estimator"),
    ("learners", [], "learners", "at least 1"),
    ("seeds", "zero", "seeds", "'zero'"),
    ("n_jobs", "two", "n_jobs", "'two'"),
    ("backend", "spark", "backend", "'spark'"),
    ("dataset", None, "dataset: required key is missing", ""),
    ("learners.0.name", None, "learners[0]: missing 'name'", "single-task"),
]


@pytest.mark.parametrize("path, value, message, hint", BAD)
def test_bad_config_exits_2_with_one_line_naming_the_key(tmp_path, path, value, message, hint):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(with_change(path, value)))
    for command in ("check", "train"):
        result = CliRunner().invoke(
            app,
            [command, str(config), "--runs", str(tmp_path / "runs")] if command == "train" else [command, str(config)],
        )
        assert result.exit_code == 2, result.output
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in result.output
        assert line.startswith(f"Error: {config}: {message}"), line
        assert hint in line


def test_unreadable_configs(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "no such config file" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: {name: synthetic\nsplit: [")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2 and "not valid YAML at line" in result.stderr
    bad.write_text("- just\n- a list\n")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2 and "expected a mapping" in result.stderr


def test_grid_expansion_and_cells():
    experiment = config_module.from_dict(GOOD)
    cells = experiment.cells()
    assert len(cells) == 2 * 2 * 3  # C values x sizes x seeds
    assert len({c.id for c in cells}) == len(cells)
    assert cells[0].label == "single-task[C=0.1,estimator=logistic]"
    assert [c.seed for c in cells[:3]] == [0, 1, 2]
    # ids are stable: the same spec always hashes the same
    assert [c.id for c in cells] == [c.id for c in config_module.from_dict(GOOD).cells()]


def test_expand_grid_axes_one_dict_level_deep():
    assert expand({"a": 1}) == [{"a": 1}]
    assert expand({"a": [1, 2]}) == [{"a": [1, 2]}]  # a plain list is one value
    assert expand({"a": {"grid": [1, 2]}, "p": {"C": {"grid": [3, 4]}, "k": "x"}}) == [
        {"a": 1, "p": {"C": 3, "k": "x"}},
        {"a": 1, "p": {"C": 4, "k": "x"}},
        {"a": 2, "p": {"C": 3, "k": "x"}},
        {"a": 2, "p": {"C": 4, "k": "x"}},
    ]
    assert learner_label("pooled", {}) == "pooled"


def test_files_path_is_relative_to_the_config(tmp_path):
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "c.yaml"
    raw = with_change("dataset", {"name": "files", "path": "data.csv"})
    raw["featurizer"] = {"name": "tfidf"}
    config.write_text(yaml.safe_dump(raw))
    experiment = config_module.load(config)
    assert experiment.dataset.params["path"] == str(tmp_path / "sub" / "data.csv")
    config.write_text(yaml.safe_dump({k: v for k, v in GOOD.items() if k != "name"}))
    assert config_module.load(config).name == "c"  # the run is named after the file


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 10**6), min_size=1, max_size=4, unique=True),
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=4, unique=True),
    cs=st.lists(st.floats(0.001, 100, allow_nan=False), min_size=1, max_size=3, unique=True),
)
def test_any_valid_grid_expands_to_the_product_with_unique_stable_ids(seeds, sizes, cs):
    raw = with_change("seeds", seeds)
    raw["split"]["n_train_per_task"] = sizes
    raw["learners"][0]["estimator_params"]["C"] = {"grid": cs}
    experiment = config_module.from_dict(raw)
    cells = experiment.cells()
    assert len(cells) == len(seeds) * len(sizes) * len(cs)
    assert len({c.id for c in cells}) == len(cells)
    assert [c.id for c in cells] == [c.id for c in config_module.from_dict(raw).cells()]
    assert {(c.seed, c.size, c.params["estimator_params"]["C"]) for c in cells} == {
        (s, n, c) for s in seeds for n in sizes for c in cs
    }


def test_a_changed_learner_default_never_reuses_a_stored_result(tmp_path, monkeypatch):
    """Cell ids hash the learner's effective parameters: a new default in the code means new cells,
    while the random seeds (from the config alone) stay the same."""
    from mtl_cli.learners.shared_w_cv import MultiTaskLinearClassifierCV

    path = tmp_path / "ids.yaml"
    path.write_text("dataset: {name: synthetic, n_tasks: 2, n_features: 5, n_train: 20, n_test: 20}\n"
                    "split: {name: by-column, n_train_per_task: [10]}\nfeaturizer: {name: none}\n"
                    "learners: [{name: shared-w-cv, penalty: mean}, {name: shared-w-cv, penalty: none, cv: 2}]\n"
                    "seeds: [0]\n")
    before = config_module.load(path).cells()
    assert [c.id for c in config_module.load(path).cells()] == [c.id for c in before]
    defaults = list(MultiTaskLinearClassifierCV.__init__.__defaults__)
    defaults[defaults.index(3)] = 5  # the default number of folds
    monkeypatch.setattr(MultiTaskLinearClassifierCV.__init__, "__defaults__", tuple(defaults))
    after = config_module.load(path).cells()
    assert after[0].id != before[0].id  # penalty: mean uses the default cv
    assert after[1].id == before[1].id  # cv: 2 is written in the config
    assert [c.random_state for c in after] == [c.random_state for c in before]


@pytest.mark.parametrize("dataset", [
    "{name: files, path: LONG.csv}",
    "{name: reuters, data_home: LONG}",
    "{name: amazon-sentiment, data_home: LONG}",
    "{name: 20newsgroups, data_home: LONG, download: false}",
])
def test_a_data_path_the_system_refuses_is_a_one_line_error(tmp_path, dataset):
    """A 300-character file name raised OSError (exit 1) while the data's fingerprint was taken."""
    path = tmp_path / "long.yaml"
    path.write_text(f"dataset: {dataset.replace('LONG', 'a' * 300)}\nsplit: {{name: by-column}}\n"
                    "featurizer: {name: tfidf}\nlearners: [{name: single-task}]\n")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "long.yaml: dataset: cannot read its data (File name too long" in result.stderr


def test_the_grid_hint_is_given_for_a_list_where_a_value_is_expected_not_for_a_candidates_list():
    from mtl_cli.config import list_hint
    from mtl_cli.learners import MultiTaskLinearClassifier, Prototypes

    hint = list_hint({"alpha": [0.1, 1]}, "The 'alpha' parameter ...", MultiTaskLinearClassifier)
    assert "alpha: {grid: [...]}" in hint
    assert list_hint({"shrinkages": [0, 1]}, "The 'shrinkages' parameter ...", Prototypes) == ""
