"""The committed replay of spring 2014 is what a fresh replay produces, byte for byte."""
from __future__ import annotations

import json
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


def _replay_in_subprocess(out: Path, seed: str, cwd: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed, "LC_ALL": "C", "TZ": "Pacific/Auckland"}
    code = "import sys; from engine.cli import main; sys.exit(main())"
    subprocess.run([sys.executable, "-c", code, "replay", str(SCENARIO), "--out", str(out), "--no-plot"],
                   check=True, env={**env, "PYTHONPATH": str(ROOT)}, cwd=cwd, capture_output=True)


def test_replay_is_identical_across_hash_seeds_directories_and_time_zones(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _replay_in_subprocess(first, "1", ROOT)
    _replay_in_subprocess(second, "987654", tmp_path)
    for name in ("events.jsonl", "timeline.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes() == (RECORDED / name).read_bytes()
