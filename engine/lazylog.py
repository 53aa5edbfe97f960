"""A recorded event log opened without decoding it: each event is read from its line when first used.

Decoding a log is most of what opening a replay costs (half a gigabyte of JSON and a million
events at a million lines, some 10 s), while a session looks at a few events before its first
prompt. When the log's SHA-256 is the one its manifest lists, every line is as it was
recorded, so the checks of the whole file need no decoding: the digest, the number of lines,
no cut-off last line, and the last line's hash against the manifest's `log_head`.
`open_recorded` makes those and returns the events as `LazyEvents`, an immutable sequence
that decodes a line the first time its event is asked for, with the checks `store` makes of
every line (a JSON record, its `seq`, a known event), and keeps the event.

A line can fail those checks only if the log was changed after recording and its digest in
the manifest rewritten to match: the chain, which would name the line when the replay is
opened, is recomputed by `crisis verify`, not by loading (see `store`). Such a line is
refused when it is reached, with a `TamperedReplay` naming file and line.

What opening a replay needs to know of the events is found in their lines without decoding
them: how many are documented (`Documented`, a scenario's events), and the quotes they cite
(`LazyEvents.citations`). Each line is held to what was counted in it when it is decoded.

The file is read once, in blocks of whole lines, while a thread hashes them (hashlib lets go
of the GIL). A block is let go once every event in it is decoded, so a log decoded in full
holds little more memory than one read at once.
"""
from __future__ import annotations

import hashlib
import json
import json.scanner
import re
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import index as as_index
from pathlib import Path

from . import chain
from . import events as ev
from .codec import event_from_dict
from .errors import ReplayError, TamperedReplay
from .limits import MAX_FILE_BYTES, megabytes
from .sim import paused_gc
from .state import _TupleLike as TupleValue

__all__ = ["Documented", "LazyEvents", "open_recorded"]

BLOCK = 1 << 26
"""Bytes read (and hashed) at a time. Above glibc's largest threshold for it (32 MB), each block is
mapped on its own and given back to the system when let go, not left as a hole in the heap."""
PIECE = 1 << 22
"""Bytes of a block decoded to text at a time."""

DERIVED = b'"derived": true'
"""How the line of a derived event says so (`codec.event_to_dict`, as json writes it). Inside a JSON
string a quote is escaped, so only the key itself matches: derived events are counted without decoding."""
_DERIVED = DERIVED.decode("ascii")

_scan = json.scanner.make_scanner(json.JSONDecoder())  # what json.loads runs, less its checks of the text

# The sources and window of a line, as json writes them. These stop at the first bracket, which may
# be inside a quote ("[sic]"): what they take is then not JSON, and the block is read exactly instead.
_SOURCES = re.compile(rb'"sources": (\[[^\]]*\])')
_WINDOW = re.compile(rb'"window": (\{[^}]*\})')
_KEYS = re.compile(r'"(sources|window)": ')

FOUND = (" (found when its event was first read: the log was changed after recording, and its "
         "SHA-256 in manifest.json with it; `crisis verify` checks every line's hash)")
"""The end of the message of a line refused when read: why opening the replay did not refuse it."""

Citation = tuple[str, "str | None"]
"""(doc, quote) of a source naming a seed document, or of a window quoting one."""


def open_recorded(path: Path, expected: int, digest: str, head: str) -> tuple[LazyEvents | None, str]:
    """The `expected` events of the log at `path`, undecoded, if its SHA-256 is `digest`, it has that
    many whole lines and the last one reads as an event with hash `head`; else None. And the file's SHA-256."""
    sha = hashlib.sha256()
    blocks: list[tuple[bytes, int]] = []
    lines: list[int] = []
    derived: list[int] = []
    with path.open("rb") as handle, ThreadPoolExecutor(1) as hasher:
        for data in iter(lambda: handle.read(BLOCK), b""):
            end = data.rfind(b"\n") + 1
            if not end:  # a line longer than a block (or the cut-off end of the file)
                data += handle.readline()
                end = len(data)
            elif end < len(data):
                handle.seek(end - len(data), 1)  # the next block starts with the line cut here: no copying
            hasher.submit(sha.update, memoryview(data)[:end])  # one worker: the blocks are hashed in order
            blocks.append((data, end))
            lines.append(data.count(b"\n", 0, end))
            derived.append(data.count(DERIVED, 0, end))
    found = sha.hexdigest()
    if found != digest or not expected or sum(lines) != expected:
        return None, found  # `store` reads it line by line, and names what is wrong
    last, end = blocks[-1]
    if last[end - 1:end] != b"\n":  # cut off
        return None, found
    events = LazyEvents(path, blocks, lines, derived)
    try:
        if events._claimed(expected - 1) != head:
            return None, found
    except ReplayError:
        return None, found
    return events, found


class _TupleLike(TupleValue, Sequence):
    """Equal to the tuple of its events, and hashed as it is (`state._TupleLike`): a log read
    lazily is the log read at once."""

    __slots__ = ()

    def __reduce__(self):
        return tuple, (tuple(self),)  # pickled or copied, it is the tuple it stands for


class LazyEvents(_TupleLike):
    """The events of a recorded log, each decoded from its line when first asked for, then kept.

    An immutable sequence standing for the tuple of those events: `len`, indexing (negative
    too), slices (tuples), iteration in order, `==` with tuples. A line that does not read as
    its event raises `TamperedReplay` naming file and line, whenever that event is asked for.
    Decoding is done under a lock: threads may share the log.
    """

    def __init__(self, path: Path, blocks: list[tuple[bytes, int]], lines: list[int], derived: list[int]) -> None:
        self.path = path
        self._blocks: list[bytes | None] = [data for data, _ in blocks]
        """Each block holds whole lines up to its end; None once every event in it is decoded."""
        self._ends = array("q", (end for _, end in blocks))
        self._firsts = array("q", [0])
        """The index of each block's first line, then the number of lines."""
        for count in lines:
            self._firsts.append(self._firsts[-1] + count)
        self._left = array("q", lines)
        """Lines of each block not decoded yet."""
        self._starts: list[array | None] = [None] * len(blocks)
        """Where each line of a block starts, found when one of its lines is first read on its own."""
        self._events: list[ev.Event | None] = [None] * self._firsts[-1]
        self._cited: frozenset[Citation] | None = None
        self._lock = threading.RLock()
        self.documented = self._firsts[-1] - sum(derived)
        """How many events are not derived, counted from the lines (each is held to it when decoded)."""

    def __len__(self) -> int:
        return len(self._events)

    def __repr__(self) -> str:
        return f"<LazyEvents: {len(self):,} events of {self.path}, decoded when used>"

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self._events))
            if step == 1:
                self._fill(start, stop)
                return tuple(self._events[start:stop])
            return tuple(self[i] for i in range(start, stop, step))
        try:
            event = self._events[index]  # the list takes negative indices, and refuses what is not one
        except IndexError:
            raise IndexError("log index out of range") from None
        except TypeError:
            raise TypeError(f"log indices must be integers or slices, not {type(index).__name__}") from None
        return event if event is not None else self._decode(as_index(index) % len(self._events))

    def __iter__(self) -> Iterator[ev.Event]:
        firsts = self._firsts
        for k in range(len(firsts) - 1):
            try:
                self._fill(firsts[k], firsts[k + 1])
            except ReplayError:  # the events before the bad line, then its error
                yield from (self[i] for i in range(firsts[k], firsts[k + 1]))
                continue
            yield from self._events[firsts[k]:firsts[k + 1]]

    def citations(self) -> frozenset[Citation]:
        """Every (doc, quote) the events cite, found in their lines without decoding them (json wrote
        them, so a pattern finds each). The scenario's events (`Documented`) are held to it: one
        citing anything else is refused when they are picked out."""
        with self._lock:
            if self._cited is None:
                found: set[Citation] = set()
                for k, block in enumerate(self._blocks):
                    if block is None:  # decoded in full: their events say it
                        for event in self._events[self._firsts[k]:self._firsts[k + 1]]:
                            found.update(_cited_by(event))
                    else:
                        found.update(_cited_in(block, self._ends[k]))
                self._cited = frozenset(found)
            return self._cited

    # --- decoding

    def _fill(self, start: int, stop: int) -> None:
        """Decode lines `start` to `stop` (not included), a block at a time."""
        k = bisect_right(self._firsts, start) - 1
        while start < stop:
            end = min(stop, self._firsts[k + 1])
            self._decode_lines(k, start, end)
            start, k = end, k + 1

    def _decode_lines(self, k: int, start: int, stop: int) -> None:
        """The events of lines `start` to `stop` (in block `k`) not decoded yet, read as text a piece of
        some megabytes at a time: a line on its own costs some microseconds more."""
        with self._lock, paused_gc():  # a million long-lived objects: see sim.paused_gc
            block = self._blocks[k]
            if block is None:
                return
            first = self._firsts[k]
            if start == first and stop == self._firsts[k + 1]:
                at, end = 0, self._ends[k]
            else:
                starts = self._index(k)
                at, end = starts[start - first], starts[stop - first]
            events, quick, view, i, new = self._events, self._quick, memoryview(block), start, 0
            try:
                while at < end:
                    cut = block.find(b"\n", min(at + PIECE, end - 1)) + 1
                    try:
                        text = str(view[at:cut], "utf-8")
                    except UnicodeDecodeError:  # line by line: the bad one raises
                        count = block.count(b"\n", at, cut)
                        for j in range(i, i + count):
                            self[j]
                        i, at = i + count, cut
                        continue
                    lines = text.split("\n")
                    lines.pop()  # the piece ends with a line break
                    derived = 0
                    for line in lines:
                        event = events[i]
                        if event is None:
                            event = quick(line, i)
                            if event is None:
                                event = self._checked(i)[0]
                            events[i] = event
                            new += 1
                        derived += event.DERIVED
                        i += 1
                    if text.count(_DERIVED) != derived:  # one count for the piece; rarely, the line to blame
                        for j, line in enumerate(lines, i - len(lines)):
                            if line.count(_DERIVED) != events[j].DERIVED:
                                events[j], new = None, new - 1
                                self._checked(j)  # raises
                    at = cut
            finally:
                self._left[k] -= new
                if not self._left[k]:
                    self._let_go(k)

    def _decode(self, i: int) -> ev.Event:
        """The event of line `i + 1` on its own."""
        with self._lock:
            event = self._events[i]
            if event is None:
                raw = self._line(i)
                try:
                    event = self._quick(raw[:-1].decode("utf-8"), i)
                except UnicodeDecodeError:
                    event = None
                if event is None or raw.count(DERIVED) != event.DERIVED:
                    event = self._checked(i)[0]
                self._keep(i, event)
            return event

    def _claimed(self, i: int) -> str | None:
        """The hash line `i + 1` claims, decoding its event (not decoded yet)."""
        with self._lock:
            event, claimed = self._checked(i)
            self._keep(i, event)
            return claimed

    def _quick(self, line: str, i: int) -> ev.Event | None:
        """The event on a line that reads as recorded; None for anything `_checked` must judge.
        (Its derived mark is compared by the caller.)"""
        if len(line) > MAX_FILE_BYTES // 4:  # 4: UTF-8's widest
            return None
        try:
            record, end = _scan(line, 0)
        except (StopIteration, ValueError, RecursionError):
            return None
        if end != len(line) or type(record) is not dict or record.get("seq") != i:
            return None
        record.pop(chain.HASH, None)
        try:
            return event_from_dict(record)
        except ReplayError:
            return None

    def _checked(self, i: int) -> tuple[ev.Event, str | None]:
        """The event on line `i + 1` and the hash it claims, read as `store` reads a line (less the
        chain, and with its derived mark); TamperedReplay naming the line for what is wrong."""
        raw, number = self._line(i), i + 1
        if len(raw) > MAX_FILE_BYTES:
            raise self._refused(i, f"line {number} is longer than {megabytes(MAX_FILE_BYTES)}")
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            record = None
        if not isinstance(record, dict):
            raise self._refused(i, f"line {number} is not a JSON record")
        claimed = record.pop(chain.HASH, None)
        if record.get("seq") != i:
            raise self._refused(i, f"line {number} has seq {record.get('seq')!r}, expected {i}")
        try:
            event = event_from_dict(record)
        except ReplayError as exc:
            raise self._refused(i, exc.message) from None
        marks = raw.count(DERIVED)
        if marks != event.DERIVED:
            kind = "derived" if event.DERIVED else "documented"
            raise self._refused(i, f"line {number} says {_DERIVED} {marks} times, for a {kind} {event.TYPE} event")
        return event, claimed

    def _refused(self, i: int, message: str) -> TamperedReplay:
        return TamperedReplay(message + FOUND, file=str(self.path), line=i + 1)

    # --- the blocks

    def _keep(self, i: int, event: ev.Event) -> None:
        self._events[i] = event
        k = bisect_right(self._firsts, i) - 1
        self._left[k] -= 1
        if not self._left[k]:
            self._let_go(k)

    def _let_go(self, k: int) -> None:
        self._blocks[k] = self._starts[k] = None

    def _line(self, i: int) -> bytes:
        """Line `i + 1`, with its line break (its block is still held: not all its events are decoded)."""
        k = bisect_right(self._firsts, i) - 1
        block, end = self._blocks[k], self._ends[k]
        if self._starts[k] is None and i == self._firsts[k + 1] - 1:  # the last (opening reads the log's one)
            return block[block.rfind(b"\n", 0, end - 1) + 1:end]
        starts, j = self._index(k), i - self._firsts[k]
        return block[starts[j]:starts[j + 1]]

    def _index(self, k: int) -> array:
        """Where each line of block `k` starts, and its end last."""
        starts = self._starts[k]
        if starts is None:
            block, end = self._blocks[k], self._ends[k]
            starts = array("q", [0])
            find, add = block.find, starts.append
            at = find(b"\n", 0, end)
            while at >= 0:
                add(at + 1)
                at = find(b"\n", at + 1, end)
            self._starts[k] = starts
        return starts


class Documented(_TupleLike):
    """The documented events of a `LazyEvents` (those not derived), in order: a scenario's events.

    Its length is known from the lines; the events are picked out, decoding the whole log,
    the first time one is asked for. If the quotes the log cites were checked when it was
    opened (`LazyEvents.citations`), an event citing another is refused then.
    """

    def __init__(self, log: LazyEvents) -> None:
        self._log = log
        self._events: tuple[ev.Event, ...] | None = None

    def __len__(self) -> int:
        return self._log.documented

    def __repr__(self) -> str:
        return f"<Documented: {len(self):,} events of {self._log.path}, decoded when used>"

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self) -> Iterator[ev.Event]:
        return iter(self._all())

    def _all(self) -> tuple[ev.Event, ...]:
        if self._events is None:
            log, cited, seen = self._log, self._log._cited, {}
            picked = []
            for i, event in enumerate(log):
                if event.DERIVED:
                    continue
                sources = event.sources
                if cited is not None and (seen.get(id(sources)) is not sources or event.window is not None):
                    if not all(c in cited for c in _cited_by(event)):
                        raise log._refused(i, f"line {i + 1} cites a quote that was not among those found in the "
                                              "log, and checked against the seeds, when it was opened")
                    seen[id(sources)] = sources  # most events share theirs (see codec); kept, so no other takes its id
                picked.append(event)
            self._events = tuple(picked)
        return self._events


# --- what the lines cite ----------------------------------------------------------------------------

def _cited_by(event: ev.Event) -> Iterator[Citation]:
    for source in event.sources:
        if source.doc is not None:
            yield source.doc, source.quote
    window = event.window
    if window is not None and window.doc is not None and window.quote is not None:
        yield window.doc, window.quote


def _cited_in(block: bytes, end: int) -> set[Citation]:
    """What the lines of `block` (up to `end`) cite, by the patterns; exactly, with the JSON scanner,
    if a pattern was cut short."""
    try:
        sources = [json.loads(raw) for raw in set(_SOURCES.findall(block, 0, end))]
        windows = [json.loads(raw) for raw in set(_WINDOW.findall(block, 0, end))]
    except (UnicodeDecodeError, ValueError, RecursionError):
        with memoryview(block) as view:
            text = str(view[:end], "utf-8", "surrogateescape")
        sources, windows = [], []
        for match in _KEYS.finditer(text):
            try:
                value = _scan(text, match.end())[0]
            except (StopIteration, ValueError, RecursionError):
                continue
            (sources if match.group(1) == "sources" else windows).append(value)
    found: set[Citation] = set()
    for value in sources:
        for source in value if type(value) is list else ():
            doc, quote = (source.get("doc"), source.get("quote")) if type(source) is dict else (None, None)
            if type(doc) is str and (quote is None or type(quote) is str):
                found.add((doc, quote))
    for window in windows:
        doc, quote = (window.get("doc"), window.get("quote")) if type(window) is dict else (None, None)
        if type(doc) is str and type(quote) is str:
            found.add((doc, quote))
    return found
