"""The state timeline of a log, what each step changed, and why tension stands where it does."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

import attrs

from . import events as ev
from .project import decay, impulse, scan, tension_at
from .scenario import Model
from .sim import Log
from .state import State


@attrs.frozen(kw_only=True)
class Entry:
    """One step of a replay: an event and the state right after it."""

    event: ev.Event
    state: State
    changes: tuple[str, ...]
    """What this event changed, in words (opened, closed, seized, …)."""


@attrs.frozen(kw_only=True)
class Timeline:
    """Every state of a replay, one per event of the log."""

    log: Log
    entries: tuple[Entry, ...]

    @property
    def model(self) -> Model:
        return self.log.scenario.model

    @property
    def final(self) -> State:
        return self.entries[-1].state if self.entries else State()

    def __len__(self) -> int:
        return len(self.entries)

    def until(self, moment: dt.datetime) -> "Timeline":
        """The timeline cut after the last event at or before `moment` (its log is cut too)."""
        log = attrs.evolve(self.log, events=tuple(e for e in self.log.events if e.at <= moment))
        return attrs.evolve(self, log=log, entries=tuple(e for e in self.entries if e.event.at <= moment))

    def state_at(self, moment: dt.datetime) -> State:
        """The state in force at `moment` (the last event at or before it)."""
        before = [e.state for e in self.entries if e.event.at <= moment]
        return before[-1] if before else State()


def build(log: Log) -> Timeline:
    """Project `log` into its timeline (a scan of the reducers) with the changes of each step."""
    model = log.scenario.model
    entries, before = [], State()
    for event, after in zip(log.events, scan(log.events, model)):
        entries.append(Entry(event=event, state=after, changes=tuple(changes(before, after))))
        before = after
    return Timeline(log=log, entries=tuple(entries))


# --- what changed between two states ---

def _describe_demand(d) -> str:
    return f"{d.from_} → {d.to}: {d.what}"


_PARTS: tuple[tuple[str, str, Callable[[Any], str], Callable[[Any, Any], str | None]], ...] = (
    ("demands", "id",
     lambda d: f"demand opened: {_describe_demand(d)}",
     lambda a, b: (f"demand {b.status}: {_describe_demand(b)}" if a.status != b.status
                   else f"demand overdue: {_describe_demand(b)}" if b.overdue and not a.overdue else None)),
    ("sanctions", "id", lambda s: f"sanctions in force: {s.actor or '?'} against {s.against} ({'; '.join(s.measures)})", None),
    ("threats", "id", lambda t: f"threat: {t.actor or '?'} — {t.consequence}",
     lambda a, b: f"threat {b.status}: {b.actor or '?'} — {b.consequence}" if a.status != b.status else None),
    ("deployments", "id",
     lambda d: f"{'exercise' if d.exercise else 'deployment'}: {d.actor or '?'} in {d.region}"
               + (f", {'~' if d.estimate else ''}{d.troops:,} troops" if d.troops else "")
               + (f", {d.assets}" if d.assets else ""), None),
    ("detentions", "id", lambda d: f"detained: {d.detained}" + (f" in {d.place}" if d.place else ""), None),
    ("control", "site", lambda c: f"control: {c.site} → {c.controller}" + (" (partly)" if c.partial else ""),
     lambda a, b: f"control: {b.site} {a.controller} → {b.controller}" if a.controller != b.controller else None),
    ("talks", "id", lambda t: f"talks ({t.mode}): {', '.join(t.participants)}" + (f" in {t.place}" if t.place else ""), None),
)

_GONE = {
    "sanctions": lambda s: f"sanctions lifted: {s.against}",
    "deployments": lambda d: f"{'exercise over' if d.exercise else 'withdrawn'}: {d.actor or '?'} in {d.region}",
    "detentions": lambda d: f"released: {d.detained}",
}


def changes(before: State, after: State) -> list[str]:
    """What `after` has that `before` did not, in words, part by part."""
    out = []
    for part, key, added, changed in _PARTS:
        old = {getattr(x, key): x for x in getattr(before, part)}
        new = {getattr(x, key): x for x in getattr(after, part)}
        for k, item in new.items():
            if k not in old:
                out.append(added(item))
            elif changed is not None and item != old[k]:
                text = changed(old[k], item)
                if text:
                    out.append(text)
        for k, item in old.items():
            if k not in new:
                out.append(_GONE.get(part, lambda x: f"{part} ended")(item))
    out.extend(f"ousted: {who}" for who in after.ousted[len(before.ousted):])
    return out


# --- why: tension broken down by event ---

@attrs.frozen(kw_only=True)
class Contribution:
    """How much one event adds to tension at a moment, and on what evidence."""

    event: ev.Event
    impulse: float
    """Its Goldstein impulse, decayed to the moment."""
    condition: float
    """Steady pressure of a condition it started that is still in force."""

    @property
    def total(self) -> float:
        return self.impulse + self.condition


def _conditions(state: State, model: Model) -> dict[str, float]:
    """Which event started each condition still in force, and its weight."""
    weights: dict[str, float] = {}
    for s in state.sanctions:
        weights[s.id] = weights.get(s.id, 0.0) + model.sanctions
    for d in state.exercises:
        weights[d.id] = weights.get(d.id, 0.0) + model.exercise
    for d in state.detentions:
        weights[d.id] = weights.get(d.id, 0.0) + model.detention
    for c in state.control:
        weights[c.by] = weights.get(c.by, 0.0) + model.occupation
    return weights


def explain(timeline: Timeline, moment: dt.datetime) -> list[Contribution]:
    """Each event's share of tension at `moment`, largest first; the shares sum to the tension."""
    model = timeline.model
    state = timeline.state_at(moment)
    weights = _conditions(state, model)
    out = []
    for entry in timeline.entries:
        event = entry.event
        if event.at > moment:
            break
        share = impulse(event, model) * decay((moment - event.at).total_seconds(), model)
        out.append(Contribution(event=event, impulse=share, condition=weights.get(event.id, 0.0)))
    return sorted(out, key=lambda c: (-abs(c.total), c.event.seq))


def tension_series(timeline: Timeline, step: dt.timedelta = dt.timedelta(hours=6)) -> list[tuple[dt.datetime, float]]:
    """Tension sampled between events too (it decays continuously), plus at every event."""
    entries = timeline.entries
    if not entries:
        return []
    points: list[tuple[dt.datetime, float]] = []
    end = entries[-1].event.at
    for i, entry in enumerate(entries):
        points.append((entry.event.at, entry.state.tension))
        nxt = entries[i + 1].event.at if i + 1 < len(entries) else end
        t = entry.event.at + step
        while t < nxt:
            points.append((t, tension_at(entry.state, t, timeline.model)))
            t += step
    return points


def quotes(event: ev.Event) -> Iterable[str]:
    """The evidence of an event as printable lines."""
    for source in event.sources:
        where = source.doc or f"{source.ref} (outside the seeds)"
        yield f"{where}: \"{source.quote}\"" if source.quote else where
