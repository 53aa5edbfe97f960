"""The figures of a state timeline, in columns: one pass over a log, nothing persistent kept.

`project.scan` yields a full State after every event: persistent parts a later step
shares, which is what stepping back and forth needs, at 2–8 µs an event that changes a
part. What a timeline shows at every event is much less: tension, the counts of open
demands, sanctions, detentions and controlled sites, troops by actor, and what the
event changed, in words. Those are computed here with plain mutable accumulators, for
about 1.5 µs an event, and kept in arrays (a float or an int per event, not an object):
the rows of `timeline.json`, the text timeline and the plot are read from them.
A State at any position is still one fold away (`project.fold`, or `cursor.Replay`,
which keeps snapshots).

The reducers in `project` are the definition; this module restates them for speed, so
it must agree with them at every event of every log: `tests/test_figures.py` checks
that against `timeline.entries` on generated logs, the spring 2014 scenario and a
synthetic one. Change a reducer, and this module changes with it.
"""
from __future__ import annotations

from array import array
from typing import Iterator, Sequence

import attrs

from . import events as ev
from .project import REDUCERS
from .scenario import Model
from .timeline import _TEXT, _describe_demand, _deployment_record

SECONDS_PER_DAY = 86_400.0

_NONE: tuple[str, ...] = ()


@attrs.frozen(kw_only=True, eq=False)
class Figures:
    """Per log position: tension and the counts a timeline shows, what the event changed and
    troops by actor. Built by `figures(events, model)`.

    Troops are kept as the changes to them (a row's map is the running sum, see `rows`), and
    what an event changed as the record its words need (see `words`): made into dicts and
    strings only for the rows that are shown or written.
    """

    events: Sequence[ev.Event]
    impulse: array
    """Decayed sum of event impulses right after each event (`State.impulse`)."""
    pressure: array
    """Steady pressure of the conditions in force right after each event (`State.pressure`)."""
    open_demands: array
    sanctions: array
    detained: array
    """Detentions in force (detentions not yet released)."""
    controlled_sites: array
    touched: list
    """Per position: None where the event changed no part, `SELF` where its own fields say
    what it changed, else the record it changed (the demand a resolution closes, …)."""
    troop_moves: list[tuple[int, str, int]]
    """(position, actor, the actor's new total; 0: none left), in log order."""

    def __len__(self) -> int:
        return len(self.impulse)

    def tension(self, i: int) -> float:
        """Tension right after the event at position `i`: as `State.tension` adds it up."""
        return self.impulse[i] + self.pressure[i]

    def rows(self) -> Iterator[tuple[ev.Event, float, int, int, dict[str, int], int, int, tuple[str, ...]]]:
        """(event, tension, open demands, sanctions, troops by actor, detained, controlled sites,
        what it changed in words) at every position, in order. Positions where troops did not
        change share one dict: copy it to keep it."""
        moves = iter(self.troop_moves)
        troops: dict[str, int] = {}
        shown: dict[str, int] = {}
        move = next(moves, None)
        for i, row in enumerate(zip(self.events, self.impulse, self.pressure, self.open_demands, self.sanctions,
                                    self.detained, self.controlled_sites, self.touched)):
            if move is not None and move[0] == i:
                while move is not None and move[0] == i:
                    _, actor, total = move
                    if total:
                        troops[actor] = total
                    else:
                        troops.pop(actor, None)
                    move = next(moves, None)
                shown = dict(sorted(troops.items()))
            event, impulse, pressure, open_demands, sanctions, detained, sites, touched = row
            yield event, impulse + pressure, open_demands, sanctions, shown, detained, sites, words(event, touched)

    def row(self, i: int) -> tuple[ev.Event, float, int, int, dict[str, int], int, int, tuple[str, ...]]:
        """The row at position `i` (troops summed from the start: for a few rows, not a loop)."""
        troops: dict[str, int] = {}
        for position, actor, total in self.troop_moves:
            if position > i:
                break
            if total:
                troops[actor] = total
            else:
                troops.pop(actor, None)
        event = self.events[i]
        return (event, self.tension(i), self.open_demands[i], self.sanctions[i], dict(sorted(troops.items())),
                self.detained[i], self.controlled_sites[i], words(event, self.touched[i]))


SELF = object()
"""`Figures.touched` where an event's own fields are all its words need."""


def words(event: ev.Event, touched) -> tuple[str, ...]:
    """What `event` changed, in the timeline's words, from the record it touched."""
    if touched is None:
        return _NONE
    kind = type(event)
    if touched is SELF:
        if kind is ev.Talks:
            return (_TEXT["talks"].added(event, None),)
        if kind is ev.Demand:
            return (f"demand opened: {_describe_demand(event)}",)
        if kind is ev.Threat:
            return (_TEXT["threats"].added(event, None),)
        if kind is ev.Deployment or kind is ev.Exercise:
            return (_deployment_record(event),)
        if kind is ev.Detention:
            return (_TEXT["detentions"].added(event, None),)
        if kind is ev.Seizure:
            return (f"control: {event.site} → {event.to}" + (" (partly)" if event.partial else ""),)
        if kind is ev.Sanctions:
            return (_TEXT["sanctions"].added(event, None),)
        if kind is ev.Ouster:
            return (f"ousted: {event.ousted}",)
    elif kind is ev.DemandResolved:
        return (f"demand {event.outcome}: {_describe_demand(touched)}",)
    elif kind is ev.DeadlinePassed:
        return (f"demand overdue: {_describe_demand(touched)}",)
    elif kind is ev.ThreatTriggered or kind is ev.ThreatLapsed:
        status = "triggered" if kind is ev.ThreatTriggered else "lapsed"
        return (f"threat {status}: {touched.actor or '?'} — {touched.consequence}",)
    elif kind is ev.ExerciseEnded:
        return (f"exercise over: {touched.actor or '?'} in {touched.region}",)
    elif kind is ev.Release:
        return (f"released: {touched.detained}",)
    elif kind is ev.Seizure:
        return (f"control: {event.site} {touched.to} → {event.to}",)
    raise AssertionError(f"no words for {kind.__name__}")  # `figures` records nothing else


def figures(events: Sequence[ev.Event], model: Model) -> Figures:
    """The figures after each of `events` (a whole log, from the empty state)."""
    impulse_col, pressure_col, open_col, sanctions_col = array("d"), array("d"), array("q"), array("q")
    detained_col, control_col = array("q"), array("q")
    touched_col: list = []
    moves: list[tuple[int, str, int]] = []
    i_append, p_append, o_append, s_append = impulse_col.append, pressure_col.append, open_col.append, \
        sanctions_col.append
    d_append, c_append, w_append = detained_col.append, control_col.append, touched_col.append

    demands: dict[str, ev.Demand] = {}
    status: dict[str, str] = {}  # demand id -> status, once a resolution changed it ("open" before)
    overdue: set[str] = set()
    threats: dict[str, ev.Threat] = {}
    settled: dict[str, str] = {}  # threat id -> triggered | lapsed
    exercises: dict[str, ev.Exercise] = {}
    detentions: dict[str, ev.Detention] = {}
    control: dict[str, ev.Seizure] = {}  # site -> the seizure that holds it
    troops: dict[str, int] = {}

    half_life, scale = model.half_life_days, model.impulse_per_goldstein
    w_sanctions, w_exercise, w_detention, w_occupation = model.sanctions, model.exercise, model.detention, \
        model.occupation
    n_open = n_sanctions = n_exercises = 0
    pressure = 0.0
    carried, time = 0.0, None

    for i, event in enumerate(events):
        at = event.at
        if time is not None:
            if at < time:
                raise ValueError(f"event {event.id} at {at} comes before the state's time {time}")
            seconds = (at - time).total_seconds()
            if seconds > 0:  # as `project.scan` computes it, operation for operation: the same float
                carried *= 0.5 ** (seconds / SECONDS_PER_DAY / half_life)
        else:
            carried = 0.0
        time = at
        carried = carried + -event.goldstein * scale
        kind = type(event)
        touched = None
        if kind in _INERT:
            pass
        elif kind is ev.Talks or kind is ev.Threat or kind is ev.Ouster:
            if kind is ev.Threat:
                threats[event.id] = event
            touched = SELF
        elif kind is ev.Demand:
            demands[event.id] = event
            n_open += 1
            touched = SELF
        elif kind is ev.DemandResolved:
            demand = demands.get(event.demand)
            if demand is not None:
                old, new = status.get(event.demand, "open"), event.outcome
                status[event.demand] = new
                if old != new:
                    n_open += (new == "open") - (old == "open")
                    touched = demand
        elif kind is ev.DeadlinePassed:
            demand = demands.get(event.demand)
            if demand is not None and event.demand not in overdue:
                overdue.add(event.demand)
                touched = demand
        elif kind is ev.ThreatTriggered or kind is ev.ThreatLapsed:
            threat = threats.get(event.threat)
            if threat is not None:
                new = "triggered" if kind is ev.ThreatTriggered else "lapsed"
                if settled.get(event.threat, "pending") != new:
                    settled[event.threat] = new
                    touched = threat
        elif kind is ev.Deployment or kind is ev.Exercise:
            if kind is ev.Exercise:
                exercises[event.id] = event
                n_exercises += 1
                pressure = (w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                            + w_occupation * len(control))
            if event.troops and event.actor:
                total = troops.get(event.actor, 0) + event.troops
                troops[event.actor] = total
                moves.append((i, event.actor, total))
            touched = SELF
        elif kind is ev.ExerciseEnded:
            gone = exercises.pop(event.exercise, None)
            if gone is not None:
                n_exercises -= 1
                pressure = (w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                            + w_occupation * len(control))
                if gone.troops and gone.actor:
                    total = troops.get(gone.actor, 0) - gone.troops
                    troops[gone.actor] = total
                    moves.append((i, gone.actor, total))
                touched = gone
        elif kind is ev.Detention:
            detentions[event.id] = event
            pressure = (w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                        + w_occupation * len(control))
            touched = SELF
        elif kind is ev.Release:
            gone = detentions.pop(event.detention, None)
            if gone is not None:
                pressure = (w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                            + w_occupation * len(control))
                touched = gone
        elif kind is ev.Seizure:
            held = control.get(event.site)
            control[event.site] = event
            if held is None:
                pressure = (w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                            + w_occupation * len(control))
                touched = SELF
            elif held.to != event.to:
                touched = held
        elif kind is ev.Sanctions:
            n_sanctions += 1
            pressure = (w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                        + w_occupation * len(control))
            touched = SELF
        i_append(carried)
        p_append(pressure)
        o_append(n_open)
        s_append(n_sanctions)
        d_append(len(detentions))
        c_append(len(control))
        w_append(touched)
    return Figures(events=events, impulse=impulse_col, pressure=pressure_col, open_demands=open_col, sanctions=sanctions_col,
                   detained=detained_col, controlled_sites=control_col, touched=touched_col, troop_moves=moves)


_RESTATED = frozenset({
    ev.Talks, ev.Demand, ev.DemandResolved, ev.DeadlinePassed, ev.Threat, ev.ThreatTriggered, ev.ThreatLapsed,
    ev.Deployment, ev.Exercise, ev.ExerciseEnded, ev.Detention, ev.Release, ev.Seizure, ev.Sanctions, ev.Ouster,
})
"""The types whose reducer this module restates."""

_INERT = frozenset(cls for cls in ev.ALL_TYPES.values() if cls not in REDUCERS)
"""Types without a reducer: they change time and tension only (statements, aid, …)."""


def unrestated() -> set[type]:
    """Types with a reducer this module does not restate: a test keeps this empty."""
    return set(REDUCERS) - _RESTATED
