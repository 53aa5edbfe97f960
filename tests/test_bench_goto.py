"""The goto benchmark runs and prints its figures (it times nothing here: figures, not a timed test)."""
from __future__ import annotations

import pytest

from engine import bench_goto
from engine.cursor import Replay
from engine.project import fold


@pytest.mark.parametrize("own", [True, False])
def test_the_benchmark_prints_full_replay_and_goto_figures(capsys, own) -> None:
    bench_goto.main(["--events", "3000", "--every", "16,128", "--gotos", "20"] + (["--own-log"] if own else []))
    out = capsys.readouterr().out
    assert "full replay (fold of every event):" in out and "goto median" in out
    assert [line.split()[0] for line in out.splitlines() if line.lstrip()[:1].isdigit()] == ["16", "128"]


def test_the_synthetic_log_is_seeded_and_seekable() -> None:
    log = bench_goto.synthetic_log(2000, seed=7)
    assert [e.id for e in log.events] == [e.id for e in bench_goto.synthetic_log(2000, seed=7).events]
    assert [e.at for e in log.events] == sorted(e.at for e in log.events)
    replay = Replay(log, every=32)
    for i in (0, 1, 777, 1999, 2000, 31, 32, 33):
        assert replay.goto(i).state == fold(log.events[:i], log.scenario.model)
