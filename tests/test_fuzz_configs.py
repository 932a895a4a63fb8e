"""Property-based fuzzing of the shipped configs: whatever a mutation does, `mtl check` (and `mtl
train` on the tiny synthetic data) exits 0 or 2, never 1, and never prints a traceback."""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from mtl_cli.cli import app

runner = CliRunner()
CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))
SHIPPED = [yaml.safe_load(path.read_text()) for path in CONFIGS]
ODD_VALUES = [None, True, False, "text", "", -1, 0, 1, 2.5, -1e-9, math.nan, math.inf, 10**30, [], {}, [1, 1],
              ["a", "b"], {"grid": []}, {"grid": [1, 1]}, {"grid": [0.1, 1]}, {"grid": 3}, {"name": "x"},
              [[1, 2], [2, 3]], "all", "../x", ".cache", "a" * 300]


def paths(node, prefix=()):
    """Every (path, value) in a nested structure of dicts and lists."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, prefix + (index,))


def parent_of(root, path):
    node = root
    for step in path[:-1]:
        node = node[step]
    return node


@st.composite
def mutated_config(draw, configs=SHIPPED):
    import copy

    config = copy.deepcopy(draw(st.sampled_from(configs)))
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p, _ in paths(config) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent, last = parent_of(config, path), path[-1]
        operation = draw(st.sampled_from(["drop", "rename", "retype", "duplicate", "nest", "wrap"]))
        if operation == "drop":
            del parent[last]
        elif operation == "rename" and isinstance(last, str):
            parent[last + draw(st.sampled_from(["s", "_", "x"]))] = parent.pop(last)
        elif operation == "retype":
            parent[last] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif operation == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
        elif operation == "nest":
            parent[last] = {"grid": [parent[last]]} if draw(st.booleans()) else [parent[last]]
        elif operation == "wrap":
            parent[last] = {draw(st.sampled_from(["name", "value", "grid"])): parent[last]}
    return config


def assert_clean(result):
    assert result.exit_code in (0, 2), (result.exit_code, result.output, repr(result.exception))
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, result.stderr


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=mutated_config())
def test_check_never_crashes_on_a_mutated_config(config, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "fuzz.yaml"
    path.write_text(yaml.safe_dump(config))
    assert_clean(runner.invoke(app, ["check", str(path), "--no-data"]))


TINY = yaml.safe_load((Path(__file__).resolve().parents[1] / "configs" / "synthetic.yaml").read_text())
TINY["dataset"].update(n_tasks=3, n_features=10, n_train=40, n_test=40)
TINY["split"]["n_train_per_task"] = [10, 20]
TINY["seeds"] = [0]
TINY["n_jobs"] = 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=mutated_config(configs=[TINY]))
def test_train_never_crashes_on_a_mutated_tiny_config(config, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-train")
    path = folder / "fuzz.yaml"
    path.write_text(yaml.safe_dump(config))
    if runner.invoke(app, ["check", str(path), "--runs", str(folder / "runs")]).exit_code == 0:
        assert_clean(runner.invoke(app, ["train", str(path), "--runs", str(folder / "runs"), "-q", "--jobs", "1"]))
