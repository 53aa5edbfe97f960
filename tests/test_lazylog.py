"""A recorded replay is opened without decoding its log (`lazylog`): events are read as they are used."""
from __future__ import annotations

import hashlib
import io
import json
import pickle
import shutil
import threading
from copy import deepcopy
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine
from engine import codec, lazylog, store, synth
from engine import events as ev
from engine.cli import main
from engine.errors import TamperedReplay
from engine.lazylog import Documented, LazyEvents
from engine.reader import load_scenario
from engine.record import record
from engine.repl import Session
from engine.sim import simulate
from engine.store import open_replay
from engine.timeline import build

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "tests" / "data" / "rules.yaml"


def _record_synthetic(base: Path, events: int, seed: int) -> Path:
    path = synth.write(base / "syn.jsonl", events, seed=seed)
    record(build(simulate(load_scenario(path))), base / "replay", plot=False)
    return base / "replay"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A recorded replay of a small synthetic JSON Lines scenario (its quotes found in the log's lines)."""
    return _record_synthetic(tmp_path_factory.mktemp("synthetic"), 300, seed=3)


@pytest.fixture
def copy(synthetic, tmp_path) -> Path:
    shutil.copytree(synthetic.parent, tmp_path / "s")
    return tmp_path / "s" / "replay"


def eagerly(folder: Path):
    """The replay read line by line, every hash recomputed (what `crisis verify` reads)."""
    return open_replay(folder, every_hash=True)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few lines and pieces of one or two, so that every path between them is taken."""
    monkeypatch.setattr(lazylog, "BLOCK", 1500)
    monkeypatch.setattr(lazylog, "PIECE", 300)


@pytest.fixture
def decodes(monkeypatch) -> list[int]:
    """How many records `lazylog` has turned into events so far."""
    count = [0]
    real = lazylog.event_from_dict

    def counted(record):
        count[0] += 1
        return real(record)

    monkeypatch.setattr(lazylog, "event_from_dict", counted)
    return count


def forge_digest(folder: Path) -> None:
    """Put the log's SHA-256 in the manifest: as whoever edited the log would, to have it load."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["events.jsonl"] = hashlib.sha256((folder / "events.jsonl").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def edit_line(folder: Path, number: int, edit) -> None:
    rows = (folder / "events.jsonl").read_bytes().splitlines(keepends=True)
    rows[number - 1] = edit(rows[number - 1])
    (folder / "events.jsonl").write_bytes(b"".join(rows))
    forge_digest(folder)


# --- opening decodes nothing it does not need -------------------------------------------------------

def test_opening_decodes_only_the_last_line(synthetic, decodes):
    log = open_replay(synthetic).log
    assert isinstance(log.events, LazyEvents) and isinstance(log.scenario.events, Documented)
    assert len(log) == json.loads((synthetic / "manifest.json").read_text())["events"]
    assert len(log.scenario.events) == sum(1 for e in eagerly(synthetic).log.events if not e.DERIVED)
    assert decodes[0] == 1  # the last line: its hash is the manifest's log_head


def test_a_replay_opens_to_its_first_prompt_decoding_a_few_events(synthetic, decodes):
    replay = engine.load(synthetic)
    assert replay.state.time is None and replay.position == 0
    Session(replay, stdout=io.StringIO()).banner()  # the first and last events' dates
    assert decodes[0] <= 3
    replay.goto(150)
    assert decodes[0] <= 3 + 150 + 128  # up to the position, at most a snapshot block beyond


def test_every_event_decoded_lets_go_of_the_file(synthetic):
    events = open_replay(synthetic).log.events
    events[7]
    assert any(block is not None for block in events._blocks)
    assert tuple(events) == eagerly(synthetic).log.events
    assert all(block is None for block in events._blocks)


# --- the sequence: what a tuple of the events would do ------------------------------------------

@pytest.mark.usefixtures("small_blocks")
def test_indexing_slicing_and_iterating_give_the_events_read_at_once(synthetic):
    events = open_replay(synthetic).log.events
    expected = eagerly(synthetic).log.events
    n = len(expected)
    assert len(events) == n and len(events._blocks) > 10
    assert events[0] == expected[0] and events[-1] == expected[-1] and events[-n] == expected[0]
    assert events[n // 2] == expected[n // 2] and events[-7] == expected[n - 7]
    for bad in (n, -n - 1):
        with pytest.raises(IndexError):
            events[bad]
    with pytest.raises(TypeError):
        events["3"]
    for cut in (slice(None), slice(5, 17), slice(-10, None), slice(100, 5), slice(None, None, -3), slice(3, n, 7),
                slice(-n - 5, n + 5), slice(n, None)):
        assert events[cut] == expected[cut], cut
        assert type(events[cut]) is tuple
    assert list(reversed(events)) == list(reversed(expected))
    assert events.index(expected[42]) == 42 and expected[42] in events
    assert tuple(events) == expected and list(events) == list(expected)


@pytest.mark.usefixtures("small_blocks")
def test_it_is_equal_to_the_tuple_both_ways_and_hashes_as_it_does(synthetic):
    log, eager = open_replay(synthetic).log, eagerly(synthetic).log
    assert log.events == eager.events and eager.events == log.events and not log.events != eager.events
    assert log.events != eager.events[:-1] and eager.events[1:] != log.events
    assert log.events != list(eager.events)  # as a tuple is not a list
    assert hash(log.events) == hash(eager.events)
    assert pickle.loads(pickle.dumps(log)) == eager and deepcopy(log.events) == eager.events
    assert log == eager and log.scenario == eager.scenario  # Log and Scenario compare their events
    assert log.scenario.events == tuple(e for e in eager.events if not e.DERIVED)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(20, 150), block=st.sampled_from([200, 1500, 1 << 26]),
       piece=st.sampled_from([1, 500, 1 << 22]), reads=st.lists(st.tuples(
           st.integers(-400, 400), st.one_of(st.none(), st.integers(-400, 400)), st.sampled_from([1, 1, 2, -1])),
           max_size=12))
def test_a_replay_opened_lazily_is_the_replay_read_at_once(tmp_path_factory, monkeypatch, seed, size, block, piece,
                                                           reads):
    """Whatever is read first, in whatever order and over whatever blocks: event for event the same."""
    folder = _record_synthetic(tmp_path_factory.mktemp("lazy"), size, seed)
    monkeypatch.setattr(lazylog, "BLOCK", block)
    monkeypatch.setattr(lazylog, "PIECE", piece)
    lazy, eager = open_replay(folder), eagerly(folder)
    events, expected = lazy.log.events, eager.log.events
    assert isinstance(events, LazyEvents)
    for start, stop, step in reads:
        if stop is None:  # one event
            if -len(expected) <= start < len(expected):
                assert events[start] == expected[start]
        else:
            assert events[start:stop:step] == expected[start:stop:step]
    assert len(lazy.log.scenario.events) == len(eager.log.scenario.events)
    assert tuple(events) == expected and lazy.log.scenario == eager.log.scenario
    assert lazy.notes == eager.notes and lazy.manifest == eager.manifest


def test_threads_sharing_a_log_read_the_same_events(synthetic, small_blocks):
    events = open_replay(synthetic).log.events
    seen: list[tuple] = []
    readers = [threading.Thread(target=lambda: seen.append(tuple(events))) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert seen == [eagerly(synthetic).log.events] * 4


# --- a line changed under a forged digest: refused, by file and line, when it is read ---------------

def _wrong_seq(row: bytes) -> bytes:
    record = json.loads(row)
    return row.replace(f'"seq": {record["seq"]},'.encode(), f'"seq": {record["seq"] + 1000},'.encode(), 1)


@pytest.mark.parametrize("blocks", ["one block", "small blocks"])
def test_a_forged_line_is_refused_with_file_and_line_when_read(copy, monkeypatch, blocks):
    if blocks == "small blocks":
        monkeypatch.setattr(lazylog, "BLOCK", 1500)
        monkeypatch.setattr(lazylog, "PIECE", 300)
    edit_line(copy, 42, _wrong_seq)
    replay = open_replay(copy)  # the digest is the manifest's: nothing to see yet
    events = replay.log.events
    assert events[40].id and events[-1].id
    where = f"{copy / 'events.jsonl'}:42: line 42 has seq 1041, expected 41 "
    for read in (lambda: events[41], lambda: events[30:50], lambda: tuple(events)):
        with pytest.raises(TamperedReplay) as caught:
            read()
        assert str(caught.value).startswith(where) and str(caught.value).endswith(lazylog.FOUND)
        assert caught.value.line == 42 and caught.value.file == str(copy / "events.jsonl")
    read = []
    with pytest.raises(TamperedReplay):
        for event in events:
            read.append(event)
    assert len(read) == 41 and read == list(events[:41])  # up to the bad line
    with pytest.raises(TamperedReplay, match="line 42 does not match its hash"):
        open_replay(copy, every_hash=True)  # what `crisis verify` reads: every line, when opened


def test_a_changed_derived_mark_is_refused_at_its_line(copy, small_blocks):
    rows = (copy / "events.jsonl").read_bytes().splitlines(keepends=True)
    number = next(n for n, row in enumerate(rows, 1) if lazylog.DERIVED in row)
    edit_line(copy, number, lambda row: row.replace(lazylog.DERIVED, b'"derived":true'))  # the same JSON
    events = open_replay(copy).log.events
    for read in (lambda: events[number - 1], lambda: tuple(events)):
        with pytest.raises(TamperedReplay, match=f":{number}: line {number} says \"derived\": true 0 times, "
                                                 "for a derived"):
            read()


def test_a_quote_the_opening_did_not_find_is_refused_when_the_scenario_events_are_read(copy):
    rows = (copy / "events.jsonl").read_bytes().splitlines(keepends=True)
    number = next(n for n, row in enumerate(rows, 1) if b'"doc": "wire.txt", "quote": ' in row)
    edit_line(copy, number, lambda row: row.replace(b'"sources": [', b'"sources":[', 1).replace(
        b'"quote": "', b'"quote": "Not in the wire: ', 1))
    replay = open_replay(copy)
    assert replay.log.events[number - 1].sources[0].quote.startswith("Not in the wire: ")  # as the log has it
    with pytest.raises(TamperedReplay, match=f":{number}: line {number} cites a quote that was not among those"):
        tuple(replay.log.scenario.events)


def test_a_forged_line_ends_a_repl_session_with_exit_2_and_no_traceback(copy, tmp_path):
    edit_line(copy, 200, _wrong_seq)
    script = tmp_path / "s.script"
    script.write_text("next\ngoto #100\ngoto #250\nnext\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["repl", str(copy), "--script", str(script)])
    assert result.exit_code == 2, result.output
    assert "[2030-01-01" in result.stdout and "goto #250" in result.stdout  # the session up to it
    assert result.stderr.startswith(f"{copy / 'events.jsonl'}:200: line 200 has seq 1199, expected 199 (found")
    assert "Traceback" not in result.output and not isinstance(result.exception, TamperedReplay)


def test_a_forged_first_line_fails_before_the_first_prompt(copy):
    edit_line(copy, 1, _wrong_seq)
    result = CliRunner().invoke(main, ["repl", str(copy)], input="next\n")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{copy / 'events.jsonl'}:1: line 1 has seq 1000, expected 0")
    assert "Traceback" not in result.output


# --- what the lines cite, found without decoding them ------------------------------------------------

def test_the_citations_found_in_the_lines_are_those_of_the_events(synthetic):
    events = open_replay(synthetic).log.events
    expected = {c for e in eagerly(synthetic).log.events for c in lazylog._cited_by(e)}
    assert events.citations() == expected and events.citations() is events.citations()


def test_citations_are_found_exactly_when_a_quote_holds_brackets():
    at = engine.moment("2020-01-02")
    window = ev.Window(earliest=at.date(), latest=at.date(), doc="a.txt", quote="some time {that} week")
    quoted = [
        ev.Statement(id="s1", at=at, title="t", cameo="010", goldstein=0.0, actor="A",
                     sources=(ev.Source(doc="a.txt", quote="he [sic] said ] so"),)),
        ev.Statement(id="s2", at=at, title="t", cameo="010", goldstein=0.0, actor="A",
                     sources=(ev.Source(doc="a.txt", quote="plain"), ev.Source(ref="elsewhere"),
                              ev.Source(doc="b.txt")), window=window),
    ]
    block = "".join(codec.event_line(e, i) + "\n" for i, e in enumerate(quoted)).encode("utf-8")
    assert lazylog._cited_in(block, len(block)) == {
        ("a.txt", "he [sic] said ] so"), ("a.txt", "plain"), ("b.txt", None), ("a.txt", "some time {that} week")}
    assert lazylog._cited_in(block, len(block)) == {c for e in quoted for c in lazylog._cited_by(e)}


def test_a_log_that_is_not_as_recorded_is_read_line_by_line(copy):
    """Only a log whose digest is the manifest's is opened lazily; anything else names its bad line at once."""
    edit_line(copy, 42, _wrong_seq)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["events.jsonl"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TamperedReplay, match="line 42 does not match its hash"):
        open_replay(copy)
    assert store.open_recorded(copy / "events.jsonl", manifest["events"], "0" * 64, manifest["log_head"])[0] is None
