"""mtl report: one self-contained HTML page, checked as text and in a real headless browser."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from mtl_cli.cli import app

runner = CliRunner()
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CONFIG = """
name: small
dataset: {name: synthetic, n_tasks: 4, n_features: 20, n_train: 40, n_test: 60, seed: 3}
split: {name: by-column, n_train_per_task: [10, 40]}
featurizer: {name: none}
learners:
  - {name: single-task, estimator: logistic}
  - {name: pooled, estimator: logistic}
  - {name: shared-w, penalty: mean, alpha: 0.1}
seeds: [0, 1, 2]
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    (root / "small.yaml").write_text(CONFIG)
    result = runner.invoke(app, ["train", str(root / "small.yaml"), "--runs", str(root / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", str(root / "runs" / "small"), "--baseline", "single-task"])
    assert result.exit_code == 0, result.output
    return root / "runs" / "small" / "report.html"


def test_the_page_holds_every_part_and_needs_no_network(report):
    page = report.read_text()
    for heading in ("Test scores", "Learning curves: test accuracy", "Per-task gain over single-task",
                    "Paired comparison", "Config", "Manifest"):
        assert heading in page
    assert page.count("<svg") == 2 and "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from anywhere
    assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only in-page references (SVG clips)
    assert "pooled[estimator=logistic]" in page and "Holm" in page


def test_mistakes_are_one_line_errors(tmp_path, report):
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "no accuracy.json" in result.stderr
    result = runner.invoke(app, ["report", str(report.parent), "--baseline", "nobody"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    result = runner.invoke(app, ["report", str(report.parent), "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2 and "must end in .html" in result.stderr
    result = runner.invoke(app, ["report", str(report.parent), "--metric", "f1"])
    assert result.exit_code == 2 and "expected one of ['accuracy', 'macro_f1']" in result.stderr


def test_multi_label_categories_are_reported_by_f1(tmp_path):
    """A user's CSV whose labels list several categories ("a+b"), split into one task per category."""
    rows = ["text,label,split"]
    words = {"a": "apple apricot", "b": "banana blueberry", "c": "cherry citrus"}
    for i in range(48):
        labels = ["a", "b", "c"][i % 3: i % 3 + 1 + (i % 4 == 0)]
        part = "test" if i % 4 == 1 else "train"
        rows.append(f"{' '.join(words[x] for x in labels)} filler{i},{'+'.join(labels)},{part}")
    (tmp_path / "multi.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "multi.yaml").write_text(
        "dataset: {name: files, path: multi.csv}\nsplit: {name: categories, top: 2, n_train_per_task: [all]}\n"
        "featurizer: {name: tfidf}\nlearners: [{name: single-task}, {name: pooled}]\nseeds: [0]\n")
    result = runner.invoke(app, ["train", str(tmp_path / "multi.yaml"), "--runs", str(tmp_path / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    run = tmp_path / "runs" / "multi"
    assert "micro_f1_mean" in (run / "accuracy.csv").read_text().splitlines()[0]
    result = runner.invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    page = (run / "report.html").read_text()
    assert "Learning curves: test f1" in page and "f1 minus single-task" in page


def test_a_headless_browser_renders_it_without_console_errors(report, tmp_path):
    browser = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no Chromium here (CI installs Debian's chromium package)")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    shot = tmp_path / "report.png"
    done = subprocess.run([*flags, "--window-size=1280,1600", f"--screenshot={shot}", report.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    dom = subprocess.run([*flags, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert "Paired comparison" in dom.stdout and dom.stdout.count("<svg") == 2
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (1600, 1280)
    assert pixels[..., :3].std() > 0.05  # not blank: text, tables and figures
