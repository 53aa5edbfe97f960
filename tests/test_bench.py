"""The benchmark suite runs end to end at a tiny size and keeps its output format."""
from __future__ import annotations

import re
from pathlib import Path

from engine import bench


def test_bench_smoke(tmp_path: Path) -> None:
    lines: list[str] = []
    results = bench.report((300, 600), seed=3, folder=tmp_path, repeat=1, write=lines.append)
    text = "\n".join(lines)
    assert lines[1].split() == ["events", "phase", "wall", "s", "cpu", "s", "events/s", "vs", "floor", "peak", "MB"]
    labels = list(bench.LABELS.values())
    for label in labels:  # a row per size ("the same, GC paused" follows each of two pairs)
        assert len(re.findall(rf"^\s+[\d,]+  {re.escape(label)}\s\s", text, re.M)) == 2 * labels.count(label), label
    for size in (300, 600):
        assert results[size]["simulate+project"]["events"] == size
        assert results[size]["simulate"]["log"] > size  # derived events included
        assert results[size]["simulate+project"]["rss_mb"] > 0
    assert "growth, simulate + project" in text and "targets at 600 events:" in text
    assert "growth, simulate + figures, GC paused" in text and "  simulate + figures >= 0.5 x floor" in text
    assert results[600]["simulate+figures"]["events"] == 600 and results[600]["figures"]["cpu"] > 0
    assert "matplotlib not imported" in text


def test_the_floors_fold_the_same_values() -> None:
    times, scores = [0.0, 1.0, 1.0, 5.0], [1.0, -2.0, 3.0, 0.5]
    assert bench.floor_simpy(times, scores) == bench.floor_loop(times, scores)
