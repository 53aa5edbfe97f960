"""A loaded scenario: actors, source documents, tension model and typed events."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .events import Event

if TYPE_CHECKING:
    from .sim import Prepared


@attrs.frozen(kw_only=True)
class Actor:
    """A state, organisation, group or person taking part in the crisis."""

    code: str
    """CAMEO-style code, e.g. USA, RUS, OSCE."""
    name: str
    kind: str
    """state | organisation | group | person"""
    of: str | None = None
    """The actor this one belongs to (a minister's state), if any."""


@attrs.frozen(kw_only=True)
class Document:
    """A seed report the events quote, with the date its relative phrases resolve against."""

    doc: str
    dated: dt.date | None = None
    quote: str | None = None
    note: str | None = None


@attrs.frozen(kw_only=True)
class Model:
    """Parameters of the tension model."""

    half_life_days: float = 7.0
    """An event's impulse halves every this many days."""
    impulse_per_goldstein: float = 1.0
    """Tension added per Goldstein point of conflict (removed per point of cooperation)."""
    sanctions: float = 1.5
    """Steady pressure per sanctions package in force."""
    exercise: float = 2.0
    """Steady pressure per military exercise under way."""
    detention: float = 2.0
    """Steady pressure per detention not yet ended by a release."""
    occupation: float = 1.0
    """Steady pressure per site held since a seizure."""

    CONDITIONS = ("sanctions", "exercise", "detention", "occupation")


@attrs.frozen(kw_only=True)
class Scenario:
    """Everything a scenario file says, checked and typed."""

    id: str
    title: str
    path: Path
    seeds: Path
    model: Model
    actors: tuple[Actor, ...]
    documents: tuple[Document, ...]
    events: tuple[Event, ...]
    """Documented events in time order (file order breaks ties)."""
    digest: str = ""
    """SHA-256 of the scenario file's bytes, recorded with every replay."""
    prepared: Prepared | None = attrs.field(default=None, eq=False, repr=False)
    """What every run of its events reads the same way (`sim.prepare`), made as the file is
    loaded (`reader.load_scenario`); None: each run finds it for itself."""

    def actor(self, code: str) -> Actor:
        return next(a for a in self.actors if a.code == code)

    def event(self, event_id: str) -> Event:
        return next(e for e in self.events if e.id == event_id)

    @property
    def start(self) -> dt.datetime:
        return self.events[0].at

    @property
    def end(self) -> dt.datetime:
        return self.events[-1].at
