"""Parameter checks with scikit-learn's phrasing: the parameter, what is allowed, what was given.

Each raises ValueError; the config loader turns it into a one-line
ConfigError naming the key. Values come from YAML, so the checks are strict
about types: ``true`` is not a number, ``"3"`` is not an integer, and NaN or
infinity is never a valid strength, tolerance or size.
"""

from __future__ import annotations

import math
import numbers


def describe(low, high, low_open: bool, integer: bool) -> str:
    kind = "an int" if integer else "a float"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"<= {high}")
    return kind + (" " + " and ".join(parts) if parts else "")


def is_number(value, integer: bool = False) -> bool:
    """A finite int (or, unless ``integer``, a finite float); bools are not numbers here."""
    if isinstance(value, bool):
        return False
    if integer:
        return isinstance(value, numbers.Integral)
    return isinstance(value, numbers.Real) and math.isfinite(value)


def check_number(owner, name: str, value, low=None, high=None, low_open=False, integer=False) -> None:
    """Raise ValueError unless ``value`` is a finite number in [low, high] (or (low, high])."""
    ok = is_number(value, integer) and (low is None or (value > low if low_open else value >= low))
    ok = ok and (high is None or value <= high)
    if not ok:
        raise ValueError(
            f"The '{name}' parameter of {owner} must be {describe(low, high, low_open, integer)}. "
            f"Got {value!r} instead."
        )


def check_numbers(owner, name: str, values, low=None, low_open=False, integer=False) -> None:
    """Raise ValueError unless ``values`` is a non-empty list of distinct numbers, each >= low (> low)."""
    kind = describe(low, None, low_open, integer)
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(
            f"The '{name}' parameter of {owner} must be a non-empty list of {kind}s. Got {values!r} instead."
        )
    for value in values:
        check_number(owner, name, value, low=low, low_open=low_open, integer=integer)
    if len(set(values)) != len(values):
        raise ValueError(f"The '{name}' parameter of {owner} lists a value twice. Got {values!r} instead.")


def check_choice(owner, name: str, value, allowed) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"The '{name}' parameter of {owner} must be one of {sorted(allowed)}. Got {value!r} instead.")


def check_bool(owner, name: str, value) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"The '{name}' parameter of {owner} must be true or false. Got {value!r} instead.")


def check_folder(name: str, value) -> None:
    """An optional folder path (None, or a string)."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"'{name}' must be a folder path, got {value!r}")
