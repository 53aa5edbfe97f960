"""Scenarios as JSON Lines: the fast format for large, generated or imported event sets.

Line 1 is the header, `{"format": 1, "scenario": {…}, "documents": […], "model": {…},
"actors": […]}` (the YAML file's sections less `events`); every further line is one event,
with the same keys as in YAML. Problems are reported as `file:line: message`, the line
being the JSONL line.

Each event first goes through a fast path compiled per type from the events' field
metadata. It accepts only what the YAML reader would accept unchanged, and builds the
same event; anything else (a wrong type, a missing field, a `window`, a number given as
text) goes through the reader's own checks, so the messages are the reader's. Quotes are
checked once per (document, quote), and repeated texts and sources are shared, which
keeps a million events within memory.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import json.scanner
import re
from operator import attrgetter
from pathlib import Path
from typing import Any, Callable

import attrs

from . import cameo
from . import events as ev
from .dates import parse_moment
from .errors import DateError, ScenarioError
from .limits import MAX_MESSAGE
from .quotes import SeedLibrary
from .reader import ID, MAX_TITLE, TOP_KEYS, _check_links, _event, _id_of, _Links, _Reader, file_problems, read_head
from .scenario import Scenario
from .sim import paused_gc
from .yamlsafe import Mapping, Sequence

FORMAT = 1
"""Version of the header line; a file says which one it is written in."""
MAX_LINE = 1 << 20
"""Longest line (bytes) read: one event is a few hundred bytes."""
MAX_EVENTS = 5_000_000
"""Most events in one JSONL scenario (the YAML reader allows far fewer)."""
HEADER_KEYS = ("format",) + tuple(k for k in TOP_KEYS if k != "events")

_scan = json.scanner.make_scanner(json.JSONDecoder())
_fromisoformat = dt.datetime.fromisoformat
_UTC_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?")


def load_jsonl(path: str | Path, shown: str | None = None) -> Scenario:
    """Read and check a JSON Lines scenario; raise ScenarioError listing every problem."""
    shown = str(path) if shown is None else shown
    path = Path(path)
    reader = _Reader(path, shown)
    with file_problems(shown):
        handle = path.open("rb")
    digest = hashlib.sha256()
    with handle, paused_gc():
        scenario = _read(reader, handle, _header(reader, handle, digest), digest)
    if reader.problems or scenario is None:
        raise ScenarioError(reader.problems)
    return Scenario(id=scenario.id, title=scenario.title, path=path, seeds=scenario.seeds, model=scenario.model,
                    actors=scenario.actors, documents=scenario.documents, events=scenario.events,
                    digest=digest.hexdigest())


def load_header(path: Path) -> tuple[Scenario, SeedLibrary]:
    """The scenario of a JSONL file as `load_jsonl` reads it, less its events (only line 1 is
    read; `digest` stays empty), and its seeds; ScenarioError when line 1 has problems."""
    reader = _Reader(path, str(path))
    with file_problems(str(path)):
        handle = path.open("rb")
    with handle:
        top = _header(reader, handle, hashlib.sha256())
    reader.keys(top, HEADER_KEYS, "the header")
    scenario_id, title, seeds, library, documents, model, actors = read_head(reader, top, 1)
    if reader.problems:
        raise ScenarioError(reader.problems)
    return Scenario(id=scenario_id, title=title, path=path, seeds=seeds, model=model, actors=tuple(actors),
                    documents=tuple(documents), events=()), library


def _header(r: _Reader, handle, digest) -> Mapping:
    """Line 1, the header, as the reader's containers; ScenarioError if it is not one."""
    first = _line(r, handle, 1, digest)
    if first is None:
        r.problem(1, "the file is empty: expected a header line, then one event per line")
        raise ScenarioError(r.problems)
    header = _parse(r, first, 1)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        if header is not None or not r.problems:
            r.problem(1, f"the first line must be the scenario header, "
                         f"{{\"format\": {FORMAT}, \"scenario\": {{…}}, \"actors\": […], …}}")
        raise ScenarioError(r.problems)
    return _located(header, 1)


def _line(r: _Reader, handle, number: int, digest) -> bytes | None:
    raw = handle.readline(MAX_LINE + 1)
    digest.update(raw)
    if len(raw) > MAX_LINE:
        r.problem(number, f"line longer than {MAX_LINE:,} bytes")
        while raw and not raw.endswith(b"\n"):  # skip the rest of it
            raw = handle.readline(MAX_LINE + 1)
            digest.update(raw)
        return b""
    return raw if raw else None


def _parse(r: _Reader, raw: bytes, number: int) -> Any:
    try:
        text = raw.decode("utf-8")
        value, end = _scan(text, 0)  # the C scanner json.loads uses, without its checks of the encoding
        if not text[end:].isspace():
            raise ValueError("extra data")
        return value
    except (StopIteration, ValueError, RecursionError):
        pass  # say what is wrong the way json.loads says it
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        r.problem(number, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        r.problem(number, f"malformed JSON: {exc.msg} (column {exc.colno})")
    except (RecursionError, ValueError):
        r.problem(number, "malformed JSON: nested too deeply")
    return None


def _located(value: Any, line: int) -> Any:
    """Plain JSON as the reader's line-carrying containers, everything on `line`."""
    if isinstance(value, dict):
        out = Mapping((k, _located(v, line)) for k, v in value.items())
        out.line = line
        out.key_lines = dict.fromkeys(out, line)
        out.value_lines = dict.fromkeys(out, line)
        return out
    if isinstance(value, list):
        seq = Sequence(_located(v, line) for v in value)
        seq.line = line
        seq.item_lines = [line] * len(seq)
        return seq
    return value


def _read(r: _Reader, handle, top: Mapping, digest) -> Scenario | None:
    r.keys(top, HEADER_KEYS, "the header")
    scenario_id, title, seeds, library, documents, model, actors = read_head(r, top, 1)
    events = _events(r, handle, {a.code: a.code for a in actors}, library, digest)
    if r.problems:
        return None
    return Scenario(id=scenario_id, title=title, path=r.path, seeds=seeds, model=model, actors=tuple(actors),
                    documents=tuple(documents), events=tuple(events))


def _events(r: _Reader, handle, actors: dict[str, str], library: SeedLibrary, digest) -> list[ev.Event]:
    fast = _FastPath(actors, library)
    codes = set(actors)
    events: list[ev.Event] = []
    lines: dict[str, int] = {}
    number = 1
    for number, data in _records(r, handle, digest):
        if len(lines) >= MAX_EVENTS:
            r.problem(number, f"too many events (at most {MAX_EVENTS:,})")
            break
        event_id = data.get("id")
        event_id = event_id if type(event_id) is str else _id_of(data)
        if event_id is not None:
            if event_id in lines:
                r.problem(number, _clip(f"duplicate id '{event_id}' (first at line {lines[event_id]})"))
                continue
            lines[event_id] = number
        event = fast(data)
        if event is None:
            event = _event(r, _located(data, number), number - 2, codes, library)
        if event is not None:
            events.append(event)
    if not lines and not r.problems:
        r.problem(max(number, 2), "no events: a scenario needs at least one event after the header")
    ordered = sorted(events, key=attrgetter("at"))  # stable: file order breaks ties
    if r.problems or not _links_hold(ordered):
        handle.seek(0)
        handle.readline(MAX_LINE + 1)  # the header
        _check_links(r, _links(r, handle, lines))
    return ordered


def _records(r: _Reader, handle, digest):
    """(line number, JSON object) for each event line; problems for the lines that are not one."""
    number = 1
    while True:
        number += 1
        raw = _line(r, handle, number, digest)
        if raw is None:
            return
        if not raw.strip():
            continue
        data = _parse(r, raw, number)
        if data is None:
            continue
        if not isinstance(data, dict):
            r.problem(number, "an event must be a JSON object")
            continue
        yield number, data


def _links_hold(events: list[ev.Event]) -> bool:
    """True when the reader's link checks would find nothing (valid events, in time order).

    A quick pass over the built events; when it says no, the reader's own checks run to
    say what is wrong, at which line."""
    seen: dict[str, ev.Event] = {e.id: e for e in events}
    state: dict[str, str] = {}
    for event in events:
        for cause in event.because:
            other = seen.get(cause)
            if other is None or other.at > event.at:
                return False
        kind = event.TYPE
        if kind in ("demand", "detention"):
            state[event.id] = "open"
        elif kind in ("demand_resolved", "release"):
            target = event.demand if kind == "demand_resolved" else event.detention
            other = seen.get(target)
            wanted = "demand" if kind == "demand_resolved" else "detention"
            if other is None or other.TYPE != wanted or state.get(target) != "open":
                return False
            state[target] = "closed"
        elif kind == "threat" and event.condition is not None and event.condition not in seen:
            return False
    return True


def _links(r: _Reader, handle, lines: dict[str, int]) -> list:
    """The reader's view of every event's links, read again from the file (only when something is wrong)."""
    out = []
    for number, data in _records(_Reader(r.path, r.file), handle, hashlib.sha256()):
        event_id = _id_of(data)
        if event_id is not None and lines.get(event_id) == number:
            node = Mapping(data)
            node.line = number
            if isinstance(data.get("because"), list):
                node["because"] = Sequence(data["because"])
                node["because"].line = number
            out.append(_Links.of(node, event_id))
    return out


def _clip(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


def _maker(cls: type[ev.Event]) -> Callable[[dict], ev.Event]:
    """`make(values)`: what `cls(**values)` builds, slot by slot (the classes have no validators
    or converters, so this is the same event, for half the cost of attrs' keyword __init__)."""
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = ["def make(v):", "    get = v.get", "    o = new(cls)"]
    for field in attrs.fields(cls):
        scope[f"set_{field.name}"] = getattr(cls, field.name).__set__
        if field.default is attrs.NOTHING:
            lines.append(f"    set_{field.name}(o, v[{field.name!r}])")
        else:
            default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
            scope[f"default_{field.name}"] = default
            lines.append(f"    set_{field.name}(o, get({field.name!r}, default_{field.name}))")
    lines.append("    return o")
    exec("\n".join(lines), scope)  # noqa: S102  (our own field names only)
    return scope["make"]


class _FastPath:
    """`self(data)` is the event the reader would build from `data`, or None to let the reader decide."""

    def __init__(self, actors: dict[str, str], library: SeedLibrary) -> None:
        self.actors = actors
        self.library = library
        self.texts: dict[str, str] = {}
        self.sources: dict[tuple, tuple[ev.Source, ...] | None] = {}
        self.days: dict[str, Any] = {}
        self.types = {name: self._compile(cls) for name, cls in ev.DOCUMENTED.items()}

    def __call__(self, data: dict) -> ev.Event | None:
        build = self.types.get(data.get("type"))  # type: ignore[arg-type]
        return build(data) if build is not None else None

    def _compile(self, cls: type[ev.Event]) -> Callable[[dict], ev.Event | None]:
        fields = ev.own_fields(cls)
        allowed = frozenset(ev.COMMON_YAML_KEYS) | {ev.yaml_key(f) for f in fields}
        checks = [(ev.yaml_key(f), f.name, self._check(f), f.metadata["required"]) for f in fields]
        default_code = None if any(hasattr(cls, t) for t in ("CAMEO_BY_MODE", "CAMEO_BY_KIND", "CAMEO_BY_OUTCOME")) \
            else cls.DEFAULT_CAMEO
        moment, sources, id_ok = self._moment, self._sources, ID.match
        missing = object()

        def build(data: dict) -> ev.Event | None:
            if not data.keys() <= allowed or "window" in data:
                return None
            event_id, title = data.get("id"), data.get("title")
            if type(event_id) is not str or not id_ok(event_id) or type(title) is not str or len(title) > MAX_TITLE:
                return None
            at = moment(data.get("at"))
            evidence = sources(data.get("sources"))
            if at is None or evidence is None:
                return None
            values: dict[str, Any] = {"id": event_id, "at": at, "title": title, "sources": evidence}
            summary = data.get("summary")
            if summary is not None:
                if type(summary) is not str:
                    return None
                values["summary"] = summary
            if "because" in data:
                because = data["because"]
                if type(because) is not list or not all(type(x) is str for x in because):
                    return None
                values["because"] = tuple(because)
            for key, name, check, required in checks:
                value = data.get(key)
                if value is None:
                    if required:
                        return None
                    continue
                value = check(value, missing)
                if value is missing:
                    return None
                values[name] = value
            code = data.get("cameo", missing)
            if code is missing:
                code = default_code or ev.default_cameo(cls, values)
            elif type(code) is not str or not code.isdigit():
                return None
            score = data.get("goldstein", missing)
            if score is missing:
                score = cameo.goldstein(code)
            elif type(score) not in (int, float) or not -10 <= score <= 10:
                return None
            if score is None:
                return None
            values["cameo"], values["goldstein"] = code, float(score)
            return make(values)

        make = _maker(cls)
        return build

    def _check(self, field) -> Callable[[Any, object], Any]:
        """The check of one field kind: the value as the event holds it, or `missing` to give up."""
        kind, actors, texts = field.metadata["kind"], self.actors, self.texts
        if kind == "actor":
            return lambda v, missing: actors.get(v, missing) if type(v) is str else missing
        if kind in ("actors", "texts"):
            pool = actors if kind == "actors" else None

            def listed(v, missing):
                if type(v) is not list or not v or not all(type(x) is str for x in v):
                    return missing
                if pool is not None:
                    return tuple(pool[x] for x in v) if all(x in pool for x in v) else missing
                return tuple(texts.setdefault(x, x) for x in v)
            return listed
        if kind in ("text", "event"):
            return lambda v, missing: texts.setdefault(v, v) if type(v) is str else missing
        if kind == "int":
            return lambda v, missing: v if type(v) is int and 0 <= v <= 10**9 else missing
        if kind == "number":
            return lambda v, missing: v if type(v) in (int, float) and 0.001 <= v <= 36_500 else missing
        if kind == "bool":
            return lambda v, missing: v if type(v) is bool else missing
        if kind == "date":
            return lambda v, missing: self._day(v, missing)
        if kind == "choice":
            choices = {c: c for c in field.metadata["choices"]}
            return lambda v, missing: choices.get(v, missing) if type(v) is str else missing
        raise AssertionError(f"unknown field kind {kind}")  # a programming error, not bad input

    def _day(self, value: Any, missing: object) -> Any:
        """Deadlines and `by` dates repeat: parsed once each."""
        if type(value) is not str:
            return missing
        moment = self.days.get(value)
        if moment is None:
            moment = self._moment(value)
            if moment is None:
                return missing
            self.days[value] = moment
        return moment

    @staticmethod
    def _moment(value: Any):
        if type(value) is not str:
            return None
        try:
            if _UTC_STAMP.fullmatch(value):  # 2030-01-01T00:00:08Z, what generators write: read in C
                return _fromisoformat(value)
            return parse_moment(value) if _STAMP.fullmatch(value) else None
        except (DateError, ValueError):
            return None

    def _sources(self, value: Any) -> tuple[ev.Source, ...] | None:
        """The sources of an event, shared with every other event citing the same ones; None to give up."""
        if type(value) is not list or not value:
            return None
        try:
            key = tuple((s.get("doc"), s.get("ref"), s.get("quote"), len(s)) for s in value)
        except AttributeError:  # an item that is not an object
            return None
        try:
            known = key in self.sources
        except TypeError:  # a list or an object where text belongs
            return None
        if known:
            return self.sources[key]
        out = []
        for doc, ref, quote, size in key:
            if size != sum(x is not None for x in (doc, ref, quote)) or (doc is None) == (ref is None) \
                    or not all(x is None or type(x) is str for x in (doc, ref, quote)):
                out = None
                break
            if doc is not None and (quote is None or self.library.check_name(doc) is not None
                                    or not self.library.contains(doc, quote)):
                out = None
                break
            out.append(ev.Source(doc=doc, ref=ref, quote=quote))
        self.sources[key] = tuple(out) if out is not None else None
        return self.sources[key]
