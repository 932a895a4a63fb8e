"""User-facing errors.

The library raises these for problems the user can fix (a bad config, missing
data, a bad argument). The CLI prints them as one line and exits with code 2;
any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib


class UserError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


class ConfigError(UserError):
    """The experiment config is invalid."""


class DataError(UserError):
    """A dataset is missing or malformed."""


class NumericalError(UserError, FloatingPointError):
    """A solver could not produce finite results from the data it was given (e.g. features of scale 1e150)."""


class FeatureShapeError(UserError, ValueError):
    """The features do not suit a learner's settings (e.g. too many dimensions for a dense d x d map)."""


class DataWarning(UserWarning):
    """Data that is usable but probably not what the user meant (a task with one class, ...)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none), for one-line errors."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def did_you_mean(given: str, allowed) -> str:
    """Return ' (did you mean 'x'?)' for the closest allowed name, or ''."""
    allowed = [str(a) for a in allowed]
    by_case = {a.lower(): a for a in allowed}
    close = difflib.get_close_matches(str(given).lower(), list(by_case), n=1)
    return f" (did you mean '{by_case[close[0]]}'?)" if close else ""


def one_of(allowed) -> str:
    """Format a set of allowed names as '{a, b, c}'."""
    return "{" + ", ".join(sorted(str(a) for a in allowed)) + "}"
