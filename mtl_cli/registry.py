"""Name -> class registries, one per kind of component.

A component class is registered with a decorator::

    @LEARNERS.register("single-task")
    class SingleTaskClassifier: ...

Its configurable parameters are the keyword arguments of its ``__init__``.
"""

from __future__ import annotations

import inspect

from .errors import ConfigError, did_you_mean, one_of


class Registry:
    """A mapping from config names to component classes."""

    def __init__(self, kind: str):
        self.kind = kind
        self._classes: dict[str, type] = {}

    def register(self, name: str):
        def decorator(cls):
            if name in self._classes:
                raise ValueError(f"{self.kind} '{name}' is already registered")
            self._classes[name] = cls
            return cls

        return decorator

    def unregister(self, name: str) -> None:
        self._classes.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._classes)

    def get(self, name: str, where: str = "") -> type:
        """The class registered as ``name``; a ConfigError naming the choices if none."""
        if name not in self._classes:
            prefix = f"{where}: " if where else ""
            raise ConfigError(
                f"{prefix}unknown {self.kind} '{name}', expected one of "
                f"{one_of(self._classes)}{did_you_mean(name, self._classes)}"
            )
        return self._classes[name]

    def items(self):
        return sorted(self._classes.items())


def init_parameters(cls) -> dict[str, object]:
    """The keyword parameters of ``cls.__init__`` with their defaults."""
    params = inspect.signature(cls.__init__).parameters
    return {
        name: (p.default if p.default is not inspect.Parameter.empty else None)
        for name, p in params.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def check_keys(given: dict, allowed, where: str) -> None:
    """Raise a ConfigError for the first key of ``given`` not in ``allowed``."""
    for key in given:
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown parameter '{key}', expected one of "
                f"{one_of(allowed)}{did_you_mean(key, allowed)}"
            )


def summary(cls) -> str:
    """First line of a class's docstring."""
    doc = inspect.getdoc(cls) or ""
    return doc.splitlines()[0] if doc else ""


DATASETS = Registry("dataset")
SPLITS = Registry("task split")
FEATURIZERS = Registry("featurizer")
LEARNERS = Registry("learner")
