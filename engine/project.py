"""Pure reducers: the state after an event is a function of the state before and the event.

There is one reducer per event type that changes a part of the state (the eventsourcing
habit), registered with `@reducer`; `fold` projects a whole log and `scan` yields every
intermediate state, which is what stepping backwards and forwards through a replay needs.
States are persistent (see `state.Items`): a step shares everything it does not change
with the state before, so a million steps cost a million small steps, not a million copies.
"""
from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Callable, Iterable, Iterator

import immutables

from . import events as ev
from .scenario import Model
from .sim import paused_gc
from .state import EMPTY, DemandChange, Items, Parts, State, ThreatChange, _Record

SECONDS_PER_DAY = 86_400.0

Reducer = Callable[[ev.Event, Parts, Model], Parts]
"""A type's own change: the parts after the event, from the parts before (never changed in place)."""
REDUCERS: dict[type[ev.Event], Reducer] = {}
"""Event type -> its reducer; types without one (statements, aid, …) change only time and tension."""

_state = tuple.__new__
_parts = tuple.__new__


def reducer(cls: type[ev.Event]) -> Callable[[Reducer], Reducer]:
    """Register the reducer of an event type."""
    def register(fn: Reducer) -> Reducer:
        REDUCERS[cls] = fn
        return fn
    return register


def decay(seconds: float, model: Model) -> float:
    """Fraction of an impulse left after `seconds` (halves every half-life)."""
    return 0.5 ** (seconds / SECONDS_PER_DAY / model.half_life_days) if seconds > 0 else 1.0


def impulse(event: ev.Event, model: Model) -> float:
    """Tension an event adds when it happens: conflict (negative Goldstein) raises it."""
    return -event.goldstein * model.impulse_per_goldstein


def pressure(state: State, model: Model) -> float:
    """Steady pressure of the conditions in force in `state`."""
    return (model.sanctions * len(state.sanctions)
            + model.exercise * len(state.exercises)
            + model.detention * len(state.detentions)
            + model.occupation * len(state.control))


def tension_at(state: State, moment: dt.datetime, model: Model) -> float:
    """Tension at `moment` (not before `state.time`): impulses keep decaying, pressure holds."""
    if state.time is None:
        return 0.0
    return state.impulse * decay((moment - state.time).total_seconds(), model) + state.pressure


def apply(event: ev.Event, state: State) -> State:
    """The type-specific change alone (time and impulse untouched), with the model's default weights."""
    change = REDUCERS.get(type(event))
    if change is None:
        return state
    return _state(State, (state.time, state.seq, state.last, state.impulse, change(event, state[4], Model())))


def step(state: State, event: ev.Event, model: Model) -> State:
    """The state after `event`, the log's next event: time, decayed impulses and pressure, then the
    type's own change. Its `seq` is the state's plus one: positions are the log's, not the events'."""
    time, carried, parts = state[0], state[3], state[4]
    at = event.at
    if time is not None:
        if at < time:
            raise ValueError(f"event {event.id} at {at} comes before the state's time {time}")
        seconds = (at - time).total_seconds()
        if seconds > 0:  # inlined `decay`: this runs once per event of every log
            carried *= 0.5 ** (seconds / SECONDS_PER_DAY / model.half_life_days)
    else:
        carried = 0.0
    change = REDUCERS.get(type(event))
    if change is not None:
        parts = change(event, parts, model)
    elif parts[12] is not model:  # weighed with another model, or built by hand
        parts = _with(parts, 0, parts[0], model)
    return _state(State, (at, state[1] + 1, event.id, carried + -event.goldstein * model.impulse_per_goldstein, parts))


def fold(log: Iterable[ev.Event], model: Model, state: State = EMPTY) -> State:
    """The state after every event of `log` (with the cyclic GC paused: see `sim.paused_gc`)."""
    with paused_gc():
        last = deque(scan(log, model, state), maxlen=1)
    return last[0] if last else state


def scan(log: Iterable[ev.Event], model: Model, state: State = EMPTY) -> Iterator[State]:
    """Every intermediate state, one per event (toolz' accumulate, without the initial).

    `step`, inlined for performance: this loop is what projecting a long log costs.
    """
    reducers, half_life, scale = REDUCERS.get, model.half_life_days, model.impulse_per_goldstein
    time, seq, carried, parts = state[0], state[1], state[3], state[4]
    for event in log:
        at = event.at
        if time is not None:
            if at < time:
                raise ValueError(f"event {event.id} at {at} comes before the state's time {time}")
            seconds = (at - time).total_seconds()
            if seconds > 0:
                carried *= 0.5 ** (seconds / SECONDS_PER_DAY / half_life)
        else:
            carried = 0.0
        change = reducers(type(event))
        if change is not None:
            parts = change(event, parts, model)
        elif parts[12] is not model:
            parts = _with(parts, 0, parts[0], model)
        carried = carried + -event.goldstein * scale
        time, seq = at, seq + 1
        yield _state(State, (at, seq, event.id, carried, parts))


# --- the reducers: each returns new parts (see `state.Parts`), with the pressure recomputed ------


def _with(parts: Parts, index: int, part: Items, model: Model, open_: int | None = None, exercises: int | None = None,
          troops: dict | None = None) -> Parts:
    p = list(parts)
    p[index] = part
    if open_ is not None:
        p[9] = open_
    if exercises is not None:
        p[10] = exercises
    if troops is not None:
        p[11] = troops
    if index in (0, 2, 4, 5, 6) or p[12] is not model:  # a condition may have started or ended
        p[0] = (model.sanctions * len(p[2]) + model.exercise * p[10] + model.detention * len(p[5])
                + model.occupation * len(p[6]))
        p[12] = model
    return _parts(Parts, p)


def _troops(troops: immutables.Map, actor: str | None, number: int | None, sign: int) -> immutables.Map | None:
    if not number or not actor:
        return None
    total = troops.get(actor, 0) + sign * number
    return troops.set(actor, total) if total else troops.delete(actor)


@reducer(ev.Ouster)
def _(event: ev.Ouster, parts: Parts, model: Model) -> Parts:
    return _with(parts, 8, parts[8]._add(event.ousted, None), model)


@reducer(ev.Seizure)
def _(event: ev.Seizure, parts: Parts, model: Model) -> Parts:
    control: Items = parts[6]
    current = control._record(event.site)
    if current is None:
        return _with(parts, 6, control._add((event, event.from_), event.site), model)
    pos, record, _ = current
    previous = record[0].to if type(record) is tuple else record.item.controller
    return _with(parts, 6, control._add((event, previous), event.site, drop=pos), model)


@reducer(ev.Sanctions)
def _(event: ev.Sanctions, parts: Parts, model: Model) -> Parts:
    return _with(parts, 2, parts[2]._add(event, None), model)


@reducer(ev.Threat)
def _(event: ev.Threat, parts: Parts, model: Model) -> Parts:
    return _with(parts, 3, parts[3]._add(event, event.id), model)


@reducer(ev.ThreatTriggered)
def _(event: ev.ThreatTriggered, parts: Parts, model: Model) -> Parts:
    return _with(parts, 3, parts[3]._change(event.threat, ThreatChange("triggered")), model)


@reducer(ev.ThreatLapsed)
def _(event: ev.ThreatLapsed, parts: Parts, model: Model) -> Parts:
    return _with(parts, 3, parts[3]._change(event.threat, ThreatChange("lapsed")), model)


@reducer(ev.Demand)
def _(event: ev.Demand, parts: Parts, model: Model) -> Parts:
    return _with(parts, 1, parts[1]._add(event, event.id), model, open_=parts[9] + 1)


def _demand_change(parts: Parts, demand: str) -> DemandChange | None:
    found = parts[1]._record(demand)
    if found is None:
        return None
    _, record, change = found
    if change is not None:
        return change
    if type(record) is not ev.Demand:  # an item built by hand
        item = record.item
        return DemandChange(item.status, item.overdue, item.closed_at, item.closed_by)
    return _OPEN


_OPEN = DemandChange()


@reducer(ev.DemandResolved)
def _(event: ev.DemandResolved, parts: Parts, model: Model) -> Parts:
    old = _demand_change(parts, event.demand)
    if old is None:
        return parts
    new = DemandChange(event.outcome, old.overdue, event.at, event.id)
    open_ = parts[9] - (old.status == "open") + (new.status == "open")
    return _with(parts, 1, parts[1]._change(event.demand, new), model, open_=open_)


@reducer(ev.DeadlinePassed)
def _(event: ev.DeadlinePassed, parts: Parts, model: Model) -> Parts:
    old = _demand_change(parts, event.demand)
    if old is None:
        return parts
    return _with(parts, 1, parts[1]._change(event.demand, old._replace(overdue=True)), model)


@reducer(ev.Talks)
def _(event: ev.Talks, parts: Parts, model: Model) -> Parts:
    return _with(parts, 7, parts[7]._add(event, None), model)


@reducer(ev.Deployment)
def _(event: ev.Deployment, parts: Parts, model: Model) -> Parts:
    return _with(parts, 4, parts[4]._add(event, None), model,
                 troops=_troops(parts[11], event.actor, event.troops, +1))


@reducer(ev.Exercise)
def _(event: ev.Exercise, parts: Parts, model: Model) -> Parts:
    return _with(parts, 4, parts[4]._add(event, event.id), model, exercises=parts[10] + 1,
                 troops=_troops(parts[11], event.actor, event.troops, +1))


@reducer(ev.ExerciseEnded)
def _(event: ev.ExerciseEnded, parts: Parts, model: Model) -> Parts:
    found = parts[4].found(event.exercise)
    if found is None:
        return parts
    gone = found[0].item if type(found[0]) is _Record else found[0]
    exercise = gone.exercise if type(found[0]) is _Record else gone.TYPE == "exercise"
    return _with(parts, 4, parts[4]._remove(event.exercise), model, exercises=parts[10] - exercise,
                 troops=_troops(parts[11], gone.actor, gone.troops, -1))


@reducer(ev.Detention)
def _(event: ev.Detention, parts: Parts, model: Model) -> Parts:
    return _with(parts, 5, parts[5]._add(event, event.id), model)


@reducer(ev.Release)
def _(event: ev.Release, parts: Parts, model: Model) -> Parts:
    return _with(parts, 5, parts[5]._remove(event.detention), model)
