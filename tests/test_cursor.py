"""The Replay cursor: seeking equals folding, skips prune what they caused, unskip restores exactly."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine.codec import state_to_dict
from engine.cursor import CursorError, Replay, load
from engine.project import fold
from engine.query import QueryError
from engine.sim import simulate

ROOT = Path(__file__).resolve().parent.parent
SPRING = ROOT / "scenario" / "spring2014.yaml"
RULES = ROOT / "tests" / "data" / "rules.yaml"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def spring() -> engine.Scenario:
    return engine.load_scenario(SPRING)


@pytest.fixture(scope="module")
def rules() -> engine.Scenario:
    return engine.load_scenario(RULES)


def folded(log, i: int) -> engine.State:
    return fold(log.events[:i], log.scenario.model)


def same(a: engine.State, b: engine.State) -> bool:
    """Equal as values and in every figure shown (floats exactly: both are the same fold)."""
    return a == b and state_to_dict(a) == state_to_dict(b) and (a.impulse, a.pressure) == (b.impulse, b.pressure)


# --- seeking is folding

moves = st.lists(st.one_of(
    st.tuples(st.just("goto"), st.integers(min_value=0, max_value=63)),
    st.tuples(st.just("step"), st.integers(min_value=0, max_value=70)),
    st.tuples(st.just("back"), st.integers(min_value=0, max_value=70)),
), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=moves, every=st.sampled_from([1, 3, 8, 128]))
def test_any_sequence_of_moves_lands_on_the_fold_of_the_first_i_events(spring, moves, every) -> None:
    log = simulate(spring)
    replay = Replay(log, every=every)
    for kind, n in moves:
        getattr(replay, kind)(n)
        assert same(replay.state, folded(log, replay.position)), (kind, n, replay.position)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), every=st.sampled_from([2, 5, 16]))
def test_goto_equals_the_fold_with_skips(spring, data, every) -> None:
    documented = [e.id for e in spring.events]
    skipped = data.draw(st.sets(st.sampled_from(documented), max_size=4))
    replay = Replay(simulate(spring), every=every).skip(*skipped)
    altered = simulate(spring, skip=skipped)
    assert replay.log.events == altered.events
    for i in data.draw(st.lists(st.integers(min_value=0, max_value=len(altered)), min_size=1, max_size=10)):
        assert same(replay.goto(i).state, folded(altered, i))


def test_goto_at_every_position_and_back_again(rules) -> None:
    log = simulate(rules)
    replay = Replay(log, every=4)
    for i in list(range(len(log) + 1)) + list(range(len(log), -1, -1)):
        assert same(replay.goto(i).state, folded(log, i))


def test_snapshots_are_taken_lazily_and_only_every_k_events(spring) -> None:
    replay = Replay(simulate(spring), every=10)
    replay.goto(5)
    assert len(replay._track.snapshots) == 1
    replay.last()
    assert len(replay._track.snapshots) == len(replay) // 10 + 1
    assert all(same(s, folded(replay.log, 10 * j)) for j, s in enumerate(replay._track.snapshots))


# --- where goto lands

def test_positions_ids_and_dates(spring) -> None:
    replay = Replay(simulate(spring))
    assert replay.position == 0 and replay.event is None and replay.state.time is None
    assert replay.goto("#12").position == 12
    assert replay.goto("crimea-referendum").event.id == "crimea-referendum"
    assert replay.goto("2014-03-16").state.time.date() == dt.date(2014, 3, 16)
    assert replay.locate("2014-03-16") == replay.locate(dt.date(2014, 3, 16))
    last_of_day = max(i for i, e in enumerate(replay.log.events, 1) if e.at.date() <= dt.date(2014, 3, 16))
    assert replay.position == last_of_day
    assert replay.goto("2014-03-16T00:00:00Z").position == last_of_day
    assert replay.goto("2014-01-01").position == 0
    assert replay.goto("2015-01-01").position == len(replay)
    assert replay.goto(dt.datetime(2014, 3, 5, tzinfo=UTC)).state.time == dt.datetime(2014, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize("target, message", [
    ("crimea-referendm", "did you mean crimea-referendum"),
    ("#x", "is not a position"),
    ("#64", "outside #0..#63"),
    (-1, "outside #0..#63"),
    ("2014-02-30", "impossible date"),
])
def test_bad_targets_are_clear_errors_and_the_cursor_stays(spring, target, message) -> None:
    replay = Replay(simulate(spring)).goto(10)
    with pytest.raises(CursorError, match=message):
        replay.goto(target)
    assert replay.position == 10


def test_moves_stop_at_the_ends(rules) -> None:
    replay = load(RULES)
    assert replay.back(3).position == 0
    assert replay.step(100).position == len(replay) == 15
    assert replay.first().position == 0 and replay.last().position == 15


# --- until

def test_until_runs_forward_to_the_first_position_where_the_condition_holds(spring) -> None:
    replay = Replay(simulate(spring))
    replay.until("tension > 40")
    before = folded(replay.log, replay.position - 1)
    assert replay.tension > 40 >= before.tension
    assert same(replay.state, folded(replay.log, replay.position))


def test_until_backwards_and_with_a_function(spring) -> None:
    replay = Replay(simulate(spring), every=7).last()
    replay.until("open_demands == 0", backwards=True)
    assert len(replay.state.open_demands) == 0
    later = [folded(replay.log, i) for i in range(replay.position + 1, len(replay) + 1)]
    assert all(len(s.open_demands) > 0 for s in later)
    assert same(replay.state, folded(replay.log, replay.position))
    replay.until(lambda s: len(s.sanctions) >= 2)
    assert len(replay.state.sanctions) == 2


def test_until_that_never_holds_leaves_the_cursor(spring) -> None:
    replay = Replay(simulate(spring)).goto(20)
    with pytest.raises(CursorError, match="holds nowhere after #20"):
        replay.until("tension > 1000")
    with pytest.raises(QueryError):
        replay.until("tension >> 3")
    assert replay.position == 20


def test_until_by_date(rules) -> None:
    replay = load(RULES)
    replay.until("day >= 2020-01-12 and sanctions > 0")
    assert replay.event.id == "sanctions"


# --- diff and why

def test_diff_is_what_the_last_move_changed(rules) -> None:
    replay = load(RULES).goto("vote")
    replay.step()
    assert list(replay.diff()) == ["threat triggered: NTH — sanctions"]
    replay.step(2)
    diff = replay.diff()
    assert (diff.before, diff.after) == (7, 9)
    assert "sanctions in force: NTH against STH (asset freezes)" in diff.changes
    assert str(diff).startswith("#7 → #9: tension")


def test_why_shares_add_up_to_the_tension_at_the_cursor(spring) -> None:
    replay = Replay(simulate(spring))
    assert len(replay.why()) == 0
    for i in range(0, len(replay) + 1, 5):
        why = replay.goto(i).why()
        assert sum(c.total for c in why) == pytest.approx(replay.tension, abs=1e-9)
        passed = {e.id for e in replay.log.events[:i]}
        assert all(c.event.id in passed for c in why)  # only events the cursor has passed
        assert [abs(c.total) for c in why] == sorted((abs(c.total) for c in why), reverse=True)


def test_why_between_two_events_of_the_same_moment_counts_only_the_first(rules) -> None:
    replay = load(RULES).goto("vote")  # vote-threat/triggered comes at the same moment, after it
    assert [c.event.id for c in replay.why()].count("vote-threat/triggered") == 0


# --- what if

def test_skipping_the_referendum_prunes_what_it_caused(spring) -> None:
    replay = Replay(simulate(spring)).goto("2014-03-20")
    replay.skip("crimea-referendum")
    left_out = {e.id for e in replay.left_out}
    assert {"crimea-referendum", "us-sanctions-mar17", "eu-sanctions-mar17", "crimea-accession-treaty",
            "annexation-demand-rejected", "assurances-demand-rejected",
            "kerry-threat-referendum/triggered", "west-threat-annexation/triggered"} == left_out
    assert [e.id for e in replay.added] == ["kerry-threat-referendum/lapsed"]
    assert replay.altered and replay.skipped == {"crimea-referendum"}
    assert not {e.id for e in replay.log.events} & left_out
    assert replay.state.time.date() <= dt.date(2014, 3, 20)
    assert [s.id for s in replay.state.sanctions] == ["us-sanctions-mar6"]
    assert "altered: without crimea-referendum (+7 caused)" in repr(replay)


def test_unskip_restores_the_original_timeline_exactly(spring) -> None:
    original = simulate(spring)
    replay = Replay(original, every=6).goto("crimea-accession-treaty")
    here, state = replay.position, replay.state
    replay.skip("crimea-referendum", "vienna-osce-agreement").last().unskip("vienna-osce-agreement")
    assert replay.altered
    replay.unskip("crimea-referendum")
    assert replay.log is original and not replay.altered and replay.left_out == ()
    assert replay.timeline.entries == engine.build(original).entries
    for i in range(len(original) + 1):
        assert same(replay.goto(i).state, folded(original, i))
    assert same(replay.goto(here).state, state)


def test_reset_and_the_cursor_stays_at_the_same_moment(rules) -> None:
    replay = load(RULES).goto("sanctions")
    replay.skip("vote")
    assert replay.event.id == "withdraw-demand/deadline-passed"  # the last event left before 13 January
    assert replay.diff().note == "skip vote"
    replay.step()
    assert replay.event.id == "observers-detained"
    replay.reset()
    assert replay.event.id == "observers-detained" and not replay.altered


@pytest.mark.parametrize("event_id, message", [
    ("vote-threat/triggered", "derived by the engine from vote-threat, vote"),
    ("vots", "did you mean vote"),
])
def test_skip_errors(rules, event_id, message) -> None:
    replay = load(RULES)
    with pytest.raises(CursorError, match=message):
        replay.skip(event_id)
    assert not replay.altered


def test_unskip_errors(rules) -> None:
    replay = load(RULES).skip("vote")
    with pytest.raises(CursorError, match="already left out"):
        replay.skip("sanctions")
    with pytest.raises(CursorError, match="left out because of vote; unskip that instead"):
        replay.unskip("sanctions")
    with pytest.raises(CursorError, match="'aid' is not skipped"):
        replay.unskip("aid")
    with pytest.raises(CursorError, match="left out of this altered timeline"):
        replay.goto("sanctions")


# --- looking up, reprs, recorded replays

def test_lookup_events_and_consequences(rules) -> None:
    replay = load(RULES).skip("vote")
    assert replay.lookup("sanctions").id == "sanctions"  # left out, still shown
    assert replay.position_of("sanctions") is None
    assert replay.consequences("vote") == ["vote-threat/triggered", "sanctions"]
    assert [e.id for e in replay.events("threat")][:2] == ["vote-threat", "strait-threat"]
    with pytest.raises(CursorError):
        replay.lookup("nothing-like-it")


def test_reprs_are_one_readable_line(rules) -> None:
    replay = load(RULES)
    assert repr(replay) == "<Replay rules #0/15 before the first event>"
    assert repr(replay.goto("vote")) == "<Replay rules #6/15 2020-01-12 vote, tension 20.3>"


def test_timeline_and_table_follow_the_skips(rules) -> None:
    replay = load(RULES)
    assert len(replay.timeline) == 15 and replay.table()[0]["event"] == "withdraw-demand"
    replay.skip("vote")
    assert len(replay.timeline) == len(replay) == 13
    assert [row["event"] for row in replay.table()] == [e.id for e in replay.log.events]


def test_a_recorded_replay_opens_at_the_same_states(spring) -> None:
    recorded = load(ROOT / "replays" / "spring2014")
    fresh = Replay(simulate(spring))
    assert [e.id for e in recorded.log.events] == [e.id for e in fresh.log.events]
    for i in range(0, len(fresh) + 1, 9):
        assert state_to_dict(recorded.goto(i).state) == state_to_dict(fresh.goto(i).state)


def test_engine_exports_the_api() -> None:
    assert engine.load is load and engine.Replay is Replay
    assert callable(engine.replay)  # the module's name does not shadow the function


def test_the_readme_session_runs_as_shown(monkeypatch) -> None:
    import doctest

    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("as usable in IPython or Jupyter:\n\n```python\n")[1].split("```")[0]
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
