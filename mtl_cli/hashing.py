"""Stable hashes of specs: the same spec gives the same key on every machine, run and worker."""

from __future__ import annotations

import hashlib
import json


KNOWN_TEXTS: dict[str, str] = {}  # in this process: the key of each text hashed so far
KNOWN_CHARACTERS = [0]  # their total length; past MAX_KNOWN_CHARACTERS the memo starts again
MAX_KNOWN_CHARACTERS = 200_000_000


def content_keys(documents) -> list[str]:
    """The sha256 (32 hex digits) of each document's content: a text's UTF-8 bytes, or a bag's sorted
    (feature, count) pairs. Caches of per-document work are keyed on these, never on a path or index.

    A text's key is remembered in this process (every grid point asks for its whole corpus's keys).
    """
    return [text_key(document) if isinstance(document, str) else content_key(document) for document in documents]


def text_key(text: str) -> str:
    key = KNOWN_TEXTS.get(text)
    if key is None:
        if KNOWN_CHARACTERS[0] > MAX_KNOWN_CHARACTERS:
            KNOWN_TEXTS.clear()
            KNOWN_CHARACTERS[0] = 0
        key = KNOWN_TEXTS[text] = content_key(text)
        KNOWN_CHARACTERS[0] += len(text)
    return key


def content_key(document) -> str:
    return hashlib.sha256(as_bytes(document)).hexdigest()[:32]


def as_bytes(document) -> bytes:
    if isinstance(document, dict):
        return json.dumps(sorted(document.items())).encode("utf-8", "surrogatepass")
    return document.encode("utf-8", "surrogatepass")


def spec_hash(spec: dict, length: int = 16) -> str:
    """A stable hex hash of a JSON-able spec (sorted keys; non-JSON values by their ``str``)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]
