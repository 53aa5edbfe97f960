"""The scenario of a recorded replay whose scenario file is unchanged, without reading its events again.

A recording is the log of `simulate(load_scenario(file))`, and its manifest keeps the file's
SHA-256. The simulation appends every documented event it is given, in the scenario's order,
and changes none; so when the file still has that digest, nothing was skipped, and the log
holds as many documented events as the file has event lines (a `--until` cut or a recovered
prefix holds fewer), the scenario's events are the log's documented events. Parsing them
again is most of the time a large replay takes to open.

Only JSON Lines scenarios, the large kind, are read this way: line 1 (the header) is read
by the loader's own code, and the quotes the events cite are checked against the seeds as
the loader checks them, since the seeds may have changed since. When anything here does not
hold, `None`: the file is then loaded in full, and a problem is reported as before.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from . import events as ev
from .errors import ScenarioError
from .scenario import Scenario

__all__ = ["file_digest", "from_log"]

_BLOCK = 1 << 23
_BLANK = re.compile(rb"\n[ \t\r\x0b\x0c]*(?=\n)")
"""A line of nothing but white space (the loader skips those): not a line 1, so it follows a line break."""


def file_digest(path: Path) -> tuple[str, int] | None:
    """The SHA-256 a JSONL scenario's `digest` holds (of its bytes), and its count of event lines;
    None when the file cannot be read, or has a blank line (it would not say how many events it holds)."""
    sha, lines, tail = hashlib.sha256(), 0, b""
    try:
        with path.open("rb") as handle, ThreadPoolExecutor(1) as hasher:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                hasher.submit(sha.update, block)  # hashlib lets go of the GIL: hashed while this thread counts
                lines += block.count(b"\n")
                first = block.find(b"\n") + 1
                if _BLANK.search(tail + block[:first] if first else tail + block) or _BLANK.search(block):
                    return None  # (the first search: a blank line may straddle two blocks)
                cut = block.rfind(b"\n")
                tail = block[cut:] if cut >= 0 else tail + block
    except OSError:
        return None
    last = tail[1:] if tail.startswith(b"\n") else tail
    if last and not last.strip():
        return None
    return sha.hexdigest(), lines + (1 if last else 0) - 1


def from_log(path: Path, documented: Sequence[ev.Event], digest: str,
             cited: Collection[tuple[str, str | None]] | None = None) -> Scenario | None:
    """`load_scenario(path)` of an unchanged JSONL file whose SHA-256 is `digest` and whose events are
    `documented` (a tuple, or a sequence read lazily: kept as it is), reading only its header; None if
    the header or a quote no longer checks out. `cited`: the (doc, quote) pairs the events cite, when
    known without reading the events (see `lazylog.LazyEvents.citations`)."""
    from .jsonl import load_header
    from .reader import _check_doc, _check_quote, _Reader

    try:
        head, library = load_header(path)
    except ScenarioError:
        return None
    r = _Reader(path, str(path))
    if cited is None:
        cited = {(s.doc, s.quote) for sources in {id(e.sources): e.sources for e in documented}.values()
                 for s in sources if s.doc is not None}
        cited.update((e.window.doc, e.window.quote) for e in documented
                     if e.window is not None and e.window.doc is not None and e.window.quote is not None)
    for doc, quote in cited:
        if quote is None or not _check_doc(r, library, doc, 0):
            return None
        _check_quote(r, library, doc, quote, 0)
        if r.problems:
            return None
    return attrs.evolve(head, events=documented, digest=digest)
