"""Every learner, dataset and task split documents every parameter with its default, numpydoc style,
and the documented default is the real one."""

from __future__ import annotations

import inspect
import re

import pytest

import mtl_cli.config  # noqa: F401  (registers the learners)
from mtl_cli.registry import DATASETS, LEARNERS, SPLITS

PUBLIC_METHODS = ("fit", "predict", "score", "decision_function", "predict_proba", "meta_fit", "adapt")


def documented(doc: str) -> dict[str, str]:
    """name -> type line of a numpydoc Parameters section."""
    if "Parameters\n----------" not in doc:
        return {}
    section = doc.split("Parameters\n----------", 1)[1]
    section = re.split(r"\n\n[A-Z][a-z]+\n-{3,}", section)[0]
    return dict(re.findall(r"^(\w+) : (.+)$", section, re.M))


def numpydoc_default(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


DOCUMENTED = [*LEARNERS.items(), *DATASETS.items(), *((n, c) for n, c in SPLITS.items() if n != "single")]


@pytest.mark.parametrize("name, cls", DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_every_parameter_is_documented_with_its_default(name, cls):
    doc = inspect.getdoc(cls)
    params = documented(doc)
    for param, spec in inspect.signature(cls.__init__).parameters.items():
        if param == "self":
            continue
        assert param in params, f"{cls.__name__}: parameter {param!r} is not documented"
        assert f"default={numpydoc_default(spec.default)}" in params[param], (cls.__name__, param, params[param])


@pytest.mark.parametrize("name, cls", LEARNERS.items(), ids=[name for name, _ in LEARNERS.items()])
def test_public_methods_document_their_parameters(name, cls):
    for method in PUBLIC_METHODS:
        function = getattr(cls, method, None)
        if function is None or isinstance(function, property):
            continue
        doc = inspect.getdoc(function)
        assert doc, f"{cls.__name__}.{method} has no docstring"
        params = documented(doc)
        for param, spec in inspect.signature(function).parameters.items():
            if param == "self":
                continue
            assert param in params, f"{cls.__name__}.{method}: parameter {param!r} is not documented"
            if spec.default is not inspect.Parameter.empty:
                assert f"default={numpydoc_default(spec.default)}" in params[param], (cls.__name__, method, param)
