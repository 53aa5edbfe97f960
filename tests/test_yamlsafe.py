"""engine.yamlsafe: safe loading that keeps the line of every key and item."""
from __future__ import annotations

import textwrap

import pytest

from engine.yamlsafe import Mapping, Sequence, load_yaml


def load(text: str):
    return load_yaml(textwrap.dedent(text), "f.yaml")


def test_mapping_records_key_and_value_lines():
    data, problems = load("""\
        # a comment
        first: 1
        second:
          nested: yes
        third: >
          folded
        """)
    assert problems == []
    assert isinstance(data, Mapping)
    assert data.line == 2
    assert data.key_lines == {"first": 2, "second": 3, "third": 5}
    assert data.line_of("first") == 2
    assert data.line_of("second") == 4  # the value (a mapping) starts on the next line
    assert data["second"].line == 4
    assert data["second"].line_of("nested") == 4
    assert data.line_of("missing") == 2  # falls back to the mapping's own line


def test_sequence_records_item_lines_block_and_flow():
    data, problems = load("""\
        items:
          - a
          -
            b
          - {k: v}
        flow: [x, y,
               z]
        """)
    assert problems == []
    items = data["items"]
    assert isinstance(items, Sequence)
    assert items == ["a", "b", {"k": "v"}]
    assert items.line == 2
    assert items.item_lines == [2, 4, 5]
    assert items.line_of(2) == 5
    assert items.line_of(10) == 2  # out of range: the sequence's line
    assert items[2].line == 5
    assert data["flow"].item_lines == [6, 6, 7]


def test_event_list_items_know_their_lines():
    data, _ = load("""\
        events:
          - id: a
            type: statement
          - id: b
            type: talks
        """)
    first, second = data["events"]
    assert (first.line, second.line) == (2, 4)
    assert second.line_of("type") == 5


def test_duplicate_key_is_reported_with_both_lines():
    data, problems = load("""\
        a: 1
        b: 2
        a: 3
        """)
    assert [(p.file, p.line) for p in problems] == [("f.yaml", 3)]
    assert "duplicate key 'a'" in problems[0].message
    assert "first at line 1" in problems[0].message
    assert data["a"] == 1  # the first value is kept


def test_duplicate_key_in_nested_mapping():
    _, problems = load("""\
        events:
          - id: a
            title: x
            title: y
        """)
    assert [p.line for p in problems] == [4]
    assert "duplicate key 'title' (first at line 3)" in problems[0].message


def test_non_scalar_key_is_reported():
    _, problems = load("""\
        ok: 1
        ? [a, b]
        : 2
        """)
    assert [p.line for p in problems] == [2]
    assert "plain word" in problems[0].message


@pytest.mark.parametrize("text, line", [
    ('type: !!python/object/apply:os.system ["echo hi"]\n', 1),
    ("a: 1\nb: !!python/name:os.system\n", 2),
    ("a: 1\nb:\n  c: !!python/object:collections.OrderedDict {}\n", 3),
    ("a: !!python/object/new:subprocess.Popen [[echo, hi]]\n", 1),
])
def test_object_constructing_tags_are_refused(text, line, capfd):
    data, problems = load_yaml(text, "f.yaml")
    assert data is None
    assert len(problems) == 1
    assert problems[0].line == line
    assert "tag refused" in problems[0].message
    assert "python/" in problems[0].message
    assert "hi" not in capfd.readouterr().out  # nothing was executed


def test_dates_and_datetimes_stay_strings():
    data, problems = load("""\
        day: 2014-03-16
        impossible: 2014-02-30
        moment: 2014-03-16T08:30:00Z
        spaced: 2001-12-14 21:59:43.10 -5
        """)
    assert problems == []
    assert data == {"day": "2014-03-16", "impossible": "2014-02-30", "moment": "2014-03-16T08:30:00Z",
                    "spaced": "2001-12-14 21:59:43.10 -5"}
    assert all(type(v) is str for v in data.values())


def test_other_scalars_are_still_typed():
    data, _ = load("n: 5\nx: 1.5\nb: true\nz: null\ns: '007'\n")
    assert data == {"n": 5, "x": 1.5, "b": True, "z": None, "s": "007"}
    assert type(data["b"]) is bool


def test_malformed_yaml_reports_line():
    data, problems = load("""\
        a: 1
        b: c: d
        """)
    assert data is None
    assert [p.line for p in problems] == [2]
    assert problems[0].message.startswith("malformed YAML")


def test_merge_keys_work():
    data, problems = load("""\
        base: &b {x: 1}
        other:
          <<: *b
          y: 2
        """)
    assert problems == []
    assert data["other"] == {"x": 1, "y": 2}


def test_empty_document_is_none_without_problems():
    assert load_yaml("", "f.yaml") == (None, [])


def test_unclosed_quote_is_reported_where_it_opens():
    text = 'events:\n  - id: a\n    title: "unclosed\n  - id: b\n'
    data, problems = load_yaml(text, "f.yaml")
    assert data is None
    assert [p.line for p in problems] == [3]
