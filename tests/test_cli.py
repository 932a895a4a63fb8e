import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mtl_cli.cli import app

runner = CliRunner()
REPO_CONFIGS = __import__("pathlib").Path(__file__).resolve().parents[1] / "configs"


def test_train_check_eval_on_synthetic(synthetic_config, tmp_path):
    config = synthetic_config()
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 0 and "12 cells" in result.stdout
    result = runner.invoke(app, ["train", str(config), "--runs", str(runs), "-q"])
    assert result.exit_code == 0, result.output
    assert "fitted 12 cells" in result.stdout
    assert (runs / "syn" / "accuracy.md").read_text().startswith("# syn: accuracy")
    result = runner.invoke(app, ["train", str(config), "--runs", str(runs), "-q"])
    assert "fitted 0 cells, 12 already done" in result.stdout
    result = runner.invoke(app, ["eval", "--runs", str(runs), "-q"])  # the newest run
    assert result.exit_code == 0 and "evaluated 12 cells" in result.stdout
    result = runner.invoke(app, ["eval", "--config", str(config), "--runs", str(runs), "-q"])
    assert result.exit_code == 0 and "evaluated 12 cells" in result.stdout


def test_eval_without_runs_is_a_user_error(tmp_path):
    result = runner.invoke(app, ["eval", "--runs", str(tmp_path)])
    assert result.exit_code == 2 and "holds no runs" in result.stderr
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.stderr


def test_list_shows_every_component():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0
    for name in ("20newsgroups", "files", "synthetic", "hierarchy-pairs", "one-vs-rest", "by-column", "single",
                 "tfidf", "hashing", "lsa", "count", "single-task", "pooled", "sublinear_tf", "estimator_params"):
        assert name in result.stdout


def test_missing_newsgroups_says_how_to_get_it(tmp_path):
    config = tmp_path / "ng.yaml"
    config.write_text(f"""
dataset: {{name: 20newsgroups, data_home: {tmp_path / 'empty'}, download: false}}
split: {{name: hierarchy-pairs, n_train_per_task: 10}}
learners: [{{name: pooled}}]
""")
    result = runner.invoke(app, ["train", str(config), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "20 Newsgroups is not available" in result.stderr
    assert "mtl data import PATH/20news-bydate.tar.gz" in result.stderr


def test_data_import_errors(tmp_path):
    result = runner.invoke(app, ["data", "import", str(tmp_path / "none.tar.gz")])
    assert result.exit_code == 2 and "no such file" in result.stderr
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tarball")
    result = runner.invoke(app, ["data", "import", str(bogus), "--data-home", str(tmp_path)])
    assert result.exit_code == 2 and "not a readable .tar.gz" in result.stderr


def test_data_import_makes_fetch_work_offline(tmp_path, newsgroups_home):
    from tests.conftest import ARCHIVE
    from sklearn.datasets import fetch_20newsgroups

    if not ARCHIVE.is_file():
        pytest.skip("no archive")
    result = runner.invoke(app, ["data", "import", str(ARCHIVE), "--data-home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    bunch = fetch_20newsgroups(subset="test", data_home=str(tmp_path), download_if_missing=False)
    assert len(bunch.data) == 7532
    assert fetch_20newsgroups(subset="train", data_home=str(tmp_path), download_if_missing=False).target[
        :10
    ].tolist() == [7, 4, 4, 1, 14, 16, 13, 3, 2, 4]


def test_files_dataset_end_to_end(tmp_path):
    rows = [
        {"text": f"{'good great' if i % 2 else 'bad awful'} item {i}", "label": str(i % 2), "task": f"shop{i % 3}"}
        for i in range(90)
    ]
    (tmp_path / "reviews.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "reviews.yaml").write_text("""
dataset: {name: files, path: reviews.jsonl}
split: {name: by-column, n_train_per_task: [6, all]}
learners: [{name: single-task, estimator: logistic}, {name: pooled, estimator: logistic}]
""")
    result = runner.invoke(app, ["train", str(tmp_path / "reviews.yaml"), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    table = json.loads((tmp_path / "runs" / "reviews" / "accuracy.json").read_text())
    assert len(table) == 4 and all(row["accuracy_mean"] == 1.0 for row in table)


def test_entry_point_smoke():
    result = subprocess.run([sys.executable, "-m", "mtl_cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "train" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "mtl_cli", "check", str(REPO_CONFIGS / "missing.yaml")], capture_output=True, text=True
    )
    assert result.returncode == 2 and result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    # the process ends with os._exit once the command is done: what it printed into a pipe still arrives whole
    result = subprocess.run([sys.executable, "-m", "mtl_cli", "check", str(REPO_CONFIGS / "quickstart.yaml"),
                             "--no-data"], capture_output=True, text=True)
    assert result.returncode == 0 and "protocol" in result.stdout and result.stdout.endswith("\n")


SHIPPED = sorted(REPO_CONFIGS.glob("*.yaml"))


def test_every_shipped_config_is_found():
    assert len(SHIPPED) >= 8


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.stem)
def test_shipped_configs_are_valid(path):
    result = runner.invoke(app, ["check", str(path), "--no-data"])
    assert result.exit_code == 0, result.output
    assert "protocol" in result.stdout


def test_check_reads_the_data_unless_told_not_to(tmp_path, newsgroups_home):
    result = runner.invoke(app, ["check", str(REPO_CONFIGS / "quickstart.yaml"), "--runs", str(tmp_path)])
    assert result.exit_code == 0, result.output
    config = tmp_path / "missing.yaml"
    config.write_text("dataset: {name: files, path: nowhere.csv}\nsplit: {name: single}\n"
                      "learners: [{name: pooled}]\n")
    result = runner.invoke(app, ["check", str(config), "--runs", str(tmp_path)])
    assert result.exit_code == 2 and "nowhere.csv: no such file" in result.stderr
    assert runner.invoke(app, ["check", str(config), "--no-data"]).exit_code == 0


def test_the_exit_status_is_pythons_own():
    from mtl_cli.cli import exit_status

    assert [exit_status(code) for code in (None, 0, 2, 1)] == [0, 0, 2, 1]
    assert exit_status("stopped") == 1  # a message is printed and the status is 1, as Python does


def test_the_command_runs_the_exit_handlers_before_it_ends(tmp_path):
    marker = tmp_path / "ran"
    script = (f"import atexit, pathlib, sys\nfrom mtl_cli import cli\n"
              f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'ran')\n"
              f"sys.argv = ['mtl', 'check', {str(REPO_CONFIGS / 'missing.yaml')!r}]\ncli.main()\n"
              f"print('not reached')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith("Error: ") and "not reached" not in result.stdout
    assert marker.read_text() == "ran"
