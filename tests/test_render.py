"""How commands write JSON: `render.dumps`, one record per line."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from engine.reader import load_scenario
from engine.render import Rows, dump_chunks, dumps, timeline_document
from engine.sim import simulate
from engine.timeline import build

SPRING = Path(__file__).resolve().parent.parent / "scenario" / "spring2014.yaml"

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30)


@given(JSON)
def test_dumps_reads_back_as_the_same_data(data):
    text = dumps(data)
    assert json.loads(text) == data
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert not any(c in text for c in "\u2028\u2029\u202e\x85")  # escaped: a terminal shows them, not obeys them


def test_a_timeline_is_one_line_per_event_and_a_state_one_line_per_item():
    timeline = build(simulate(load_scenario(SPRING)))
    document = timeline_document(timeline)
    lines = dumps(document).splitlines()
    start = lines.index(' "timeline": [')
    rows = lines[start + 1: start + 1 + len(timeline)]
    assert [json.loads(line.strip().rstrip(",")) for line in rows] == document["timeline"]
    assert lines[start + 1 + len(timeline)] == " ],"
    demands = lines.index('  "demands": [')
    assert json.loads(lines[demands + 1].strip().rstrip(",")) == document["final"]["demands"][0]


def test_small_containers_and_empty_ones_stay_readable():
    assert dumps({"a": {"b": {"c": 1}}, "e": [], "f": {}}) == '{\n "a": {\n  "b": {"c": 1}\n },\n "e": [],\n "f": {}\n}\n'
    assert dumps([1, [2, [3, [4]]]]) == "[\n 1,\n [\n  2,\n  [\n   3,\n   [4]\n  ]\n ]\n]\n"  # lists: three levels
    assert dumps("x") == '"x"\n'


def test_a_lazy_document_written_in_chunks_is_the_same_text():
    timeline = build(simulate(load_scenario(SPRING)))
    whole = dumps(timeline_document(timeline))
    for size in (1, 100, 1 << 20):
        chunks = list(dump_chunks(timeline_document(timeline, lazy=True), size=size))
        assert "".join(chunks) == whole
    assert len(chunks) == 1 and len(list(dump_chunks(timeline_document(timeline, lazy=True), size=100))) > 100
    assert dumps({"rows": Rows([]), "more": Rows(iter([{"a": 1}, {"b": [2]}]))}) == \
        '{\n "rows": [],\n "more": [\n  {"a": 1},\n  {"b": [2]}\n ]\n}\n'


_TEXTS = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("\x7f\x85\u2028\u202e\u2066…"), max_size=6)
_TROOPS = st.dictionaries(_TEXTS, st.integers(0, 10**6), max_size=4)


@given(st.lists(st.tuples(st.booleans(), _TROOPS, st.lists(_TEXTS, max_size=2), st.booleans(), st.booleans()),
                max_size=8))
def test_rows_sharing_a_troops_map_are_written_as_the_whole_row_would_be(plan):
    """`Rows` splice each row's line around a troops map encoded once for the rows sharing it:
    the text must be what encoding each row whole gives, escapes included, whatever stands
    before or after `troops` (or nothing)."""
    rows, troops = [], {}
    for i, (same, new, changes, head, tail) in enumerate(plan):
        troops = troops if same else new  # the same object, as `Figures.rows` shares it
        row = {"seq": i, "title": "".join(changes)} if head else {}
        row["troops"] = troops
        if tail:
            row.update(detained=i, changes=changes)
        rows.append(row)
    lazy = dumps({"timeline": Rows(iter(rows))})
    assert lazy == dumps({"timeline": rows})
    assert json.loads(lazy) == {"timeline": rows}
    assert not any(c in lazy for c in "\x7f\x85\u2028\u202e\u2066")
