"""Evaluation protocols: how a cell is fitted and scored.

- ``plain``: every learner is fitted on the training posts of all tasks and
  scored on their test posts;
- ``holdout``: meta-learners learn from some tasks and are adapted to the
  held-out ones, other learners see the held-out tasks' posts only;
- ``episodic``: few-shot episodes of classes never seen in meta-training.

The experiment's split decides which one applies (``config.protocol_of``);
the runner asks for it once and never again.
"""

from .base import Protocol
from .episodic import Episodic
from .holdout import Holdout
from .plain import Plain

PROTOCOLS: dict[str, type[Protocol]] = {p.name: p for p in (Plain, Holdout, Episodic)}

__all__ = ["PROTOCOLS", "Episodic", "Holdout", "Plain", "Protocol"]
