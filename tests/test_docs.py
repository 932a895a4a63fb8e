"""The README's measured tables are those the runs write (docs/update_tables.py keeps them so)."""

from __future__ import annotations

import sys
from pathlib import Path

from mtl_cli import config as config_module
from mtl_cli.runner import train

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "docs"))

from update_tables import blocks, table_of  # noqa: E402


def test_readme_quickstart_table_is_what_make_run_gives(tmp_path, newsgroups_home):
    readme = blocks((REPO / "README.md").read_text())
    quickstart = [body for source, body in readme if source == "runs/quickstart/accuracy.md"]
    assert len(quickstart) == 1
    train(config_module.load(REPO / "configs" / "quickstart.yaml"), tmp_path, n_jobs=2)
    assert quickstart[0] == table_of((tmp_path / "quickstart" / "accuracy.md").read_text())


def test_readme_synthetic_table_is_what_the_config_gives(tmp_path):
    readme = blocks((REPO / "README.md").read_text())
    synthetic = [body for source, body in readme if source == "runs/synthetic/accuracy.md"]
    assert len(synthetic) == 1
    train(config_module.load(REPO / "configs" / "synthetic.yaml"), tmp_path, n_jobs=1)
    assert synthetic[0] == table_of((tmp_path / "synthetic" / "accuracy.md").read_text())
