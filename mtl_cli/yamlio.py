"""Reading a YAML config within bounds, so a hostile or broken file fails fast with one line.

PyYAML's safe loader never runs code, but it happily accepts duplicate
keys (the last one silently wins) and builds alias graphs whose expanded
size is exponential in the file's length (a "billion laughs" bomb: a few
hundred bytes that expand to 10^9 nodes once anything walks them). Here the
file is read at most ``MAX_BYTES``, composed into its node graph, and that
graph is measured before anything is constructed: its depth, its expanded
node count (counted with memoization, so in time linear in the graph, not
in its expansion) and its mappings' keys.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import ConfigError

MAX_BYTES = 1 << 20  # 1 MiB: configs are a few hundred bytes
MAX_DEPTH = 32
MAX_NODES = 100_000  # after expanding aliases


def node_line(node) -> int:
    return node.start_mark.line + 1


def children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_keys_unique(node, path) -> None:
    """A mapping that names a key twice is an error (YAML would keep the last silently)."""
    seen = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
            if key.value in seen:
                raise ConfigError(
                    f"{path}: line {node_line(key)}: duplicate key '{key.value}' (first at line {seen[key.value]})"
                )
            seen[key.value] = node_line(key)


def measure(root, path) -> None:
    """Check depth, expanded size, duplicate keys and self-reference of a composed YAML graph."""
    size, depth = {}, {}  # by id(node): expanded node count and nesting depth, once finished
    stack, on_stack = [(root, False)], set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_stack.discard(key)
            kids = children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > MAX_DEPTH:
                raise ConfigError(f"{path}: line {node_line(node)}: nested deeper than {MAX_DEPTH} levels")
            if size[key] > MAX_NODES:
                raise ConfigError(
                    f"{path}: line {node_line(node)}: expands to more than {MAX_NODES} values "
                    "(aliases referring to aliases?)"
                )
            continue
        if key in size:
            continue
        if key in on_stack:
            raise ConfigError(f"{path}: line {node_line(node)}: an alias refers to the value that contains it")
        if isinstance(node, yaml.MappingNode):
            check_keys_unique(node, path)
        on_stack.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children(node) if id(child) not in size)


def read_text(path: Path) -> str:
    """The file as text: at most ``MAX_BYTES``, UTF-8 (a byte-order mark is allowed)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    with open(path, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES // 1024} KiB; a config names its data, it does not hold it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def load_yaml(path: str | Path):
    """Parse a YAML config safely and within bounds; every problem is a one-line ConfigError."""
    path = Path(path)
    text = read_text(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        measure(node, path)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "?"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML at {where} ({problem})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
