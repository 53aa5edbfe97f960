"""Typed events: frozen attrs classes, one per scenario type, plus the engine's derived ones.

Field metadata (`kind`) tells the scenario loader how to read and check each YAML
field: an actor code, a list of them, text, a number, a date, the id of another event.
Every event carries its effective CAMEO code and Goldstein score (the type's default
unless the scenario overrides them), so the log alone explains tension.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, ClassVar

import attrs


def _f(kind: str, *, required: bool = True, yaml: str | None = None, choices: tuple = (), default=None):
    """A typed-event field: `kind` drives validation, `yaml` is the key when it differs."""
    meta = {"kind": kind, "yaml": yaml, "choices": choices, "required": required}
    if required:
        return attrs.field(metadata=meta)
    if kind in ("actors", "texts"):
        return attrs.field(factory=tuple, metadata=meta)
    return attrs.field(default=default, metadata=meta)


@attrs.frozen(kw_only=True)
class Source:
    """Evidence for an event: a quote from a seed document, or a reference outside the seeds."""

    doc: str | None = None
    """Seed file name the quote comes from."""
    ref: str | None = None
    """Publication and date, for facts from outside the seeds."""
    quote: str | None = None
    """Verbatim text (required with `doc`)."""


@attrs.frozen(kw_only=True)
class Window:
    """The span a vaguely dated event may lie in, with the words that make it vague."""

    earliest: dt.date
    latest: dt.date
    doc: str | None = None
    quote: str | None = None


@attrs.frozen(kw_only=True)
class Event:
    """Fields common to every event."""

    TYPE: ClassVar[str] = ""
    DEFAULT_CAMEO: ClassVar[str] = "010"
    DERIVED: ClassVar[bool] = False

    id: str
    """Unique id within the scenario."""
    at: dt.datetime
    """When it happened (UTC)."""
    title: str
    """Short label for timelines and plots."""
    cameo: str
    """Effective CAMEO event code."""
    goldstein: float
    """Effective Goldstein score: negative is conflict, positive cooperation."""
    sources: tuple[Source, ...] = ()
    """Evidence: quotes from seeds or outside references."""
    because: tuple[str, ...] = ()
    """Ids of earlier events that caused this one (documented causes)."""
    cause: tuple[str, ...] = ()
    """For derived events: the ids of the events the rule fired on."""
    window: Window | None = None
    """For vaguely dated events, the span the sources allow."""
    summary: str | None = None
    actor: str | None = _f("actor", required=False)
    target: str | None = _f("actor", required=False)
    # No log position here: an event is a fact of the crisis, its position a fact of one log.
    # A counterfactual puts the same documented event at another position, and a log can hold
    # the scenario's own event objects instead of copies (a million copies at a million events).

    @property
    def outside_seeds(self) -> bool:
        """True when no source quotes one of the seed documents."""
        return not self.DERIVED and not any(s.doc for s in self.sources)

    @property
    def links(self) -> tuple[str, ...]:
        """Every event this one depends on: documented causes and rule causes."""
        return self.because + self.cause


@attrs.frozen(kw_only=True)
class Ouster(Event):
    TYPE = "ouster"
    DEFAULT_CAMEO = "0831"
    ousted: str = _f("actor")
    office: str | None = _f("text", required=False)


@attrs.frozen(kw_only=True)
class Seizure(Event):
    TYPE = "seizure"
    DEFAULT_CAMEO = "192"
    site: str = _f("text")
    to: str = _f("actor")
    from_: str | None = _f("actor", required=False, yaml="from")
    region: str | None = _f("text", required=False)
    partial: bool = _f("bool", required=False, default=False)


@attrs.frozen(kw_only=True)
class Referendum(Event):
    TYPE = "referendum"
    DEFAULT_CAMEO = "12"
    region: str = _f("text")
    question: str | None = _f("text", required=False)
    result: str | None = _f("text", required=False)


@attrs.frozen(kw_only=True)
class Sanctions(Event):
    TYPE = "sanctions"
    DEFAULT_CAMEO = "163"
    against: str = _f("actor")
    measures: tuple[str, ...] = _f("texts")
    targets: tuple[str, ...] = _f("texts", required=False)


@attrs.frozen(kw_only=True)
class Threat(Event):
    TYPE = "threat"
    DEFAULT_CAMEO = "130"
    consequence: str = _f("text")
    condition: str | None = _f("event", required=False)
    condition_text: str | None = _f("text", required=False)
    by: dt.datetime | None = _f("date", required=False)


@attrs.frozen(kw_only=True)
class Demand(Event):
    TYPE = "demand"
    DEFAULT_CAMEO = "100"
    from_: str = _f("actor", yaml="from")
    to: str = _f("actor")
    what: str = _f("text")
    deadline: dt.datetime | None = _f("date", required=False)


@attrs.frozen(kw_only=True)
class DemandResolved(Event):
    TYPE = "demand_resolved"
    DEFAULT_CAMEO = "080"
    CAMEO_BY_OUTCOME: ClassVar[dict] = {"met": "080", "withdrawn": "080", "rejected": "120"}
    demand: str = _f("event")
    outcome: str = _f("choice", choices=("met", "rejected", "withdrawn"))


@attrs.frozen(kw_only=True)
class Talks(Event):
    TYPE = "talks"
    DEFAULT_CAMEO = "044"
    CAMEO_BY_MODE: ClassVar[dict] = {"meeting": "044", "call": "041"}
    mode: str = _f("choice", choices=("meeting", "call"))
    participants: tuple[str, ...] = _f("actors")
    place: str | None = _f("text", required=False)
    topic: str | None = _f("text", required=False)


@attrs.frozen(kw_only=True)
class Statement(Event):
    TYPE = "statement"
    DEFAULT_CAMEO = "010"
    CAMEO_BY_KIND: ClassVar[dict] = {
        "statement": "010", "optimistic": "013", "pessimistic": "012", "denial": "016",
        "appeal": "020", "intent_to_meet": "036", "criticism": "111", "accusation": "112",
        "rejection": "120",
    }
    kind: str = _f("choice", required=False, default="statement", choices=tuple(CAMEO_BY_KIND))


@attrs.frozen(kw_only=True)
class Deployment(Event):
    TYPE = "deployment"
    DEFAULT_CAMEO = "154"
    region: str = _f("text")
    troops: int | None = _f("int", required=False)
    assets: str | None = _f("text", required=False)
    estimate: bool = _f("bool", required=False, default=False)


@attrs.frozen(kw_only=True)
class Exercise(Event):
    TYPE = "exercise"
    DEFAULT_CAMEO = "150"
    region: str = _f("text")
    troops: int | None = _f("int", required=False)
    duration_days: float | None = _f("number", required=False)


@attrs.frozen(kw_only=True)
class Detention(Event):
    TYPE = "detention"
    DEFAULT_CAMEO = "173"
    detained: str = _f("text")
    count: int | None = _f("int", required=False)
    place: str | None = _f("text", required=False)


@attrs.frozen(kw_only=True)
class Release(Event):
    TYPE = "release"
    DEFAULT_CAMEO = "0841"
    detention: str = _f("event")


@attrs.frozen(kw_only=True)
class Aid(Event):
    TYPE = "aid"
    DEFAULT_CAMEO = "071"
    to: str = _f("actor")
    amount: str = _f("text")
    conditions: str | None = _f("text", required=False)


@attrs.frozen(kw_only=True)
class Proposal(Event):
    TYPE = "proposal"
    DEFAULT_CAMEO = "03"
    terms: tuple[str, ...] = _f("texts")


@attrs.frozen(kw_only=True)
class Agreement(Event):
    TYPE = "agreement"
    DEFAULT_CAMEO = "057"
    parties: tuple[str, ...] = _f("actors")
    terms: tuple[str, ...] = _f("texts")
    place: str | None = _f("text", required=False)


# --- derived events: emitted by the engine's rules, never written in a scenario ---


@attrs.frozen(kw_only=True)
class DeadlinePassed(Event):
    """A demand's deadline came while the demand was still open."""

    TYPE = "deadline_passed"
    DEFAULT_CAMEO = "120"
    DERIVED = True
    demand: str = _f("event")


@attrs.frozen(kw_only=True)
class ExerciseEnded(Event):
    """An exercise ran its announced duration; its steady pressure stops."""

    TYPE = "exercise_ended"
    DEFAULT_CAMEO = "010"
    DERIVED = True
    exercise: str = _f("event")


@attrs.frozen(kw_only=True)
class ThreatTriggered(Event):
    """The event a threat was conditional on happened: the consequence is now due."""

    TYPE = "threat_triggered"
    DEFAULT_CAMEO = "010"
    DERIVED = True
    threat: str = _f("event")


@attrs.frozen(kw_only=True)
class ThreatLapsed(Event):
    """A threat's `by` date passed without its condition happening."""

    TYPE = "threat_lapsed"
    DEFAULT_CAMEO = "010"
    DERIVED = True
    threat: str = _f("event")


DOCUMENTED: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (Ouster, Seizure, Referendum, Sanctions, Threat, Demand, DemandResolved, Talks,
                Statement, Deployment, Exercise, Detention, Release, Aid, Proposal, Agreement)
}
DERIVED: dict[str, type[Event]] = {
    cls.TYPE: cls for cls in (DeadlinePassed, ExerciseEnded, ThreatTriggered, ThreatLapsed)
}
ALL_TYPES: dict[str, type[Event]] = {**DOCUMENTED, **DERIVED}

COMMON_YAML_KEYS = ("id", "type", "at", "title", "summary", "sources", "window", "because",
                    "cameo", "goldstein", "actor", "target")


def maker(cls: type[Event], **defaults: Any) -> Callable[..., Event]:
    """`make(**fields)`: an event of `cls`, as `cls(**fields)` makes it, for about a third of the cost;
    `defaults` are used for the fields not given (besides the class's own defaults).

    It fills the slots through their own descriptors, in code generated once per class,
    instead of attrs' frozen `__init__` (2.4 µs for a derived event, which the engine makes
    by the hundred thousand). The event classes have no validators or converters to skip.
    """
    unknown = set(defaults) - {field.name for field in attrs.fields(cls)}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    params, body = [], ["    o = new(cls)"]
    for field in attrs.fields(cls):
        name = field.name
        scope[f"set_{name}"] = getattr(cls, name).__set__
        if name in defaults:
            scope[f"default_{name}"] = defaults[name]
            params.append(f"{name}=default_{name}")
        elif field.default is attrs.NOTHING:
            params.append(name)
        else:
            scope[f"default_{name}"] = field.default.factory() if isinstance(field.default, attrs.Factory) \
                else field.default
            params.append(f"{name}=default_{name}")
        body.append(f"    set_{name}(o, {name})")
    source = f"def make(*, {', '.join(params)}):\n" + "\n".join(body) + "\n    return o"
    exec(source, scope)  # noqa: S102  (our own field names only)
    return scope["make"]


def own_fields(cls: type[Event]) -> list[attrs.Attribute]:
    """The fields a type adds to the common ones, plus actor/target (allowed on every type)."""
    return [a for a in attrs.fields(cls) if a.metadata.get("kind")]


def yaml_key(field: attrs.Attribute) -> str:
    return field.metadata.get("yaml") or field.name


def default_cameo(event_cls: type[Event], values: dict) -> str:
    """The type's CAMEO code, refined by mode, kind or outcome where the type has them."""
    for attr, table in (("mode", "CAMEO_BY_MODE"), ("kind", "CAMEO_BY_KIND"), ("outcome", "CAMEO_BY_OUTCOME")):
        mapping = getattr(event_cls, table, None)
        if mapping and values.get(attr) in mapping:
            return mapping[values[attr]]
    return event_cls.DEFAULT_CAMEO
