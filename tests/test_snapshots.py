"""Snapshot (syrupy) tests: the whole state timeline and event log of spring 2014, the rules fixture's text.

After an intended change of behaviour, review and update with `pytest --snapshot-update`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.api import replay
from engine.record import log_text
from engine.render import dumps, state_text, timeline_document, timeline_text

TESTS = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def spring():
    return replay(TESTS.parent / "scenario" / "spring2014.yaml")


@pytest.fixture(scope="module")
def rules():
    return replay(TESTS / "data" / "rules.yaml")


def test_spring2014_state_timeline(spring, snapshot):
    document = json.loads(dumps(timeline_document(spring)))  # plain JSON data, as written to timeline.json
    assert document == snapshot


def test_spring2014_event_log(spring, snapshot):
    assert log_text(spring) == snapshot


def test_rules_text_timeline(rules, snapshot):
    assert timeline_text(rules) + "\n" + state_text(rules, rules.final) == snapshot


def test_rules_event_log(rules, snapshot):
    assert log_text(rules) == snapshot
