"""The hash chain of a recorded event log: every line vouches for all the lines before it.

Line n carries `hash = sha256(hash of line n-1 + "\\n" + canonical JSON of line n without
its hash)`. The chain starts from a value derived from the scenario file's SHA-256, and
the manifest records the last hash, so an edited, dropped, reordered or added line, a
cut-off log or a log from another scenario shows at the first line that differs.

This is tamper evidence, not a signature: whoever can rewrite the whole folder can
recompute every hash. It catches damage and edits, not a determined forger.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

HASH = "hash"
"""The field of each log line that carries its chain hash (always the last field)."""


def genesis(scenario_sha256: str) -> str:
    """The hash the chain starts from: it ties the log to the scenario it was replayed from."""
    return hashlib.sha256(f"crisis event log, format 2, scenario {scenario_sha256}".encode("ascii")).hexdigest()


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash covers: independent of key order, spacing and escaping in the file."""
    body = {k: v for k, v in record.items() if k != HASH}
    return _CANONICAL(body).encode("ascii")


# Made once: json.dumps with any non-default option builds a new encoder per call, a third of
# the cost of a short record (one per event of every recording and every verification).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


def link(previous: str, record: dict[str, Any]) -> str:
    """The hash of `record`, following the line whose hash is `previous`."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(record)).hexdigest()
