"""Imports run one way: no module of mtl_cli imports one that imports it back, lazily or not."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mtl_cli"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(current: str, is_package: bool, level: int, name: str | None) -> str:
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The mtl_cli modules a file imports anywhere in it (inside functions too)."""
    current, is_package = module_name(path), path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("mtl_cli"))
        elif isinstance(node, ast.ImportFrom):
            target = resolve(current, is_package, node.level, node.module) if node.level else node.module
            if not target or not target.startswith("mtl_cli"):
                continue
            submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {target})
    return {m for m in found if m in modules and m != current}


def graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {name: imports_of(path, set(files)) for name, path in files.items()}
    # a package's __init__ re-exporting its own submodules is not a cycle with them
    return {name: {t for t in targets if not t.startswith(name + ".") or not files[name].name == "__init__.py"}
            for name, targets in edges.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle():
    edges = graph()
    assert len(edges) > 30
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges))


def test_lower_layers_never_import_the_upper_ones():
    edges = graph()
    upper = {"mtl_cli.cli", "mtl_cli.runner"}
    for module, targets in edges.items():
        if module not in upper | {"mtl_cli.__main__", "mtl_cli.worker"}:  # entry points: main process, workers
            assert not targets & upper, f"{module} imports {targets & upper}"
    for module in ("mtl_cli.learners", "mtl_cli.optim", "mtl_cli.data"):
        for name, targets in edges.items():
            if name.startswith(module):
                bad = {t for t in targets if t.startswith(("mtl_cli.protocols", "mtl_cli.prepare", "mtl_cli.config",
                                                           "mtl_cli.rundir", "mtl_cli.results"))}
                assert not bad, f"{name} imports {bad}"


def test_the_checker_finds_a_planted_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
