"""The exit-code contract on a corpus of bad inputs: exit 2, one line naming the file and key, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mtl_cli.cli import app

from bad_inputs import CASES

runner = CliRunner()


def prepare(case_id: str, tmp_path: Path) -> tuple[list[str], Path]:
    """Write the case's files; return the command line and the runs folder."""
    command, config, files, _ = CASES[case_id]
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    config_path = tmp_path / "case.yaml"
    if config is not None:
        if isinstance(config, str):
            for key, name in (("{csv}", "data.csv"), ("{jsonl}", "data.jsonl"), ("{txt}", "data.txt")):
                config = config.replace(key, str(tmp_path / name))
            config = config.encode("utf-8")
        config_path.write_bytes(config)
    runs = tmp_path / "runs"
    args = [command, str(config_path)]
    if command == "train":
        args += ["--runs", str(runs), "-q"]
    if command == "check":
        args = ["check", str(config_path), "--runs", str(runs)]
    if case_id == "arg-jobs-zero":
        args += ["--jobs", "0"]
    if case_id == "arg-runs-is-a-file":
        runs.write_text("not a folder")
    return args, runs


def test_the_corpus_is_large():
    assert len(CASES) >= 150


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_bad_input_exits_2_with_one_line(case_id, tmp_path, monkeypatch):
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "no-data-home"))  # never download
    args, runs = prepare(case_id, tmp_path)
    result = runner.invoke(app, args)
    expected = CASES[case_id][3]
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Warning:")]
    assert result.exit_code == 2, (result.exit_code, result.output, repr(result.exception))
    assert len(errors) == 1 and errors[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output
    assert expected in errors[0], errors[0]
    names_where = ("case.yaml", "data.", "--", "nowhere", str(runs))
    assert any(name in errors[0] for name in names_where), errors[0]
    # nothing was fitted
    assert not list(runs.glob("*/cells/*.json")) if runs.is_dir() else True
