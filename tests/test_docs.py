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
    quickstart = [body for _, source, _, body in readme if source == "runs/quickstart/accuracy.md"]
    assert len(quickstart) == 1
    train(config_module.load(REPO / "configs" / "quickstart.yaml"), tmp_path, n_jobs=2)
    assert quickstart[0] == table_of((tmp_path / "quickstart" / "accuracy.md").read_text())


def test_readme_synthetic_table_is_what_the_config_gives(tmp_path):
    readme = blocks((REPO / "README.md").read_text())
    synthetic = [body for _, source, _, body in readme if source == "runs/synthetic/accuracy.md"]
    assert len(synthetic) == 1
    train(config_module.load(REPO / "configs" / "synthetic.yaml"), tmp_path, n_jobs=1)
    assert synthetic[0] == table_of((tmp_path / "synthetic" / "accuracy.md").read_text())


PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_every_mean_and_interval_in_the_prose_is_in_a_generated_table():
    from update_tables import prose_numbers

    for page in PAGES:
        text = page.read_text()
        generated = "".join(body for *_, body in blocks(text))
        missing = {n for n in prose_numbers(text) if n.lstrip("+−-") not in generated}
        assert not missing, f"{page.name}: typed numbers not in any generated table: {sorted(missing)}"


def test_the_readme_counts_the_bad_input_corpus_and_the_fuzzer_as_they_are():
    import re

    from bad_inputs import CASES

    from test_fuzz_configs import test_check_never_crashes_on_a_mutated_config as fuzzer

    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"A corpus of {len(CASES)} bad configs" in readme
    runs = int(re.search(r"mutates the shipped configs ([\d,]+) times", readme).group(1).replace(",", ""))
    assert runs == fuzzer._hypothesis_internal_use_settings.max_examples


def test_the_benchmarks_page_types_no_timing_and_each_table_has_a_script():
    """Its figures are copied from what the scripts wrote (make bench); none is typed in the prose."""
    import re

    from update_tables import BLOCK

    text = (REPO / "docs" / "benchmarks.md").read_text()
    timing = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s?(?:s|ms|x|%|posts/s|episodes/s|min|minutes)(?!\w)")
    assert timing.findall(BLOCK.sub("", text)) == []
    scripts = "".join(path.read_text() for path in (REPO / "benchmarks").glob("*.py"))
    sources = {source for _, source, _, _ in blocks(text)}
    assert sources and all(source.startswith("runs/benchmarks/") for source in sources)
    for source in sources:
        assert f'Measured("{Path(source).stem}")' in scripts, source


def test_docs_pages_are_linked_from_the_readme():
    readme = (REPO / "README.md").read_text()
    for page in (REPO / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name


def test_the_readme_command_table_matches_the_cli():
    import re

    import typer.main

    from mtl_cli.cli import app

    group = typer.main.get_command(app)
    commands = {name: cmd for name, cmd in group.commands.items() if name != "data"}
    commands.update({f"data {name}": cmd for name, cmd in group.commands["data"].commands.items()})
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Commands"):readme.index("Exit codes:")]
    rows = re.findall(r"^\| `mtl ([a-z ]+?)(?: [A-Z\[].*?)?` \|", table, re.M)
    assert sorted(rows) == sorted(commands)
    for line in table.splitlines():
        match = re.match(r"^\| `mtl ([a-z ]+?)(?: [A-Z\[].*?)?` \|", line)
        if match:
            options = set(re.findall(r"(--[a-z-]+)", line.split("|")[1]))
            params = commands[match.group(1)].params
            declared = {opt for param in params for opt in [*param.opts, *param.secondary_opts]}
            assert options <= declared, (match.group(1), options - declared)
