"""`crisis repl`: golden transcripts (script in, expected transcript out), and the session's edges.

To regenerate the transcripts after a deliberate change of output:
`CRISIS_REGEN_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_repl.py`, then review the diff.
"""
from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.cursor import load
from engine.repl import COMMANDS, Session, history_path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SCRIPTS = sorted(GOLDEN.glob("*.script"))
RULES = ROOT / "tests" / "data" / "rules.yaml"


def _target(script: Path) -> Path:
    """The file a golden script runs over, named on its first line: `# repl: <path from the repository root>`."""
    first = script.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# repl: "), f"{script.name} must start with '# repl: <file>'"
    return ROOT / first[len("# repl: "):].strip()


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Run in an empty folder, with the history file kept out of the home directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CRISIS_HISTORY", str(tmp_path / "history"))
    return tmp_path


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_golden_transcript(script: Path, here: Path) -> None:
    result = CliRunner().invoke(main, ["repl", str(_target(script)), "--script", str(script)])
    expected = script.with_suffix(".out")
    if os.environ.get("CRISIS_REGEN_GOLDEN"):
        expected.write_text(result.output, encoding="utf-8")
    assert result.output == expected.read_text(encoding="utf-8"), (
        f"the transcript of {script.name} changed; if on purpose, regenerate (see this module's docstring)")
    assert result.exit_code == (1 if "\nerror: " in result.output else 0)


def test_standard_input_gives_the_same_transcript_as_a_script(here: Path) -> None:
    script = GOLDEN / "rules.script"
    by_script = CliRunner().invoke(main, ["repl", str(RULES), "--script", str(script)])
    by_stdin = CliRunner().invoke(main, ["repl", str(RULES)], input=script.read_text(encoding="utf-8"))
    assert by_stdin.output == by_script.output and by_stdin.exit_code == by_script.exit_code == 1


def test_a_clean_session_exits_0_and_an_export_replays_it(here: Path) -> None:
    commands = "goto 2020-01-13\nwhy 2\nskip vote\nnext\nbogus\nexport again.script\nquit\n"
    first = CliRunner().invoke(main, ["repl", str(RULES)], input=commands)
    assert first.exit_code == 1  # `bogus` failed
    exported = (here / "again.script").read_text(encoding="utf-8").splitlines()
    assert exported == ["# crisis repl session over rules.yaml", "goto 2020-01-13", "why 2", "skip vote", "next"]
    again = CliRunner().invoke(main, ["repl", str(RULES), "--script", "again.script"])
    assert again.exit_code == 0, again.output
    before_bogus = first.output[:first.output.index("]> bogus")].rsplit("\n", 1)[0] + "\n"
    assert again.output == before_bogus


def test_save_writes_the_state_at_the_cursor(here: Path) -> None:
    result = CliRunner().invoke(main, ["repl", str(RULES)], input="goto sanctions\nskip observers-detained\nsave s.json\n")
    assert result.exit_code == 0, result.output
    data = json.loads((here / "s.json").read_text(encoding="utf-8"))
    assert data["position"] == 8 and data["skipped"] == ["observers-detained"]
    assert data["left_out"] == ["observers-detained", "observers-released"]
    assert data["state"]["event"] == "sanctions" and data["state"]["sanctions"][0]["id"] == "sanctions"


def test_plot_marks_the_cursor(here: Path) -> None:
    result = CliRunner().invoke(main, ["repl", str(RULES)], input="goto vote\nplot\nplot p.svg\nplot p.gif\n")
    assert "wrote rules-6.png" in result.output and "wrote p.svg" in result.output
    assert "error: plot format must be one of png, svg, pdf, got 'gif'" in result.output
    assert (here / "rules-6.png").stat().st_size > 1000 and b"<svg" in (here / "p.svg").read_bytes()
    assert result.exit_code == 1


def test_a_recorded_replay_opens_too(here: Path) -> None:
    result = CliRunner().invoke(main, ["repl", str(ROOT / "replays" / "spring2014")],
                                input="goto crimea-referendum\nskip crimea-referendum\nlast\n")
    assert result.exit_code == 0, result.output
    assert "#44/63  2014-03-16  crimea-referendum" in result.output
    assert "| without crimea-referendum]> last\n#56/56  2014-05-03  osce-inspectors-released" in result.output


def test_a_tampered_recorded_replay_is_a_clean_failure(here: Path) -> None:
    folder = here / "spring2014"
    shutil.copytree(ROOT / "replays" / "spring2014", folder)
    lines = (folder / "events.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace("Kerry urges", "Kerry urged", 1)
    assert lines[5].count("Kerry urged") == 1
    (folder / "events.jsonl").write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["repl", "spring2014"], input="last\n")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "events.jsonl:" in result.output


def test_a_bad_scenario_is_a_clean_failure(here: Path) -> None:
    (here / "bad.yaml").write_text("scenario: [\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["repl", "bad.yaml"], input="next\n")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_the_prompt_says_where_and_whether_the_timeline_is_altered() -> None:
    session = Session(load(RULES), stdout=io.StringIO())
    assert session.prompt == "[start #0/15 tension 0.0]> "
    session.onecmd("goto vote")
    assert session.prompt == "[2020-01-12 #6/15 tension 20.3]> "
    session.onecmd("skip strait-threat vote")
    assert session.prompt == "[2020-01-11 #4/11 tension 15.5 | without strait-threat, vote]> "


def test_completion_of_commands_ids_and_dates() -> None:
    session = Session(load(RULES), stdout=io.StringIO())
    assert session.completenames("s") == ["state", "sanctions", "show", "skip", "save"]
    assert session.complete_goto("2020-01-1") == ["2020-01-11", "2020-01-12", "2020-01-13", "2020-01-14",
                                                  "2020-01-16", "2020-01-17", "2020-01-18"]
    assert session.complete_goto("vote") == ["vote-threat", "vote", "vote-threat/triggered"]
    assert session.complete_skip("vote") == ["vote-threat", "vote"]  # derived events cannot be skipped
    session.onecmd("skip vote")
    assert session.complete_unskip("") == ["vote"]
    assert session.complete_show("sanc") == ["sanctions"]  # left out, still shown
    assert session.complete_until("ten") == ["tension"]
    assert set(session.complete_help("")) == set(COMMANDS)


def test_every_command_has_help(here: Path) -> None:
    session = Session(load(RULES), stdout=io.StringIO())
    for name in COMMANDS:
        doc = getattr(session, f"do_{name}").__doc__
        assert doc and doc.startswith(name), name


def test_history_path_is_overridable(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CRISIS_HISTORY", str(tmp_path / "h"))
    assert history_path() == tmp_path / "h"
    monkeypatch.setenv("CRISIS_HISTORY", "")
    assert history_path() is None
    monkeypatch.delenv("CRISIS_HISTORY")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert history_path() == tmp_path / "crisis" / "history"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert history_path() == tmp_path / ".crisis_history"
