"""engine.timeline: states over time, what each step changed, and why tension stands where it does."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine import events as ev
from engine.api import moment, replay
from engine.project import tension_at
from engine.reader import load_scenario
from engine.sim import simulate
from engine.state import State
from engine.timeline import build, changes, explain, quotes, tension_series

UTC = dt.timezone.utc
TESTS = Path(__file__).resolve().parent


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def spring():
    return replay(TESTS.parent / "scenario" / "spring2014.yaml")


@pytest.fixture(scope="module")
def rules():
    return replay(TESTS / "data" / "rules.yaml")


# --- explain -------------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["2014-02-22", "2014-03-01", "2014-03-06", "2014-03-16", "2014-03-17T00:00:00Z",
                                  "2014-04-17", "2014-04-26", "2014-05-03", "2014-06-30"])
def test_explain_shares_sum_to_the_tension(spring, when):
    instant = moment(when)
    state = spring.state_at(instant)
    shares = explain(spring, instant)
    assert state.time is not None
    assert sum(c.total for c in shares) == pytest.approx(tension_at(state, instant, spring.model), abs=1e-9)
    assert sum(c.condition for c in shares) == pytest.approx(state.pressure)


def test_explain_at_each_event_moment_sums_to_that_state(spring):
    last_at_moment = {}
    for entry in spring.entries:
        last_at_moment[entry.event.at] = entry.state
    for instant, state in last_at_moment.items():
        total = sum(c.total for c in explain(spring, instant))
        assert total == pytest.approx(state.tension, abs=1e-9), instant


def test_explain_lists_each_event_up_to_the_moment_largest_first(spring):
    instant = moment("2014-03-16")
    shares = explain(spring, instant)
    assert {c.event.id for c in shares} == {e.event.id for e in spring.entries if e.event.at <= instant}
    sizes = [abs(c.total) for c in shares]
    assert sizes == sorted(sizes, reverse=True)


def test_explain_credits_conditions_to_the_events_that_started_them(rules):
    shares = {c.event.id: c for c in explain(rules, moment("2020-01-14"))}
    assert shares["observers-detained"].condition == 2.0
    assert shares["sanctions"].condition == 1.5
    assert shares["border-exercise"].condition == 2.0
    assert shares["vote"].condition == 0.0
    assert shares["sanctions"].impulse == pytest.approx(8.0 * 0.5 ** (1 / 5 * (1 + 86399.999999 / 86400)))
    # once released, the detention's condition is gone; the release itself lowers tension
    later = {c.event.id: c for c in explain(rules, moment("2020-01-16"))}
    assert later["observers-detained"].condition == 0.0
    assert later["observers-released"].impulse < 0


def test_explain_before_anything_happened_is_empty(spring):
    assert explain(spring, at("2014-01-01")) == []


# --- state_at and until --------------------------------------------------------------------------


def test_state_at_takes_the_last_event_at_or_before_the_moment(rules):
    assert rules.state_at(at("2020-01-05")) == State()
    # two events on 2020-01-08: both are in the state at that moment
    state = rules.state_at(at("2020-01-08"))
    assert state.last == "strait-threat" and len(state.threats) == 2
    # between events: the state of the earlier one
    assert rules.state_at(at("2020-01-09T15:00:00")).last == "strait-threat"
    assert rules.state_at(at("2020-01-16T11:59:59")).last == "strait-threat/lapsed"
    assert rules.state_at(at("2020-01-16T12:00:00")).last == "port-seized"
    assert rules.state_at(at("2030-01-01")) == rules.final


def test_end_of_day_moment_includes_the_whole_day(rules):
    assert rules.state_at(at("2020-01-16")).last == "strait-threat/lapsed"
    assert rules.state_at(moment("2020-01-16")).last == "port-seized"


def test_timeline_has_one_entry_per_logged_event(rules):
    assert [e.event.id for e in rules.entries] == [e.id for e in rules.log]
    assert rules.final == rules.entries[-1].state
    assert len(rules) == 15


def test_until_cuts_after_the_moment(rules):
    cut = rules.until(moment("2020-01-12"))
    assert [e.event.id for e in cut.entries][-2:] == ["vote", "vote-threat/triggered"]
    assert cut.final == rules.state_at(moment("2020-01-12"))
    assert len(rules.until(at("2019-01-01"))) == 0
    assert rules.until(at("2019-01-01")).final == State()


# --- changes -------------------------------------------------------------------------------------


def changes_of(timeline, event_id):
    return list(next(e for e in timeline.entries if e.event.id == event_id).changes)


def test_changes_of_the_rules_fixture(rules):
    assert changes_of(rules, "withdraw-demand") == ["demand opened: NTH → STH: withdraw troops from the border"]
    assert changes_of(rules, "withdraw-demand/deadline-passed") == [
        "demand overdue: NTH → STH: withdraw troops from the border"]
    assert changes_of(rules, "border-exercise") == ["exercise: STH in border, 5,000 troops"]
    assert changes_of(rules, "vote-threat/triggered") == ["threat triggered: NTH — sanctions"]
    assert changes_of(rules, "strait-threat/lapsed") == ["threat lapsed: EST — closing the strait"]
    assert changes_of(rules, "sanctions") == ["sanctions in force: NTH against STH (asset freezes)"]
    assert changes_of(rules, "observers-detained") == ["detained: observers in the capital"]
    assert changes_of(rules, "observers-released") == ["released: observers"]
    assert changes_of(rules, "port-seized") == ["control: north port → STH"]
    assert changes_of(rules, "border-exercise/ended") == ["exercise over: STH in border"]
    assert changes_of(rules, "talks") == ["talks (meeting): NTH, STH"]
    assert changes_of(rules, "vote") == []
    assert changes_of(rules, "aid") == []


def _timeline(tmp_path, write_scenario, head, events):
    return build(simulate(load_scenario(write_scenario(tmp_path, head + "events:\n" + events))))


def test_changes_for_closed_demands_and_control_changing_hands(tmp_path, write_scenario, head):
    timeline = _timeline(tmp_path, write_scenario, head, """\
  - {id: d1, type: demand, at: 2020-01-01, title: d1, from: NTH, to: STH, what: leave, sources: [{ref: r}]}
  - {id: d2, type: demand, at: 2020-01-01, title: d2, from: STH, to: NTH, what: talk, sources: [{ref: r}]}
  - {id: d3, type: demand, at: 2020-01-01, title: d3, from: EST, to: NTH, what: pay, sources: [{ref: r}]}
  - {id: nay, type: demand_resolved, at: 2020-01-02, title: nay, demand: d1, outcome: rejected, sources: [{ref: r}]}
  - {id: aye, type: demand_resolved, at: 2020-01-02, title: aye, demand: d2, outcome: met, sources: [{ref: r}]}
  - {id: drop, type: demand_resolved, at: 2020-01-02, title: drop, demand: d3, outcome: withdrawn,
     sources: [{ref: r}]}
  - {id: take, type: seizure, at: 2020-01-03, title: take, site: port, to: STH, partial: true, sources: [{ref: r}]}
  - {id: retake, type: seizure, at: 2020-01-04, title: retake, site: port, to: NTH, sources: [{ref: r}]}
  - {id: again, type: seizure, at: 2020-01-05, title: again, site: port, to: NTH, sources: [{ref: r}]}
  - {id: call, type: talks, at: 2020-01-05, title: call, mode: call, participants: [NTH, STH], place: Geneva,
     sources: [{ref: r}]}
  - {id: out, type: ouster, at: 2020-01-06, title: out, ousted: EST, sources: [{ref: r}]}
  - {id: jets, type: deployment, at: 2020-01-07, title: jets, actor: NTH, region: north, troops: 1200,
     estimate: true, assets: jets, sources: [{ref: r}]}
""")
    assert changes_of(timeline, "d1") == ["demand opened: NTH → STH: leave"]
    assert changes_of(timeline, "nay") == ["demand rejected: NTH → STH: leave"]
    assert changes_of(timeline, "aye") == ["demand met: STH → NTH: talk"]
    assert changes_of(timeline, "drop") == ["demand withdrawn: EST → NTH: pay"]
    assert changes_of(timeline, "take") == ["control: port → STH (partly)"]
    assert changes_of(timeline, "retake") == ["control: port STH → NTH"]
    assert changes_of(timeline, "again") == []  # same controller: nothing changed hands
    assert changes_of(timeline, "call") == ["talks (call): NTH, STH in Geneva"]
    assert changes_of(timeline, "out") == ["ousted: EST"]
    assert changes_of(timeline, "jets") == ["deployment: NTH in north, ~1,200 troops, jets"]


def test_changes_between_two_states_lists_only_differences():
    assert changes(State(), State()) == []


# --- evidence and series -------------------------------------------------------------------------


def test_quotes_print_doc_and_outside_sources():
    event = ev.Statement(id="s", at=at("2020-01-01"), title="s", cameo="010", goldstein=0.0, sources=(
        ev.Source(doc="report.txt", quote="Observers were detained"), ev.Source(ref="Gazette, 1 Jan"),
        ev.Source(ref="Herald", quote="quoted")))
    assert list(quotes(event)) == ['report.txt: "Observers were detained"', "Gazette, 1 Jan (outside the seeds)",
                                   'Herald (outside the seeds): "quoted"']


def test_tension_series_passes_through_every_event_and_decays_between(rules):
    series = tension_series(rules)
    points = dict(series)
    for entry in rules.entries:
        assert (entry.event.at, entry.state.tension) in series
    times = [t for t, _ in series]
    assert times == sorted(times)
    # between the aid (18th) and the talks (20th), tension only decays
    assert points[at("2020-01-18T06:00:00")] > points[at("2020-01-18T12:00:00")] > points[at("2020-01-19T18:00:00")]
