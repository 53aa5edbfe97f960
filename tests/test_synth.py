"""`crisis synth`: reproducible, valid synthetic scenarios with the whole mix of types."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from engine import jsonl, load_scenario, simulate, synth
from engine.cli import main

N = 1500


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    return synth.write(tmp_path_factory.mktemp("synth") / "big.jsonl", N, seed=11)


def test_same_seed_same_bytes(tmp_path: Path, written: Path, runner) -> None:
    result = runner.invoke(main, ["synth", "--events", str(N), "--seed", "11", "-o", str(tmp_path / "big.jsonl")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "big.jsonl").read_bytes() == written.read_bytes()
    assert (tmp_path / "big-seeds" / "wire.txt").read_bytes() == (written.parent / "big-seeds" / "wire.txt").read_bytes()
    other = synth.write(tmp_path / "other.jsonl", N, seed=12)
    assert other.read_bytes() != written.read_bytes()


def test_output_validates_with_every_type_and_its_rules(written: Path) -> None:
    scenario = load_scenario(written)
    assert len(scenario.events) == N and len(scenario.actors) == 200
    types = Counter(e.TYPE for e in scenario.events)
    for kind in ("demand", "demand_resolved", "exercise", "threat", "detention", "release", "seizure", "sanctions",
                 "talks", "statement", "deployment"):
        assert types[kind] > 0, kind
    events = scenario.events
    assert any(e.TYPE == "demand" and e.deadline for e in events)
    assert any(e.TYPE == "exercise" and e.duration_days for e in events)
    assert any(e.TYPE == "threat" and e.condition and e.by for e in events)
    assert any(e.outside_seeds for e in events) and any(not e.outside_seeds for e in events)


def test_replaying_it_derives_events_of_every_rule(written: Path) -> None:
    derived = Counter(e.TYPE for e in simulate(load_scenario(written)) if e.DERIVED)
    assert set(derived) == {"deadline_passed", "exercise_ended", "threat_triggered", "threat_lapsed"}


def test_yaml_and_jsonl_give_the_same_scenario(tmp_path: Path) -> None:
    as_yaml = load_scenario(synth.write(tmp_path / "s.yaml", 300, seed=5))
    as_jsonl = load_scenario(synth.write(tmp_path / "s.jsonl", 300, seed=5))
    assert as_yaml.events == as_jsonl.events
    assert (as_yaml.actors, as_yaml.documents, as_yaml.model) == (as_jsonl.actors, as_jsonl.documents, as_jsonl.model)


def test_the_fast_path_builds_what_the_reader_builds(written: Path, monkeypatch) -> None:
    fast = load_scenario(written)
    monkeypatch.setattr(jsonl._FastPath, "__call__", lambda self, data: None)
    assert load_scenario(written).events == fast.events
