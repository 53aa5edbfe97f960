"""Property tests (hypothesis) on generated scenarios: projection, determinism and the codec."""
from __future__ import annotations

import datetime as dt
import json
from itertools import count
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import cameo
from engine import events as ev
from engine.codec import event_from_dict, event_line, event_to_dict
from engine.errors import ReplayError
from engine.project import fold, scan, tension_at
from engine.reader import load_scenario
from engine.scenario import Model, Scenario
from engine.sim import simulate
from engine.timeline import build, explain

UTC = dt.timezone.utc
T0 = dt.datetime(2020, 1, 1, tzinfo=UTC)
SPRING = Path(__file__).resolve().parent.parent / "scenario" / "spring2014.yaml"

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KINDS = ("statement", "demand", "resolve", "exercise", "threat", "detention", "release", "sanctions", "seizure",
         "talks", "deployment")

#: (kind, day, hour, a number the builder draws choices from)
SPEC = st.tuples(st.sampled_from(KINDS), st.integers(0, 20), st.sampled_from([0, 0, 6, 12]), st.integers(0, 10**6))


def _scored(cls, values: dict) -> dict:
    code = ev.default_cameo(cls, values)
    return {**values, "cameo": code, "goldstein": cameo.goldstein(code)}


def build_scenario(specs: list[tuple], half_life: float) -> Scenario:
    """A scenario from drawn specs: links point at earlier events where the type needs it, like the reader checks."""
    specs = sorted(specs, key=lambda s: (s[1], s[2]))  # stable: draw order breaks ties
    events: list[ev.Event] = []
    open_demands: list[str] = []
    held: list[str] = []
    count = len(specs)
    for i, (kind, day, hour, n) in enumerate(specs):
        at = T0 + dt.timedelta(days=day, hours=hour)
        common = {"id": f"e{i}", "at": at, "title": f"{kind} {i}"}
        if kind == "resolve" and not open_demands or kind == "release" and not held:
            kind = "statement"
        if kind == "statement":
            cls, values = ev.Statement, {"kind": list(ev.Statement.CAMEO_BY_KIND)[n % 9], "actor": "NTH"}
        elif kind == "demand":
            deadline = None if n % 3 == 0 else at.replace(hour=0) + dt.timedelta(days=n % 6, hours=6 * (n % 2))
            cls, values = ev.Demand, {"from_": "NTH", "to": "STH", "what": "w", "deadline": deadline}
            open_demands.append(common["id"])
        elif kind == "resolve":
            demand = open_demands.pop(n % len(open_demands))
            cls, values = ev.DemandResolved, {"demand": demand, "outcome": ("met", "rejected", "withdrawn")[n % 3]}
        elif kind == "exercise":
            duration = (None, 0.5, 1, 3, 10)[n % 5]
            cls, values = ev.Exercise, {"actor": "STH", "region": "border", "troops": n % 5000 or None,
                                        "duration_days": duration}
        elif kind == "threat":
            condition = None if n % 4 == 0 else f"e{n % count}"
            by = None if n % 5 == 0 else at.replace(hour=0) + dt.timedelta(days=n % 9)
            cls, values = ev.Threat, {"actor": "NTH", "consequence": "c", "condition": condition, "by": by}
        elif kind == "detention":
            cls, values = ev.Detention, {"actor": "STH", "detained": "observers"}
            held.append(common["id"])
        elif kind == "release":
            cls, values = ev.Release, {"detention": held.pop(n % len(held))}
        elif kind == "sanctions":
            cls, values = ev.Sanctions, {"actor": "NTH", "against": "STH", "measures": ("m",)}
        elif kind == "seizure":
            cls, values = ev.Seizure, {"site": ("port", "airport")[n % 2], "to": ("NTH", "STH")[n // 2 % 2]}
        elif kind == "talks":
            cls, values = ev.Talks, {"mode": ("meeting", "call")[n % 2], "participants": ("NTH", "STH")}
        else:
            cls, values = ev.Deployment, {"actor": "STH", "region": "border", "troops": n % 20000 or None}
        events.append(cls(**_scored(cls, {**common, **values})))
    return Scenario(id="generated", title="generated", path=Path("generated.yaml"), seeds=Path("seeds"),
                    model=Model(half_life_days=half_life), actors=(), documents=(), events=tuple(events))


SCENARIOS = st.builds(build_scenario, st.lists(SPEC, min_size=1, max_size=12),
                      st.sampled_from([0.5, 1.0, 7.0, 30.0]))


# --- (1) projection: fold of a prefix = scan = timeline -----------------------------------------


@FAST
@given(SCENARIOS)
def test_fold_of_each_prefix_is_the_scan_and_the_timeline(scenario):
    log = simulate(scenario)
    model = scenario.model
    states = list(scan(log.events, model))
    timeline = build(log)
    assert len(states) == len(log) == len(timeline)
    for i, event in enumerate(log.events):
        assert fold(log.events[: i + 1], model) == states[i]
        assert timeline.entries[i].state == states[i]
        shares_moment = any(later.at == event.at for later in log.events[i + 1:])
        if not shares_moment:
            assert timeline.state_at(event.at) == states[i]


@FAST
@given(SCENARIOS)
def test_generated_logs_are_ordered_and_causes_come_first(scenario):
    log = simulate(scenario)
    assert [e.at for e in log] == sorted(e.at for e in log)
    seen: set[str] = set()
    for event in log:
        assert set(event.cause) <= seen, event.id
        seen.add(event.id)
    assert [e.id for e in log if not e.DERIVED] == [e.id for e in scenario.events]


@FAST
@given(SCENARIOS, st.integers(0, 30 * 24))
def test_explain_adds_up_on_generated_scenarios(scenario, hours):
    timeline = build(simulate(scenario))
    instant = T0 + dt.timedelta(hours=hours)
    state = timeline.state_at(instant)
    total = sum(c.total for c in explain(timeline, instant))
    assert total == pytest.approx(tension_at(state, instant, timeline.model), abs=1e-6)


class _DenseFeed:
    """The feed by its definition, to hold `sim.Run` to: every documented event arrives in
    turn, after SimPy ran the timers due before its moment, each timer a timeout of its own.
    The rules are the engine's own (`sim.RULES`); only how events and timers are fed differs."""

    def __init__(self, documented):
        import simpy

        self.env, self.epoch, self.log = simpy.Environment(), documented[0].at, []
        self.watched = {e.condition for e in documented if type(e) is ev.Threat and e.condition is not None}
        self.deadlines = {e.id for e in documented if type(e) is ev.Demand and e.deadline is not None}
        self.happened, self.waiting, self.settled, self.resolved = set(), {}, set(), set()
        for event in documented:
            until = (event.at - self.epoch).total_seconds()
            while self.env.peek() < until:
                self.env.step()
            self.emit(event)
        self.env.run()

    def at(self, moment, action, *args):
        delay = max(0.0, (moment - self.epoch).total_seconds() - self.env.now)
        self.env.timeout(delay).callbacks.append(lambda _: action(*args))

    def emit(self, event):
        from engine.sim import RULES, trigger

        self.log.append(event)
        if event.id in self.watched:
            self.happened.add(event.id)
            for threat in self.waiting.pop(event.id, ()):
                self.at(event.at, trigger, self, threat, event.at)
        if type(event) is ev.DemandResolved and event.demand in self.deadlines:
            self.resolved.add(event.demand)
        if type(event) in RULES:
            RULES[type(event)](self, event)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(build_scenario, st.lists(SPEC, min_size=1, max_size=40), st.just(7.0)), st.integers(0, 10**6))
def test_simulate_places_every_event_as_the_dense_feed_does(scenario, n):
    """`simulate` visits only the events a rule needs and slices the others into the log: the
    log must be the one a feed of every event, one timeout per timer, writes (skips too)."""
    from engine.columns import Columns
    from engine.sim import prepare, pruned

    reference = tuple(_DenseFeed(scenario.events).log)
    assert simulate(scenario).events == reference
    # as loaded: the plan made beforehand, and the log's times and scores kept beside it
    log = simulate(attrs.evolve(scenario, prepared=prepare(scenario.events)))
    made = Columns.of(reference)
    assert log.events == reference
    assert (log.columns.origin, log.columns.times, log.columns.scores, log.columns.kinds) == \
        (made.origin, made.times, made.scores, made.kinds)
    skip = scenario.events[n % len(scenario.events)].id
    gone = pruned(scenario.events, [skip])
    kept = [e for e in scenario.events if e.id not in gone]
    if kept:
        assert simulate(scenario, skip=[skip]).events == tuple(_DenseFeed(kept).log)


# --- (2) determinism ----------------------------------------------------------------------------


@FAST
@given(SCENARIOS)
def test_replay_is_deterministic(scenario):
    first, second = simulate(scenario), simulate(scenario)
    assert first.events == second.events
    assert [event_line(e, i) for i, e in enumerate(first)] == [event_line(e, i) for i, e in enumerate(second)]


def test_spring2014_replays_identically_twice():
    scenario = load_scenario(SPRING)
    first, second = simulate(scenario), simulate(load_scenario(SPRING))
    assert first.events == second.events
    assert "\n".join(map(event_line, first, count())) == "\n".join(map(event_line, second, count()))


# --- (3) codec round trip -----------------------------------------------------------------------


def test_codec_round_trip_for_every_event_of_spring2014():
    log = simulate(load_scenario(SPRING))
    types = set()
    for event in log:
        assert event_from_dict(event_to_dict(event, 0)) == event, event.id
        assert event_from_dict(json.loads(event_line(event, 0))) == event, event.id
        types.add(event.TYPE)
    assert {"deadline_passed", "threat_triggered", "exercise_ended"} & types  # derived events included


@FAST
@given(SCENARIOS)
def test_codec_round_trip_for_generated_logs(scenario):
    for event in simulate(scenario):
        assert event_from_dict(json.loads(event_line(event, 0))) == event


MOMENTS = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1),
                       timezones=st.just(UTC)).map(lambda m: m.replace(microsecond=0))
TEXT = st.text(max_size=20)
SOURCES = st.lists(st.one_of(st.builds(ev.Source, doc=TEXT, quote=TEXT), st.builds(ev.Source, ref=TEXT)),
                   max_size=2).map(tuple)
WINDOWS = st.none() | st.builds(ev.Window, earliest=st.dates(), latest=st.dates(), doc=st.none() | TEXT,
                                quote=st.none() | TEXT)
COMMON = {"id": TEXT, "at": MOMENTS, "title": TEXT, "cameo": st.sampled_from(sorted(cameo.CODES)),
          "goldstein": st.floats(-10, 10, allow_nan=False), "sources": SOURCES, "window": WINDOWS,
          "because": st.lists(TEXT, max_size=2).map(tuple), "summary": st.none() | TEXT,
          "actor": st.none() | TEXT}
ANY_EVENT = st.one_of(
    st.builds(ev.Statement, **COMMON, kind=st.sampled_from(sorted(ev.Statement.CAMEO_BY_KIND))),
    st.builds(ev.Demand, **COMMON, from_=TEXT, to=TEXT, what=TEXT, deadline=st.none() | MOMENTS),
    st.builds(ev.Seizure, **COMMON, site=TEXT, to=TEXT, from_=st.none() | TEXT, partial=st.booleans()),
    st.builds(ev.Sanctions, **COMMON, against=TEXT, measures=st.lists(TEXT, max_size=3).map(tuple),
              targets=st.lists(TEXT, max_size=3).map(tuple)),
    st.builds(ev.Exercise, **COMMON, region=TEXT, troops=st.none() | st.integers(0, 10**6),
              duration_days=st.none() | st.floats(0.001, 1000)),
    st.builds(ev.Deployment, **COMMON, region=TEXT, estimate=st.booleans()),
    st.builds(ev.Threat, **COMMON, consequence=TEXT, condition=st.none() | TEXT, by=st.none() | MOMENTS),
    st.builds(ev.Talks, **COMMON, mode=st.sampled_from(["meeting", "call"]),
              participants=st.lists(TEXT, max_size=3).map(tuple)),
    st.builds(ev.DeadlinePassed, **COMMON, demand=TEXT, cause=st.lists(TEXT, max_size=2).map(tuple)),
    st.builds(ev.ThreatLapsed, **COMMON, threat=TEXT, cause=st.lists(TEXT, max_size=2).map(tuple)),
)


@FAST
@given(ANY_EVENT, st.integers(0, 10**6))
def test_codec_round_trip_for_arbitrary_events(event, seq):
    assert event_to_dict(event, seq)["seq"] == seq
    assert event_from_dict(event_to_dict(event, seq)) == event
    assert event_from_dict(json.loads(event_line(event, seq))) == event


def test_codec_refuses_an_unknown_type():
    with pytest.raises(ReplayError, match="unknown event type"):
        event_from_dict({"seq": 0, "type": "invasion", "id": "x"})


@FAST
@given(ANY_EVENT)
def test_maker_makes_what_the_class_makes(event):
    fields = attrs.asdict(event, recurse=False)
    made = ev.maker(type(event))(**fields)
    assert made == event and type(made) is type(event)
    assert attrs.asdict(made, recurse=False) == fields
    required = {a.name: fields[a.name] for a in attrs.fields(type(event)) if a.default is attrs.NOTHING}
    assert ev.maker(type(event))(**required) == type(event)(**required)  # defaults as attrs fills them
    # defaults of the maker's own stand in for required fields and the class's defaults alike
    given = {"cameo": event.cameo, "goldstein": event.goldstein, "actor": event.actor}
    rest = {k: v for k, v in fields.items() if k not in given}
    assert ev.maker(type(event), **given)(**rest) == event


def test_maker_refuses_a_default_for_a_field_the_class_does_not_have():
    with pytest.raises(TypeError, match="Statement has no field troops"):
        ev.maker(ev.Statement, troops=5)


@given(st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9000, 12, 30),
                    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=-7, minutes=-30))])))
def test_stamp_is_the_fixed_width_utc_form(moment):
    from engine.dates import stamp
    assert stamp(moment) == moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(stamp(moment)) == 20


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                    timezones=st.none() | st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=5, minutes=45)),
                                                           dt.timezone(dt.timedelta(hours=-7, minutes=-30))])))
def test_stamp_is_isoformats_utc_seconds_in_any_year(moment):
    """Years below 1000 too (four digits, as isoformat pads them), naive moments read as local
    time as `astimezone` reads them, and the microseconds dropped."""
    from engine.dates import stamp
    assert stamp(moment) == moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")[:19] + "Z"


@given(st.text())
def test_json_text_escapes_what_could_steer_a_terminal_and_nothing_else(text):
    from engine.codec import to_json
    out = to_json(text)
    assert json.loads(out) == text
    assert not any(0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" or 0x202A <= ord(c) <= 0x202E
                   or 0x2066 <= ord(c) <= 0x2069 for c in out)


def test_delete_is_escaped_though_it_is_ascii():
    from engine.codec import to_json
    assert to_json("a\x7fb") == '"a\\u007fb"'


@FAST
@given(st.builds(build_scenario, st.lists(SPEC, min_size=2, max_size=30), st.just(7.0)), st.integers(0, 10**6),
       st.integers(0, 40), st.integers(1, 4))
def test_a_counterfactual_shares_only_the_snapshots_of_the_events_it_did_not_change(scenario, n, at, every):
    """A skip takes the snapshots of the logs it begins like (`_Track.share`): each must be the
    state its prefix of the new log folds to, and skipping back and forth must land on states
    folded from scratch."""
    from engine.cursor import Replay

    replay = Replay(simulate(scenario), every=every)
    replay.goto(min(at, len(replay)))
    first = scenario.events[n % len(scenario.events)].id
    second = scenario.events[n // 7 % len(scenario.events)].id
    for move in (lambda: replay.skip(first), lambda: replay.goto(len(replay)),
                 lambda: replay.skip(second) if second not in replay.skipped | replay.log.skipped else replay,
                 lambda: replay.unskip(first), lambda: replay.reset()):
        move()
        track = replay._track
        for j, snapshot in enumerate(track.snapshots):
            assert snapshot == fold(track.events[: j * every], scenario.model)
        assert replay.state == fold(replay.log.events[: replay.position], scenario.model)
