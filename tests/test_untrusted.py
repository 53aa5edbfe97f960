"""Scenario files are shared: a hostile one is refused with a clear error, never obeyed."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import ScenarioError, load_scenario
from engine.cli import main
from engine.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_ITEMS

REPORT = "Northland demanded on Monday that Southland withdraw.\nAn \x1b[31malarm\x1b[0m was raised.\n"
HEAD = """\
scenario: {id: hostile, title: "A hostile file", seeds: seeds}
actors:
  - {code: NTH, name: Northland, kind: state}
  - {code: STH, name: Southland, kind: state}
"""
EVENT = """\
events:
  - id: demand
    type: demand
    at: 2020-01-06
    title: "Northland demands withdrawal"
    from: NTH
    to: STH
    what: withdraw
    sources: [{doc: report.txt, quote: "Northland demanded on Monday"}]
"""


def write(folder: Path, text: str) -> Path:
    (folder / "seeds").mkdir(exist_ok=True)
    (folder / "seeds" / "report.txt").write_text(REPORT, encoding="utf-8")
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert all(p.file == str(path) for p in caught.value.problems)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_the_base_file_loads(tmp_path):
    assert len(load_scenario(write(tmp_path, HEAD + EVENT)).events) == 1


# --- YAML tags that would build Python objects -------------------------------------------------

PAYLOADS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:builtins.object {{}}",
    "!!python/object/apply:builtins.exec ['open(\"{marker}\", \"w\")']",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
    "!custom 'a local tag'",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_object_building_tags_are_refused_not_executed(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = write(tmp_path, HEAD + EVENT.replace("what: withdraw", "what: " + payload.format(marker=marker)))
    found = problems(path)
    assert len(found) == 1 and "tag" in found[0], found
    assert found[0].startswith("12: ")  # the line of the tagged value
    assert not marker.exists()


def test_cli_reports_a_tag_as_file_line_and_exit_2(tmp_path):
    path = write(tmp_path, HEAD + "evil: !!python/object/apply:os.system ['true']\n" + EVENT)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert re.search(rf"^{re.escape(str(path))}:5: .*tag refused", result.output, re.M), result.output
    assert "Traceback" not in result.output


# --- size limits: alias bombs, depth, size, number of events -------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &lol0 "lol"']
    lines += [f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top", "in a field"])
def test_billion_laughs_is_rejected_within_a_second(tmp_path, where):
    bomb = billion_laughs()
    if where == "top":
        text = bomb + HEAD + EVENT
    else:  # the bomb's last level is used as a field value the reader walks and prints
        text = "x-anchors:\n" + "".join("  " + line + "\n" for line in bomb.splitlines()) + HEAD + \
            EVENT.replace("what: withdraw", "what: *lol9")
    path = write(tmp_path, text)
    start = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - start < 1.0
    assert any("alias bomb" in p for p in found), found


def test_merge_key_bomb_is_rejected_within_a_second(tmp_path):
    lines = ["m0: &m0 {a: 1, b: 2}"]
    lines += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}" for i in range(1, 40)]
    path = write(tmp_path, "\n".join(lines) + "\n" + HEAD + EVENT)
    start = time.perf_counter()
    found = problems(path)
    assert time.perf_counter() - start < 1.0
    assert any("alias bomb" in p for p in found), found


def test_recursive_alias_is_refused(tmp_path):
    found = problems(write(tmp_path, "loop: &loop [1, *loop]\n" + HEAD + EVENT))
    assert found == ["1: recursive alias: *loop refers to a node that contains it"]


def test_deep_nesting_is_refused_at_its_line(tmp_path):
    deep = "deep:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 5)) + "  " * (MAX_DEPTH + 6) + "x\n"
    found = problems(write(tmp_path, HEAD + deep + EVENT))
    assert len(found) == 1 and f"more than {MAX_DEPTH} levels" in found[0], found


def test_deep_flow_nesting_does_not_overflow_the_stack(tmp_path):
    found = problems(write(tmp_path, HEAD + "deep: " + "[" * 50_000 + "]" * 50_000 + "\n" + EVENT))
    assert len(found) == 1 and "too deeply nested" in found[0], found


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: cheap to make
    start = time.perf_counter()
    assert problems(path) == ["0: too large: a scenario file may have at most 20 MB"]
    assert time.perf_counter() - start < 2.0


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_file_is_refused():
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario("/dev/zero")


def test_too_many_events_is_one_clear_problem(tmp_path):
    events = "events:\n" + "  - x\n" * (MAX_ITEMS + 1)
    found = problems(write(tmp_path, HEAD + events))
    assert found == [f"6: too many items in 'events': {MAX_ITEMS + 1:,} (at most {MAX_ITEMS:,})"]


# --- sources.doc stays inside the seeds folder ---------------------------------------------------

@pytest.mark.parametrize("doc", ["../../etc/passwd", "/etc/passwd", "../scenario.yaml", "..", ".", "sub/../report.txt",
                                 "..\\\\report.txt", "report.txt\\x00"])
def test_a_doc_cannot_name_a_path(tmp_path, doc):
    path = write(tmp_path, HEAD + EVENT.replace("doc: report.txt", f'doc: "{doc}"'))
    found = problems(path)
    assert len(found) == 1 and "file name inside the seeds folder" in found[0], found


@pytest.mark.parametrize("target", ["file", "dir"])
def test_a_doc_cannot_be_a_symlink_out_of_the_seeds(tmp_path, target):
    outside = tmp_path / "secret.txt"
    outside.write_text("Northland demanded on Monday", encoding="utf-8")
    path = write(tmp_path, HEAD + EVENT.replace("doc: report.txt", "doc: link"))
    (tmp_path / "seeds" / "link").symlink_to(outside if target == "file" else tmp_path)
    found = problems(path)
    assert len(found) == 1 and ("symbolic link" in found[0]), found


def test_documents_section_is_held_to_the_same_rule(tmp_path):
    path = write(tmp_path, HEAD + "documents:\n  - {doc: /etc/passwd, dated: 2020-01-01}\n" + EVENT)
    assert problems(path) == ["6: document '/etc/passwd' must be a file name inside the seeds folder, not a path"]


# --- control characters and long strings ---------------------------------------------------------

HOSTILE = """\
scenario: {id: hostile, title: "Title \\e]0;pwned\\a \\e[2J $\\\\frac{1}{$ \\u202eevil", seeds: seeds}
actors:
  - {code: NTH, name: "North\\e[31mland", kind: state}
  - {code: STH, name: "%s", kind: state}
events:
  - id: demand
    type: demand
    at: 2020-01-06
    title: "Demand \\e[2J\\x9b1m $x^{$ \\r\\b done"
    summary: "%s"
    from: NTH
    to: STH
    what: "withdraw \\e[5m%s"
    deadline: 2020-01-08
    sources: [{doc: report.txt, quote: "An \\e[31malarm\\e[0m was raised."}]
""" % ("S" * 20_000, "long " * 10_000, "w" * 20_000)

RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("command", [["replay", "--no-record"], ["why", "--at", "2020-01-09"],
                                     ["state", "--at", "2020-01-09"], ["validate"]])
def test_control_characters_and_long_strings_do_not_reach_the_terminal(tmp_path, command):
    path = write(tmp_path, HOSTILE)
    result = CliRunner().invoke(main, [command[0], str(path), *command[1:]])
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.output), result.output
    assert max(len(line) for line in result.output.splitlines()) < 400
    if command[0] == "why":
        assert r"An \x1b[31malarm\x1b[0m was raised." in result.output


def test_problem_messages_escape_control_characters(tmp_path):
    path = write(tmp_path, HEAD + EVENT.replace("type: demand", 'type: "dem\\e[2Jand\\nx"'))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert not RAW_CONTROL.search(result.output) and r"dem\x1b[2Jand\x0ax" in result.output


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_plot_survives_control_characters_dollars_and_long_strings(tmp_path, fmt):
    path = write(tmp_path, HOSTILE)
    out = tmp_path / f"plot.{fmt}"
    result = CliRunner().invoke(main, ["plot", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "svg":
        svg = out.read_text(encoding="utf-8")
        assert "\x1b" not in svg and "\u202e" not in svg


def test_json_output_escapes_c1_controls(tmp_path):
    path = write(tmp_path, HOSTILE)
    result = CliRunner().invoke(main, ["replay", str(path), "--format", "json", "--no-record"])
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.stdout)
    assert r"\u009b" in result.stdout


def test_a_scenario_id_cannot_steer_where_replays_are_recorded(tmp_path):
    path = write(tmp_path, HEAD.replace("id: hostile", "id: ../../escaped") + EVENT)
    assert any("scenario id '../../escaped' must be lowercase" in p for p in problems(path))
