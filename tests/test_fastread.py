"""Opening a replay the fast way (`lazylog`, `unchanged`) gives what the line-by-line way gives."""
from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import lazylog, store, synth
from engine.reader import load_scenario
from engine.record import record
from engine.sim import simulate
from engine.store import ReplayWarning, open_replay
from engine.timeline import build

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "tests" / "data" / "rules.yaml"
SPRING = ROOT / "scenario" / "spring2014.yaml"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A recorded replay of a small synthetic JSON Lines scenario (the kind read without parsing it again)."""
    base = tmp_path_factory.mktemp("synthetic")
    path = synth.write(base / "syn.jsonl", 300, seed=3)
    record(build(simulate(load_scenario(path))), base / "replay", plot=False)
    return base


@pytest.fixture
def copy(synthetic, tmp_path) -> Path:
    shutil.copytree(synthetic, tmp_path / "s")
    return tmp_path / "s" / "replay"


def slowly(folder: Path, recover: bool = False, monkeypatch=None):
    """`open_replay` with the fast reading of the log switched off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "open_recorded", lambda path, *_: (None, store._digest(path)))
        patch.setattr(store, "_unchanged", lambda *_: None)
        return open_replay(folder, recover=recover)


def outcome(folder: Path, recover: bool, read=open_replay):
    """What opening gives, every event decoded (a log read lazily may refuse a line only then)."""
    try:
        replay = read(folder, recover=recover)
        events, documented = tuple(replay.log.events), tuple(replay.log.scenario.events)
    except store.ReplayError as exc:
        return type(exc), str(exc)
    assert replay.log.events == events and replay.log.scenario.events == documented
    return events, replay.log.scenario, replay.notes, replay.problem and str(replay.problem)


@pytest.mark.parametrize("scenario", [RULES, SPRING, None], ids=["rules.yaml", "spring2014.yaml", "synthetic.jsonl"])
def test_the_scenario_read_back_is_the_scenario_file_loaded(scenario, synthetic, tmp_path):
    if scenario is None:
        scenario, folder = synthetic / "syn.jsonl", synthetic / "replay"
    else:
        folder = tmp_path / "replay"
        record(build(simulate(load_scenario(scenario))), folder, plot=False)
    replay = open_replay(folder)
    loaded = load_scenario(folder / replay.manifest["scenario_file"])
    assert replay.notes == () and replay.problem is None
    assert replay.log.scenario == loaded
    for field in ("events", "actors", "documents", "model", "id", "title", "digest", "path", "seeds"):
        assert getattr(replay.log.scenario, field) == getattr(loaded, field), field


def test_a_synthetic_replay_reads_the_same_fast_and_slowly(synthetic):
    folder = synthetic / "replay"
    assert outcome(folder, False) == outcome(folder, False, slowly)
    assert open_replay(folder).log.events == simulate(load_scenario(synthetic / "syn.jsonl")).events


def test_a_log_cut_with_until_still_gives_the_whole_scenario(synthetic, tmp_path):
    timeline = build(simulate(load_scenario(synthetic / "syn.jsonl")))
    cut = timeline.log.events[len(timeline.log.events) // 2].at
    record(timeline.until(cut), synthetic / "until", plot=False)
    try:
        replay = open_replay(synthetic / "until")
        assert replay.log.scenario == load_scenario(synthetic / "until" / "../syn.jsonl")
        assert len(replay.log.events) < len(timeline.log.events)
    finally:
        shutil.rmtree(synthetic / "until")


def test_a_replay_with_skipped_events_gives_the_whole_scenario(synthetic):
    scenario = load_scenario(synthetic / "syn.jsonl")
    record(build(simulate(scenario, skip=[scenario.events[5].id])), synthetic / "skip", plot=False)
    try:
        assert open_replay(synthetic / "skip").log.scenario == load_scenario(synthetic / "skip" / "../syn.jsonl")
    finally:
        shutil.rmtree(synthetic / "skip")


def test_a_changed_scenario_file_still_gives_the_note(copy):
    path = copy / "../syn.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"title":"', b'"title":"Edited: ', 1))
    replay = open_replay(copy)
    assert replay.notes == (f"scenario file {path} has changed since this replay was recorded: using the scenario "
                            "details recorded with the replay (replay the file again to see the current version)",)
    assert outcome(copy, False) == outcome(copy, False, slowly)


def test_a_missing_scenario_file_still_gives_the_note(copy):
    (copy.parent / "syn.jsonl").unlink()
    assert "not found: using the scenario details recorded" in open_replay(copy).notes[0]
    assert outcome(copy, False) == outcome(copy, False, slowly)


def test_changed_seeds_under_an_unchanged_scenario_still_give_the_note(copy):
    seeds = next(p for p in copy.parent.iterdir() if p.is_dir() and p.name != "replay")
    for seed in seeds.iterdir():
        seed.write_text("nothing quoted here\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReplayWarning)
        replay = open_replay(copy)
    assert len(replay.notes) == 1 and "no longer loads" in replay.notes[0]
    assert outcome(copy, False) == outcome(copy, False, slowly)


def test_a_blank_line_in_the_scenario_file_is_read_in_full(copy):
    """A JSONL file with a blank line does not say by its line count how many events it holds."""
    path = copy.parent / "syn.jsonl"
    assert store._unchanged(path, json.loads((copy / "manifest.json").read_text()),
                            list(open_replay(copy).log.events)) is not None
    text = path.read_bytes()
    path.write_bytes(text[:-1] + b"\n\n")  # a blank last line: the digest changes, the note says so
    assert outcome(copy, False) == outcome(copy, False, slowly)


# --- damage: whatever is done to one line, the fast way reports what the slow way reports ---------

EDITS = st.sampled_from(["flip", "drop", "insert", "delete line", "duplicate line", "truncate", "crlf"])


def _damage(rows: list[bytes], index: int, edit: str, where: int) -> list[bytes]:
    row = rows[index]
    at = where % max(1, len(row) - 1)
    if edit == "flip":
        rows[index] = row[:at] + bytes([row[at] ^ 0x01]) + row[at + 1:]
    elif edit == "drop":
        rows[index] = row[:at] + row[at + 1:]
    elif edit == "insert":
        rows[index] = row[:at] + b" " + row[at:]
    elif edit == "delete line":
        del rows[index]
    elif edit == "duplicate line":
        rows.insert(index, row)
    elif edit == "truncate":
        rows[index:] = [row[:at]]
    else:
        rows[index] = row[:-1] + b"\r\n"
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.integers(0, 10_000), edit=EDITS, where=st.integers(0, 10_000), forged=st.booleans(),
       recover=st.booleans())
def test_one_damaged_line_is_reported_the_same_way(synthetic, tmp_path_factory, line, edit, where, forged, recover):
    folder = tmp_path_factory.mktemp("damaged") / "replay"
    shutil.copytree(synthetic / "replay", folder)
    (folder.parent / "syn.jsonl").symlink_to(synthetic / "syn.jsonl")
    rows = (folder / "events.jsonl").read_bytes().splitlines(keepends=True)
    data = b"".join(_damage(rows, line % len(rows), edit, where))
    (folder / "events.jsonl").write_bytes(data)
    if forged:  # the manifest's digest made to match: what the line-by-line checks other than the chain still catch
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["files"]["events.jsonl"] = hashlib.sha256(data).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest))
    fast, slow = outcome(folder, recover), outcome(folder, recover, slowly)
    said = slow[1] if isinstance(slow[0], type) else slow[3]
    chain_only = said is not None and ("match its hash" in said or "has no hash" in said)
    if forged and isinstance(fast[0], type) and fast[1].endswith(lazylog.FOUND):
        # opened without decoding: the damaged line is refused when its event is first read, for what
        # reading it line by line says (less the chain, which is not recomputed), or for a change to what
        # was counted in its text without decoding it (its derived mark, its quotes)
        message = fast[1].removesuffix(lazylog.FOUND)
        assert message.startswith(f"{folder / 'events.jsonl'}:{line % len(rows) + 1}: "), (message, said)
        if said is None:
            assert 'says "derived": true' in message or "cites a quote" in message, message
        elif not chain_only:
            assert message == said
        return
    if forged and chain_only:
        return  # only the chain saw it: the chain is tamper evidence, and whoever forged the digest could forge it
    assert fast == slow


def test_an_edited_line_is_refused_at_that_line(copy):
    rows = (copy / "events.jsonl").read_bytes().splitlines(keepends=True)
    rows[41] = rows[41].replace(b'"goldstein": ', b'"goldstein": 1', 1)
    (copy / "events.jsonl").write_bytes(b"".join(rows))
    with pytest.raises(store.TamperedReplay) as caught:
        open_replay(copy)
    assert str(caught.value).startswith(f"{copy / 'events.jsonl'}:42: line 42 does not match its hash")


@pytest.mark.parametrize("block", [1 << 23, 7, 1])
def test_file_digest_counts_event_lines_and_refuses_blank_ones(tmp_path, monkeypatch, block):
    from engine import unchanged
    monkeypatch.setattr(unchanged, "_BLOCK", block)
    path = tmp_path / "s.jsonl"
    for text, lines in [(b'{"h":1}\n{"e":1}\n{"e":2}\n', 2), (b'{"h":1}\n{"e":1}\n{"e":2}', 2),
                        (b'{"h":1}\n{"e":1}\n\n{"e":2}\n', None), (b'{"h":1}\n{"e":1}\n \t\r\n{"e":2}\n', None),
                        (b'{"h":1}\n{"e":1}\n  ', None), (b'{"h":1}\r\n{"e":1}\r\n', 1)]:
        path.write_bytes(text)
        expected = None if lines is None else (hashlib.sha256(text).hexdigest(), lines)
        assert unchanged.file_digest(path) == expected, text
