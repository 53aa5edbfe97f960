"""What the plot draws for long timelines: thinned markers and merged bands (the picture itself
is compared byte for byte in tests/test_replays.py)."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from hypothesis import given
from hypothesis import strategies as st

from engine import plot

T0 = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


class _Event(NamedTuple):
    at: dt.datetime
    goldstein: float


class _Entry(NamedTuple):
    event: _Event


ENTRIES = st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from([-9.5, -2.0, 0.0, 1.0, 7.4])), max_size=300).map(
    lambda pairs: [_Entry(_Event(T0 + dt.timedelta(minutes=m), g)) for m, g in sorted(pairs, key=lambda p: p[0])])


@given(ENTRIES, st.integers(1, 50))
def test_thinning_keeps_the_strongest_of_each_colour_per_stretch_in_log_order(entries, limit):
    kept = plot._thinned(entries, limit)
    if len(entries) <= limit:
        assert kept is entries
        return
    positions = [entries.index(e) for e in kept]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    width = max((entries[-1].event.at - entries[0].event.at).total_seconds(), 1.0) / limit

    def key(e):
        return int((e.event.at - entries[0].event.at).total_seconds() / width), (e.event.goldstein > 0) - (e.event.goldstein < 0)

    assert {key(e) for e in kept} == {key(e) for e in entries}  # every stretch and colour still shows
    for e in kept:
        assert abs(e.event.goldstein) == max(abs(o.event.goldstein) for o in entries if key(o) == key(e))
    assert len(kept) <= 3 * (limit + 1)


@given(st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 50)), max_size=60))
def test_merged_bands_cover_exactly_what_the_bands_cover(spans):
    merged = plot._union(spans)
    # a run is (start, end - start): start + width gives its end back to within a rounding
    ulp = 1e-9
    assert all(a + w < b for (a, w), (b, _) in zip(merged, merged[1:]))  # apart and in order
    for start, width in spans:  # each band lies inside one merged run
        assert any(s <= start and start + width <= s + w + ulp for s, w in merged)
    for s, w in merged:  # each run begins where a band begins and ends where one ends
        assert any(start == s for start, _ in spans) and any(abs(start + width - (s + w)) <= ulp
                                                             for start, width in spans)


def test_small_timelines_are_drawn_in_full():
    entries = [_Entry(_Event(T0 + dt.timedelta(hours=h), -1.0)) for h in range(plot.MARKERS)]
    assert plot._thinned(entries, plot.MARKERS) is entries
    spans = [(float(i), 2.0) for i in range(3)]
    assert plot._union(spans) == [(0.0, 4.0)]


def test_labels_neither_overlap_nor_run_past_the_plot(tmp_path):
    from pathlib import Path

    import matplotlib.pyplot as plt
    from matplotlib.text import Annotation, Text

    from engine.reader import load_scenario
    from engine.sim import simulate
    from engine.timeline import build

    root = Path(__file__).resolve().parent.parent
    for scenario in (root / "scenario" / "spring2014.yaml", root / "tests" / "data" / "rules.yaml"):
        fig = plot.figure(build(simulate(load_scenario(scenario))))
        try:
            fig.draw_without_rendering()
            renderer = fig.canvas.get_renderer()
            top = fig.axes[0]
            boxes = [Text.get_window_extent(a, renderer) for a in top.texts  # the text, not its leader line
                     if isinstance(a, Annotation) and a.get_visible()]
            assert len(boxes) >= 5, scenario
            right = top.get_window_extent(renderer).x1
            assert all(b.x1 <= right + 0.5 for b in boxes), scenario
            for i, a in enumerate(boxes):
                for b in boxes[i + 1:]:
                    assert not a.overlaps(b), (scenario, a, b)
        finally:
            plt.close(fig)
