"""Persistent state parts: what a step shares, what changes() reads, and the reading API of State."""
from __future__ import annotations

import pickle

import pytest

from engine import load_scenario, simulate, synth
from engine.project import fold, scan
from engine.state import EMPTY, DemandState, State
from engine.timeline import build, changes, entries

PARTS = ("demands", "sanctions", "threats", "deployments", "detentions", "control", "talks", "ousted")


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    return simulate(load_scenario(synth.write(tmp_path_factory.mktemp("parts") / "s.jsonl", 1200, seed=4)))


def rebuilt(state: State) -> State:
    """The same state built by hand from its items: it shares nothing with the original."""
    return State(time=state.time, seq=state.seq, last=state.last, impulse=state.impulse, pressure=state.pressure,
                 **{name: tuple(getattr(state, name)) for name in PARTS})


def test_changes_read_from_the_touched_item_equal_a_full_comparison(log):
    before = EMPTY
    for after in scan(log.events, log.scenario.model):
        assert changes(before, after) == changes(rebuilt(before), rebuilt(after)), after.last
        before = after


def test_a_step_shares_every_part_it_does_not_change(log):
    states = list(scan(log.events, log.scenario.model))
    for before, after, event in zip(states, states[1:], log.events[1:]):
        changed = [name for name in PARTS if getattr(before, name) is not getattr(after, name)]
        assert len(changed) <= 1, (event.id, changed)


def test_states_are_equal_by_content_hashable_and_picklable(log):
    final = fold(log.events, log.scenario.model)
    assert final == rebuilt(final) and hash(final) == hash(rebuilt(final))
    assert pickle.loads(pickle.dumps(final)) == final
    assert final.open_demands == tuple(d for d in final.demands if d.status == "open")
    assert len(final.open_demands) == sum(1 for d in final.demands if d.status == "open")
    assert len(final.exercises) == sum(1 for d in final.deployments if d.exercise)
    assert final.troops == rebuilt(final).troops
    with pytest.raises(AttributeError):
        final.time = None  # type: ignore[misc]


def test_folding_again_from_a_snapshot_gives_the_same_states(log):
    model, events = log.scenario.model, log.events
    snapshot = fold(events[:500], model)
    first = fold(events[500:900], model, snapshot)
    again = fold(events[500:900], model, snapshot)  # the same records, shared, not copied
    other = fold(events[500:700] + events[800:900], model, snapshot)  # another line from the same snapshot
    assert first == again == rebuilt(first)
    assert other == rebuilt(other) and fold(events[:900], model) == first
    assert snapshot == fold(events[:500], model)  # untouched by what was folded from it


def test_entries_stream_what_build_keeps(log):
    assert tuple(entries(log)) == build(log).entries


def test_a_part_compares_equal_to_the_tuple_of_its_items():
    demand = DemandState(id="d", from_="A", to="B", what="w", since=None)
    state = State(demands=(demand,))
    assert state.demands == (demand,) and state.demands[0] == demand and state.demands[-1:] == (demand,)
    assert State() == EMPTY and State().demands == () and not State().open_demands
