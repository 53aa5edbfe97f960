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


def test_at_a_million_the_steadied_phases_run_twice_and_the_better_is_kept(tmp_path: Path, monkeypatch) -> None:
    """The throughput target is a ratio of two phases measured minutes apart: at 1M each runs in
    a second process after the others, and the run that took less CPU counts (a failed one loses)."""
    calls: list[str] = []
    slow = {"simulate+figures": 2.4, "floor-simpy": 1.0}  # the first process's CPU seconds
    fast = {"simulate+figures": 2.0, "floor-simpy": 1.1}  # the second's

    def measure(phase, scenario, replay, repeat):
        again = phase in calls
        calls.append(phase)
        if phase == "floor-loop" and again:
            return {"phase": phase, "skipped": "failed"}
        cpu = (fast if again else slow).get(phase, 0.5)
        return {"phase": phase, "events": 1_000_000, "wall": cpu, "cpu": cpu, "rss_mb": 100.0}

    monkeypatch.setattr(bench, "measure", measure)
    monkeypatch.setattr(bench, "prepare", lambda size, seed, folder: (tmp_path / "s.jsonl", tmp_path / "r"))
    monkeypatch.setattr(bench, "cold_start", lambda: {"wall": 0.3, "matplotlib": False})
    lines: list[str] = []
    results = bench.report((1_000_000,), seed=3, folder=tmp_path, repeat=3, write=lines.append)
    assert calls == list(bench.PHASES) + [p for p in bench.PHASES if p in bench.STEADIED]
    rows = results[1_000_000]
    assert (rows["simulate+figures"]["cpu"], rows["floor-simpy"]["cpu"], rows["floor-loop"]["cpu"]) == (2.0, 1.0, 0.5)
    assert [re.match(r"\s*[\d,]+  (.{26})", line).group(1).strip() for line in lines[2:2 + len(bench.PHASES)]] == \
        [bench.LABELS[p].strip() for p in bench.PHASES]  # the rows in their usual order
    assert "  simulate + figures >= 0.5 x floor throughput: 0.50 x  met" in "\n".join(lines)


def test_a_failed_measurement_never_wins() -> None:
    ok, failed = {"phase": "p", "cpu": 2.0}, {"phase": "p", "skipped": "failed"}
    assert bench._better(ok, failed) is ok and bench._better(failed, ok) is ok
    assert bench._better({"cpu": 1.0}, {"cpu": 1.0})["cpu"] == 1.0
