"""JSON Lines scenarios: a header line, one event per line, problems as file:line: message."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import ScenarioError, load_scenario

HEADER = {"format": 1, "scenario": {"id": "lines", "title": "JSONL", "seeds": "seeds"},
          "actors": [{"code": "NTH", "name": "Northland", "kind": "state"},
                     {"code": "STH", "name": "Southland", "kind": "state"}]}
QUOTE = [{"doc": "report.txt", "quote": "Northland demanded on Monday"}]


def _event(i: int, **extra) -> dict:
    return {"id": f"e{i}", "type": "statement", "at": f"2020-01-{i + 1:02d}", "title": f"event {i}", "actor": "NTH",
            "sources": QUOTE, **extra}


def _write(tmp_path: Path, write_scenario, lines: list) -> Path:
    write_scenario(tmp_path, "")  # the seeds folder with report.txt
    path = tmp_path / "s.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


def test_a_valid_file_loads_in_time_order(tmp_path: Path, write_scenario) -> None:
    demand = _event(3, type="demand", **{"from": "NTH"}, to="STH", what="withdraw", deadline="2020-01-05")
    del demand["actor"]
    path = _write(tmp_path, write_scenario, [HEADER, _event(2), "", _event(1), demand])
    scenario = load_scenario(path)
    assert [e.id for e in scenario.events] == ["e1", "e2", "e3"]
    assert scenario.events[2].from_ == "NTH" and scenario.digest


def test_every_problem_is_reported_at_its_line(tmp_path: Path, write_scenario) -> None:
    path = _write(tmp_path, write_scenario, [
        HEADER,
        _event(1),
        '{"id": "e2", "type": ',                            # line 3: cut short
        _event(3, actor="WST"),                             # line 4: unknown actor
        _event(1),                                          # line 5: duplicate id
        _event(5, sources=[{"doc": "report.txt", "quote": "not in the report"}]),  # line 6
        ["not", "an", "object"],                            # line 7
        _event(7, at="2020-02-30"),                         # line 8: impossible date
    ])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = {p.line: p.message for p in caught.value.problems}
    assert set(lines) == {3, 4, 5, 6, 7, 8}, caught.value
    assert "malformed JSON" in lines[3] and "unknown actor 'WST'" in lines[4] and "duplicate id 'e1'" in lines[5]
    assert "quote not found" in lines[6] and "JSON object" in lines[7] and "impossible date" in lines[8]
    assert all(p.file == str(path) for p in caught.value.problems)


@pytest.mark.parametrize("first", ['{"scenario": {}}', "[1, 2]", "{oops"])
def test_the_first_line_must_be_the_header(tmp_path: Path, write_scenario, first: str) -> None:
    path = _write(tmp_path, write_scenario, [first, _event(1)])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [p.line for p in caught.value.problems] == [1]


def test_an_empty_file_and_a_header_alone_are_problems(tmp_path: Path, write_scenario) -> None:
    for lines in ([], [HEADER]):
        with pytest.raises(ScenarioError) as caught:
            load_scenario(_write(tmp_path, write_scenario, lines))
        assert len(caught.value.problems) == 1
