"""The figures of a state timeline, in columns: one pass over a log, nothing persistent kept.

`project.scan` yields a full State after every event: persistent parts a later step
shares, which is what stepping back and forth needs, at 2–8 µs an event that changes a
part. What a timeline shows at every event is much less: tension, the counts of open
demands, sanctions, detentions and controlled sites, troops by actor, and what the
event changed, in words. Those are computed here with plain mutable accumulators, for
about a microsecond an event, and kept in arrays (impulses per event, counts where they
change): the rows of `timeline.json`, the text timeline and the plot are read from them.
A State at any position is still one fold away (`project.fold`, or `cursor.Replay`,
which keeps snapshots).

The reducers in `project` are the definition; this module restates them for speed, so
it must agree with them at every event of every log: `tests/test_figures.py` checks
that against `timeline.entries` on generated logs, the spring 2014 scenario and a
synthetic one. Change a reducer, and this module changes with it.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Sequence
from itertools import compress, count, repeat
from operator import add
from typing import Iterator

import attrs

from . import events as ev
from .columns import Columns, kind_table
from .project import REDUCERS, SECONDS_PER_DAY
from .scenario import Model
from .sim import paused_gc
from .timeline import _TEXT, _describe_demand

_NONE: tuple[str, ...] = ()


class Steps(Sequence):
    """A value per log position, kept only where it changes (a count changes at a few events
    in ten): `positions` where it changed, `values` what it became; `initial` before any."""

    __slots__ = ("positions", "values", "initial", "length")

    def __init__(self, positions: array, values: array, initial: float | int, length: int) -> None:
        self.positions, self.values, self.initial, self.length = positions, values, initial, length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self.length))]
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError("position out of range")
        k = bisect_right(self.positions, i) - 1
        return self.values[k] if k >= 0 else self.initial

    def __iter__(self) -> Iterator:
        value, done = self.initial, 0
        for position, new in zip(self.positions, self.values):
            yield from repeat(value, position - done)
            value, done = new, position
        yield from repeat(value, self.length - done)


@attrs.frozen(kw_only=True, eq=False)
class Figures:
    """Per log position: tension and the counts a timeline shows, what the event changed and
    troops by actor. Built by `figures(events, model)`.

    Impulses are kept per event (they decay at every one); pressure and counts where they
    change (`Steps`), troops as the changes to them (a row's map is the running sum, see
    `rows`), and what an event changed as the record its words need (see `words`): made into
    dicts and strings only for the rows that are shown or written.
    """

    events: Sequence[ev.Event]
    impulse: array
    """Decayed sum of event impulses right after each event (`State.impulse`)."""
    pressure: Steps
    """Steady pressure of the conditions in force right after each event (`State.pressure`)."""
    open_demands: Steps
    sanctions: Steps
    detained: Steps
    """Detentions in force (detentions not yet released)."""
    controlled_sites: Steps
    touched: list
    """Per position, for the types whose events may change nothing or change another's record:
    None where the event changed no part, `SELF` where a seizure took a site no one held, else
    the record it changed (the demand a resolution closes, …). The other types' events always
    change what their own fields say (see `words`): their entries are None."""
    troop_moves: list[tuple[int, str, int]]
    """(position, actor, the actor's new total; 0: none left), in log order."""

    def __len__(self) -> int:
        return len(self.impulse)

    def tension(self, i: int) -> float:
        """Tension right after the event at position `i`: as `State.tension` adds it up."""
        return self.impulse[i] + self.pressure[i]

    def tensions(self) -> Iterator[float]:
        """`tension(i)` at every position, in order."""
        return map(add, self.impulse, self.pressure)

    def rows(self) -> Iterator[tuple[ev.Event, float, int, int, dict[str, int], int, int, tuple[str, ...]]]:
        """(event, tension, open demands, sanctions, troops by actor, detained, controlled sites,
        what it changed in words) at every position, in order. Positions where troops did not
        change share one dict: copy it to keep it."""
        moves = iter(self.troop_moves)
        troops: dict[str, int] = {}
        shown: dict[str, int] = {}
        move = next(moves, None)
        for i, row in enumerate(zip(self.events, self.tensions(), self.open_demands, self.sanctions,
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
            event, tension, open_demands, sanctions, detained, sites, touched = row
            yield event, tension, open_demands, sanctions, shown, detained, sites, words(event, touched)

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
"""`Figures.touched` where a seizure took a site no one held: its own fields are all its words need."""


def words(event: ev.Event, touched) -> tuple[str, ...]:
    """What `event` changed, in the timeline's words: from its own fields for the types whose
    every event changes something (`_OWN`), else from the record it touched (None: nothing)."""
    kind = type(event)
    if kind in _OWN:
        if kind is ev.Talks:
            return (_TEXT["talks"].added(event, None),)
        if kind is ev.Demand:
            return (_TEXT["demands"].added(event, None),)
        if kind is ev.Threat:
            return (_TEXT["threats"].added(event, None),)
        if kind is ev.Deployment or kind is ev.Exercise:
            return (_TEXT["deployments"].added(event, None),)
        if kind is ev.Detention:
            return (_TEXT["detentions"].added(event, None),)
        if kind is ev.Sanctions:
            return (_TEXT["sanctions"].added(event, None),)
        return (f"ousted: {event.ousted}",)
    if touched is None:
        return _NONE
    if kind is ev.Seizure:
        if touched is SELF:
            return (_TEXT["control"].added((event, None), None),)
        return (_TEXT["control"].changed(((touched, None), None), ((event, None), None)),)
    if kind is ev.DemandResolved:
        return (f"demand {event.outcome}: {_describe_demand(touched)}",)
    if kind is ev.DeadlinePassed:
        return (f"demand overdue: {_describe_demand(touched)}",)
    if kind is ev.ThreatTriggered or kind is ev.ThreatLapsed:
        status = "triggered" if kind is ev.ThreatTriggered else "lapsed"
        return (f"threat {status}: {touched.actor or '?'} — {touched.consequence}",)
    if kind is ev.ExerciseEnded:
        return (_TEXT["deployments"].gone(touched, None),)
    if kind is ev.Release:
        return (_TEXT["detentions"].gone(touched, None),)
    raise AssertionError(f"no words for {kind.__name__}")  # `figures` records nothing else


def figures(events: Sequence[ev.Event], model: Model, columns: Columns | None = None) -> Figures:
    """The figures after each of `events` (a whole log, from the empty state). Tension is read
    from `columns`, the events' times and scores in arrays: the log's own when it has them
    (`sim.Log.columns`), else they are made from the events here.

    With the cyclic collector paused, as `sim.simulate` and `project.fold` pause it: the pass
    keeps what it makes for as long as the figures live and makes no cycles, and a million
    events had CPython walk the whole heap once on the way (0.7 s of a 1.8 s pass)."""
    with paused_gc():
        return _figures(events, model, columns)


def _figures(events: Sequence[ev.Event], model: Model, columns: Columns | None) -> Figures:
    n = len(events)
    if columns is not None and len(columns) != n:
        raise ValueError(f"columns of {len(columns)} events for a log of {n}")
    if columns is None:
        columns = Columns.of(events)
    impulse_col = _impulses(events, model, columns)
    touched_col: list = [None] * n  # what a visited event changed, for the words of its row (see `words`)
    # where each level changed, and to what (see `Steps`)
    pressure_at, pressure_to = array("q"), array("d")
    open_at, open_to, sanctions_at, sanctions_to = array("q"), array("q"), array("q"), array("q")
    detained_at, detained_to, sites_at, sites_to = array("q"), array("q"), array("q"), array("q")
    moves: list[tuple[int, str, int]] = []

    demands: dict[str, ev.Demand] = {}
    status: dict[str, str] = {}  # demand id -> status, once a resolution changed it ("open" before)
    overdue: set[str] = set()
    threats: dict[str, ev.Threat] = {}
    settled: dict[str, str] = {}  # threat id -> triggered | lapsed
    exercises: dict[str, ev.Exercise] = {}
    detentions: dict[str, ev.Detention] = {}
    control: dict[str, ev.Seizure] = {}  # site -> the seizure that holds it
    troops: dict[str, int] = {}

    w_sanctions, w_exercise, w_detention, w_occupation = model.sanctions, model.exercise, model.detention, \
        model.occupation
    n_open = n_sanctions = n_exercises = 0
    Demand, Threat, DemandResolved, Deployment, Exercise, ExerciseEnded, DeadlinePassed, ThreatTriggered, \
        ThreatLapsed, Detention, Release, Seizure, Sanctions = ev.Demand, ev.Threat, ev.DemandResolved, \
        ev.Deployment, ev.Exercise, ev.ExerciseEnded, ev.DeadlinePassed, ev.ThreatTriggered, ev.ThreatLapsed, \
        ev.Detention, ev.Release, ev.Seizure, ev.Sanctions  # locals: the chain below compares each visited type
    # Only the events that change a count, a record or troops are visited, found from the type codes
    # in C-level passes: statements, talks and the like (more than half of an imported log) change
    # tension alone.
    for i in compress(count(), columns.kinds.translate(_VISITED)):
        event = events[i]
        kind = type(event)
        conditions = False  # a condition started or ended: the pressure is weighed again
        if kind is Demand:
            demands[event.id] = event
            n_open += 1
            open_at.append(i)
            open_to.append(n_open)
        elif kind is Threat:
            threats[event.id] = event
        elif kind is DemandResolved:
            demand = demands.get(event.demand)
            if demand is not None:
                old, new = status.get(event.demand, "open"), event.outcome
                status[event.demand] = new
                if old != new:
                    n_open += (new == "open") - (old == "open")
                    open_at.append(i)
                    open_to.append(n_open)
                    touched_col[i] = demand
        elif kind is Deployment or kind is Exercise:
            if kind is Exercise:
                exercises[event.id] = event
                n_exercises += 1
                conditions = True
            if event.troops and event.actor:
                total = troops.get(event.actor, 0) + event.troops
                troops[event.actor] = total
                moves.append((i, event.actor, total))
        elif kind is ExerciseEnded:
            gone = exercises.pop(event.exercise, None)
            if gone is not None:
                n_exercises -= 1
                conditions = True
                if gone.troops and gone.actor:
                    total = troops.get(gone.actor, 0) - gone.troops
                    troops[gone.actor] = total
                    moves.append((i, gone.actor, total))
                touched_col[i] = gone
        elif kind is DeadlinePassed:
            demand = demands.get(event.demand)
            if demand is not None and event.demand not in overdue:
                overdue.add(event.demand)
                touched_col[i] = demand
        elif kind is ThreatTriggered or kind is ThreatLapsed:
            threat = threats.get(event.threat)
            if threat is not None:
                new = "triggered" if kind is ThreatTriggered else "lapsed"
                if settled.get(event.threat, "pending") != new:
                    settled[event.threat] = new
                    touched_col[i] = threat
        elif kind is Detention:
            detentions[event.id] = event
            detained_at.append(i)
            detained_to.append(len(detentions))
            conditions = True
        elif kind is Release:
            gone = detentions.pop(event.detention, None)
            if gone is not None:
                detained_at.append(i)
                detained_to.append(len(detentions))
                conditions = True
                touched_col[i] = gone
        elif kind is Seizure:
            held = control.get(event.site)
            control[event.site] = event
            if held is None:
                sites_at.append(i)
                sites_to.append(len(control))
                conditions = True
                touched_col[i] = SELF
            elif held.to != event.to:
                touched_col[i] = held
        elif kind is Sanctions:
            n_sanctions += 1
            sanctions_at.append(i)
            sanctions_to.append(n_sanctions)
            conditions = True
        if conditions:  # as the reducers weigh it (`project._with`), term for term
            pressure_at.append(i)
            pressure_to.append(w_sanctions * n_sanctions + w_exercise * n_exercises + w_detention * len(detentions)
                               + w_occupation * len(control))
    none = w_sanctions * 0 + w_exercise * 0 + w_detention * 0 + w_occupation * 0  # what the first step weighs
    return Figures(events=events, impulse=impulse_col, pressure=Steps(pressure_at, pressure_to, none, n),
                   open_demands=Steps(open_at, open_to, 0, n), sanctions=Steps(sanctions_at, sanctions_to, 0, n),
                   detained=Steps(detained_at, detained_to, 0, n), controlled_sites=Steps(sites_at, sites_to, 0, n),
                   touched=touched_col, troop_moves=moves)


def _impulses(events: Sequence[ev.Event], model: Model, columns: Columns) -> array:
    """The decayed sum of impulses right after each event, as `project.scan` computes it, from
    the events' columns: a gap of whole microseconds over 10**6 is the float `total_seconds()`
    gives for it (see `columns`), and the rest is the scan's operations, in its order. The
    factor is computed once per distinct gap (a log of a million events has about a
    thousand), and a gap of none multiplies by 1.0 (x * 1.0 is x, to the bit)."""
    impulses = array("d")
    append = impulses.append
    half_life, scale = model.half_life_days, model.impulse_per_goldstein
    factors: dict[int, float] = {0: 1.0}  # microseconds -> factor
    factor_of = factors.get
    carried, previous = 0.0, columns.times[0] if len(columns) else 0
    for time, score in zip(columns.times, columns.scores):
        factor = factor_of(time - previous)
        if factor is None:
            gap = time - previous
            if gap < 0:
                i = len(impulses)
                raise ValueError(f"event {events[i].id} at {events[i].at} comes before the state's time "
                                 f"{events[i - 1].at}")
            factor = factors[gap] = 0.5 ** (gap / 1_000_000 / SECONDS_PER_DAY / half_life)
        carried = carried * factor + -score * scale
        previous = time
        append(carried)
    return impulses


_RESTATED = frozenset({
    ev.Talks, ev.Demand, ev.DemandResolved, ev.DeadlinePassed, ev.Threat, ev.ThreatTriggered, ev.ThreatLapsed,
    ev.Deployment, ev.Exercise, ev.ExerciseEnded, ev.Detention, ev.Release, ev.Seizure, ev.Sanctions, ev.Ouster,
})
"""The types whose reducer this module restates."""

_OWN = frozenset({ev.Talks, ev.Demand, ev.Threat, ev.Deployment, ev.Exercise, ev.Detention, ev.Sanctions, ev.Ouster})
"""Types whose every event changes what its own fields say (see `words`)."""

_COUNTED = frozenset(_RESTATED - {ev.Talks, ev.Ouster})
"""Types `figures` visits: those that change a count, a record or troops. Talks and ousters
change nothing a figure counts, and types without a reducer (statements, aid, …) change
time and tension only."""

_VISITED = kind_table(_COUNTED)
"""`_COUNTED` as a table for the columns' type codes (`Columns.kinds`)."""


def unrestated() -> set[type]:
    """Types with a reducer this module does not restate: a test keeps this empty."""
    return set(REDUCERS) - _RESTATED
