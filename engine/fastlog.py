"""Reading an event log that is byte for byte the one recorded: one pass, and no chain to recompute.

`store` checks a log against its hash chain line by line, which serialises every record
again (about 8 µs a line, most of the time a million-event replay takes to open). When the
file's SHA-256 is the one the manifest lists, every line is as it was written, and the
chain could only confirm what the digest already says: so here the chain's head is compared
with the manifest's `log_head`, and every other check of a line is made as `store` makes it
(a JSON object, its `seq`, a known event, no more lines than listed, no cut-off last line).

Anything unexpected gives up (`events` None) instead of saying what is wrong: `store` then
reads the log the slow way, which names the first bad line. The chain is tamper evidence,
not a signature (see `chain`): whoever rewrites events.jsonl and its digest in the manifest
could as well have recomputed every hash, so skipping it here hides nothing it would catch.

The file is read once, in blocks: a thread hashes each block (hashlib lets go of the GIL on
large buffers) while this thread parses it, and no block is kept once its events are built.
"""
from __future__ import annotations

import hashlib
import json
import json.scanner
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import chain
from . import events as ev
from .codec import event_from_dict
from .errors import ReplayError
from .limits import MAX_FILE_BYTES
from .sim import paused_gc

__all__ = ["read_recorded"]

BLOCK = 1 << 23
"""Bytes read (and hashed) at a time: large enough that hashing runs outside the GIL."""

_scan = json.scanner.make_scanner(json.JSONDecoder())  # what json.loads runs, less its checks of the text


class _GiveUp(Exception):
    """Something a line-by-line reading must judge."""


def read_recorded(path: Path, expected: int, digest: str, head: str) -> tuple[list[ev.Event] | None, str]:
    """The `expected` events of the log at `path` if its SHA-256 is `digest`, its last line's hash
    is `head` and every line reads as `store` would read it; else None. And the file's SHA-256."""
    sha = hashlib.sha256()
    events: list[ev.Event] | None = []
    rest = b""
    with path.open("rb") as handle, ThreadPoolExecutor(1) as hasher, paused_gc():
        last = None
        for block in iter(lambda: handle.read(BLOCK), b""):
            hasher.submit(sha.update, block)  # one worker: the blocks are hashed in order
            if events is None:
                continue  # the digest is still wanted
            cut = block.rfind(b"\n") + 1
            if cut:
                whole, rest = rest + block[:cut], block[cut:]
            else:
                whole, rest = b"", rest + block
            try:
                if len(rest) > MAX_FILE_BYTES:
                    raise _GiveUp
                if whole:
                    last = _read_lines(whole, events, expected)
            except _GiveUp:
                events = None
    found = sha.hexdigest()
    if events is None or rest or found != digest or len(events) != expected or not events or last != head:
        return None, found
    return events, found


def _read_lines(data: bytes, events: list[ev.Event], expected: int) -> str | None:
    """Append the events of the complete lines in `data`; the last line's claimed hash."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _GiveUp from None
    lines = text.split("\n")
    lines.pop()  # `data` ends with a line break
    if len(events) + len(lines) > expected or max(map(len, lines)) > MAX_FILE_BYTES // 4:  # 4: UTF-8's widest
        raise _GiveUp
    scan, append, seq, claimed = _scan, events.append, len(events), None
    for line in lines:
        try:
            record, end = scan(line, 0)
        except (StopIteration, ValueError, RecursionError):
            raise _GiveUp from None
        if end != len(line) or type(record) is not dict or record.get("seq") != seq:
            raise _GiveUp
        claimed = record.pop(chain.HASH, None)
        try:
            append(event_from_dict(record))
        except ReplayError:
            raise _GiveUp from None
        seq += 1
    return claimed
