"""The columnar figures (`engine.figures`) agree with the reducers' states at every event."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import cameo
from engine import events as ev
from engine.columns import Columns
from engine.figures import figures, unrestated
from engine.project import scan
from engine.reader import load_scenario
from engine.scenario import Model, Scenario
from engine.sim import simulate
from engine.timeline import entries

UTC = dt.timezone.utc
T0 = dt.datetime(2020, 1, 1, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def assert_agree(log) -> None:
    """Every position's figures are the timeline entry's, exactly (floats included)."""
    got = figures(log.events, log.scenario.model)
    for columns in (log.columns, Columns.of(log.events)):  # the run's, when it had them, and made here
        if columns is not None:
            assert figures(log.events, log.scenario.model, columns).impulse == got.impulse
    expected = list(entries(log))
    assert len(got) == len(expected) == len(log)
    for i, (row, entry) in enumerate(zip(got.rows(), expected)):
        event, tension, open_demands, sanctions, troops, detained, sites, changes = row
        s = entry.state
        want = (entry.event, s.tension, len(s.open_demands), len(s.sanctions), s.troops, len(s.detentions),
                len(s.control), entry.changes)
        assert (event, tension, open_demands, sanctions, troops, detained, sites, changes) == want, f"position {i}"
        assert got.row(i) == row
        assert (got.impulse[i], got.pressure[i]) == (s.impulse, s.pressure)


def test_every_reducer_is_restated():
    assert unrestated() == set()


def test_spring2014_figures_are_its_timeline():
    assert_agree(simulate(load_scenario(ROOT / "scenario" / "spring2014.yaml")))


def test_synthetic_figures_are_its_timeline(tmp_path):
    from engine.synth import write

    path = tmp_path / "synthetic.jsonl"
    write(path, 3000, 11)
    assert_agree(simulate(load_scenario(path)))


def test_an_empty_log_has_no_figures():
    scenario = Scenario(id="x", title="x", path=Path("x.yaml"), seeds=Path("seeds"), model=Model(), actors=(),
                        documents=(), events=())
    assert len(figures(simulate(scenario).events, scenario.model)) == 0


def test_events_out_of_order_are_refused():
    a = _make(ev.Statement, "a", T0 + dt.timedelta(days=1), kind="comment", actor="N")
    b = _make(ev.Statement, "b", T0, kind="comment", actor="N")
    with pytest.raises(ValueError, match="event b at .* comes before"):
        figures([a, b], Model())
    with pytest.raises(ValueError, match="event b at .* comes before"):
        figures([a, b], Model(), Columns.of([a, b]))


def test_columns_must_be_the_logs():
    a = _make(ev.Statement, "a", T0, kind="comment", actor="N")
    with pytest.raises(ValueError, match="columns of 0 events for a log of 1"):
        figures([a], Model(), Columns.of([]))


def test_spring2014_log_has_the_columns_of_its_events():
    """A loaded scenario's run keeps its log's times and scores beside it, as made from the events."""
    log = simulate(load_scenario(ROOT / "scenario" / "spring2014.yaml"))
    made = Columns.of(log.events)
    assert (log.columns.origin, log.columns.times, log.columns.scores, log.columns.kinds) == \
        (made.origin, made.times, made.scores, made.kinds)
    assert any(e.DERIVED for e in log.events)  # the derived events' too


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**12), st.floats(-10, 10, allow_nan=False)), min_size=1, max_size=30),
       st.sampled_from([T0, dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(9000, 12, 31, tzinfo=UTC),
                        dt.datetime(2014, 3, 1)]),
       st.floats(0.01, 400), st.floats(-3, 3, allow_nan=False))
def test_tension_from_columns_is_the_same_float(gaps, start, half_life, scale):
    """Gaps of any microseconds, in naive or aware time, near either end of the calendar: the
    columns give the floats the reducers compute from the events' datetimes, to the bit."""
    events, at = [], start
    for i, (microseconds, score) in enumerate(sorted(gaps)):
        at = min(at + dt.timedelta(microseconds=microseconds % (10**12 if i % 3 else 10**7)),
                 dt.datetime(9999, 12, 31, tzinfo=at.tzinfo))
        events.append(ev.Statement(id=f"s{i}", at=at, title="s", cameo="010", goldstein=score, kind="comment",
                                   actor="N"))
    model = Model(half_life_days=half_life, impulse_per_goldstein=scale)
    assert list(figures(events, model).impulse) == [state.impulse for state in scan(events, model)]


# --- generated logs: links that repeat, miss or undo, to reach every branch of every reducer ---

KINDS = ("statement", "demand", "resolve", "deadline", "exercise", "end", "threat", "trigger", "lapse",
         "detention", "release", "sanctions", "seizure", "talks", "deployment", "ouster")
SPEC = st.tuples(st.sampled_from(KINDS), st.integers(0, 15), st.sampled_from([0, 0, 6, 12]), st.integers(0, 10**6))


def _make(cls, id_: str, at: dt.datetime, **values):
    code = ev.default_cameo(cls, values)
    return cls(id=id_, at=at, title=f"{cls.__name__} {id_}", cameo=code, goldstein=cameo.goldstein(code), **values)


def _pick(ids: list[str], n: int) -> str:
    return ids[n % len(ids)] if ids and n % 7 else f"missing-{n % 3}"  # now and then one that is not there


def build(specs: list[tuple], half_life: float) -> list[ev.Event]:
    specs = sorted(specs, key=lambda s: (s[1], s[2]))
    out: list[ev.Event] = []
    seen: dict[str, list[str]] = {k: [] for k in KINDS}
    actors = ("NTH", "STH", "EST", None)
    for i, (kind, day, hour, n) in enumerate(specs):
        at, id_ = T0 + dt.timedelta(days=day, hours=hour), f"e{i}"
        if kind == "statement":
            e = _make(ev.Statement, id_, at, kind="comment", actor="NTH")
        elif kind == "demand":
            e = _make(ev.Demand, id_, at, from_="NTH", to="STH", what=f"w{n % 3}")
        elif kind == "resolve":  # may resolve one already resolved, or one that is not there
            e = _make(ev.DemandResolved, id_, at, demand=_pick(seen["demand"], n),
                      outcome=("met", "rejected", "withdrawn", "open")[n % 4])
        elif kind == "deadline":
            e = _make(ev.DeadlinePassed, id_, at, demand=_pick(seen["demand"], n), cause=("x",))
        elif kind == "exercise":
            e = _make(ev.Exercise, id_, at, actor=actors[n % 4], region="border", troops=(None, 0, 500, 1200)[n % 4])
        elif kind == "end":  # may name a deployment, which no exercise end removes
            e = _make(ev.ExerciseEnded, id_, at, exercise=_pick(seen["exercise"] + seen["deployment"], n),
                      cause=("x",), actor=actors[n % 4])
        elif kind == "threat":
            e = _make(ev.Threat, id_, at, actor=actors[n % 4], consequence=f"c{n % 2}")
        elif kind in ("trigger", "lapse"):
            cls = ev.ThreatTriggered if kind == "trigger" else ev.ThreatLapsed
            e = _make(cls, id_, at, threat=_pick(seen["threat"], n), cause=("x",), actor="NTH")
        elif kind == "detention":
            e = _make(ev.Detention, id_, at, actor="STH", detained=f"observers {n % 3}", place=(None, "Sloviansk")[n % 2])
        elif kind == "release":
            e = _make(ev.Release, id_, at, detention=_pick(seen["detention"], n))
        elif kind == "sanctions":
            e = _make(ev.Sanctions, id_, at, actor=actors[n % 4], against="STH", measures=("m", "n")[: 1 + n % 2])
        elif kind == "seizure":
            e = _make(ev.Seizure, id_, at, site=("port", "airport", "hall")[n % 3], to=actors[n // 3 % 3],
                      from_=(None, "EST")[n % 2], partial=bool(n % 5 == 0))
        elif kind == "talks":
            e = _make(ev.Talks, id_, at, mode=("meeting", "call")[n % 2], participants=("NTH", "STH"),
                      place=(None, "Geneva")[n % 2])
        elif kind == "deployment":
            e = _make(ev.Deployment, id_, at, actor=actors[n % 4], region="border", troops=(None, 40000, 300)[n % 3],
                      estimate=bool(n % 2))
        else:
            e = _make(ev.Ouster, id_, at, ousted=f"P{n % 2}")
        seen[kind].append(id_)
        out.append(e)
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SPEC, min_size=0, max_size=30), st.sampled_from([0.5, 1.0, 7.0, 30.0]),
       st.sampled_from([1.0, 0.25, 3.0]))
def test_generated_figures_are_the_timeline(specs, half_life, weight):
    events = tuple(build(specs, half_life))
    model = Model(half_life_days=half_life, sanctions=1.5 * weight, exercise=2.0, detention=2.0 * weight,
                  occupation=weight)
    scenario = Scenario(id="g", title="g", path=Path("g.yaml"), seeds=Path("seeds"), model=model, actors=(),
                        documents=(), events=())
    from engine.sim import Log

    assert_agree(Log(scenario=scenario, events=events))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(-5, 5)), max_size=20), st.integers(0, 35),
       st.integers(-1, 5))
def test_steps_read_like_the_list_they_stand_for(changes, length, initial):
    from array import array

    from engine.figures import Steps

    last: dict[int, int] = {}
    for position, value in changes:
        if position < length:
            last[position] = value
    positions = sorted(last)
    steps = Steps(array("q", positions), array("q", [last[p] for p in positions]), initial, length)
    expected, value = [], initial
    for i in range(length):
        value = last.get(i, value)
        expected.append(value)
    assert list(steps) == expected == [steps[i] for i in range(length)] == steps[:]
    assert len(steps) == length
    if length:
        assert steps[-1] == expected[-1]
    with pytest.raises(IndexError):
        steps[length]


def test_a_timeline_cut_short_keeps_the_columns_of_its_events():
    from engine.timeline import build

    timeline = build(simulate(load_scenario(ROOT / "scenario" / "spring2014.yaml")))
    cut = timeline.until(dt.datetime(2014, 3, 16, 23, 59, tzinfo=UTC))
    made = Columns.of(cut.log.events)
    assert 0 < len(cut) < len(timeline)
    assert (cut.log.columns.times, cut.log.columns.scores, cut.log.columns.kinds) == (made.times, made.scores, made.kinds)
    assert list(cut.figures.tensions()) == [e.state.tension for e in cut.entries]


def test_a_scenario_given_other_events_is_not_run_with_the_plan_of_its_own():
    """`attrs.evolve(scenario, events=…)` keeps the field `prepared`, made for the old events:
    a run must not use it (a what-if built by hand would silently replay the original)."""
    import attrs

    scenario = load_scenario(ROOT / "scenario" / "spring2014.yaml")
    fewer = attrs.evolve(scenario, events=tuple(e for e in scenario.events if e.id != "crimea-referendum"))
    assert fewer.prepared is scenario.prepared
    bare = attrs.evolve(fewer, prepared=None)
    assert simulate(fewer).events == simulate(bare).events != simulate(scenario).events
    assert simulate(fewer).columns is None
