"""Fuzzing the loader (bounded here; `python -m engine.fuzz --examples N` runs as many as wanted).

Every generated or mutated scenario must load, replay and render, or be refused with a
ScenarioError whose problems carry the file and a line in it; never another exception,
never a hang. The inputs below the properties are ones the fuzzer found crashing once.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.fuzz import Target, properties, run

EXAMPLES = {  # inputs per property in the test suite: a few seconds each
    "plausible documents": 100,
    "generated documents": 100,
    "generated YAML text": 200,
    "mutated spring2014 (structure)": 30,
    "mutated spring2014 (bytes)": 100,
}


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Target:
    return Target(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def fuzzed(target):
    return properties(target)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@pytest.mark.parametrize("name", EXAMPLES)
def test_loader_never_crashes_or_hangs(fuzzed, name):
    strategy, check = fuzzed[name]
    tried = run(name, strategy, check, EXAMPLES[name])
    assert tried >= min(EXAMPLES[name], 100) // 2  # hypothesis may stop early once it has seen every case


def test_the_properties_cover_what_the_issue_asks(fuzzed):
    assert set(fuzzed) == set(EXAMPLES)


def test_some_inputs_load_and_some_are_refused(target):
    assert target.outcomes["loaded"] > 0 and target.outcomes["refused"] > 0


FOUND = {
    "an empty flow mapping": "{}\n",
    "a control character before anything": "\x1f",
    "a control character after a lone CR": "\r\x1f",
    "a noncharacter": "scenario: {id: \ufffe}\n",
    "a date past what the engine can add to": """\
scenario: {id: edge, seeds: ../seeds}
actors: [{code: NTH, name: N, kind: state}, {code: STH, name: S, kind: state}]
events:
  - {id: a, type: demand, at: 9999-12-30, title: t, from: NTH, to: STH, what: w, deadline: 9999-12-31, sources: [{ref: x}]}
""",
    "a date before what a plot can show": """\
scenario: {id: edge, seeds: ../seeds}
actors: [{code: NTH, name: N, kind: state}]
events:
  - {id: a, type: statement, at: 0001-01-01, title: t, actor: NTH, sources: [{ref: x}]}
""",
    "a seeds path too long for the file system": (
        "scenario: {id: edge, seeds: " + "x" * 5000 + "}\ndocuments: [{doc: a.txt}]\nevents: []\n"),
    "a NUL in the seeds path": 'scenario: {id: edge, seeds: "a\\0b"}\ndocuments: [{doc: a.txt}]\nevents: []\n',
}


@pytest.mark.parametrize("text", FOUND.values(), ids=FOUND.keys())
def test_inputs_the_fuzzer_found(target, text):
    assert target.check(text) == "refused"


def test_a_long_span_replays_and_plots_quickly(tmp_path):
    target = Target(tmp_path, plot_every=1)
    text = """\
scenario: {id: edge, seeds: ../seeds}
actors: [{code: NTH, name: N, kind: state}, {code: STH, name: S, kind: state}]
events:
  - {id: a, type: demand, at: 1000-01-01, title: t, from: NTH, to: STH, what: w, deadline: 1000-01-02, sources: [{ref: x}]}
  - {id: b, type: exercise, at: 9000-12-31, title: t, actor: NTH, region: r, duration_days: 36500, sources: [{ref: x}]}
"""
    assert target.check(text) == "loaded"
    assert Path(target.path.with_suffix(".svg")).stat().st_size > 0


def test_a_single_moment_is_plotted_over_a_week_not_years(tmp_path):
    """Found as a 'hang': matplotlib widened one moment to five years of weekly ticks."""
    import matplotlib.dates as mdates

    from engine.api import replay
    from engine.plot import figure

    target = Target(tmp_path)
    target.path.write_text("""\
scenario: {id: one, seeds: ../seeds}
actors: [{code: NTH, name: N, kind: state}]
events:
  - {id: a, type: statement, at: 2020-01-01, title: t, actor: NTH, sources: [{ref: x}]}
""")
    left, right = figure(replay(target.path)).axes[-1].get_xlim()
    assert mdates.num2date(right) - mdates.num2date(left) <= dt.timedelta(days=7)
