"""The `crisis` command line, through click's CliRunner: good runs, and every kind of bad input."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from engine.cli import main

MARK = "# <-"


def invoke(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, result.output
    assert result.exception is None
    return result


# --- replay ---------------------------------------------------------------------------------------


def test_replay_prints_the_timeline_and_records_it(runner, rules_path, tmp_path):
    out = tmp_path / "out"
    result = ok(invoke(runner, "replay", rules_path, "--out", out))
    text = result.stdout
    assert text.startswith("Northland and Southland (test fixture)\n15 events (11 documented, 4 derived)")
    assert "2020-01-06            5.0     1  Northland demands withdrawal by Friday  [demand]" in text
    assert "[deadline_passed; derived from withdraw-demand]" in text
    assert "[seizure; outside seeds]" in text
    assert "State on 2020-01-20 after event #14 (talks)" in text
    assert f"recorded: {out / 'plot.png'}" in result.output
    lines = (out / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 15
    assert [json.loads(line)["seq"] for line in lines] == list(range(15))
    document = json.loads((out / "timeline.json").read_text(encoding="utf-8"))
    assert document["scenario"] == "rules" and len(document["timeline"]) == 15
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(".*.tmp"))  # no temporary files left behind


def test_replay_json_parses_and_sends_the_recorded_note_to_stderr(runner, rules_path, tmp_path):
    result = ok(invoke(runner, "replay", rules_path, "--format", "json", "--out", tmp_path / "out", "--no-plot"))
    data = json.loads(result.stdout)
    assert {"scenario", "timeline", "final"} <= set(data)
    assert data["scenario"] == "rules"
    assert [row["event"] for row in data["timeline"]][:2] == ["withdraw-demand", "border-exercise"]
    assert data["final"]["event"] == "talks"
    assert "recorded:" in result.stderr
    assert not (tmp_path / "out" / "plot.png").exists()
    assert (tmp_path / "out" / "events.jsonl").exists()


def test_replay_json_is_the_recorded_timeline_and_is_printed_when_recording_fails(runner, rules_path, tmp_path):
    recorded = ok(invoke(runner, "replay", rules_path, "--format", "json", "--out", tmp_path / "out", "--no-plot"))
    assert recorded.stdout == (tmp_path / "out" / "timeline.json").read_text(encoding="utf-8")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("not a replay", encoding="utf-8")
    failed = invoke(runner, "replay", rules_path, "--format", "json", "--out", foreign, "--no-plot")
    assert failed.exit_code == 2 and "not part of a recorded replay" in failed.stderr
    assert failed.stdout == recorded.stdout  # only the recording failed
    assert sorted(p.name for p in foreign.iterdir()) == ["mine.txt"]


def test_replay_no_record_writes_nothing(runner, rules_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok(invoke(runner, "replay", rules_path, "--format", "json", "--no-record", "--no-plot"))
    ok(invoke(runner, "replay", rules_path, "--no-record"))
    assert list(tmp_path.iterdir()) == []


def test_replay_until_cuts_the_timeline(runner, rules_path):
    result = ok(invoke(runner, "replay", rules_path, "--until", "2020-01-12", "--format", "json", "--no-record"))
    rows = json.loads(result.stdout)["timeline"]
    assert [row["event"] for row in rows][-2:] == ["vote", "vote-threat/triggered"]
    assert all(row["at"] <= "2020-01-12T23:59:59Z" for row in rows)
    assert len(rows) == 7
    assert json.loads(result.stdout)["final"]["event"] == "vote-threat/triggered"
    text = ok(invoke(runner, "replay", rules_path, "--until", "2020-01-12T00:00:00Z", "--no-record")).stdout
    assert "The vote is held" in text and "Northland imposes sanctions" not in text


def _records(runner, rules_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok(invoke(runner, "replay", rules_path, "--until", "2020-01-12", "--no-plot"))
    ok(invoke(runner, "replay", rules_path, "--no-plot"))
    return tmp_path / "replays"


def test_replay_until_records_beside_the_full_replay(runner, rules_path, tmp_path, monkeypatch):
    folder = _records(runner, rules_path, tmp_path, monkeypatch)
    assert sorted(p.name for p in folder.iterdir()) == ["rules", "rules-until-2020-01-12"]
    partial = json.loads((folder / "rules-until-2020-01-12" / "timeline.json").read_text())
    full = json.loads((folder / "rules" / "timeline.json").read_text())
    assert (len(partial["timeline"]), len(full["timeline"])) == (7, 15)
    assert len((folder / "rules" / "events.jsonl").read_text().splitlines()) == 15


def test_replay_until_records_only_the_events_up_to_the_cut(runner, rules_path, tmp_path, monkeypatch):
    folder = _records(runner, rules_path, tmp_path, monkeypatch) / "rules-until-2020-01-12"
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert [e["id"] for e in events][-1] == "vote-threat/triggered"
    assert len(events) == 7


def test_replay_bad_until_is_a_clear_error(runner, rules_path):
    result = invoke(runner, "replay", rules_path, "--until", "next week", "--no-record")
    assert result.exit_code == 2
    assert "--until" in result.output and "bad date 'next week'" in result.output
    assert "Traceback" not in result.output


# --- state, why, validate, plot -------------------------------------------------------------------


def test_state_json_has_every_part(runner, rules_path):
    data = json.loads(ok(invoke(runner, "state", rules_path, "--at", "2020-01-14", "--json")).stdout)
    assert {"time", "tension", "demands", "sanctions", "deployments", "detentions", "control"} <= set(data)
    assert data["time"] == "2020-01-14T00:00:00Z"
    assert [d["id"] for d in data["demands"]] == ["withdraw-demand"]
    assert [s["id"] for s in data["sanctions"]] == ["sanctions"]
    assert [d["id"] for d in data["deployments"]] == ["border-exercise"]
    assert [d["id"] for d in data["detentions"]] == ["observers-detained"]
    assert data["control"] == []
    assert isinstance(data["tension"], float) and data["tension"] > 0


def test_state_json_tension_decays_to_the_moment_asked(runner, rules_path):
    noon = json.loads(ok(invoke(runner, "state", rules_path, "--at", "2020-01-14T00:00:00Z", "--json")).stdout)
    night = json.loads(ok(invoke(runner, "state", rules_path, "--at", "2020-01-14", "--json")).stdout)
    assert noon["time"] == night["time"]
    assert night["tension"] < noon["tension"]


def test_state_json_tension_parts_add_up(runner, rules_path):
    data = json.loads(ok(invoke(runner, "state", rules_path, "--at", "2020-01-14", "--json")).stdout)
    parts = data["tension_parts"]
    assert parts["impulses"] + parts["conditions"] == pytest.approx(data["tension"], abs=0.002)


def test_state_before_anything_happened(runner, rules_path):
    result = ok(invoke(runner, "state", rules_path, "--at", "2019-12-31"))
    assert "Nothing has happened yet" in result.stdout
    data = json.loads(ok(invoke(runner, "state", rules_path, "--at", "2019-12-31", "--json")).stdout)
    assert data["tension"] == 0 and data["demands"] == []


def test_state_text(runner, rules_path):
    text = ok(invoke(runner, "state", rules_path, "--at", "2020-01-16")).stdout
    assert "State on 2020-01-16 (end of day) after event #11 (port-seized)" in text
    assert "NTH → STH: withdraw troops from the border (since 2020-01-06, overdue)" in text
    assert "north port: STH since 2020-01-16 12:00Z, before NTH" in text


@pytest.mark.parametrize("command", ["state", "why"])
def test_bad_at_date_is_a_clear_error(runner, rules_path, command):
    result = invoke(runner, command, rules_path, "--at", "2014-02-30")
    assert result.exit_code == 2
    assert "--at" in result.output and "impossible date '2014-02-30'" in result.output
    assert "Traceback" not in result.output
    result = invoke(runner, command, rules_path, "--at", "16/03/2014")
    assert result.exit_code == 2 and "bad date '16/03/2014'" in result.output


def test_why_lists_shares_with_quotes(runner, rules_path):
    text = ok(invoke(runner, "why", rules_path, "--at", "2020-01-14")).stdout
    assert text.startswith("tension ")
    assert "observers-detained: Observers detained" in text
    assert 'report.txt: "Observers were detained in the capital"' in text


def test_validate_ok(runner, rules_path, spring_path):
    result = ok(invoke(runner, "validate", rules_path, spring_path))
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{rules_path}: ok: 11 events (1 outside the seeds), 5 actors")
    assert lines[1].startswith(f"{spring_path}: ok: 60 events")


def test_plot_writes_an_svg(runner, rules_path, tmp_path):
    target = tmp_path / "x.svg"
    result = ok(invoke(runner, "plot", rules_path, "-o", target))
    assert f"wrote {target}" in result.output
    head = target.read_text(encoding="utf-8")[:400]
    assert "<svg" in head


def test_plot_refuses_an_unknown_format(runner, rules_path, tmp_path):
    result = invoke(runner, "plot", rules_path, "-o", tmp_path / "x.gif")
    assert result.exit_code == 2
    assert ".png, .svg or .pdf" in result.output
    assert not (tmp_path / "x.gif").exists()


# --- bad input: exit 2, file:line: message, never a traceback --------------------------------------


def assert_rejected(runner, path, line, fragment):
    """`validate` and `replay` both refuse `path`, naming `path:line:` and the problem."""
    for args in (["validate", path], ["replay", path, "--no-record", "--no-plot"]):
        result = invoke(runner, *args)
        assert result.exit_code == 2, result.output
        assert isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
        assert f"{path}:{line}: " in result.output, result.output
        assert fragment in result.output, result.output
        assert result.output.rstrip().endswith("problem found") or result.output.rstrip().endswith("problems found")


def write(tmp_path, write_scenario, head, line_of, events):
    text = head + "events:\n" + textwrap.dedent(events)
    return write_scenario(tmp_path, text), line_of(text, MARK)


OK_EVENT = """\
  - id: ok
    type: statement
    at: 2020-01-05
    title: fine
    sources: [{doc: report.txt, quote: "Observers were detained in the capital."}]
"""

BAD_INPUT = {
    "malformed YAML": (OK_EVENT + """\
  - id: x
    title: a: b  # <-
""", "malformed YAML"),
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
    title: t
    mood: grim  # <-
    sources: [{ref: r}]
""", "unknown field 'mood'"),
    "missing field": ("""\
  - id: x  # <-
    type: sanctions
    at: 2020-01-06
    title: t
    actor: NTH
    measures: [asset freezes]
    sources: [{ref: r}]
""", "missing field 'against'"),
    "bad date": ("""\
  - id: x
    type: statement
    at: March 6th  # <-
    title: t
    sources: [{ref: r}]
""", "bad date 'March 6th'"),
    "impossible date": ("""\
  - id: x
    type: statement
    at: 2014-02-30  # <-
    title: t
    sources: [{ref: r}]
""", "impossible date '2014-02-30'"),
    "unknown actor": ("""\
  - id: x
    type: sanctions
    at: 2020-01-06
    title: t
    actor: NTH
    against: ATLANTIS  # <-
    measures: [asset freezes]
    sources: [{ref: r}]
""", "unknown actor 'ATLANTIS'"),
    "duplicate id": (OK_EVENT + """\
  - id: ok  # <-
    type: statement
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
""", "duplicate id 'ok' (first at line 11)"),
    "demand resolved twice": ("""\
  - {id: d, type: demand, at: 2020-01-06, title: d, from: NTH, to: STH, what: w, sources: [{ref: r}]}
  - {id: met, type: demand_resolved, at: 2020-01-07, title: m, demand: d, outcome: met, sources: [{ref: r}]}
  - {id: met2, type: demand_resolved, at: 2020-01-08, title: m, demand: d, outcome: met, sources: [{ref: r}]}  # <-
""", "resolves demand 'd', which is not open (it was already met)"),
    "because unknown": (OK_EVENT + """\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    because: [ok, ghost]  # <-
    sources: [{ref: r}]
""", "'because' names unknown event 'ghost'"),
    "quote not found": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: t
    sources:
      - doc: report.txt
        quote: "Southland invaded Northland"  # <-
""", 'quote not found in report.txt: "Southland invaded Northland"'),
    "object-building YAML tag": ("""\
  - id: x
    type: statement
    at: 2020-01-06
    title: !!python/object/apply:os.system ["echo hi"]  # <-
    sources: [{ref: r}]
""", "YAML tag refused"),
    "name-importing YAML tag": ("""\
  - id: x
    type: statement
    at: !!python/name:os.system  # <-
    title: t
    sources: [{ref: r}]
""", "YAML tag refused"),
}


@pytest.mark.parametrize("events, fragment", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input(runner, tmp_path, write_scenario, head, line_of, events, fragment):
    path, line = write(tmp_path, write_scenario, head, line_of, events)
    assert_rejected(runner, path, line, fragment)


def test_missing_file(runner, tmp_path):
    assert_rejected(runner, tmp_path / "nowhere.yaml", 0, "no such file")
    result = invoke(runner, "state", tmp_path / "nowhere.yaml", "--at", "2020-01-01")
    assert result.exit_code == 2 and f"{tmp_path / 'nowhere.yaml'}:0: no such file" in result.output


def test_several_problems_are_listed_at_once(runner, tmp_path, write_scenario, head, line_of):
    text = head + "events:\n" + textwrap.dedent("""\
  - id: a
    type: invasion  # <- 1
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
  - id: b
    type: statement
    at: 2014-02-30  # <- 2
    title: t
    sources: [{ref: r}]
  - id: c
    type: statement
    at: 2020-01-06
    title: t
    actor: ATLANTIS  # <- 3
    sources:
      - doc: report.txt
        quote: "Southland invaded Northland"  # <- 4
  - id: a  # <- 5
    type: statement
    at: 2020-01-06
    title: t
    sources: [{ref: r}]
""")
    path = write_scenario(tmp_path, text)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[-1] == "5 problems found"
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [
        f"{path}:{line_of(text, f'# <- {n}')}" for n in range(1, 6)]


def test_validate_reports_problems_of_every_file_named(runner, rules_path, tmp_path, write_scenario):
    bad = write_scenario(tmp_path, "scenario: {id: bad}\nevents: []\n")
    result = invoke(runner, "validate", rules_path, bad, tmp_path / "gone.yaml")
    assert result.exit_code == 2
    assert f"{rules_path}: ok" in result.stdout
    assert f"{bad}:2: 'events' is empty" in result.stderr
    assert f"{tmp_path / 'gone.yaml'}:0: no such file" in result.stderr
    assert "2 problems found" in result.stderr


# --- matplotlib stays unimported unless a picture is drawn ---------------------------------------

PROBE = """\
import sys
from click.testing import CliRunner
from engine.cli import main
runner = CliRunner()
for args in {commands!r}:
    result = runner.invoke(main, args)
    assert result.exit_code == 0, (args, result.output, result.exception)
print("matplotlib" in sys.modules)
"""


def _imports_matplotlib(repo_root, commands) -> bool:
    done = subprocess.run([sys.executable, "-c", PROBE.format(commands=commands)], cwd=repo_root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] == "True"


def test_replay_json_and_validate_do_not_import_matplotlib(repo_root, rules_path):
    commands = [["replay", str(rules_path), "--format", "json", "--no-plot", "--no-record"],
                ["validate", str(rules_path)],
                ["state", str(rules_path), "--at", "2020-01-14", "--json"]]
    assert _imports_matplotlib(repo_root, commands) is False


def test_the_probe_does_see_matplotlib_when_a_plot_is_drawn(repo_root, rules_path, tmp_path):
    assert _imports_matplotlib(repo_root, [["plot", str(rules_path), "-o", str(tmp_path / "p.svg")]]) is True
