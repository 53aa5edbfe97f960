"""engine.reader: every kind of problem, at the line of the offending node, all at once."""
from __future__ import annotations

import datetime as dt
import os

import pytest

from engine import events as ev
from engine.errors import Problem, ScenarioError
from engine.reader import load_scenario

MARK = "# <-"

#: A valid event to surround the broken ones with.
GOOD = """\
  - id: good
    type: statement
    at: 2020-01-06
    title: A good event
    actor: NTH
    sources: [{doc: report.txt, quote: "Observers were detained in the capital."}]
"""


def problems_of(path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def only_problem(path) -> Problem:
    problems = problems_of(path)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# --- the happy path --------------------------------------------------------------------------------


def test_valid_scenario_is_read_into_typed_events(tmp_path, write_scenario, head):
    path = write_scenario(tmp_path, head + "events:\n" + GOOD + """\
  - id: talks
    type: talks
    at: 2020-01-05T10:30:00Z
    title: Talks
    mode: call
    participants: [NTH, STH]
    because: []
    sources:
      - doc: report.txt
        quote: "began a ten-day exercise near the border on Tuesday with 5,000 troops."
      - ref: "Invented Gazette, 5 January 2020"
""")
    scenario = load_scenario(path)
    assert scenario.id == "test"
    assert scenario.title == "A test crisis"
    assert scenario.seeds == tmp_path / "seeds"
    assert [a.code for a in scenario.actors] == ["NTH", "STH", "EST", "OBS"]
    # sorted by time: the call comes first although it is written second
    assert [e.id for e in scenario.events] == ["talks", "good"]
    talks, good = scenario.events
    assert isinstance(talks, ev.Talks) and isinstance(good, ev.Statement)
    assert talks.at == dt.datetime(2020, 1, 5, 10, 30, tzinfo=dt.timezone.utc)
    assert talks.participants == ("NTH", "STH")
    assert (talks.cameo, talks.goldstein) == ("041", 1.0)  # a call, not the type's default meeting
    assert (good.cameo, good.goldstein) == ("010", 0.0)
    assert not talks.outside_seeds
    assert talks.sources[1].ref == "Invented Gazette, 5 January 2020"


def test_quotes_match_across_line_breaks_of_the_report(tmp_path, write_scenario, head):
    # the report breaks "Tuesday\nwith 5,000 troops" over two lines
    path = write_scenario(tmp_path, head + "events:\n" + GOOD.replace(
        "Observers were detained in the capital.", "on Tuesday   with 5,000 troops"))
    assert load_scenario(path).events[0].sources[0].quote == "on Tuesday   with 5,000 troops"


def test_overrides_and_defaults_of_scores(tmp_path, write_scenario, head):
    path = write_scenario(tmp_path, head + """\
events:
  - {id: a, type: statement, kind: accusation, at: 2020-01-06, title: a, sources: [{ref: r}]}
  - {id: b, type: statement, at: 2020-01-06, title: b, cameo: "14", sources: [{ref: r}]}
  - {id: c, type: statement, at: 2020-01-06, title: c, cameo: "999", goldstein: -3, sources: [{ref: r}]}
  - {id: d, type: demand, from: NTH, to: STH, what: w, at: 2020-01-06, title: d, sources: [{ref: r}]}
  - {id: e, type: demand_resolved, demand: d, outcome: rejected, at: 2020-01-07, title: e, sources: [{ref: r}]}
""")
    scores = {e.id: (e.cameo, e.goldstein) for e in load_scenario(path).events}
    assert scores == {"a": ("112", -2.0), "b": ("14", -6.5), "c": ("999", -3.0), "d": ("100", -5.0),
                      "e": ("120", -4.0)}


def test_spring2014_loads(spring_path):
    scenario = load_scenario(spring_path)
    assert scenario.id == "spring2014"
    assert len(scenario.events) == 60
    assert [e.at for e in scenario.events] == sorted(e.at for e in scenario.events)


# --- one case per kind of problem inside `events:` -------------------------------------------------

EVENT_CASES = {
    "bad id": ("""\
  - id: Bad_Id  # <-
    type: statement
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
""", "id must be lowercase letters, digits and '-'"),
    "missing type": ("""\
  - id: x  # <-
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
""", "event 'x': missing field 'type'"),
    "unknown type": ("""\
  - id: x
    type: invasion  # <-
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
""", "unknown type 'invasion'"),
    "unknown field": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    colour: red  # <-
    title: t
    sources: [{ref: r}]
""", "unknown field 'colour' in event 'x' of type statement"),
    "field of another type": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    deadline: 2020-01-07  # <-
    sources: [{ref: r}]
""", "unknown field 'deadline'"),
    "missing common field": ("""\
  - id: x  # <-
    type: statement
    at: 2020-01-06
    sources: [{ref: r}]
""", "event 'x': missing field 'title'"),
    "missing type field": ("""\
  - id: x  # <-
    type: demand
    at: 2020-01-06
    title: t
    from: NTH
    what: w
    sources: [{ref: r}]
""", "event 'x': missing field 'to' (type demand needs it)"),
    "bad date": ("""\
  - id: x
    type: statement
    at: 14 March 2020  # <-
    title: t
    sources: [{ref: r}]
""", "'at': bad date '14 March 2020'"),
    "impossible date": ("""\
  - id: x
    type: statement
    at: 2014-02-30  # <-
    title: t
    sources: [{ref: r}]
""", "'at': impossible date '2014-02-30'"),
    "date-time without Z": ("""\
  - id: x
    type: statement
    at: 2014-03-01T10:00:00  # <-
    title: t
    sources: [{ref: r}]
""", "bad date '2014-03-01T10:00:00'"),
    "bad deadline": ("""\
  - id: x
    type: demand
    at: 2020-01-06
    title: t
    from: NTH
    to: STH
    what: w
    deadline: 2020-13-01  # <-
    sources: [{ref: r}]
""", "'deadline': impossible date '2020-13-01'"),
    "title too long": (f"""\
  - id: x
    type: statement
    at: 2020-01-06
    title: {"x" * 81}  # <-
    sources: [{{ref: r}}]
""", "title is longer than 80 characters"),
    "missing sources": ("""\
  - id: x  # <-
    type: statement
    at: 2020-01-06
    title: t
""", "missing field 'sources'"),
    "empty sources": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources: []  # <-
""", "'sources' is empty"),
    "source not a mapping": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - report.txt  # <-
""", "source #1 must be a mapping"),
    "source with doc and ref": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: report.txt  # <-
        ref: Gazette
        quote: "Observers were detained"
""", "exactly one of 'doc'"),
    "doc without quote": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: report.txt  # <-
""", "a 'doc' source needs a verbatim 'quote'"),
    "quote not found": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: report.txt
        quote: "Northland invaded Southland"  # <-
""", 'quote not found in report.txt: "Northland invaded Southland"'),
    "quote with other case": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: report.txt
        quote: "observers were detained"  # <-
""", "quote not found in report.txt"),
    "document not found": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: nowhere.txt  # <-
        quote: "anything"
""", "document 'nowhere.txt' not found"),
    "document given as a path": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: ../scenario.yaml  # <-
        quote: "scenario"
""", "must be a file name inside the seeds folder"),
    "unknown actor": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    actor: ZZZ  # <-
    sources: [{ref: r}]
""", "'actor' names unknown actor 'ZZZ'"),
    "unknown actor in a list": ("""\
  - id: x
    type: talks
    at: 2020-01-06
    title: t
    mode: meeting
    participants:
      - NTH
      - ZZZ  # <-
    sources: [{ref: r}]
""", "'participants' names unknown actor 'ZZZ'"),
    "empty list": ("""\
  - id: x
    type: agreement
    at: 2020-01-06
    title: t
    parties: [NTH, STH]
    terms: []  # <-
    sources: [{ref: r}]
""", "'terms' is empty"),
    "not a whole number": ("""\
  - id: x
    type: deployment
    at: 2020-01-06
    title: t
    actor: NTH
    region: north
    troops: many  # <-
    sources: [{ref: r}]
""", "'troops' must be a whole number"),
    "not true or false": ("""\
  - id: x
    type: deployment
    at: 2020-01-06
    title: t
    actor: NTH
    region: north
    estimate: perhaps  # <-
    sources: [{ref: r}]
""", "'estimate' must be true or false"),
    "number out of range": ("""\
  - id: x
    type: exercise
    at: 2020-01-06
    title: t
    actor: NTH
    region: north
    duration_days: 0  # <-
    sources: [{ref: r}]
""", "'duration_days' must be between"),
    "bad choice": ("""\
  - id: x
    type: talks
    at: 2020-01-06
    title: t
    mode: telepathy  # <-
    participants: [NTH, STH]
    sources: [{ref: r}]
""", "'mode' must be one of meeting, call"),
    "unquoted cameo": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    cameo: 100  # <-
    sources: [{ref: r}]
""", "'cameo' must be a quoted code"),
    "cameo without score": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    cameo: "999"  # <-
    sources: [{ref: r}]
""", "CAMEO code 999 has no built-in Goldstein score"),
    "goldstein out of range": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    goldstein: -11  # <-
    sources: [{ref: r}]
""", "'goldstein' must be between -10 and 10"),
    "at outside window": ("""\
  - id: x
    type: statement
    at: 2020-01-20  # <-
    title: t
    window: {earliest: 2020-01-01, latest: 2020-01-10}
    sources: [{ref: r}]
""", "'at' 2020-01-20 lies outside its window 2020-01-01…2020-01-10"),
    "window quote not found": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    window:
      earliest: 2020-01-01
      latest: 2020-01-10
      doc: report.txt
      quote: "early January"  # <-
    sources: [{ref: r}]
""", 'quote not found in report.txt: "early January"'),
    "duplicate id": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
  - id: x  # <-
    type: statement
    at: 2020-01-07
    title: t
    sources: [{ref: r}]
""", "duplicate id 'x' (first at line 17)"),
    "because unknown": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    because: [nothing]  # <-
    sources: [{ref: r}]
""", "event 'x': 'because' names unknown event 'nothing'"),
    "because later": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    because: [good]  # <-
    sources: [{ref: r}]
""", "'because' names 'good', which happens later (2020-01-07)"),
    "demand resolved twice": ("""\
  - id: d
    type: demand
    at: 2020-01-07
    title: t
    from: NTH
    to: STH
    what: w
    sources: [{ref: r}]
  - id: met
    type: demand_resolved
    at: 2020-01-08
    title: t
    demand: d
    outcome: met
    sources: [{ref: r}]
  - id: met-again
    type: demand_resolved
    at: 2020-01-09
    title: t
    demand: d  # <-
    outcome: rejected
    sources: [{ref: r}]
""", "resolves demand 'd', which is not open (it was already met)"),
    "demand resolved before it is made": ("""\
  - id: early
    type: demand_resolved
    at: 2020-01-06
    title: t
    demand: d  # <-
    outcome: withdrawn
    sources: [{ref: r}]
  - id: d
    type: demand
    at: 2020-01-07
    title: t
    from: NTH
    to: STH
    what: w
    sources: [{ref: r}]
""", "resolves demand 'd', which is not open (it is not made until later)"),
    "resolving something that is not a demand": ("""\
  - id: r
    type: demand_resolved
    at: 2020-01-08
    title: t
    demand: good  # <-
    outcome: met
    sources: [{ref: r}]
""", "'demand' 'good' is a statement, not a demand"),
    "resolving an unknown demand": ("""\
  - id: r
    type: demand_resolved
    at: 2020-01-08
    title: t
    demand: nothing  # <-
    outcome: met
    sources: [{ref: r}]
""", "'demand' names unknown event 'nothing'"),
    "outcome not allowed": ("""\
  - id: d
    type: demand
    at: 2020-01-07
    title: t
    from: NTH
    to: STH
    what: w
    sources: [{ref: r}]
  - id: r
    type: demand_resolved
    at: 2020-01-08
    title: t
    demand: d
    outcome: ignored  # <-
    sources: [{ref: r}]
""", "'outcome' must be one of met, rejected, withdrawn"),
    "released twice": ("""\
  - id: held
    type: detention
    at: 2020-01-07
    title: t
    actor: STH
    detained: observers
    sources: [{ref: r}]
  - id: out
    type: release
    at: 2020-01-08
    title: t
    detention: held
    sources: [{ref: r}]
  - id: out-again
    type: release
    at: 2020-01-09
    title: t
    detention: held  # <-
    sources: [{ref: r}]
""", "releases detention 'held', which is not in force (they were already released)"),
    "unknown condition": ("""\
  - id: x
    type: threat
    at: 2020-01-06
    title: t
    actor: NTH
    consequence: c
    condition: nothing  # <-
    sources: [{ref: r}]
""", "'condition' names unknown event 'nothing'"),
    "event not a mapping": ("""\
  - just some text  # <-
""", "event #2 must be a mapping"),
}

GOOD_LATER = GOOD.replace("2020-01-06", "2020-01-07")


@pytest.mark.parametrize("snippet, message", EVENT_CASES.values(), ids=EVENT_CASES.keys())
def test_event_problem(tmp_path, write_scenario, head, line_of, snippet, message):
    text = head + "events:\n" + GOOD_LATER + snippet
    path = write_scenario(tmp_path, text)
    problem = only_problem(path)
    assert problem.file == str(path)
    assert problem.line == line_of(text, MARK), str(problem)
    assert message in problem.message


# --- problems outside `events:` ------------------------------------------------------------------------

EVENTS = "events:\n" + GOOD

FILE_CASES = {
    "unknown section": ("""\
scenario: {id: test, seeds: seeds}
timeline: []  # <-
""" + EVENTS, "unknown field 'timeline' in the file"),
    "missing events section": ("""\
scenario: {id: test, seeds: seeds}  # <-
actors: []
""", "missing section 'events'"),
    "empty events": ("""\
scenario: {id: test, seeds: seeds}
events: []  # <-
""", "'events' is empty"),
    "bad scenario id": ("""\
scenario:
  id: Spring_2014  # <-
  seeds: seeds
""" + EVENTS, "scenario id 'Spring_2014' must be lowercase"),
    "unknown scenario key": ("""\
scenario:
  id: test
  seeds: seeds
  author: me  # <-
""" + EVENTS, "unknown field 'author' in 'scenario'"),
    "seeds folder missing": ("""\
scenario:
  id: test
  seeds: elsewhere
documents:
  - doc: report.txt  # <-
events:
  - {id: x, type: statement, at: 2020-01-06, title: t, sources: [{ref: r}]}
""", "document 'report.txt' not found in"),
    "document quote not found": ("""\
scenario: {id: test, seeds: seeds}
documents:
  - doc: report.txt
    dated: 2020-01-13
    quote: "Last modified"  # <-
""" + EVENTS, 'quote not found in report.txt: "Last modified"'),
    "document dated with a time": ("""\
scenario: {id: test, seeds: seeds}
documents:
  - doc: report.txt
    dated: 2020-01-13T10:00:00Z  # <-
""" + EVENTS, "expected a date without time"),
    "model number out of range": ("""\
scenario: {id: test, seeds: seeds}
model:
  half_life_days: 0  # <-
""" + EVENTS, "'half_life_days' must be between"),
    "model number not a number": ("""\
scenario: {id: test, seeds: seeds}
model:
  impulse_per_goldstein: lots  # <-
""" + EVENTS, "'impulse_per_goldstein' must be a number"),
    "unknown condition weight": ("""\
scenario: {id: test, seeds: seeds}
model:
  conditions:
    sanctions: 1
    blockade: 2  # <-
""" + EVENTS, "unknown field 'blockade' in 'model.conditions'"),
    "bad actor code": ("""\
scenario: {id: test, seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - {code: sth, name: Southland, kind: state}  # <-
""" + EVENTS, "actor code 'sth' must be uppercase"),
    "bad actor kind": ("""\
scenario: {id: test, seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - code: STH
    name: Southland
    kind: country  # <-
""" + EVENTS, "kind 'country' is not one of state, organisation, group, person"),
    "duplicate actor": ("""\
scenario: {id: test, seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - {code: NTH, name: Northland again, kind: state}  # <-
""" + EVENTS, "duplicate actor 'NTH' (first at line 3)"),
    "actor of unknown actor": ("""\
scenario: {id: test, seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - code: KING
    name: The king
    kind: person
    of: ZZZ  # <-
""" + EVENTS, "actor KING: 'of' names unknown actor 'ZZZ'"),
    "actor missing name": ("""\
scenario: {id: test, seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - {code: STH, kind: state}  # <-
""" + EVENTS, "actor STH: missing field 'name'"),
    "top level not a mapping": ("""\
- scenario  # <-
- events
""", "the file must be a mapping"),
    "empty file": ("""\
# only a comment  # <-
""", "the file is empty"),
    "duplicate key": ("""\
scenario: {id: test, seeds: seeds}
""" + EVENTS + """\
    title: Again  # <-
""", "duplicate key 'title' (first at line 6)"),
}


@pytest.mark.parametrize("text, message", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_file_problem(tmp_path, write_scenario, line_of, text, message):
    if "actors" not in text:
        text = text.replace("    actor: NTH\n", "")
    path = write_scenario(tmp_path, text)
    problem = only_problem(path)
    assert problem.line == line_of(text, MARK), str(problem)
    assert message in problem.message


def test_events_not_a_list(tmp_path, write_scenario):
    path = write_scenario(tmp_path, "scenario: {id: test, seeds: seeds}\nevents: {a: 1}\n")
    problems = problems_of(path)
    assert "'events' must be a list" in [p.message for p in problems]
    assert {p.line for p in problems} == {2}


def test_malformed_yaml_is_reported_at_its_line(tmp_path, write_scenario):
    path = write_scenario(tmp_path, "scenario: {id: test}\nevents:\n  - id: a\n    title: a: b\n")
    problem = only_problem(path)
    assert problem.line == 4
    assert problem.message.startswith("malformed YAML")


def test_object_tag_is_refused(tmp_path, write_scenario):
    path = write_scenario(tmp_path, 'scenario: {id: test}\nevents:\n  - id: !!python/object/apply:os.system ["echo hi"]\n')
    problem = only_problem(path)
    assert problem.line == 3
    assert "tag refused" in problem.message


def test_missing_file_is_line_zero(tmp_path):
    path = tmp_path / "absent.yaml"
    problem = only_problem(path)
    assert (problem.file, problem.line, problem.message) == (str(path), 0, "no such file")


def test_directory_is_line_zero(tmp_path):
    assert "is a directory" in only_problem(tmp_path).message


def test_not_utf8_is_line_zero(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Gen\xe8ve\n".encode("latin-1"))
    problem = only_problem(path)
    assert problem.line == 0 and "not UTF-8" in problem.message


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_symlinked_seed_is_refused(tmp_path, write_scenario, head, line_of):
    (tmp_path / "secret.txt").write_text("Observers were detained in the capital.")
    text = head + """\
events:
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: link.txt  # <-
        quote: "Observers were detained"
"""
    path = write_scenario(tmp_path, text)
    (tmp_path / "seeds" / "link.txt").symlink_to(tmp_path / "secret.txt")
    problem = only_problem(path)
    assert "symbolic link" in problem.message
    assert problem.line == line_of(text, MARK)


def test_reversed_window_is_reported_at_the_window(tmp_path, write_scenario, head, line_of):
    text = head + """\
events:
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    window: {earliest: 2020-01-10, latest: 2020-01-01}  # <-
    sources: [{ref: r}]
"""
    problems = problems_of(write_scenario(tmp_path, text))
    reversed_ = [p for p in problems if "window ends (2020-01-01) before it starts (2020-01-10)" in p.message]
    assert [p.line for p in reversed_] == [line_of(text, MARK)]


# --- all problems together --------------------------------------------------------------------------


MANY = """\
scenario: {id: test, seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - {code: STH, name: Southland, kind: strange}  # <- kind
events:
  - id: late
    type: statement
    at: 2020-01-09
    title: late
    sources: [{ref: r}]
  - id: a
    type: statement
    at: 2020-02-30  # <- impossible
    title: a
    sources: [{ref: r}]
  - id: b
    type: bogus  # <- type
    at: 2020-01-07
    title: b
    sources: [{ref: r}]
  - id: c
    type: statement
    at: 2020-01-08
    title: c
    actor: ZZZ  # <- actor
    sources:
      - doc: report.txt
        quote: "not in the report"  # <- quote
  - id: d  # <- missing
    type: demand
    at: 2020-01-09
    title: d
    from: NTH
    what: w
    sources: [{ref: r}]
  - id: late  # <- duplicate
    type: statement
    at: 2020-01-09
    title: dup
    sources: [{ref: r}]
  - id: e
    type: statement
    at: 2020-01-08
    title: e
    because: [late, nothing]  # <- because
    sources: [{ref: r}]
"""


def test_every_problem_is_reported_at_once_sorted_by_line(tmp_path, write_scenario, line_of):
    path = write_scenario(tmp_path, MANY)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    expected = [line_of(MANY, f"# <- {tag}") for tag in
                ("kind", "impossible", "type", "actor", "quote", "missing", "duplicate", "because", "because")]
    assert [p.line for p in problems] == expected, "\n".join(map(str, problems))
    messages = [p.message for p in problems]
    for fragment in ("kind 'strange'", "impossible date", "unknown type 'bogus'", "unknown actor 'ZZZ'",
                     "quote not found", "missing field 'to'", "duplicate id 'late'",
                     "'because' names 'late', which happens later", "'because' names unknown event 'nothing'"):
        assert sum(fragment in m for m in messages) == 1, fragment
    assert all(p.file == str(path) for p in problems)
    lines = str(info.value).splitlines()
    assert lines == [f"{path}:{p.line}: {p.message}" for p in problems]


def test_problems_sort_by_line_number_not_text():
    error = ScenarioError([Problem(file="f", line=10, message="a"), Problem(file="f", line=9, message="b"),
                           Problem(file="f", line=100, message="c")])
    assert [p.line for p in error.problems] == [9, 10, 100]
    assert str(error) == "f:9: b\nf:10: a\nf:100: c"


def test_link_problems_of_an_event_with_other_problems_are_reported_too(tmp_path, write_scenario, head):
    path = write_scenario(tmp_path, head + """\
events:
  - id: d
    type: demand
    at: 2020-01-09
    title: d
    from: NTH
    what: w
    because: [nothing]
    sources: [{ref: r}]
""")
    messages = [p.message for p in problems_of(path)]
    assert any("missing field 'to'" in m for m in messages)
    assert any("unknown event 'nothing'" in m for m in messages)


def test_numeric_id_is_handled_like_any_other(tmp_path, write_scenario, head):
    path = write_scenario(tmp_path, head + """\
events:
  - id: 2020
    type: statement
    at: 2020-01-06
    title: a
    because: [nothing]
    sources: [{ref: r}]
  - id: b
    type: statement
    at: 2020-01-07
    title: b
    because: ["2020"]
    sources: [{ref: r}]
""")
    problems = problems_of(path)  # KeyError today, not a ScenarioError
    assert [p.line for p in problems] == [15]  # the line of `because: [nothing]`
    assert "unknown event 'nothing'" in problems[0].message


def test_duplicate_numeric_ids_are_reported(tmp_path, write_scenario, head):
    path = write_scenario(tmp_path, head + """\
events:
  - {id: 2020, type: statement, at: 2020-01-06, title: a, sources: [{ref: r}]}
  - {id: 2020, type: statement, at: 2020-01-07, title: b, sources: [{ref: r}]}
""")
    messages = [p.message for p in problems_of(path)]
    assert messages == ["duplicate id '2020' (first at line 11)"]
