"""The SimPy engine: documented events arrive at their times, rules emit derived events.

SimPy handles time and rules only (timers, deadlines, waiting on a condition). No
domain state lives in the generators; each rule reads the log so far through `Run`
and emits events, which the reducers turn into state.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import attrs
import simpy

from . import cameo
from . import events as ev
from .scenario import Scenario


@attrs.frozen(kw_only=True)
class Log:
    """The append-only result of a run: documented and derived events in (time, seq) order."""

    scenario: Scenario
    events: tuple[ev.Event, ...]
    skipped: frozenset[str] = frozenset()
    """Documented events left out (asked for, or caused by one asked for)."""

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    def __getitem__(self, index):
        return self.events[index]


def _end_of_day(moment: dt.datetime) -> dt.datetime:
    """A bare date as a deadline means 'by the end of that day'."""
    return moment + dt.timedelta(days=1) if moment.time() == dt.time() else moment


class Run:
    """One simulation: the environment, the log being written and the signals rules wait on."""

    def __init__(self, scenario: Scenario, documented: list[ev.Event]) -> None:
        self.env = simpy.Environment()
        self.epoch = documented[0].at if documented else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        self.documented = documented
        self.log: list[ev.Event] = []
        self.by_id: dict[str, ev.Event] = {}
        self._signals: dict[str, simpy.Event] = {}

    def seconds(self, moment: dt.datetime) -> int:
        return int((moment - self.epoch).total_seconds())

    def moment(self) -> dt.datetime:
        return self.epoch + dt.timedelta(seconds=self.env.now)

    def signal(self, key: str) -> simpy.Event:
        """The SimPy event that fires when `key` happens (an event id, or 'resolved:<demand>')."""
        if key not in self._signals:
            self._signals[key] = self.env.event()
        return self._signals[key]

    def emit(self, event: ev.Event) -> None:
        event = attrs.evolve(event, seq=len(self.log))
        self.log.append(event)
        self.by_id[event.id] = event
        for key in self._keys(event):
            pending = self._signals.get(key)
            if pending is not None and not pending.triggered:
                pending.succeed(event)
        for rule in RULES.get(type(event), ()):
            self.env.process(rule(self, event))

    @staticmethod
    def _keys(event: ev.Event) -> tuple[str, ...]:
        if isinstance(event, ev.DemandResolved):
            return (event.id, f"resolved:{event.demand}")
        return (event.id,)

    def feed(self):
        """Documented events arrive at their own times, in scenario order."""
        for event in self.documented:
            delay = self.seconds(event.at) - self.env.now
            if delay:
                yield self.env.timeout(delay)
            self.emit(event)

    def wait_until(self, moment: dt.datetime) -> simpy.Event:
        return self.env.timeout(max(0, self.seconds(moment) - self.env.now))


def derived(run: Run, cls: type[ev.Event], **fields) -> ev.Event:
    """A derived event at the current moment, scored by its type's CAMEO code."""
    title = fields["title"]
    fields["title"] = title if len(title) <= 80 else title[:79].rstrip() + "…"
    return cls(at=run.moment(), cameo=cls.DEFAULT_CAMEO, goldstein=cameo.goldstein(cls.DEFAULT_CAMEO), **fields)


# --- rules: each is a SimPy process started when the event it watches is emitted ---


def deadline_rule(run: Run, demand: ev.Demand):
    """A demand's deadline passing while it is still open becomes an event."""
    resolved = run.signal(f"resolved:{demand.id}")
    yield run.wait_until(_end_of_day(demand.deadline)) | resolved
    if not resolved.triggered:
        run.emit(derived(run, ev.DeadlinePassed,
            id=f"{demand.id}/deadline-passed", title=f"Deadline passes: {demand.title}", cause=(demand.id,), demand=demand.id, actor=demand.to, target=demand.from_,
        ))


def exercise_rule(run: Run, exercise: ev.Exercise):
    """An exercise with a duration ends by itself; its steady pressure stops then."""
    yield run.env.timeout(int(exercise.duration_days * 86_400))
    run.emit(derived(run, ev.ExerciseEnded,
            id=f"{exercise.id}/ended", title=f"Ends: {exercise.title}", cause=(exercise.id,), exercise=exercise.id, actor=exercise.actor,
    ))


def threat_rule(run: Run, threat: ev.Threat):
    """A conditional threat is triggered when its condition happens, or lapses at its `by` date."""
    happened = run.signal(threat.condition)
    waits = [happened] if threat.condition not in run.by_id else []
    if waits and threat.by is not None:
        waits.append(run.wait_until(_end_of_day(threat.by)))
    if waits:
        yield run.env.any_of(waits)
    if threat.condition in run.by_id:
        run.emit(derived(run, ev.ThreatTriggered,
            id=f"{threat.id}/triggered", title=f"Threat triggered: {threat.title}", cause=(threat.id, threat.condition), threat=threat.id, actor=threat.actor,
        ))
    else:
        run.emit(derived(run, ev.ThreatLapsed,
            id=f"{threat.id}/lapsed", title=f"Threat lapses: {threat.title}", cause=(threat.id,), threat=threat.id, actor=threat.actor,
        ))


def _demand_rules(run: Run, event: ev.Demand):
    if event.deadline is not None:
        yield from deadline_rule(run, event)


def _exercise_rules(run: Run, event: ev.Exercise):
    if event.duration_days:
        yield from exercise_rule(run, event)


def _threat_rules(run: Run, event: ev.Threat):
    if event.condition is not None:
        yield from threat_rule(run, event)


RULES = {ev.Demand: (_demand_rules,), ev.Exercise: (_exercise_rules,), ev.Threat: (_threat_rules,)}


def references(event: ev.Event) -> tuple[str, ...]:
    """Ids an event cannot exist without: its causes and the demand or detention it settles."""
    own = tuple(getattr(event, name) for name in ("demand", "detention", "exercise", "threat") if hasattr(event, name))
    return event.because + event.cause + own


def pruned(events: Iterable[ev.Event], roots: Iterable[str]) -> frozenset[str]:
    """`roots` and every documented event that depends on them, transitively."""
    gone = set(roots)
    remaining = list(events)
    while True:  # to a fixpoint: a cause may stand later in the file at the same moment
        caught = [e for e in remaining if any(ref in gone for ref in references(e))]
        if not caught:
            return frozenset(gone)
        gone.update(e.id for e in caught)
        remaining = [e for e in remaining if e.id not in gone]


def simulate(scenario: Scenario, *, skip: Iterable[str] = ()) -> Log:
    """Replay `scenario` (without `skip` and what it caused) and return the event log."""
    skipped = pruned(scenario.events, skip) if skip else frozenset()
    documented = [e for e in scenario.events if e.id not in skipped]
    run = Run(scenario, documented)
    run.env.process(run.feed())
    run.env.run()
    return Log(scenario=scenario, events=tuple(run.log), skipped=skipped)
