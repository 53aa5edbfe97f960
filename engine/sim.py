"""The SimPy engine: documented events arrive at their times, rules emit derived events.

SimPy handles time and rules only (timers, deadlines, waiting on a condition). No
domain state lives in the generators; each rule reads the log so far through `Run`
and emits events, which the reducers turn into state.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
from array import array
from bisect import bisect_right
from itertools import compress, count
from operator import attrgetter
from typing import Callable, Iterable, Iterator, Sequence

import attrs
import simpy

from . import cameo
from . import events as ev
from .columns import KIND, Columns, kind_table
from .scenario import Scenario


@attrs.frozen(kw_only=True)
class Log:
    """The append-only result of a run: documented and derived events in (time, position) order.

    An event's position in the log is its index here (`State.seq` after it). Documented
    events are the scenario's own objects, not copies: a log of a million events costs the
    derived events it adds and one list of references.
    """

    scenario: Scenario
    events: tuple[ev.Event, ...]
    skipped: frozenset[str] = frozenset()
    """Documented events left out (asked for, or caused by one asked for)."""
    columns: Columns | None = attrs.field(default=None, eq=False, repr=False)
    """Every event's time, score and type code in arrays (see `columns`), when the run had the scenario's
    (`Scenario.prepared`); None for a counterfactual's log and a recorded one."""

    @columns.validator
    def _as_long(self, _attribute, columns: Columns | None) -> None:
        if columns is not None and len(columns) != len(self.events):
            raise ValueError(f"columns of {len(columns)} events for a log of {len(self.events)}")

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    def __getitem__(self, index):
        return self.events[index]


def _end_of_day(moment: dt.datetime) -> dt.datetime:
    """A bare date as a deadline means 'by the end of that day'."""
    if moment.hour or moment.minute or moment.second or moment.microsecond:
        return moment
    return moment + _DAY


_DAY = dt.timedelta(days=1)
_SECOND = dt.timedelta(seconds=1)


@attrs.frozen(eq=False)
class Plan:
    """What a run of some documented events feeds in and watches, found before it starts."""

    active: Sequence[int]
    """Positions of the documented events a rule starts on, waits for or reads (resolutions of deadlines)."""
    conditions: bytes
    """`conditions[k]`: whether the event at `active[k]` is one some threat names as its condition. Found
    here, so that a run does not read the id of every event it feeds to look it up in `watched`
    (the id string is one more object to fetch from memory, for each of a run's fed events)."""
    watched: frozenset[str]
    """Ids that some threat names as its condition."""
    deadlines: frozenset[str]
    """Demands with a deadline."""


def plan(documented: Sequence[ev.Event], kinds: bytearray | None = None) -> Plan:
    """The plan of a run of `documented`, found with C-level passes (map, compress) over the
    events: at a million, a Python loop visiting each costs more than the rules themselves.
    `kinds`: their type codes (`Columns.kinds`), when made already: the types are not read again."""
    flags = kinds.translate(_RULE_TABLE) if kinds is not None else map(_RULE_KINDS.__contains__, map(type, documented))
    typed = compress(count(), flags)
    active: list[int] = []
    resolutions: list[int] = []
    watched: set[str] = set()
    deadlines: set[str] = set()
    for position in typed:  # threats, demands, exercises and resolutions: a fifth of an imported set
        e = documented[position]
        kind = type(e)
        if kind is ev.Threat:
            if e.condition is not None:
                watched.add(e.condition)
                active.append(position)
        elif kind is ev.Demand:
            if e.deadline is not None:
                deadlines.add(e.id)
                active.append(position)
        elif kind is ev.Exercise:
            if e.duration_days:
                active.append(position)
        else:
            resolutions.append(position)
    active += (position for position in resolutions if documented[position].demand in deadlines)
    conditions = set(compress(count(), map(watched.__contains__, map(_ID, documented)))) if watched else set()
    active = sorted(conditions.union(active))  # the conditions, whatever their type
    return Plan(active=active, conditions=bytes(map(conditions.__contains__, active)), watched=frozenset(watched),
                deadlines=frozenset(deadlines))


@attrs.frozen(eq=False)
class Prepared:
    """What every run of a scenario's own events reads the same way: made once, as it is loaded.

    A run feeds the events its plan names, and the figures read every event's time and
    score; at a million events, finding the one and reading the other from the event
    objects were a quarter of a run and its projection. A loaded scenario keeps them
    (`Scenario.prepared`, made by `reader.load_scenario`), so that every run of it, the
    first too, starts from them, much as the benchmark's floor reads its timestamps from an
    array made before it is timed. A counterfactual, whose documented events are fewer,
    plans its own run, and its log has no columns.
    """

    events: Sequence[ev.Event] = attrs.field(repr=False)
    """The events it was made for: a run uses it for these very ones only (see `made_for`)."""
    plan: Plan
    columns: Columns

    def made_for(self, events: Sequence[ev.Event]) -> bool:
        """Whether this was made for `events`: the same object, not an equal one, so that a
        scenario evolved with other events (`attrs.evolve`) is never run with a stale plan."""
        return self.events is events


def prepare(documented: Sequence[ev.Event]) -> Prepared:
    """The plan and columns of a run of all of `documented`."""
    columns = Columns.of(documented)
    return Prepared(events=documented, plan=plan(documented, columns.kinds), columns=columns)


class Run:
    """One simulation: the environment, the log being written, and the rules' timers.

    Only the documented events a rule starts on, waits for or reads are fed in (`run`),
    from a plain loop; SimPy runs only where a rule set a timer, up to just before the
    moment of the next such event, so that what is due before it happens first. A rule is
    a function called when the event it watches arrives; it sets SimPy timers whose
    callbacks emit derived events, each at the moment the rule names. A run thus costs
    little more than its rules when most events start none (imported event sets): the
    others are not visited one by one, they go into the log in slices, between the derived
    events, each of which stands after every documented event of its moment or before.

    At the same moment documented events come first, then derived events in the order
    their timers were set. What the rules need to know (was the demand resolved, did the
    condition happen) is read from sets kept from the log, never from a generator's state.
    """

    def __init__(self, scenario: Scenario, documented: Sequence[ev.Event], prepared: Prepared | None = None) -> None:
        """`prepared`: the plan and columns of `documented`, if made already (`prepare`)."""
        self.env = simpy.Environment()
        self.epoch = documented[0].at if documented else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        self.documented = documented
        self.log: list[ev.Event] = []
        self.placed = 0
        """How many documented events the log holds so far (a prefix of them)."""
        self.limit = len(documented)
        """Derived events due now stand before this documented position at the latest (see `_fire`)."""
        found = prepared.plan if prepared is not None else plan(documented)
        self.active = found.active
        """Positions of the documented events a rule starts on, waits for or reads (resolutions of deadlines)."""
        self.conditions = found.conditions
        """Which of them some threat names as its condition."""
        self.watched = found.watched
        """Ids that some threat names as its condition."""
        self.deadlines = found.deadlines
        """Demands with a deadline."""
        self.happened: set[str] = set()
        """Watched ids that happened so far."""
        self.waiting: dict[str, list[ev.Threat]] = {}
        """Condition id -> threats waiting for it."""
        self.settled: set[str] = set()
        """Threats triggered or lapsed so far."""
        self.resolved: set[str] = set()
        """Demands resolved so far (of those with a deadline)."""
        self.buckets: dict[float, tuple[dt.datetime, list[tuple[Callable[..., None], tuple]]]] = {}
        """SimPy time -> its moment and the actions of the timers due then, in the order they were set (see `at`)."""
        self.given = prepared.columns if prepared is not None else None
        """The documented events' columns; the log's are kept beside the log (`columns`) when given."""
        self.times, self.scores, self.kinds = (array("q"), array("d"), bytearray()) if self.given is not None \
            else (None, None, None)
        self.due: tuple[dt.datetime | None, int] = (None, 0)
        """The moment of the bucket firing, and its microseconds in the columns."""

    def columns(self) -> Columns | None:
        """The log's columns so far, if the documented events' were given."""
        return Columns(self.given.origin, self.times, self.scores, self.kinds) if self.given is not None else None

    def _place(self, upto: int) -> None:
        """The documented events before position `upto` go into the log, those not placed yet."""
        if upto > self.placed:
            self.log += self.documented[self.placed:upto]
            if self.given is not None:
                self.times += self.given.times[self.placed:upto]
                self.scores += self.given.scores[self.placed:upto]
                self.kinds += self.given.kinds[self.placed:upto]
            self.placed = upto

    def at(self, moment: dt.datetime, action: Callable[..., None], *args) -> None:
        """Call `action(*args)` at `moment` (SimPy's clock may lag behind the feed, never ahead of it).

        Timers due at the same SimPy time share one timeout, their actions called in the order
        they were set: the order separate timeouts would fire in (SimPy breaks ties by creation),
        at one SimPy event per moment instead of one per timer. Deadlines and lapses fall at the
        end of a day, so a day's dozens of them cost one. A bucket is taken out before its
        actions run: a timer one of them sets for the same moment gets a timeout of its own,
        after the bucket, as it would have before.
        """
        env = self.env
        now = env.now
        delay = (moment - self.epoch).total_seconds() - now
        if delay <= 0:  # max(0.0, …) without the call
            delay = 0.0
        when = now + delay  # what SimPy will set its clock to: the bucket's key
        bucket = self.buckets.get(when)
        if bucket is None:
            self.buckets[when] = bucket = (moment, [])
            env.timeout(delay).callbacks.append(self._fire)
        bucket[1].append((action, args))

    def _fire(self, _timer: simpy.Event) -> None:
        """A bucket is due: the documented events of its moment and before go into the log
        first (those not fed were not visited until now), then what its actions emit."""
        moment, actions = self.buckets.pop(self.env.now)
        if self.given is not None:  # in the times column: no event object touched on the way
            self.due = moment, self.given.microseconds(moment)
            self._place(bisect_right(self.given.times, self.due[1], self.placed, self.limit))
        else:
            self._place(bisect_right(self.documented, moment, self.placed, self.limit, key=_AT))
        for action, args in actions:
            action(*args)

    def emit(self, event: ev.Event) -> None:
        """Append a derived `event` to the log; start or wake the rules watching it."""
        self.log.append(event)
        if self.given is not None:
            moment, microseconds = self.due  # what a bucket's actions emit is at its moment
            self.times.append(microseconds if event.at == moment else self.given.microseconds(event.at))
            self.scores.append(event.goldstein)
            self.kinds.append(KIND[type(event)])
        if event.id in self.watched:  # no rule starts on a derived type (see `RULES`): only threats wait for one
            self.happen(event)

    def arrive(self, event: ev.Event, condition: bool) -> None:
        """The documented `event` is in the log (or goes in with its slice): start or wake the
        rules watching it. `condition`: whether a threat names it (see `Plan.conditions`)."""
        if condition:
            self.happen(event)
        kind = type(event)
        rule = RULES.get(kind)
        if rule is not None:
            rule(self, event)
        elif kind is ev.DemandResolved and event.demand in self.deadlines:
            self.resolved.add(event.demand)

    def happen(self, event: ev.Event) -> None:
        """`event`, which some threat names as its condition, is in the log: the threats waiting for it trigger."""
        self.happened.add(event.id)
        for threat in self.waiting.pop(event.id, ()):
            self.at(event.at, trigger, self, threat, event.at)

    def run(self) -> None:
        """Feed the active documented events at their times, firing the timers due before each
        first; then the timers left, and the documented events after the last of them."""
        documented, buckets, arrive = self.documented, self.buckets, self.arrive
        step, peek = self.env.step, self.env.peek
        due = peek()
        pending = buckets[due][0] if due != _NEVER else None  # the moment of the next timer
        for position, condition in zip(self.active, self.conditions):
            event = documented[position]
            moment = event.at
            if pending is not None and pending < moment:  # timers due before this moment fire first
                self.limit = position
                while pending is not None and pending < moment:
                    step()
                    due = peek()
                    pending = buckets[due][0] if due != _NEVER else None
            arrive(event, condition)
            if (now_due := peek()) != due:  # a rule set a timer: perhaps an earlier one
                due = now_due
                pending = buckets[due][0]
        self.limit = len(documented)
        self.env.run()
        self._place(len(documented))


_AT = attrgetter("at")
_ID = attrgetter("id")

_NEVER = simpy.core.Infinity
"""What `Environment.peek` gives when no timer is pending."""


def derived(cls: type[ev.Event]) -> Callable[..., ev.Event]:
    """The maker of derived events of `cls`, scored by its type's CAMEO code unless told:
    `derived(cls)(at=…, title=short(…), …)`. The rules call it with their fields directly: a
    wrapper taking `**fields` to pass on cost as much again as making the event (1.1 µs), for
    each of the hundred thousand events a million-event run derives."""
    return _MAKERS[cls]


def short(title: str) -> str:
    """A derived event's title: cut to 80 characters."""
    return title if len(title) <= 80 else title[:79].rstrip() + "…"


class _Makers(dict):
    """Derived event class -> its maker (`events.maker`, with the type's CAMEO code and Goldstein
    score as defaults), made when a run first derives one (not at import: the CAMEO table is
    read then)."""

    def __missing__(self, cls: type[ev.Event]) -> Callable[..., ev.Event]:
        code = cls.DEFAULT_CAMEO
        self[cls] = make = ev.maker(cls, cameo=code, goldstein=cameo.goldstein(code))
        return make


_MAKERS = _Makers()


# --- rules: each is called when the event it watches is emitted, and sets SimPy timers ---


def deadline_rule(run: Run, demand: ev.Demand) -> None:
    """A demand's deadline passing while it is still open becomes an event."""
    if demand.deadline is None:
        return
    deadline = max(_end_of_day(demand.deadline), demand.at)
    run.at(deadline, deadline_passed, run, demand, deadline)


def deadline_passed(run: Run, demand: ev.Demand, deadline: dt.datetime) -> None:
    if demand.id not in run.resolved:
        run.emit(derived(ev.DeadlinePassed)(
            at=deadline, title=short(f"Deadline passes: {demand.title}"), id=f"{demand.id}/deadline-passed",
            cause=(demand.id,), demand=demand.id, actor=demand.to, target=demand.from_,
        ))


def exercise_rule(run: Run, exercise: ev.Exercise) -> None:
    """An exercise with a duration ends by itself; its steady pressure stops then."""
    if not exercise.duration_days:
        return
    end = exercise.at + _SECOND * int(exercise.duration_days * 86_400)  # timedelta(seconds=…), without its keywords
    run.at(end, exercise_ended, run, exercise, end)


def exercise_ended(run: Run, exercise: ev.Exercise, end: dt.datetime) -> None:
    run.emit(derived(ev.ExerciseEnded)(
        at=end, title=short(f"Ends: {exercise.title}"), id=f"{exercise.id}/ended", cause=(exercise.id,),
        exercise=exercise.id, actor=exercise.actor,
    ))


def threat_rule(run: Run, threat: ev.Threat) -> None:
    """A conditional threat is triggered when its condition happens, or lapses at its `by` date."""
    if threat.condition is None:
        return
    if threat.condition in run.happened:
        run.at(threat.at, trigger, run, threat, threat.at)
        return
    run.waiting.setdefault(threat.condition, []).append(threat)
    if threat.by is not None:
        lapse = max(_end_of_day(threat.by), threat.at)
        run.at(lapse, lapsed, run, threat, lapse)


def lapsed(run: Run, threat: ev.Threat, lapse: dt.datetime) -> None:
    """`threat`'s `by` date passed: it lapses unless its condition came (at the very same moment too)."""
    if threat.id not in run.settled and threat.condition not in run.happened:
        run.settled.add(threat.id)
        run.emit(derived(ev.ThreatLapsed)(
            at=lapse, title=short(f"Threat lapses: {threat.title}"), id=f"{threat.id}/lapsed", cause=(threat.id,),
            threat=threat.id, actor=threat.actor,
        ))


def trigger(run: Run, threat: ev.Threat, moment: dt.datetime) -> None:
    """The condition of `threat` happened at `moment`: the threat is triggered, unless it lapsed first."""
    if threat.id not in run.settled:
        run.settled.add(threat.id)
        run.emit(derived(ev.ThreatTriggered)(
            at=moment, title=short(f"Threat triggered: {threat.title}"), id=f"{threat.id}/triggered",
            cause=(threat.id, threat.condition), threat=threat.id, actor=threat.actor,
        ))


RULES: dict[type[ev.Event], Callable[[Run, ev.Event], None]] = {
    ev.Demand: deadline_rule, ev.Exercise: exercise_rule, ev.Threat: threat_rule,
}
"""Documented types only: a derived event starts no rule (`Run.emit` looks up none), it can only be a
threat's condition."""

_RULE_KINDS = frozenset(RULES) | {ev.DemandResolved}
"""Types a rule starts on or reads (resolutions, of demands with deadlines), besides the conditions threats name."""
_RULE_TABLE = kind_table(_RULE_KINDS)


def references(event: ev.Event) -> tuple[str, ...]:
    """Ids an event cannot exist without: its causes and the demand or detention it settles."""
    own = tuple(getattr(event, name) for name in _settles(type(event)))
    return event.because + event.cause + own


def _settles(cls: type[ev.Event]) -> tuple[str, ...]:
    """The fields of `cls` naming the demand, detention, exercise or threat it settles."""
    names = _SETTLES.get(cls)
    if names is None:
        names = _SETTLES[cls] = tuple(n for n in ("demand", "detention", "exercise", "threat") if hasattr(cls, n))
    return names


_SETTLES: dict[type, tuple[str, ...]] = {}


def pruned(events: Iterable[ev.Event], roots: Iterable[str]) -> frozenset[str]:
    """`roots` and every documented event that depends on them, transitively.

    Only events that reference another can be caught: they are found in one pass, then the
    fixpoint runs over them alone (a cause may stand later in the file at the same moment)."""
    gone = set(roots)
    remaining = [(e.id, references(e)) for e in events if e.because or e.cause or _settles(type(e))]
    while True:
        caught = [event_id for event_id, refs in remaining if any(ref in gone for ref in refs)]
        if not caught:
            return frozenset(gone)
        gone.update(caught)
        remaining = [(event_id, refs) for event_id, refs in remaining if event_id not in gone]


def simulate(scenario: Scenario, *, skip: Iterable[str] = ()) -> Log:
    """Replay `scenario` (without `skip` and what it caused) and return the event log."""
    skipped = pruned(scenario.events, skip) if skip else frozenset()
    documented = [e for e in scenario.events if e.id not in skipped] if skipped else scenario.events  # no copy
    prepared = scenario.prepared
    run = Run(scenario, documented, prepared if prepared is not None and prepared.made_for(documented) else None)
    with paused_gc():
        run.run()
        events = tuple(run.log)
        run.log = None  # gone before the collector resumes: it would walk a million references once more
    return Log(scenario=scenario, events=events, skipped=skipped, columns=run.columns())


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a log or a timeline is built in one go.

    Building a log allocates an object per event that lives as long as the log, and no
    reference cycles of its own: reference counting frees what dies, while the cyclic
    collector would only walk the growing log again and again (about a third of the run
    at a million events). It is switched back on, if it was on, however the block ends.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
