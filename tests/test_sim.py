"""engine.sim: documented events arrive in order and each rule emits its derived event."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine import events as ev
from engine.reader import load_scenario
from engine.scenario import Model, Scenario
from engine.sim import simulate

UTC = dt.timezone.utc


def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(tmp_path, write_scenario, head, events: str, **kwargs):
    return simulate(load_scenario(write_scenario(tmp_path, head + "events:\n" + events)), **kwargs)


def ids(log) -> list[str]:
    return [e.id for e in log]


def derived(log) -> list[ev.Event]:
    return [e for e in log if e.DERIVED]


DEMAND = """\
  - {id: d, type: demand, at: 2020-01-06, title: d, from: NTH, to: STH, what: w, deadline: 2020-01-10,
     sources: [{ref: r}]}
"""


# --- the fixture scenario, every rule at once ---------------------------------------------------


@pytest.fixture
def rules_log(rules_path):
    return simulate(load_scenario(rules_path))


def test_rules_log_in_order(rules_log):
    assert [(e.id, e.at) for e in rules_log] == [
        ("withdraw-demand", moment("2020-01-06")),
        ("border-exercise", moment("2020-01-07")),
        ("vote-threat", moment("2020-01-08")),
        ("strait-threat", moment("2020-01-08")),
        ("withdraw-demand/deadline-passed", moment("2020-01-11")),
        ("vote", moment("2020-01-12")),
        ("vote-threat/triggered", moment("2020-01-12")),
        ("sanctions", moment("2020-01-13")),
        ("observers-detained", moment("2020-01-14")),
        ("observers-released", moment("2020-01-16")),
        ("strait-threat/lapsed", moment("2020-01-16")),
        ("port-seized", moment("2020-01-16T12:00:00")),
        ("border-exercise/ended", moment("2020-01-17")),
        ("aid", moment("2020-01-18")),
        ("talks", moment("2020-01-20")),
    ]


def test_log_is_ordered_by_time(rules_log, spring_path):
    for log in (rules_log, simulate(load_scenario(spring_path))):
        assert [e.at for e in log] == sorted(e.at for e in log)
        assert len(set(ids(log))) == len(log)


def test_every_derived_event_names_its_cause(rules_log):
    causes = {e.id: (e.TYPE, e.cause) for e in derived(rules_log)}
    assert causes == {
        "withdraw-demand/deadline-passed": ("deadline_passed", ("withdraw-demand",)),
        "vote-threat/triggered": ("threat_triggered", ("vote-threat", "vote")),
        "strait-threat/lapsed": ("threat_lapsed", ("strait-threat",)),
        "border-exercise/ended": ("exercise_ended", ("border-exercise",)),
    }
    seen = set()
    for event in rules_log:
        assert all(cause in seen for cause in event.cause), event.id  # causes come earlier in the log
        seen.add(event.id)


def test_derived_events_point_at_what_they_settle(rules_log):
    by_id = {e.id: e for e in rules_log}
    assert by_id["withdraw-demand/deadline-passed"].demand == "withdraw-demand"
    assert (by_id["withdraw-demand/deadline-passed"].actor, by_id["withdraw-demand/deadline-passed"].target) == (
        "STH", "NTH")
    assert by_id["border-exercise/ended"].exercise == "border-exercise"
    assert by_id["vote-threat/triggered"].threat == "vote-threat"
    assert by_id["strait-threat/lapsed"].threat == "strait-threat"
    for e in derived(rules_log):
        assert (e.cameo, e.DERIVED, e.sources) == (type(e).DEFAULT_CAMEO, True, ())
        assert not e.outside_seeds


def test_documented_events_are_the_scenarios_own(rules_path):
    scenario = load_scenario(rules_path)
    log = simulate(scenario)
    documented = [e for e in log if not e.DERIVED]
    assert all(a is b for a, b in zip(documented, scenario.events, strict=True))  # not copies


# --- deadline_passed -----------------------------------------------------------------------------


def test_deadline_passes_at_the_end_of_the_deadline_day(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, DEMAND)
    [passed] = derived(log)
    assert isinstance(passed, ev.DeadlinePassed)
    assert passed.at == moment("2020-01-11")
    assert passed.cause == ("d",)
    assert passed.title == "Deadline passes: d"


def test_deadline_at_a_time_of_day_passes_then(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, DEMAND.replace("deadline: 2020-01-10", "deadline: 2020-01-10T12:00:00Z"))
    assert [e.at for e in derived(log)] == [moment("2020-01-10T12:00:00")]


@pytest.mark.parametrize("resolved_at", ["2020-01-07", "2020-01-10", "2020-01-10T23:59:59Z"])
def test_no_deadline_passed_when_resolved_in_time(tmp_path, write_scenario, head, resolved_at):
    log = run(tmp_path, write_scenario, head, DEMAND + f"""\
  - {{id: met, type: demand_resolved, at: {resolved_at}, title: met, demand: d, outcome: met, sources: [{{ref: r}}]}}
""")
    assert ids(log) == ["d", "met"]


def test_deadline_passes_before_a_late_resolution(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, DEMAND + """\
  - {id: late, type: demand_resolved, at: 2020-01-12, title: late, demand: d, outcome: met, sources: [{ref: r}]}
""")
    assert ids(log) == ["d", "d/deadline-passed", "late"]


def test_demand_without_deadline_never_passes(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, DEMAND.replace(" deadline: 2020-01-10,", "") + """\
  - {id: later, type: statement, at: 2020-03-01, title: later, sources: [{ref: r}]}
""")
    assert derived(log) == []


# --- exercise_ended ------------------------------------------------------------------------------


@pytest.mark.parametrize("duration, ends", [("10", "2020-01-17"), ("1.5", "2020-01-08T12:00:00")])
def test_exercise_ends_after_its_duration(tmp_path, write_scenario, head, duration, ends):
    log = run(tmp_path, write_scenario, head, f"""\
  - {{id: drill, type: exercise, at: 2020-01-07, title: drill, actor: STH, region: border, duration_days: {duration},
     sources: [{{ref: r}}]}}
""")
    [ended] = derived(log)
    assert isinstance(ended, ev.ExerciseEnded)
    assert (ended.id, ended.at, ended.cause, ended.exercise, ended.actor) == (
        "drill/ended", moment(ends), ("drill",), "drill", "STH")


def test_exercise_without_duration_does_not_end(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, """\
  - {id: drill, type: exercise, at: 2020-01-07, title: drill, actor: STH, region: border, sources: [{ref: r}]}
  - {id: later, type: statement, at: 2020-03-01, title: later, sources: [{ref: r}]}
""")
    assert derived(log) == []


# --- threats -------------------------------------------------------------------------------------

THREAT = """\
  - {id: t, type: threat, at: 2020-01-08, title: t, actor: NTH, consequence: c, condition: vote, by: 2020-01-20,
     sources: [{ref: r}]}
"""


def vote(at: str) -> str:
    return f"  - {{id: vote, type: referendum, at: {at}, title: vote, region: south, sources: [{{ref: r}}]}}\n"


def test_threat_triggered_when_its_condition_happens(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, THREAT + vote("2020-01-12T09:00:00Z"))
    assert ids(log) == ["t", "vote", "t/triggered"]
    triggered = log[2]
    assert isinstance(triggered, ev.ThreatTriggered)
    assert (triggered.at, triggered.cause, triggered.threat) == (moment("2020-01-12T09:00:00"), ("t", "vote"), "t")


def test_threat_triggered_at_once_when_its_condition_happened_before(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, vote("2020-01-02") + THREAT)
    assert ids(log) == ["vote", "t", "t/triggered"]
    assert log[2].at == moment("2020-01-08")
    assert log[2].cause == ("t", "vote")


def test_threat_lapses_when_by_passes_first(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, THREAT + vote("2020-01-25"))
    assert ids(log) == ["t", "t/lapsed", "vote"]
    lapsed = log[1]
    assert isinstance(lapsed, ev.ThreatLapsed)
    assert (lapsed.at, lapsed.cause, lapsed.threat) == (moment("2020-01-21"), ("t",), "t")


def test_threat_without_by_waits_for_ever(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, THREAT.replace(" by: 2020-01-20,", "") + vote("2021-06-01"))
    assert ids(log) == ["t", "vote", "t/triggered"]


def test_the_plan_marks_the_events_threats_wait_for(tmp_path, write_scenario, head):
    from engine.sim import plan

    text = head + "events:\n" + DEMAND + THREAT + vote("2020-01-12") + vote("2020-01-13").replace("id: vote", "id: v2")
    documented = load_scenario(write_scenario(tmp_path, text)).events
    found = plan(documented)
    assert [documented[k].id for k in found.active] == ["d", "t", "vote"]  # v2: no rule starts on it, none waits
    assert list(found.conditions) == [0, 0, 1]
    assert (found.watched, found.deadlines) == ({"vote"}, {"d"})


def test_no_rule_starts_on_a_derived_type():
    """`Run.emit` looks up no rule for what it appends: a rule for a derived type would never start."""
    from engine.sim import RULES

    assert not [cls for cls in RULES if cls.DERIVED]


def test_threat_without_condition_has_no_rule(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, THREAT.replace(" condition: vote,", "") + vote("2020-01-25"))
    assert derived(log) == []


# --- skip ----------------------------------------------------------------------------------------


def test_skipping_the_vote_removes_the_sanctions_and_lets_the_threat_lapse(rules_path):
    log = simulate(load_scenario(rules_path), skip=["vote"])
    assert log.skipped == frozenset({"vote", "sanctions"})
    assert "vote" not in ids(log) and "sanctions" not in ids(log)
    assert "vote-threat/triggered" not in ids(log)
    lapsed = next(e for e in log if e.id == "vote-threat/lapsed")
    assert lapsed.at == moment("2020-01-21")  # after the last documented event: the rules still run
    assert lapsed.cause == ("vote-threat",)
    assert [e.at for e in log] == sorted(e.at for e in log)


def test_skipping_a_demand_removes_its_deadline(rules_path):
    log = simulate(load_scenario(rules_path), skip=["withdraw-demand"])
    assert log.skipped == frozenset({"withdraw-demand"})
    assert not any(e.id.startswith("withdraw-demand") for e in log)


def test_skipping_a_detention_removes_its_release(rules_path):
    log = simulate(load_scenario(rules_path), skip=["observers-detained"])
    assert log.skipped == frozenset({"observers-detained", "observers-released"})


def test_skipping_follows_chains_of_links(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, DEMAND + """\
  - {id: a, type: statement, at: 2020-01-07, title: a, because: [d], sources: [{ref: r}]}
  - {id: b, type: statement, at: 2020-01-08, title: b, because: [a], sources: [{ref: r}]}
  - {id: met, type: demand_resolved, at: 2020-01-09, title: met, demand: d, outcome: met, sources: [{ref: r}]}
  - {id: free, type: statement, at: 2020-01-09, title: free, sources: [{ref: r}]}
""", skip=["d"])
    assert log.skipped == frozenset({"d", "a", "b", "met"})
    assert ids(log) == ["free"]


def test_nothing_skipped_by_default(rules_log):
    assert rules_log.skipped == frozenset()


def test_skipping_follows_links_between_events_at_the_same_moment(tmp_path, write_scenario, head):
    log = run(tmp_path, write_scenario, head, """\
  - {id: c, type: statement, at: 2020-01-06, title: c, sources: [{ref: r}]}
  - {id: a, type: statement, at: 2020-01-07, title: a, because: [b], sources: [{ref: r}]}
  - {id: b, type: statement, at: 2020-01-07, title: b, because: [c], sources: [{ref: r}]}
""", skip=["c"])
    assert log.skipped == frozenset({"a", "b", "c"})
    assert ids(log) == []


@pytest.mark.parametrize("tz", [None, dt.timezone.utc], ids=["naive", "utc"])
def test_the_feed_runs_on_naive_and_aware_moments_alike(tz):
    """Through the Python API a scenario may be built with naive datetimes; the feed's check
    for due timers compares moments, so it must work with either kind."""
    t0 = dt.datetime(2020, 1, 1, tzinfo=tz)

    def demand(event_id, day, deadline):
        return ev.Demand(id=event_id, at=t0 + dt.timedelta(days=day), title=event_id, cameo="100", goldstein=-5.0,
                         from_="A", to="B", what="w", deadline=deadline)

    events = (demand("d", 0, t0 + dt.timedelta(days=2)),
              ev.Statement(id="s", at=t0 + dt.timedelta(days=5), title="s", cameo="010", goldstein=0.0),
              demand("far", 6, dt.datetime(9000, 12, 31, tzinfo=tz)),
              ev.Statement(id="s2", at=t0 + dt.timedelta(days=7), title="s2", cameo="010", goldstein=0.0))
    scenario = Scenario(id="x", title="x", path=Path("x.yaml"), seeds=Path("."), model=Model(), actors=(),
                        documents=(), events=events, digest="")
    assert ids(simulate(scenario)) == ["d", "d/deadline-passed", "s", "far", "s2", "far/deadline-passed"]


# --- timers sharing a moment share a timeout (Run.at), in the order separate timeouts fire ---

from hypothesis import given, settings, strategies as st  # noqa: E402

from engine.sim import Run  # noqa: E402

_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=25))
def test_timers_fire_in_the_order_separate_timeouts_would(plan):
    """Each (day, n) sets a timer at that day; when it fires it sets n more at the same moment
    (a trigger at 'now'). The buckets must call them in SimPy's order for separate timeouts."""
    import simpy

    def moment(day: int) -> dt.datetime:
        return _EPOCH + dt.timedelta(days=day)

    # reference: one SimPy timeout per timer
    env, reference = simpy.Environment(), []

    def set_ref(label, day, spawn):
        timer = env.timeout(max(0.0, (moment(day) - _EPOCH).total_seconds() - env.now))

        def fire(_):
            reference.append(label)
            for k in range(spawn):
                set_ref(f"{label}.{k}", day, 0)
        timer.callbacks.append(fire)

    for i, (day, spawn) in enumerate(plan):
        set_ref(str(i), day, spawn)
    env.run()

    run, got = Run(None, []), []
    run.epoch = _EPOCH

    def fire(label, day, spawn):
        got.append(label)
        for k in range(spawn):
            run.at(moment(day), fire, f"{label}.{k}", day, 0)

    for i, (day, spawn) in enumerate(plan):
        run.at(moment(day), fire, str(i), day, spawn)
    run.env.run()
    assert got == reference


# --- pruning: only events that reference another are walked, to the same fixpoint ---

def _pruned_by_definition(events, roots):
    """The definition `sim.pruned` must keep: every event with a reference to a pruned one, to a fixpoint."""
    from engine.sim import references

    gone, remaining = set(roots), list(events)
    while True:
        caught = [e for e in remaining if any(ref in gone for ref in references(e))]
        if not caught:
            return frozenset(gone)
        gone.update(e.id for e in caught)
        remaining = [e for e in remaining if e.id not in gone]


def _linked_events(links: list[tuple[int, int, int]]) -> list[ev.Event]:
    """Events e0..eN; each (i, j, how) makes e_i refer to e_j by `because`, by `demand` (a resolution) or not."""
    out = []
    for i, (j, how) in enumerate(links):
        target = f"e{j}"
        at = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)  # one moment: a cause may stand later in the file
        if how == 0:
            out.append(ev.Statement(id=f"e{i}", at=at, title="t", cameo="010", goldstein=0.0, kind="comment",
                                    actor="N", because=(target,)))
        elif how == 1:
            out.append(ev.DemandResolved(id=f"e{i}", at=at, title="t", cameo="081", goldstein=3.0, demand=target,
                                         outcome="met"))
        else:
            out.append(ev.Demand(id=f"e{i}", at=at, title="t", cameo="100", goldstein=-5.0, from_="N", to="S",
                                 what="w"))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14), st.integers(0, 2)), min_size=1, max_size=15),
       st.lists(st.integers(0, 16), max_size=3))
def test_pruning_reaches_the_fixpoint_of_its_definition(links, roots):
    from engine.sim import pruned

    events = _linked_events(links)
    named = [f"e{r}" for r in roots]
    assert pruned(events, named) == _pruned_by_definition(events, named)
