"""Recorded replays read back: tamper evidence line by line, truncation, mixes, old formats, recovery."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import chain
from engine.atomic import recover_folder, replace_folder
from engine.cli import main
from engine.codec import event_line, to_json
from engine.errors import IncompleteReplay, ReplayError, ReplayFormatError, TamperedReplay, TruncatedReplay
from engine.reader import load_scenario
from engine.record import FORMAT, record
from engine.sim import simulate
from engine.store import ReplayWarning, open_replay, read_replay
from engine.timeline import build

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
RULES = DATA / "rules.yaml"
SPRING = ROOT / "replays" / "spring2014"
V1 = DATA / "replays" / "rules-v1"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("recorded") / "rules"
    record(build(simulate(load_scenario(RULES))), folder, plot=False)
    return folder


@pytest.fixture
def copy(recorded, tmp_path) -> Path:
    """A fresh copy of the recorded replay, beside a copy of its scenario and seeds, to damage."""
    shutil.copy(RULES, tmp_path / "rules.yaml")
    shutil.copytree(DATA / "seeds", tmp_path / "seeds")
    folder = tmp_path / "rules"
    record(build(simulate(load_scenario(tmp_path / "rules.yaml"))), folder, plot=False)
    return folder


def lines(folder: Path) -> list[str]:
    return (folder / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)


def write_lines(folder: Path, new: list[str]) -> None:
    (folder / "events.jsonl").write_text("".join(new), encoding="utf-8")


def test_the_committed_replay_verifies_and_matches_a_fresh_simulation():
    replay = open_replay(SPRING)
    assert replay.problem is None and replay.notes == () and replay.recorded_format == FORMAT
    assert replay.log.events == simulate(load_scenario(ROOT / "scenario" / "spring2014.yaml")).events
    assert replay.log.scenario.title == "Ukraine and Crimea, spring 2014"


def test_each_line_carries_a_hash_chained_to_the_one_before(recorded):
    manifest = json.loads((recorded / "manifest.json").read_text())
    head = chain.genesis(manifest["scenario_sha256"])
    for text in lines(recorded):
        record_ = json.loads(text)
        assert list(record_)[-1] == "hash"
        head = chain.link(head, record_)
        assert record_["hash"] == head
    assert manifest["log_head"] == head and manifest["format"] == 2


@pytest.mark.parametrize("folder", [SPRING, V1], ids=["spring2014", "rules-v1"])
def test_records_read_back_serialise_to_the_same_bytes(folder):
    """What the chain relies on when a recovered prefix is recorded again."""
    for seq, (text, event) in enumerate(zip(lines(folder), open_replay(folder).log.events, strict=True)):
        data = json.loads(text)
        data.pop("hash", None)
        assert event_line(event, seq) == to_json(data)


def test_read_replay_gives_the_log(recorded):
    log = read_replay(recorded)
    assert log.events == simulate(load_scenario(RULES)).events
    assert log.scenario.id == "rules" and log.skipped == frozenset()


# --- tampering, line by line ---------------------------------------------------------------------

def _edit_goldstein(rows):
    data = json.loads(rows[4])
    data["goldstein"] = 9.0
    rows[4] = json.dumps(data, ensure_ascii=False) + "\n"


DAMAGE = {
    "a field edited on line 5": (_edit_goldstein, TamperedReplay, 5),
    "line 5 deleted": (lambda rows: rows.pop(4), TamperedReplay, 5),
    "lines 5 and 6 swapped": (lambda rows: rows.__setitem__(slice(4, 6), [rows[5], rows[4]]), TamperedReplay, 5),
    "line 1 duplicated": (lambda rows: rows.insert(1, rows[0]), TamperedReplay, 2),
    "a hash removed on line 3": (lambda rows: rows.__setitem__(2, rows[2].split(', "hash"')[0] + "}\n"), TamperedReplay, 3),
    "not JSON on line 7": (lambda rows: rows.__setitem__(6, "{oops\n"), TamperedReplay, 7),
    "last three lines dropped": (lambda rows: rows.__delitem__(slice(-3, None)), TruncatedReplay, 13),
    "cut in the middle of line 9": (lambda rows: rows.__setitem__(slice(8, None), [rows[8][:40]]), TruncatedReplay, 9),
    "an extra line at the end": (lambda rows: rows.append(rows[-1]), TamperedReplay, 16),
    "empty": (lambda rows: rows.clear(), TruncatedReplay, 1),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damage_is_reported_at_the_first_bad_line(copy, damage):
    change, error, line = DAMAGE[damage]
    rows = lines(copy)
    change(rows)
    write_lines(copy, rows)
    with pytest.raises(error) as caught:
        open_replay(copy)
    assert caught.value.file == str(copy / "events.jsonl") and caught.value.line == line, str(caught.value)
    assert str(caught.value).startswith(f"{copy / 'events.jsonl'}:{line}: ")


@pytest.mark.parametrize("damage", DAMAGE)
def test_recover_keeps_exactly_the_lines_before_the_damage(copy, damage):
    change, _, line = DAMAGE[damage]
    original = open_replay(copy).log.events
    rows = lines(copy)
    change(rows)
    write_lines(copy, rows)
    replay = open_replay(copy, recover=True)
    assert replay.problem is not None and replay.problem.line == line
    assert replay.log.events == original[: line - 1]
    with pytest.warns(ReplayWarning, match=f"kept the {line - 1} events before it, of 15"):
        assert read_replay(copy, recover=True).events == original[: line - 1]


def test_a_log_from_another_scenario_fails_at_line_1(copy, tmp_path):
    other = tmp_path / "other.yaml"  # the same events, but another file: the chain starts elsewhere
    other.write_text(RULES.read_text().replace("(test fixture)", "(another file)"))
    record(build(simulate(load_scenario(other))), tmp_path / "other-replay", plot=False)
    shutil.copy(tmp_path / "other-replay" / "events.jsonl", copy / "events.jsonl")
    with pytest.raises(TamperedReplay) as caught:
        open_replay(copy)
    assert caught.value.line == 1


def test_reformatting_with_valid_hashes_is_still_noticed(copy):
    write_lines(copy, [json.dumps(json.loads(row), indent=None, separators=(",", ":")) + "\n" for row in lines(copy)])
    with pytest.raises(TamperedReplay, match="every line matches its hash"):
        open_replay(copy)


def test_a_changed_log_head_in_the_manifest_is_noticed(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["log_head"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(TamperedReplay, match="log_head"):
        open_replay(copy)


# --- the folder as a whole -----------------------------------------------------------------------

def test_a_plot_from_another_recording_is_a_mix(tmp_path):
    timeline = build(simulate(load_scenario(RULES)))
    record(timeline, tmp_path / "a")
    record(timeline.until(timeline.entries[5].event.at), tmp_path / "b")
    shutil.copy(tmp_path / "b" / "plot.png", tmp_path / "a" / "plot.png")
    with pytest.raises(TamperedReplay) as caught:
        open_replay(tmp_path / "a")
    assert caught.value.file == str(tmp_path / "a" / "plot.png") and "SHA-256" in str(caught.value)
    replay = open_replay(tmp_path / "a", recover=True)  # the events themselves are intact
    assert len(replay.log) == 15 and isinstance(replay.problem, TamperedReplay)


@pytest.mark.parametrize("name", ["manifest.json", "events.jsonl", "timeline.json"])
def test_a_missing_file_is_an_incomplete_replay(copy, name):
    (copy / name).unlink()
    with pytest.raises(IncompleteReplay) as caught:
        open_replay(copy)
    assert caught.value.file == str(copy / name)


def test_a_file_nobody_recorded_is_noted(copy):
    (copy / "notes.txt").write_text("mine")
    assert any("notes.txt" in note for note in open_replay(copy).notes)


@pytest.mark.parametrize("text, error, match", [
    ("{", TamperedReplay, "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, TamperedReplay, "not valid JSON"),
    ('{"format": 99}', ReplayFormatError, "newer than this crisis reads"),
    ('{"format": 2, "scenario": 1}', ReplayFormatError, "'scenario' is missing or not a str"),
    ("[]", ReplayFormatError, "not a replay manifest"),
])
def test_a_bad_manifest_is_refused_with_a_reason(copy, text, error, match):
    (copy / "manifest.json").write_text(text)
    with pytest.raises(error, match=match):
        open_replay(copy)


def test_manifest_file_names_cannot_point_outside_the_folder(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["../../etc/passwd"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReplayFormatError, match="file names"):
        open_replay(copy)


def test_not_a_replay_folder(tmp_path):
    with pytest.raises(IncompleteReplay, match="no such replay folder"):
        open_replay(tmp_path / "nothing")
    with pytest.raises(IncompleteReplay, match="no manifest.json"):
        open_replay(tmp_path)


# --- the scenario behind a replay ----------------------------------------------------------------

def test_a_missing_scenario_file_still_loads_from_the_recorded_header(copy):
    full = open_replay(copy).log.scenario
    (copy.parent / "rules.yaml").unlink()
    replay = open_replay(copy)
    assert len(replay.notes) == 1 and "not found" in replay.notes[0] and "recorded with the replay" in replay.notes[0]
    scenario = replay.log.scenario
    assert (scenario.id, scenario.title, scenario.model, scenario.actors, scenario.documents) == \
        (full.id, full.title, full.model, full.actors, full.documents)
    assert scenario.events == full.events and scenario.digest == full.digest
    build(replay.log)  # enough to replay it


def test_a_changed_scenario_file_is_noted_and_the_recorded_one_used(copy):
    path = copy.parent / "rules.yaml"
    path.write_text(path.read_text().replace("half_life_days: 5", "half_life_days: 50"))
    replay = open_replay(copy)
    assert any("has changed since this replay was recorded" in note for note in replay.notes)
    assert replay.log.scenario.model.half_life_days == 5  # what the recording was made with
    with pytest.warns(ReplayWarning, match="has changed"):
        read_replay(copy)


# --- format 1 ------------------------------------------------------------------------------------

def test_a_format_1_replay_loads_through_the_upgrade():
    replay = open_replay(V1)
    assert replay.recorded_format == 1 and replay.manifest["format"] == FORMAT
    assert any("format 1" in note for note in replay.notes)
    assert replay.log.events == simulate(load_scenario(RULES)).events
    assert replay.log.scenario.id == "rules"


def test_a_format_1_replay_reads_without_its_scenario(tmp_path):
    shutil.copytree(V1, tmp_path / "v1")
    replay = open_replay(tmp_path / "v1")
    assert any("not found" in note for note in replay.notes)
    assert replay.log.scenario.title == "Northland and Southland (test fixture)"
    assert replay.log.scenario.model.half_life_days == 5
    assert {a.code for a in replay.log.scenario.actors} == {"NTH", "STH", "EST", "WST"}
    assert len(replay.log) == 15


def test_a_format_1_replay_re_recorded_is_format_2(tmp_path):
    with pytest.warns(ReplayWarning, match="format 1"):
        log = read_replay(V1)
    record(build(log), tmp_path / "v2", plot=False)
    assert open_replay(tmp_path / "v2").recorded_format == 2


def test_a_damaged_format_1_replay_is_refused_and_cannot_be_located(tmp_path):
    shutil.copytree(V1, tmp_path / "v1")
    path = tmp_path / "v1" / "events.jsonl"
    path.write_text(path.read_text().replace('"goldstein": -4.0', '"goldstein": 4.0', 1))
    with pytest.raises(TamperedReplay, match="format 1 has no per-line hashes") as caught:
        open_replay(tmp_path / "v1")
    assert caught.value.line == 0
    assert open_replay(tmp_path / "v1", recover=True).log.events == ()


# --- crisis verify -------------------------------------------------------------------------------

def test_verify_an_intact_replay(recorded):
    result = CliRunner().invoke(main, ["verify", str(recorded)])
    assert result.exit_code == 0
    assert result.output == f"{recorded}: ok: 15 events, hash chain intact, 2 files match the manifest\n"


def test_verify_reports_the_first_bad_line_and_exits_2(copy):
    rows = lines(copy)
    _edit_goldstein(rows)
    write_lines(copy, rows)
    result = CliRunner().invoke(main, ["verify", str(copy)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{copy / 'events.jsonl'}:5: line 5 does not match its hash")
    assert "--recover` keeps the 4 events before it" in result.output


def test_verify_recomputes_every_hash_where_loading_trusts_the_digest(copy):
    """An edit whose new SHA-256 was put in the manifest: loading goes by the digest (see
    `lazylog`), while `crisis verify`, which says the chain is intact, checks every line."""
    rows = lines(copy)
    _edit_goldstein(rows)
    write_lines(copy, rows)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["events.jsonl"] = hashlib.sha256((copy / "events.jsonl").read_bytes()).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert read_replay(copy).events[4].goldstein == 9.0
    with pytest.raises(TamperedReplay, match="line 5 does not match its hash"):
        open_replay(copy, every_hash=True)
    result = CliRunner().invoke(main, ["verify", str(copy)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{copy / 'events.jsonl'}:5: line 5 does not match its hash")


def test_verify_recover_records_the_valid_prefix_as_a_new_replay(copy):
    rows = lines(copy)
    write_lines(copy, rows[:9] + [rows[9][:30]])
    before = (copy / "events.jsonl").read_bytes()
    result = CliRunner().invoke(main, ["verify", str(copy), "--recover", "--no-plot"])
    assert result.exit_code == 1, result.output
    target = copy.with_name("rules-recovered")
    assert f"recovered: kept 9 of 15 events, up to 2020-01-14, recorded in {target}" in result.output
    assert (copy / "events.jsonl").read_bytes() == before  # the damaged replay is left as it was
    assert (target / "events.jsonl").read_text() == "".join(rows[:9])  # same lines, same hashes
    assert CliRunner().invoke(main, ["verify", str(target)]).exit_code == 0


def test_verify_a_folder_that_is_not_a_replay(tmp_path):
    result = CliRunner().invoke(main, ["verify", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"{tmp_path / 'manifest.json'}:0: no manifest.json")
    assert "Traceback" not in result.output


# --- recording into a folder ---------------------------------------------------------------------

def test_recording_never_replaces_a_folder_with_other_files(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["replay", str(RULES), "--no-plot", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "holds files that are not part of a recorded replay (precious.txt)" in result.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_recording_again_replaces_the_whole_replay(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["replay", str(RULES), "--out", str(tmp_path / "r")]).exit_code == 0
    assert (tmp_path / "r" / "plot.png").exists()
    assert runner.invoke(main, ["replay", str(RULES), "--no-plot", "--out", str(tmp_path / "r")]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["events.jsonl", "manifest.json", "timeline.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no staging folders left behind


def test_an_interrupted_two_rename_swap_is_finished_on_the_next_read(tmp_path, recorded):
    # the state a crash between the two renames leaves: the folder gone, old and new beside it
    shutil.copytree(recorded, tmp_path / ".rules.new-abc")
    (tmp_path / ".rules.old-abc").mkdir()
    recover_folder(tmp_path / "rules")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules"]
    assert open_replay(tmp_path / "rules").problem is None


def test_an_uncommitted_staging_folder_is_discarded(tmp_path, recorded):
    shutil.copytree(recorded, tmp_path / "rules")
    (tmp_path / ".rules.new-xyz").mkdir()
    (tmp_path / ".rules.new-xyz" / "events.jsonl").write_text("half")
    open_replay(tmp_path / "rules")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules"]


def test_replace_folder_refuses_what_it_is_not_allowed_to_replace(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(FileExistsError):
        replace_folder(tmp_path / "x", lambda stage: None, lambda folder: False)


def test_read_replay_is_quiet_for_an_intact_replay(recorded):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_replay(recorded)


def test_replay_errors_are_crisis_errors():
    assert issubclass(TamperedReplay, ReplayError) and issubclass(ReplayFormatError, ReplayError)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads everything")
def test_an_unreadable_log_is_a_clear_error(copy):
    (copy / "events.jsonl").chmod(0)
    with pytest.raises(IncompleteReplay, match="cannot read"):
        open_replay(copy)


def test_a_failing_writer_leaves_nothing_and_its_own_error(tmp_path):
    from engine.atomic import atomic_write

    (tmp_path / "x.png").write_bytes(b"old")

    def fail(path):
        path.write_bytes(b"half")
        raise ValueError("drawing failed")

    with pytest.raises(ValueError, match="drawing failed"):  # not OSError EBADF from closing twice
        atomic_write(tmp_path / "x.png", fail)
    assert [p.name for p in tmp_path.iterdir()] == ["x.png"] and (tmp_path / "x.png").read_bytes() == b"old"
