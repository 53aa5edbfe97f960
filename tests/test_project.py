"""engine.project: pure reducers, tension decay and pressure, on hand-built events."""
from __future__ import annotations

import datetime as dt

import pytest

from engine import cameo
from engine import events as ev
from engine.project import decay, fold, pressure, scan, step, tension_at
from engine.scenario import Model
from engine.state import ControlState, DemandState, DeploymentState, DetentionState, SanctionsState, State

UTC = dt.timezone.utc
T0 = dt.datetime(2020, 1, 1, tzinfo=UTC)
MODEL = Model(half_life_days=7, impulse_per_goldstein=1.0, sanctions=1.5, exercise=2.0, detention=2.0, occupation=1.0)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def make(cls, event_id: str, days: float = 0, **fields):
    """An event of `cls` at day `days`, scored by its type's default CAMEO code unless told."""
    code = fields.pop("cameo", cls.DEFAULT_CAMEO)
    score = fields.pop("goldstein", cameo.goldstein(code))
    return cls(id=event_id, at=day(days), title=event_id, cameo=code, goldstein=score, **fields)


def after(*events, model=MODEL) -> State:
    return fold(events, model)


# --- step itself ---------------------------------------------------------------------------------


def test_step_sets_time_seq_and_last_event():
    state = step(State(), make(ev.Statement, "s", 2), MODEL)
    assert (state.time, state.seq, state.last) == (day(2), 0, "s")
    later = step(State(time=day(1), seq=4), make(ev.Statement, "t", 2), MODEL)
    assert (later.time, later.seq, later.last) == (day(2), 5, "t")  # the log's next position


def test_step_returns_a_new_state_and_leaves_the_old_one_alone():
    before = after(make(ev.Demand, "d", 0, from_="NTH", to="STH", what="w"))
    later = step(before, make(ev.DemandResolved, "r", 1, demand="d", outcome="met"), MODEL)
    assert before.demands[0].status == "open"
    assert later.demands[0].status == "met"
    assert later is not before


def test_step_refuses_an_event_earlier_than_the_state():
    state = after(make(ev.Statement, "late", 5))
    with pytest.raises(ValueError, match="early.*before the state's time"):
        step(state, make(ev.Statement, "early", 4), MODEL)


def test_step_accepts_an_event_at_the_same_moment():
    state = after(make(ev.Statement, "a", 5), make(ev.Statement, "b", 5))
    assert (state.time, state.last) == (day(5), "b")


def test_statement_changes_nothing_but_time_and_impulse():
    state = after(make(ev.Statement, "s", 1, kind="accusation", cameo="112"))
    assert attrs_parts(state) == attrs_parts(State())
    assert state.impulse == pytest.approx(2.0)  # Goldstein -2 is two points of conflict


def attrs_parts(state: State) -> tuple:
    return (state.demands, state.sanctions, state.threats, state.deployments, state.detentions, state.control,
            state.talks, state.ousted, state.pressure)


@pytest.mark.parametrize("cls, fields", [
    (ev.Referendum, {"region": "south"}),
    (ev.Aid, {"actor": "WST", "to": "STH", "amount": "a lot"}),
    (ev.Proposal, {"actor": "NTH", "terms": ("talk",)}),
    (ev.Agreement, {"parties": ("NTH", "STH"), "terms": ("peace",)}),
])
def test_types_without_a_state_part_only_move_tension(cls, fields):
    event = make(cls, "x", 1, **fields)
    state = after(event)
    assert attrs_parts(state) == attrs_parts(State())
    assert state.impulse == pytest.approx(-event.goldstein)


# --- one reducer per event type ------------------------------------------------------------------


def test_ouster_adds_the_ousted():
    state = after(make(ev.Ouster, "o", 0, ousted="YANUKOVYCH"), make(ev.Ouster, "p", 1, ousted="OTHER"))
    assert state.ousted == ("YANUKOVYCH", "OTHER")


def test_seizure_gives_control_and_a_second_one_changes_hands():
    first = make(ev.Seizure, "taken", 0, site="port", to="STH", from_="NTH", region="south", partial=True)
    state = after(first)
    assert state.control == (ControlState(site="port", controller="STH", previous="NTH", since=day(0), by="taken",
                                          partial=True, region="south"),)
    assert state.pressure == pytest.approx(MODEL.occupation)
    retaken = make(ev.Seizure, "retaken", 3, site="port", to="NTH")
    other = make(ev.Seizure, "airport", 4, site="airport", to="STH")
    state = after(first, retaken, other)
    assert [(c.site, c.controller, c.previous, c.by) for c in state.control] == [
        ("port", "NTH", "STH", "retaken"), ("airport", "STH", None, "airport")]
    assert state.pressure == pytest.approx(2 * MODEL.occupation)


def test_sanctions_are_in_force_and_add_pressure():
    event = make(ev.Sanctions, "s", 2, actor="NTH", against="STH", measures=("asset freezes",), targets=("bank",))
    state = after(event)
    assert state.sanctions == (SanctionsState(id="s", actor="NTH", against="STH", measures=("asset freezes",),
                                              targets=("bank",), since=day(2)),)
    assert state.pressure == pytest.approx(1.5)
    assert state.tension == pytest.approx(8.0 + 1.5)


def test_threat_is_pending_then_triggered_or_lapsed():
    one = make(ev.Threat, "t1", 0, actor="NTH", consequence="sanctions", condition="vote")
    two = make(ev.Threat, "t2", 0, actor="EST", consequence="closing the strait")
    state = after(one, two)
    assert [(t.id, t.status, t.condition, t.since) for t in state.threats] == [
        ("t1", "pending", "vote", day(0)), ("t2", "pending", None, day(0))]
    triggered = step(state, make(ev.ThreatTriggered, "t1/triggered", 1, threat="t1", cause=("t1", "vote")),
                     MODEL)
    assert [t.status for t in triggered.threats] == ["triggered", "pending"]
    lapsed = step(triggered, make(ev.ThreatLapsed, "t2/lapsed", 2, threat="t2"), MODEL)
    assert [t.status for t in lapsed.threats] == ["triggered", "lapsed"]


def test_demand_opens_and_a_resolution_closes_only_it():
    d1 = make(ev.Demand, "d1", 0, from_="NTH", to="STH", what="withdraw", deadline=day(4))
    d2 = make(ev.Demand, "d2", 1, from_="STH", to="NTH", what="apologise")
    state = after(d1, d2)
    assert state.demands[0] == DemandState(id="d1", from_="NTH", to="STH", what="withdraw", since=day(0),
                                           deadline=day(4))
    assert len(state.open_demands) == 2
    closed = step(state, make(ev.DemandResolved, "no", 2, demand="d1", outcome="rejected"), MODEL)
    assert [(d.id, d.status, d.closed_at, d.closed_by) for d in closed.demands] == [
        ("d1", "rejected", day(2), "no"), ("d2", "open", None, None)]
    assert [d.id for d in closed.open_demands] == ["d2"]


def test_deadline_passed_marks_the_demand_overdue_but_open():
    d = make(ev.Demand, "d", 0, from_="NTH", to="STH", what="w", deadline=day(1))
    state = after(d, make(ev.DeadlinePassed, "d/deadline-passed", 2, demand="d", cause=("d",)))
    assert state.demands[0].overdue is True
    assert state.demands[0].status == "open"
    assert len(state.open_demands) == 1


def test_talks_are_recorded():
    state = after(make(ev.Talks, "call", 1, mode="call", participants=("KERRY", "LAVROV"), cameo="041"))
    assert [(t.id, t.mode, t.participants, t.place, t.at) for t in state.talks] == [
        ("call", "call", ("KERRY", "LAVROV"), None, day(1))]
    assert state.impulse == pytest.approx(-1.0)  # cooperation lowers tension


def test_deployment_adds_forces_and_troops_by_actor():
    state = after(make(ev.Deployment, "a", 0, actor="RUS", region="Crimea", troops=16000, estimate=True),
                  make(ev.Deployment, "b", 1, actor="RUS", region="border", troops=4000),
                  make(ev.Deployment, "c", 2, actor="USA", region="Poland", assets="jets"))
    assert [(d.id, d.exercise, d.estimate) for d in state.deployments] == [
        ("a", False, True), ("b", False, False), ("c", False, False)]
    assert state.troops == {"RUS": 20000}
    assert state.pressure == 0  # deployments are impulses only, not conditions


def test_exercise_is_a_deployment_with_an_end_and_adds_pressure_until_it_ends():
    exercise = make(ev.Exercise, "drill", 1, actor="RUS", region="border", troops=5000, duration_days=10)
    state = after(exercise)
    assert state.deployments == (DeploymentState(id="drill", actor="RUS", region="border", troops=5000, assets=None,
                                                 since=day(1), exercise=True, until=day(11)),)
    assert [d.id for d in state.exercises] == ["drill"]
    assert state.pressure == pytest.approx(2.0)
    ended = step(state, make(ev.ExerciseEnded, "drill/ended", 11, exercise="drill", cause=("drill",)), MODEL)
    assert ended.deployments == ()
    assert ended.pressure == 0


def test_exercise_without_duration_has_no_end():
    state = after(make(ev.Exercise, "drill", 1, actor="RUS", region="border"))
    assert state.deployments[0].until is None


def test_detention_holds_until_its_release():
    held = make(ev.Detention, "held", 0, actor="SEPARATISTS", detained="inspectors", count=8, place="Sloviansk")
    other = make(ev.Detention, "other", 0, actor="CRIMEA_SD", detained="envoy")
    state = after(held, other)
    assert state.detentions[0] == DetentionState(id="held", actor="SEPARATISTS", detained="inspectors", count=8,
                                                 place="Sloviansk", since=day(0))
    assert state.pressure == pytest.approx(4.0)
    released = step(state, make(ev.Release, "out", 3, detention="held"), MODEL)
    assert [d.id for d in released.detentions] == ["other"]
    assert released.pressure == pytest.approx(2.0)


# --- tension --------------------------------------------------------------------------------------


def test_decay_halves_every_half_life():
    assert decay(0, MODEL) == 1.0
    assert decay(7 * 86_400, MODEL) == pytest.approx(0.5)
    assert decay(14 * 86_400, MODEL) == pytest.approx(0.25)
    assert decay(3.5 * 86_400, MODEL) == pytest.approx(0.5 ** 0.5)
    assert decay(-86_400, MODEL) == 1.0  # never grows backwards


def test_an_impulse_halves_after_half_life_days():
    model = Model(half_life_days=5)
    state = fold([make(ev.Sanctions, "s", 0, actor="NTH", against="STH", measures=("m",))],
                 Model(half_life_days=5, sanctions=0))
    assert state.tension == pytest.approx(8.0)
    assert tension_at(state, day(5), model) == pytest.approx(4.0)
    assert tension_at(state, day(10), model) == pytest.approx(2.0)
    # a neutral event five days later carries the halved impulse
    later = step(state, make(ev.Statement, "s2", 5), model)
    assert later.impulse == pytest.approx(4.0)


def test_cooperation_lowers_tension_and_scale_multiplies():
    model = Model(impulse_per_goldstein=2.0)
    state = fold([make(ev.Demand, "d", 0, from_="NTH", to="STH", what="w"),
                  make(ev.Aid, "aid", 0, actor="WST", to="STH", amount="x")], model)
    assert state.impulse == pytest.approx(2.0 * (5.0 - 7.4))


def test_pressure_counts_each_condition_with_its_weight():
    model = Model(sanctions=1, exercise=10, detention=100, occupation=1000)
    state = fold([
        make(ev.Sanctions, "s1", 0, actor="A", against="B", measures=("m",)),
        make(ev.Sanctions, "s2", 0, actor="C", against="B", measures=("m",)),
        make(ev.Exercise, "x", 0, actor="B", region="r"),
        make(ev.Deployment, "dep", 0, actor="B", region="r"),
        make(ev.Detention, "held", 0, actor="B", detained="people"),
        make(ev.Seizure, "taken", 0, site="port", to="B"),
        make(ev.Seizure, "taken2", 0, site="port", to="A"),
    ], model)
    assert pressure(state, model) == 2 * 1 + 10 + 100 + 1000
    assert state.pressure == 1112


def test_pressure_does_not_decay():
    model = Model(half_life_days=1, detention=2.0)
    state = fold([make(ev.Detention, "held", 0, actor="B", detained="people", goldstein=0.0)], model)
    assert tension_at(state, day(100), model) == pytest.approx(2.0)


def test_tension_at_combines_decayed_impulse_and_pressure():
    state = fold([make(ev.Exercise, "x", 0, actor="B", region="r")], MODEL)  # Goldstein -7.2, exercise 2.0
    assert state.tension == pytest.approx(7.2 + 2.0)
    assert tension_at(state, day(7), MODEL) == pytest.approx(3.6 + 2.0)
    assert tension_at(state, day(0), MODEL) == pytest.approx(state.tension)


def test_tension_of_the_empty_state_is_zero():
    assert tension_at(State(), T0, MODEL) == 0.0
    assert State().tension == 0.0


# --- fold and scan -------------------------------------------------------------------------------


def _events():
    return [
        make(ev.Demand, "d", 0, from_="NTH", to="STH", what="w"),
        make(ev.Sanctions, "s", 1, actor="NTH", against="STH", measures=("m",)),
        make(ev.DemandResolved, "r", 2, demand="d", outcome="met"),
    ]


def test_scan_yields_one_state_per_event_and_ends_with_the_fold():
    states = list(scan(_events(), MODEL))
    assert [s.last for s in states] == ["d", "s", "r"]
    assert states[-1] == fold(_events(), MODEL)
    assert states[1] == fold(_events()[:2], MODEL)


def test_fold_of_nothing_is_the_initial_state():
    assert fold([], MODEL) == State()
    start = after(make(ev.Statement, "a", 0))
    assert fold([], MODEL, start) is start


def test_fold_continues_from_a_given_state():
    events = _events()
    assert fold(events[1:], MODEL, fold(events[:1], MODEL)) == fold(events, MODEL)
