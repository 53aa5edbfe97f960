"""The state timeline of a log, what each step changed, and why tension stands where it does."""
from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple

import attrs

from . import events as ev
from .project import decay, fold, impulse, step
from .scenario import Model
from .sim import Log
from .sim import paused_gc
from .state import EMPTY, DemandChange, Items, State, _Record

if TYPE_CHECKING:
    from .figures import Figures


class Entry(NamedTuple):
    """One step of a replay: an event and the state right after it."""

    event: ev.Event
    state: State
    changes: tuple[str, ...]
    """What this event changed, in words (opened, closed, seized, …)."""


@attrs.frozen(kw_only=True, slots=False)  # a __dict__ for the cached properties
class Timeline:
    """The state timeline of a log: a state per event, and the figures a timeline shows.

    Both are made when first read. `figures` (`engine.figures`, columns: tension, counts and
    what each event changed) is what the text and JSON timelines and the plot read, and it is
    cheap at any size. `entries` holds a full State per event, which suits replays of
    hand-written size; for logs of a million events stream through `entries(log)` (or
    `project.scan`) instead, and keep snapshots where random access is needed (`cursor`).
    `final` and `state_at` fold the events without keeping the states on the way, unless the
    entries are made already.
    """

    log: Log
    built: tuple[Entry, ...] | None = attrs.field(default=None, alias="entries", repr=False)
    """Entries given to the constructor (None: made from the log when first read)."""

    @functools.cached_property
    def entries(self) -> tuple[Entry, ...]:
        if self.built is not None:
            return self.built
        with paused_gc():
            return tuple(entries(self.log))

    @functools.cached_property
    def figures(self) -> "Figures":
        from .figures import figures  # it reads this module's words for changes

        return figures(self.log.events, self.model, self.log.columns)

    @property
    def model(self) -> Model:
        return self.log.scenario.model

    @functools.cached_property
    def final(self) -> State:
        if self.built is not None or "entries" in self.__dict__:
            return self.entries[-1].state if self.entries else EMPTY
        return fold(self.log.events, self.model)

    def __len__(self) -> int:
        return len(self.log)

    def until(self, moment: dt.datetime) -> "Timeline":
        """The timeline cut after the last event at or before `moment` (its log is cut too,
        so a recording of the cut timeline holds only the events it shows)."""
        events = tuple(e for e in self.log.events if e.at <= moment)  # a prefix: the log is in time order
        columns = self.log.columns.prefix(len(events)) if self.log.columns is not None else None
        log = attrs.evolve(self.log, events=events, columns=columns)
        return Timeline(log=log, entries=self.entries[:len(log)] if "entries" in self.__dict__ else None)

    def state_at(self, moment: dt.datetime) -> State:
        """The state in force at `moment` (the last event at or before it): read from the entries
        once they are made, else folded from the events up to it, keeping none of the states."""
        if self.built is None and "entries" not in self.__dict__:
            events = self.log.events
            return fold(events[:bisect_right(events, moment, key=_at)], self.model)
        before = [e.state for e in self.entries if e.event.at <= moment]
        return before[-1] if before else EMPTY


_at = attrgetter("at")


def build(log: Log) -> Timeline:
    """The timeline of `log`: its entries and figures are made when first read."""
    return Timeline(log=log)


def entries(log: Log, state: State = EMPTY) -> Iterator[Entry]:
    """Each event of `log` with the state after it and what it changed, one at a time.

    The way to project a long log: nothing is kept, so memory stays flat however long
    the log (`build` keeps every entry)."""
    model, before, none = log.scenario.model, state, ()
    for event in log.events:
        after = step(before, event, model)
        # inlined `Entry(…)` and the common case of `changes`: no part changed (statements, aid, …)
        yield _entry(Entry, (event, after, none if after[4] is before[4] else tuple(changes(before, after))))
        before = after


_entry = tuple.__new__


# --- what changed between two states ---

def _describe_demand(d) -> str:
    return f"{d.from_} → {d.to}: {d.what}"


def _deployment(d) -> str:
    return (f"{'exercise' if d.exercise else 'deployment'}: {d.actor or '?'} in {d.region}"
            + (f", {'~' if d.estimate else ''}{d.troops:,} troops" if d.troops else "")
            + (f", {d.assets}" if d.assets else ""))


_PARTS: tuple[tuple[str, str, Callable[[Any], str], Callable[[Any, Any], str | None]], ...] = (
    ("demands", "id",
     lambda d: f"demand opened: {_describe_demand(d)}",
     lambda a, b: (f"demand {b.status}: {_describe_demand(b)}" if a.status != b.status
                   else f"demand overdue: {_describe_demand(b)}" if b.overdue and not a.overdue else None)),
    ("sanctions", "id", lambda s: f"sanctions in force: {s.actor or '?'} against {s.against} ({'; '.join(s.measures)})", None),
    ("threats", "id", lambda t: f"threat: {t.actor or '?'} — {t.consequence}",
     lambda a, b: f"threat {b.status}: {b.actor or '?'} — {b.consequence}" if a.status != b.status else None),
    ("deployments", "id", _deployment, None),
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
    """What `after` has that `before` did not, in words, part by part.

    A part `after` shares with `before` is skipped unread, and a part made from
    `before`'s by one step is compared at the one item that step touched; only unrelated
    states are compared item by item.
    """
    out: list[str] = []
    if before[4] is after[4]:  # no part changed (statements, aid, …): the common case
        return out
    for part, key, added, changed in _PARTS:
        old_part, new_part = getattr(before, part), getattr(after, part)
        if old_part is new_part:
            continue
        if new_part.parent == old_part.serial:
            _touched(out, part, old_part, new_part)
        else:
            _compare(out, part, key, old_part, new_part, added, changed)
    old, new = before.ousted, after.ousted
    if new is not old:
        if new.parent == old.serial:
            out.append(f"ousted: {new.added()}")
        else:
            out.extend(f"ousted: {who}" for who in tuple(new)[len(old):])
    return out


def _touched(out: list[str], part: str, old_part: Items, new_part: Items) -> None:
    """The change of one step, read from the records of the one item it added, changed or removed."""
    touched = new_part.touched
    new = new_part.found(touched)
    old = old_part.found(touched) if not isinstance(touched, int) else None
    if new is None and old is None:
        return
    if type((new or old)[0]) is _Record:  # items built by hand: describe the items themselves
        _touched_items(out, part, old, new, new_part)
        return
    text = _TEXT[part]
    if old is None and new is not None:
        out.append(text.added(*new))
    elif old is not None and new is not None:
        line = text.changed(old, new) if text.changed is not None and old != new else None
        if line:
            out.append(line)
    elif old is not None:
        out.append(text.gone(*old))


def _touched_items(out: list[str], part: str, old, new, items: Items) -> None:
    _, _, added, changed = next(p for p in _PARTS if p[0] == part)
    make = items._kind.make
    old_item = make(*old) if old is not None else None
    new_item = make(*new) if new is not None else None
    if old_item is None and new_item is not None:
        out.append(added(new_item))
    elif old_item is not None and new_item is not None:
        if changed is not None and new_item != old_item:
            line = changed(old_item, new_item)
            if line:
                out.append(line)
    elif old_item is not None:
        out.append(_GONE.get(part, lambda x: f"{part} ended")(old_item))


class _Text(NamedTuple):
    """The words for one part, from an item's record and change (see `state.Kind`)."""

    added: Callable[[Any, Any], str]
    changed: Callable[[tuple, tuple], str | None] | None = None
    gone: Callable[[Any, Any], str] | None = None


def _demand_changed(old: tuple, new: tuple) -> str | None:
    (e, a), (_, b) = old, new
    a, b = a or DemandChange(), b or DemandChange()
    if a.status != b.status:
        return f"demand {b.status}: {_describe_demand(e)}"
    return f"demand overdue: {_describe_demand(e)}" if b.overdue and not a.overdue else None


def _deployment_record(e, _=None) -> str:
    exercise = e.TYPE == "exercise"
    troops, estimate, assets = e.troops, not exercise and e.estimate, None if exercise else e.assets
    return (f"{'exercise' if exercise else 'deployment'}: {e.actor or '?'} in {e.region}"
            + (f", {'~' if estimate else ''}{troops:,} troops" if troops else "")
            + (f", {assets}" if assets else ""))


def _control_changed(old: tuple, new: tuple) -> str | None:
    (a, _), (b, _) = old[0], new[0]
    return f"control: {b.site} {a.to} → {b.to}" if a.to != b.to else None


_TEXT: dict[str, _Text] = {
    "demands": _Text(lambda e, _: f"demand opened: {_describe_demand(e)}", _demand_changed),
    "sanctions": _Text(lambda e, _: f"sanctions in force: {e.actor or '?'} against {e.against} ({'; '.join(e.measures)})",
                       gone=lambda e, _: f"sanctions lifted: {e.against}"),
    "threats": _Text(lambda e, _: f"threat: {e.actor or '?'} — {e.consequence}",
                     lambda old, new: (f"threat {new[1].status}: {new[0].actor or '?'} — {new[0].consequence}"
                                       if (old[1] and old[1].status or "pending") != (new[1] and new[1].status or "pending")
                                       else None)),
    "deployments": _Text(_deployment_record, gone=lambda e, _: (
        f"{'exercise over' if e.TYPE == 'exercise' else 'withdrawn'}: {e.actor or '?'} in {e.region}")),
    "detentions": _Text(lambda e, _: f"detained: {e.detained}" + (f" in {e.place}" if e.place else ""),
                        gone=lambda e, _: f"released: {e.detained}"),
    "control": _Text(lambda r, _: f"control: {r[0].site} → {r[0].to}" + (" (partly)" if r[0].partial else ""),
                     _control_changed, lambda r, _: "control ended"),
    "talks": _Text(lambda e, _: f"talks ({e.mode}): {', '.join(e.participants)}" + (f" in {e.place}" if e.place else "")),
}


def _compare(out: list[str], part: str, key: str, old_part: Items, new_part: Items, added, changed) -> None:
    old = {getattr(x, key): x for x in old_part}
    new = {getattr(x, key): x for x in new_part}
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
    return sorted(out, key=lambda c: -abs(c.total))  # stable: ties stay in log order


def tension_series(timeline: Timeline, step: dt.timedelta = dt.timedelta(hours=6)) -> list[tuple[dt.datetime, float]]:
    """Tension sampled between events too (it decays continuously), plus at every event.

    Read from the timeline's figures: between events it is `tension_at` of the state after
    the last one, the same sum of the same numbers."""
    events = timeline.log.events
    if not events:
        return []
    figures, model = timeline.figures, timeline.model
    impulses, pressures = figures.impulse, figures.pressure
    points: list[tuple[dt.datetime, float]] = []
    end = events[-1].at
    for i, event in enumerate(events):
        at, carried, pressure = event.at, impulses[i], pressures[i]
        points.append((at, carried + pressure))
        nxt = events[i + 1].at if i + 1 < len(events) else end
        t = at + step
        while t < nxt:
            points.append((t, carried * decay((t - at).total_seconds(), model) + pressure))
            t += step
    return points


def quotes(event: ev.Event) -> Iterable[str]:
    """The evidence of an event as printable lines."""
    for source in event.sources:
        where = source.doc or f"{source.ref} (outside the seeds)"
        yield f"{where}: \"{source.quote}\"" if source.quote else where
