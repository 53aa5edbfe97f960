"""Pure reducers: the state after an event is a function of the state before and the event.

`apply` is a singledispatch function with one case per event type (the eventsourcing
habit); `fold` projects a whole log and `scan` yields every intermediate state, which
is what stepping backwards and forwards through a replay needs.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Iterable, Iterator

import attrs

from . import events as ev
from .scenario import Model
from .state import (ControlState, DemandState, DeploymentState, DetentionState, SanctionsState, State, TalksState,
                    ThreatState)

SECONDS_PER_DAY = 86_400.0


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


def _replace(items: tuple, key: str, value: str, **changes) -> tuple:
    return tuple(attrs.evolve(x, **changes) if getattr(x, key) == value else x for x in items)


def _without(items: tuple, key: str, value: str) -> tuple:
    return tuple(x for x in items if getattr(x, key) != value)


@functools.singledispatch
def apply(event: ev.Event, state: State) -> State:
    """Type-specific change; the default (statements, talks' impulse, …) changes nothing."""
    return state


def step(state: State, event: ev.Event, model: Model) -> State:
    """The state after `event`: time, decayed impulses and pressure, then the type's own change."""
    if state.time is not None and event.at < state.time:
        raise ValueError(f"event {event.id} at {event.at} comes before the state's time {state.time}")
    carried = state.impulse * decay((event.at - state.time).total_seconds(), model) if state.time else 0.0
    after = apply(event, attrs.evolve(state, time=event.at, seq=event.seq, last=event.id,
                                      impulse=carried + impulse(event, model)))
    return attrs.evolve(after, pressure=pressure(after, model))


def fold(log: Iterable[ev.Event], model: Model, state: State = State()) -> State:
    """The state after every event of `log`."""
    for event in log:
        state = step(state, event, model)
    return state


def scan(log: Iterable[ev.Event], model: Model, state: State = State()) -> Iterator[State]:
    """Every intermediate state, one per event (toolz' accumulate, without the initial)."""
    for event in log:
        state = step(state, event, model)
        yield state


@apply.register
def _(event: ev.Ouster, state: State) -> State:
    return attrs.evolve(state, ousted=state.ousted + (event.ousted,))


@apply.register
def _(event: ev.Seizure, state: State) -> State:
    current = next((c for c in state.control if c.site == event.site), None)
    entry = ControlState(site=event.site, controller=event.to, previous=current.controller if current else event.from_,
                         since=event.at, by=event.id, partial=event.partial, region=event.region)
    return attrs.evolve(state, control=_without(state.control, "site", event.site) + (entry,))


@apply.register
def _(event: ev.Sanctions, state: State) -> State:
    entry = SanctionsState(id=event.id, actor=event.actor, against=event.against, measures=event.measures,
                           targets=event.targets, since=event.at)
    return attrs.evolve(state, sanctions=state.sanctions + (entry,))


@apply.register
def _(event: ev.Threat, state: State) -> State:
    entry = ThreatState(id=event.id, actor=event.actor, consequence=event.consequence, condition=event.condition,
                        since=event.at)
    return attrs.evolve(state, threats=state.threats + (entry,))


@apply.register
def _(event: ev.ThreatTriggered, state: State) -> State:
    return attrs.evolve(state, threats=_replace(state.threats, "id", event.threat, status="triggered"))


@apply.register
def _(event: ev.ThreatLapsed, state: State) -> State:
    return attrs.evolve(state, threats=_replace(state.threats, "id", event.threat, status="lapsed"))


@apply.register
def _(event: ev.Demand, state: State) -> State:
    entry = DemandState(id=event.id, from_=event.from_, to=event.to, what=event.what, since=event.at,
                        deadline=event.deadline)
    return attrs.evolve(state, demands=state.demands + (entry,))


@apply.register
def _(event: ev.DemandResolved, state: State) -> State:
    demands = _replace(state.demands, "id", event.demand, status=event.outcome, closed_at=event.at, closed_by=event.id)
    return attrs.evolve(state, demands=demands)


@apply.register
def _(event: ev.DeadlinePassed, state: State) -> State:
    return attrs.evolve(state, demands=_replace(state.demands, "id", event.demand, overdue=True))


@apply.register
def _(event: ev.Talks, state: State) -> State:
    entry = TalksState(id=event.id, mode=event.mode, participants=event.participants, place=event.place, at=event.at)
    return attrs.evolve(state, talks=state.talks + (entry,))


@apply.register
def _(event: ev.Deployment, state: State) -> State:
    entry = DeploymentState(id=event.id, actor=event.actor, region=event.region, troops=event.troops,
                            assets=event.assets, since=event.at, estimate=event.estimate)
    return attrs.evolve(state, deployments=state.deployments + (entry,))


@apply.register
def _(event: ev.Exercise, state: State) -> State:
    until = event.at + dt.timedelta(days=event.duration_days) if event.duration_days else None
    entry = DeploymentState(id=event.id, actor=event.actor, region=event.region, troops=event.troops, assets=None,
                            since=event.at, exercise=True, until=until)
    return attrs.evolve(state, deployments=state.deployments + (entry,))


@apply.register
def _(event: ev.ExerciseEnded, state: State) -> State:
    return attrs.evolve(state, deployments=_without(state.deployments, "id", event.exercise))


@apply.register
def _(event: ev.Detention, state: State) -> State:
    entry = DetentionState(id=event.id, actor=event.actor, detained=event.detained, count=event.count,
                           place=event.place, since=event.at)
    return attrs.evolve(state, detentions=state.detentions + (entry,))


@apply.register
def _(event: ev.Release, state: State) -> State:
    return attrs.evolve(state, detentions=_without(state.detentions, "id", event.detention))
