"""Stable hashes of specs: the same spec gives the same key on every machine, run and worker."""

from __future__ import annotations

import hashlib
import json


def spec_hash(spec: dict, length: int = 16) -> str:
    """A stable hex hash of a JSON-able spec (sorted keys; non-JSON values by their ``str``)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
