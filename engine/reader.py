"""Reading a scenario file: every problem at once, each as `file:line: message`.

The reader walks the YAML (with line numbers) once, collecting problems instead of
stopping at the first, and only builds a `Scenario` when there are none.
"""
from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import attrs

from . import cameo
from .dates import parse_day, parse_moment
from .errors import DateError, Problem, ScenarioError
from .events import COMMON_YAML_KEYS, DOCUMENTED, Event, Source, Window
from .events import default_cameo, own_fields, yaml_key
from .limits import MAX_FILE_BYTES, MAX_ITEMS, megabytes
from .quotes import SeedLibrary
from .scenario import Actor, Document, Model, Scenario
from .sim import prepare
from .yamlsafe import Mapping, Sequence, load_yaml

ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
ACTOR_KINDS = ("state", "organisation", "group", "person")
TOP_KEYS = ("scenario", "documents", "model", "actors", "events")
MAX_TITLE = 80


class _Reader:
    """One pass over one file; `problems` collects everything wrong."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.file = shown
        self.problems: list[Problem] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(file=self.file, line=line, message=message))

    # -- small typed getters: each reports at the value's own line and returns None on error

    def mapping(self, value: Any, line: int, what: str) -> Mapping | None:
        if isinstance(value, Mapping):
            return value
        self.problem(line, f"{what} must be a mapping of keys to values")
        return None

    def sequence(self, value: Any, line: int, what: str) -> Sequence | None:
        if isinstance(value, Sequence):
            return value
        self.problem(line, f"{what} must be a list")
        return None

    def keys(self, node: Mapping, allowed: tuple[str, ...], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.problem(node.key_lines[key], f"unknown field '{key}' in {what} (allowed: {', '.join(allowed)})")

    def text(self, node: Mapping, key: str, what: str, required: bool = True) -> str | None:
        if key not in node or node[key] is None:
            if required:
                self.problem(node.line, f"{what}: missing field '{key}'")
            return None
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.problem(node.line_of(key), f"{what}: '{key}' must be text, got {type(value).__name__}")
            return None
        return str(value)

    def number(self, node: Mapping, key: str, what: str, low: float | None = None, high: float | None = None,
               integer: bool = False) -> float | int | None:
        value = node.get(key)
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind):
            self.problem(node.line_of(key), f"{what}: '{key}' must be {'a whole number' if integer else 'a number'}, got {value!r}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.problem(node.line_of(key), f"{what}: '{key}' must be between {low} and {high}, got {value}")
            return None
        return value

    def moment(self, node: Mapping, key: str, what: str, day: bool = False):
        try:
            return (parse_day if day else parse_moment)(node.get(key))
        except DateError as exc:
            self.problem(node.line_of(key), f"{what}: '{key}': {exc}")
            return None


@contextlib.contextmanager
def file_problems(shown: str) -> Iterator[None]:
    """Turn the ways opening or reading a scenario file fails into a ScenarioError for it."""
    try:
        yield
    except FileNotFoundError:
        raise ScenarioError([Problem(file=shown, line=0, message="no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(file=shown, line=0, message="is a directory, not a scenario file")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(file=shown, line=0, message=f"not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file=shown, line=0, message=f"cannot read: {exc.strerror}")]) from None


def _read_text(path: Path, shown: str) -> str:
    with file_problems(shown), path.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)  # bounded: the path may be /dev/zero or a huge file
        if len(raw) > MAX_FILE_BYTES:
            raise ScenarioError([Problem(file=shown, line=0, message=f"too large: a scenario file may have at most "
                                                                    f"{megabytes(MAX_FILE_BYTES)}")])
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as text mode would read it


def load_scenario(path: str | Path) -> Scenario:
    """Read and check a scenario file; raise ScenarioError listing every problem."""
    scenario = _load(path)
    return attrs.evolve(scenario, prepared=prepare(scenario.events))  # once, for every run of it


def _load(path: str | Path) -> Scenario:
    shown = str(path)
    path = Path(path)
    if path.suffix == ".jsonl":  # the fast format for large scenarios, one event per line
        from .jsonl import load_jsonl
        return load_jsonl(path, shown)
    text = _read_text(path, shown)
    data, problems = load_yaml(text, shown)
    reader = _Reader(path, shown)
    reader.problems.extend(problems)
    if data is None and not problems:
        reader.problem(1, "the file is empty: expected 'scenario', 'actors' and 'events' sections")
    scenario = None
    if data is not None and reader.mapping(data, 1, "the file") is not None:  # `{}` is a mapping too
        scenario = _read(reader, data)
    if reader.problems or scenario is None:
        raise ScenarioError(reader.problems)
    return attrs.evolve(scenario, digest=hashlib.sha256(text.encode("utf-8")).hexdigest())


def read_head(r: _Reader, top: Mapping, line: int) -> tuple:
    """The `scenario:` section, documents, model and actors: what both file formats share.
    `line` is where problems of the scenario section itself are reported."""
    head = r.mapping(top.get("scenario", Mapping()), line, "'scenario'") or Mapping()
    r.keys(head, ("id", "title", "seeds"), "'scenario'")
    scenario_id = r.text(head, "id", "scenario", required=False) or r.path.stem
    if not ID.match(scenario_id):
        r.problem(head.line_of("id") if head.line else line,
                  f"scenario id '{scenario_id}' must be lowercase letters, digits and '-'")
    title = r.text(head, "title", "scenario", required=False) or scenario_id
    seeds = r.path.parent / (r.text(head, "seeds", "scenario", required=False) or "../seeds")
    library = SeedLibrary(seeds)
    return scenario_id, title, seeds, library, _documents(r, top, library), _model(r, top), _actors(r, top)


def _read(r: _Reader, top: Mapping) -> Scenario | None:
    r.keys(top, TOP_KEYS, "the file")
    scenario_id, title, seeds, library, documents, model, actors = read_head(r, top, top.line_of("scenario"))
    if "events" not in top:
        r.problem(top.line, "missing section 'events'")
        return None
    events = _events(r, top, {a.code for a in actors}, library)
    if r.problems:
        return None
    return Scenario(id=scenario_id, title=title, path=r.path, seeds=seeds, model=model, actors=tuple(actors),
                    documents=tuple(documents), events=tuple(events))


def _items(r: _Reader, top: Mapping, key: str, what: str):
    """(mapping, line) for each item of a top-level list section."""
    if key not in top or top[key] is None:
        return
    seq = r.sequence(top[key], top.line_of(key), f"'{key}'")
    if seq is not None and len(seq) > MAX_ITEMS:
        r.problem(seq.line, f"too many items in '{key}': {len(seq):,} (at most {MAX_ITEMS:,})")
        return
    for index, item in enumerate(seq or ()):
        node = r.mapping(item, seq.line_of(index), f"{what} #{index + 1}")
        if node is not None:
            yield node


def _documents(r: _Reader, top: Mapping, library: SeedLibrary) -> list[Document]:
    documents = []
    for node in _items(r, top, "documents", "document"):
        r.keys(node, ("doc", "dated", "quote", "note"), "a document")
        doc = r.text(node, "doc", "document")
        if doc is None or not _check_doc(r, library, doc, node.line_of("doc")):
            continue
        dated = r.moment(node, "dated", f"document {doc}", day=True) if "dated" in node else None
        quote = r.text(node, "quote", f"document {doc}", required=False)
        if quote is not None:
            _check_quote(r, library, doc, quote, node.line_of("quote"))
        documents.append(Document(doc=doc, dated=dated, quote=quote, note=r.text(node, "note", "document", False)))
    return documents


def _model(r: _Reader, top: Mapping) -> Model:
    node = r.mapping(top.get("model", Mapping()), top.line_of("model"), "'model'") or Mapping()
    r.keys(node, ("half_life_days", "impulse_per_goldstein", "conditions"), "'model'")
    values: dict[str, float] = {}
    if "half_life_days" in node:
        half = r.number(node, "half_life_days", "model", low=0.01, high=10_000)
        if half is not None:
            values["half_life_days"] = float(half)
    if "impulse_per_goldstein" in node:
        scale = r.number(node, "impulse_per_goldstein", "model", low=0, high=1000)
        if scale is not None:
            values["impulse_per_goldstein"] = float(scale)
    conditions = r.mapping(node.get("conditions", Mapping()), node.line_of("conditions"), "'model.conditions'") or Mapping()
    r.keys(conditions, Model.CONDITIONS, "'model.conditions'")
    for key in Model.CONDITIONS:
        if key in conditions:
            weight = r.number(conditions, key, "model.conditions", low=-1000, high=1000)
            if weight is not None:
                values[key] = float(weight)
    return Model(**values)


def _actors(r: _Reader, top: Mapping) -> list[Actor]:
    actors: dict[str, Actor] = {}
    lines: dict[str, int] = {}
    for node in _items(r, top, "actors", "actor"):
        r.keys(node, ("code", "name", "kind", "of"), "an actor")
        code = r.text(node, "code", "actor")
        name = r.text(node, "name", f"actor {code}")
        kind = r.text(node, "kind", f"actor {code}")
        if code is None or name is None or kind is None:
            continue
        if not CODE.match(code):
            r.problem(node.line_of("code"), f"actor code '{code}' must be uppercase letters, digits and '_'")
        if kind not in ACTOR_KINDS:
            r.problem(node.line_of("kind"), f"actor {code}: kind '{kind}' is not one of {', '.join(ACTOR_KINDS)}")
        if code in actors:
            r.problem(node.line_of("code"), f"duplicate actor '{code}' (first at line {lines[code]})")
            continue
        lines[code] = node.line_of("code")
        actors[code] = Actor(code=code, name=name, kind=kind, of=r.text(node, "of", "actor", required=False))
        if actors[code].of is not None:
            lines[f"of:{code}"] = node.line_of("of")
    for actor in actors.values():
        if actor.of is not None and actor.of not in actors:
            r.problem(lines[f"of:{actor.code}"], f"actor {actor.code}: 'of' names unknown actor '{actor.of}'")
    return list(actors.values())


def _check_doc(r: _Reader, library: SeedLibrary, doc: str, line: int) -> bool:
    message = library.check_name(doc)
    if message:
        r.problem(line, message)
    return message is None


def _check_quote(r: _Reader, library: SeedLibrary, doc: str, quote: str, line: int) -> None:
    if not library.contains(doc, quote):
        r.problem(line, f"quote not found in {doc}: \"{_clip(quote)}\"")


def _clip(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _sources(r: _Reader, node: Mapping, what: str, library: SeedLibrary) -> tuple[Source, ...]:
    if "sources" not in node:
        r.problem(node.line, f"{what}: missing field 'sources' (every event cites its evidence)")
        return ()
    seq = r.sequence(node["sources"], node.line_of("sources"), f"{what}: 'sources'")
    if seq is not None and not seq:
        r.problem(seq.line, f"{what}: 'sources' is empty (every event cites its evidence)")
    sources = []
    for index, item in enumerate(seq or ()):
        src = r.mapping(item, seq.line_of(index), f"{what}: source #{index + 1}")
        if src is None:
            continue
        r.keys(src, ("doc", "ref", "quote"), f"{what}: a source")
        doc = r.text(src, "doc", what, required=False)
        ref = r.text(src, "ref", what, required=False)
        quote = r.text(src, "quote", what, required=False)
        if (doc is None) == (ref is None):
            r.problem(src.line, f"{what}: a source needs exactly one of 'doc' (a seed file) or 'ref' (a publication)")
            continue
        if doc is not None:
            if quote is None:
                r.problem(src.line, f"{what}: a 'doc' source needs a verbatim 'quote'")
            elif _check_doc(r, library, doc, src.line_of("doc")):
                _check_quote(r, library, doc, quote, src.line_of("quote"))
        sources.append(Source(doc=doc, ref=ref, quote=quote))
    return tuple(sources)


def _window(r: _Reader, node: Mapping, what: str, library: SeedLibrary) -> Window | None:
    w = r.mapping(node["window"], node.line_of("window"), f"{what}: 'window'")
    if w is None:
        return None
    r.keys(w, ("earliest", "latest", "doc", "quote"), f"{what}: 'window'")
    earliest = r.moment(w, "earliest", f"{what}: window", day=True)
    latest = r.moment(w, "latest", f"{what}: window", day=True)
    doc, quote = r.text(w, "doc", what, False), r.text(w, "quote", what, False)
    if doc is not None and quote is not None and _check_doc(r, library, doc, w.line_of("doc")):
        _check_quote(r, library, doc, quote, w.line_of("quote"))
    if earliest is None or latest is None:
        return None
    if earliest > latest:
        r.problem(w.line, f"{what}: window ends ({latest}) before it starts ({earliest})")
    return Window(earliest=earliest, latest=latest, doc=doc, quote=quote)


def _field_value(r: _Reader, node: Mapping, field, what: str, actors: set[str]) -> Any:
    """Read one typed field according to its `kind` metadata; None after reporting a problem."""
    key, kind = yaml_key(field), field.metadata["kind"]
    line = node.line_of(key)
    value = node[key]

    def actor(code: Any, at_line: int) -> str | None:
        if not isinstance(code, str):
            r.problem(at_line, f"{what}: '{key}' must be an actor code, got {code!r}")
            return None
        if code not in actors:
            r.problem(at_line, f"{what}: '{key}' names unknown actor '{code}' (declare it under 'actors')")
            return None
        return code

    def listed(check: Callable[[Any, int], Any]) -> tuple | None:
        seq = r.sequence(value, line, f"{what}: '{key}'")
        if seq is None:
            return None
        if not seq:
            r.problem(line, f"{what}: '{key}' is empty")
        items = tuple(check(item, seq.line_of(i)) for i, item in enumerate(seq))
        return None if any(item is None for item in items) else items

    def text(item: Any, at_line: int) -> str | None:
        if isinstance(item, (str, int, float)) and not isinstance(item, bool):
            return str(item)
        r.problem(at_line, f"{what}: '{key}' must be text, got {item!r}")
        return None

    if kind == "actor":
        return actor(value, line)
    if kind == "actors":
        return listed(actor)
    if kind == "texts":
        return listed(text)
    if kind in ("text", "event"):
        return r.text(node, key, what)
    if kind == "int":
        return r.number(node, key, what, low=0, high=10**9, integer=True)
    if kind == "number":
        return r.number(node, key, what, low=0.001, high=36_500)
    if kind == "bool":
        if not isinstance(value, bool):
            r.problem(line, f"{what}: '{key}' must be true or false, got {value!r}")
            return None
        return value
    if kind == "date":
        return r.moment(node, key, what)
    if kind == "choice":
        choices = field.metadata["choices"]
        if value not in choices:
            r.problem(line, f"{what}: '{key}' must be one of {', '.join(choices)}, got {value!r}")
            return None
        return value
    raise AssertionError(f"unknown field kind {kind}")  # a programming error, not bad input


def _event(r: _Reader, node: Mapping, index: int, actors: set[str], library: SeedLibrary) -> Event | None:
    before = len(r.problems)
    event_id = r.text(node, "id", f"event #{index + 1}")
    what = f"event '{event_id}'" if event_id else f"event #{index + 1}"
    if event_id is not None and not ID.match(event_id):
        r.problem(node.line_of("id"), f"{what}: id must be lowercase letters, digits and '-'")
    type_name = r.text(node, "type", what)
    if type_name is None:
        return None
    cls = DOCUMENTED.get(type_name)
    if cls is None:
        r.problem(node.line_of("type"), f"{what}: unknown type '{type_name}' (known: {', '.join(sorted(DOCUMENTED))})")
        return None
    fields = own_fields(cls)
    r.keys(node, COMMON_YAML_KEYS + tuple(yaml_key(f) for f in fields if yaml_key(f) not in COMMON_YAML_KEYS),
           f"{what} of type {type_name}")
    values: dict[str, Any] = {"id": event_id, "at": r.moment(node, "at", what), "title": r.text(node, "title", what)}
    if values["title"] is not None and len(values["title"]) > MAX_TITLE:
        r.problem(node.line_of("title"), f"{what}: title is longer than {MAX_TITLE} characters")
    values["summary"] = r.text(node, "summary", what, required=False)
    values["sources"] = _sources(r, node, what, library)
    if "window" in node:
        values["window"] = _window(r, node, what, library)
        window, at = values["window"], values["at"]
        if window and at and not window.earliest <= at.date() <= window.latest:
            r.problem(node.line_of("at"), f"{what}: 'at' {at.date()} lies outside its window {window.earliest}…{window.latest}")
    if "because" in node:
        seq = r.sequence(node["because"], node.line_of("because"), f"{what}: 'because'")
        values["because"] = tuple(str(x) for x in seq or ())
    for field in fields:
        key = yaml_key(field)
        if key in node and node[key] is not None:
            values[field.name] = _field_value(r, node, field, what, actors)
        elif field.metadata["required"]:
            r.problem(node.line, f"{what}: missing field '{key}' (type {type_name} needs it)")
    values["cameo"], values["goldstein"] = _scores(r, node, what, cls, values)
    if len(r.problems) > before:
        return None
    return cls(**{k: v for k, v in values.items() if v is not None or k in ("summary", "window")})


def _scores(r: _Reader, node: Mapping, what: str, cls: type[Event], values: dict) -> tuple[str | None, float | None]:
    code = default_cameo(cls, values)
    if "cameo" in node:
        raw = node["cameo"]
        if not isinstance(raw, str) or not raw.isdigit():
            r.problem(node.line_of("cameo"), f"{what}: 'cameo' must be a quoted code such as \"0831\" (quotes keep leading zeros), got {raw!r}")
            return None, None
        code = raw
    if "goldstein" in node:
        score = r.number(node, "goldstein", what, low=-10, high=10)
        return code, None if score is None else float(score)
    score = cameo.goldstein(code)
    if score is None:
        r.problem(node.line_of("cameo"), f"{what}: CAMEO code {code} has no built-in Goldstein score; give 'goldstein' too")
    return code, score


def _id_of(node: Mapping) -> str | None:
    """An event's id as text (YAML reads `id: 2020` as a number; it is still an id)."""
    raw = node.get("id")
    return str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None


def _events(r: _Reader, top: Mapping, actors: set[str], library: SeedLibrary) -> list[Event]:
    events: list[Event] = []
    links: list[_Links] = []
    lines: dict[str, int] = {}
    for index, node in enumerate(_items(r, top, "events", "event")):
        event_id = _id_of(node)
        if event_id is not None:
            if event_id in lines:
                r.problem(node.line_of("id"), f"duplicate id '{event_id}' (first at line {lines[event_id]})")
                continue
            lines[event_id] = node.line_of("id")
            links.append(_Links.of(node, event_id))
        event = _event(r, node, index, actors, library)
        if event is not None:
            events.append(event)
    too_many = isinstance(top.get("events"), list) and len(top["events"]) > MAX_ITEMS  # reported by _items
    if not lines and isinstance(top.get("events"), list) and not too_many:
        r.problem(top.line_of("events"), "'events' is empty: a scenario needs at least one event")
    _check_links(r, links)
    return sorted(events, key=lambda e: e.at)  # stable: file order breaks ties


@attrs.frozen
class _Links:
    """What an event node says about other events, read even when the event has other problems,
    so that every problem is reported at once, each at the line of the link itself."""

    id: str
    type: object
    at: object  # a datetime, or None when the event's own date is unusable
    line: int
    because: tuple  # (id, line) pairs
    demand: tuple | None = None
    outcome: object = None
    detention: tuple | None = None
    condition: tuple | None = None

    @staticmethod
    def of(node: Mapping, event_id: str) -> "_Links":
        try:
            at = parse_moment(node.get("at"))
        except DateError:
            at = None
        raw = node.get("because")
        because = tuple((str(x), raw.line_of(i)) for i, x in enumerate(raw) if isinstance(x, (str, int))) \
            if isinstance(raw, Sequence) else ()

        def ref(key: str) -> tuple | None:
            value = node.get(key)
            return (str(value), node.line_of(key)) if isinstance(value, (str, int)) and not isinstance(value, bool) else None

        return _Links(id=event_id, type=node.get("type"), at=at, line=node.line_of("id"), because=because,
                      demand=ref("demand"), outcome=node.get("outcome"), detention=ref("detention"),
                      condition=ref("condition"))


def _check_links(r: _Reader, events: list[_Links]) -> None:
    """References between events: they must exist, point backwards, and fit the story."""
    by_id = {e.id: e for e in events}

    def ref(event: _Links, target: tuple, what: str, kind: str | None = None) -> _Links | None:
        name, line = target
        other = by_id.get(name)
        if other is None:
            r.problem(line, f"event '{event.id}': {what} names unknown event '{name}'")
            return None
        if kind is not None and other.type != kind:
            r.problem(line, f"event '{event.id}': {what} '{name}' is a {other.type}, not a {kind}")
            return None
        return other

    open_demands: dict[str, str] = {}
    held: dict[str, str] = {}
    dated = sorted((e for e in events if e.at is not None), key=lambda e: e.at)
    for event in dated + [e for e in events if e.at is None]:
        timed = event.at is not None  # order-dependent checks need the event's own date
        for cause in event.because:
            other = ref(event, cause, "'because'")
            if other is not None and timed and other.at is not None and other.at > event.at:
                r.problem(cause[1], f"event '{event.id}': 'because' names '{cause[0]}', which happens later ({other.at.date()})")
        if event.type == "demand":
            open_demands[event.id] = "open"
        elif event.type == "demand_resolved" and event.demand is not None:
            if ref(event, event.demand, "'demand'", "demand") is not None and timed:
                status = open_demands.get(event.demand[0])
                if status != "open":
                    why = "it is not made until later" if status is None else f"it was already {status}"
                    r.problem(event.demand[1], f"event '{event.id}': resolves demand '{event.demand[0]}', which is not open ({why})")
                else:
                    open_demands[event.demand[0]] = event.outcome if isinstance(event.outcome, str) else "resolved"
        elif event.type == "detention":
            held[event.id] = "held"
        elif event.type == "release" and event.detention is not None:
            if ref(event, event.detention, "'detention'", "detention") is not None and timed:
                status = held.get(event.detention[0])
                if status != "held":
                    why = "it happens later" if status is None else "they were already released"
                    r.problem(event.detention[1], f"event '{event.id}': releases detention '{event.detention[0]}', which is not in force ({why})")
                else:
                    held[event.detention[0]] = "released"
        if event.type == "threat" and event.condition is not None:
            ref(event, event.condition, "'condition'")
