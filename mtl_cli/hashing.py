"""Stable hashes of specs: the same spec gives the same key on every machine, run and worker."""

from __future__ import annotations

import hashlib
import json


def content_keys(documents) -> list[str]:
    """The sha256 (32 hex digits) of each document's content: a text's UTF-8 bytes, or a bag's sorted
    (feature, count) pairs. Caches of per-document work are keyed on these, never on a path or index."""
    return [hashlib.sha256(as_bytes(document)).hexdigest()[:32] for document in documents]


def as_bytes(document) -> bytes:
    if isinstance(document, dict):
        return json.dumps(sorted(document.items())).encode("utf-8", "surrogatepass")
    return document.encode("utf-8", "surrogatepass")


def spec_hash(spec: dict, length: int = 16) -> str:
    """A stable hex hash of a JSON-able spec (sorted keys; non-JSON values by their ``str``)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
