"""The committed replay of spring 2014 is what a fresh replay produces, byte for byte."""
from __future__ import annotations

import json
import locale
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenario" / "spring2014.yaml"
RECORDED = ROOT / "replays" / "spring2014"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("replay")
    result = CliRunner().invoke(main, ["replay", str(SCENARIO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("name", ["events.jsonl", "timeline.json"])
def test_fresh_replay_reproduces_the_recorded_data(fresh: Path, name: str) -> None:
    assert (fresh / name).read_bytes() == (RECORDED / name).read_bytes(), (
        f"replays/spring2014/{name} is out of date: a behaviour change? re-record with "
        "`crisis replay scenario/spring2014.yaml` and review the diff")


def test_fresh_replay_reproduces_the_manifest(fresh: Path) -> None:
    new, old = (json.loads((d / "manifest.json").read_text()) for d in (fresh, RECORDED))
    for folder, data in ((fresh, new), (RECORDED, old)):  # the path from the folder to the scenario differs
        assert (folder / data.pop("scenario_file")).resolve() == SCENARIO
    if new.get("plot_drawn_with") != old.get("plot_drawn_with"):  # PNG bytes depend on matplotlib
        for data in (new, old):
            data.pop("plot_drawn_with")
            data["files"].pop("plot.png")
    assert new == old


def test_fresh_replay_reproduces_the_recorded_plot(fresh: Path) -> None:
    drawn_with = json.loads((RECORDED / "manifest.json").read_text())["plot_drawn_with"]
    if drawn_with != f"matplotlib {matplotlib.__version__}":
        pytest.skip(f"the recorded plot was drawn with {drawn_with}, this is matplotlib {matplotlib.__version__}")
    assert (fresh / "plot.png").read_bytes() == (RECORDED / "plot.png").read_bytes()


def _other_locale() -> str:
    """A locale unlike C (German or Turkish month names, comma decimals) if the system has one.

    This process's locale is put back as it was: left at "C", later tests reading text with
    the default encoding read ASCII."""
    original = locale.setlocale(locale.LC_ALL)
    for name in ("de_DE.UTF-8", "tr_TR.UTF-8", "fr_FR.UTF-8", "C.UTF-8"):
        try:
            locale.setlocale(locale.LC_ALL, name)
        except locale.Error:
            continue
        finally:
            locale.setlocale(locale.LC_ALL, original)
        return name
    return "C"


def _outputs_in_subprocess(out: Path, scenario: str, cwd: Path, env: dict[str, str]) -> dict[str, bytes]:
    """Every output of one `crisis replay` run (JSON on stdout, the recorded files, an SVG plot)."""
    code = ("import locale, sys; locale.setlocale(locale.LC_ALL, ''); "  # as an app embedding crisis might
            "from engine.cli import main; sys.exit(main())")
    result = subprocess.run([sys.executable, "-c", code, "replay", scenario, "--format", "json", "--out", str(out),
                             "--plot", str(out.with_suffix(".svg"))],
                            check=True, env={**os.environ, **env, "PYTHONPATH": str(ROOT)}, cwd=cwd, capture_output=True)
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    return {"stdout": result.stdout, "plot.svg": out.with_suffix(".svg").read_bytes(), **files}


def test_outputs_are_identical_across_hash_seeds_directories_locales_and_time_zones(tmp_path: Path) -> None:
    first = _outputs_in_subprocess(tmp_path / "a", "scenario/spring2014.yaml", ROOT,
                                   {"PYTHONHASHSEED": "1", "LC_ALL": "C", "TZ": "Pacific/Auckland"})
    second = _outputs_in_subprocess(tmp_path / "b", str(SCENARIO), tmp_path,
                                    {"PYTHONHASHSEED": "987654", "LC_ALL": _other_locale(), "TZ": "America/Los_Angeles"})
    assert sorted(first) == ["events.jsonl", "manifest.json", "plot.svg", "stdout", "timeline.json"]
    for name in first:
        assert first[name] == second[name], f"{name} differs between the two runs"
    for name in ("events.jsonl", "timeline.json"):
        assert first[name] == (RECORDED / name).read_bytes()
    assert first["stdout"] == (RECORDED / "timeline.json").read_bytes()
