"""Tension over time, with event markers, bands while conditions last, and count panels.

Functions take a timeline and an Axes and return it; nothing here calls `plt.show()`.
Output is deterministic: no dates or versions in the file, a fixed SVG hash salt.
"""
from __future__ import annotations

import datetime as dt
import weakref
from typing import NamedTuple
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # drawing to files only; never needs a screen
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from . import events as ev  # noqa: E402
from .render import safe  # noqa: E402
from .timeline import Timeline, tension_series  # noqa: E402

FORMATS = ("png", "svg", "pdf")
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
             "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}}
CONFLICT, COOPERATION, NEUTRAL = "#b2182b", "#2166ac", "#777777"


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=None)  # matplotlib's date axis; all moments are UTC already


def bands(timeline: Timeline) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    """(kind, label, start, end) for every exercise and detention, as long as it lasted."""
    events = timeline.log.events
    end = events[-1].at if events else None
    started: dict[str, tuple[str, str, dt.datetime]] = {}
    out = []
    for e in events:
        if isinstance(e, (ev.Exercise, ev.Detention)):
            started[e.id] = (e.TYPE, e.title, e.at)
        closes = getattr(e, "exercise", None) if isinstance(e, ev.ExerciseEnded) else \
            getattr(e, "detention", None) if isinstance(e, ev.Release) else None
        if closes in started:
            kind, label, start = started.pop(closes)
            out.append((kind, label, start, e.at))
    out.extend((kind, label, start, end) for kind, label, start in started.values())
    return sorted(out, key=lambda b: (b[2], b[1]))


def _span(timeline: Timeline) -> dt.timedelta:
    events = timeline.log.events
    return events[-1].at - events[0].at if events else dt.timedelta(0)


def _step(timeline: Timeline) -> dt.timedelta:
    """Sample every 6 hours, or coarser over long spans: a curve has a few thousand points at most."""
    return max(dt.timedelta(hours=6), _span(timeline) / 4000)


def plot_tension(timeline: Timeline, ax: Axes, labels: int = 18, cursor: dt.datetime | None = None) -> Axes:
    """Tension curve, a marker per event (red conflict, blue cooperation) and labels on the largest."""
    series = tension_series(timeline, step=_step(timeline))
    ax.plot([_naive(t) for t, _ in series], [v for _, v in series], color="black", linewidth=1.4, label="tension")
    # One artist per kind of band and per kind of marker, not one per event: a synthetic
    # scenario of 10,000 events drew 11,000 artists and spent most of its 15 s on them.
    spans: dict[str, list] = {"exercise": [], "detention": []}
    for kind, _label_text, start, end in bands(timeline):
        spans[kind].append((mdates.date2num(_naive(start)), mdates.date2num(_naive(end)) - mdates.date2num(_naive(start))))
    for kind, color in (("exercise", "#e08214"), ("detention", "#8073ac")):
        if spans[kind]:
            shown = spans[kind] if len(spans[kind]) <= BANDS else _union(spans[kind])
            ax.broken_barh(shown, (0, 1), transform=ax.get_xaxis_transform(), facecolor=color, alpha=0.12, lw=0)
    groups: dict[tuple[str, str, bool], tuple[list, list]] = {}
    points = _points(timeline)
    for point in _thinned(points, MARKERS):
        e = point.event
        color = CONFLICT if e.goldstein < 0 else COOPERATION if e.goldstein > 0 else NEUTRAL
        xs, ys = groups.setdefault(("v" if e.DERIVED else "o", color, e.outside_seeds or e.DERIVED), ([], []))
        xs.append(_naive(e.at))
        ys.append(point.tension)
    for (marker, color, hollow), (xs, ys) in sorted(groups.items()):
        ax.plot(xs, ys, marker=marker, color=color, markersize=4, linestyle="none",
                markerfacecolor="white" if hollow else color)
    _label(ax, points, labels)
    if cursor is not None:
        ax.axvline(_naive(cursor), color="#1b7837", linewidth=1.2, linestyle="--", label="cursor")
    ax.set_ylabel("tension")
    ax.grid(True, axis="y", color="#eeeeee")
    handles = [Patch(color="#e08214", alpha=0.25, label="exercise under way"),
               Patch(color="#8073ac", alpha=0.25, label="people detained"),
               Line2D([], [], marker="o", color=CONFLICT, linestyle="none", markersize=4, label="conflict event"),
               Line2D([], [], marker="o", color=COOPERATION, linestyle="none", markersize=4, label="cooperation event"),
               Line2D([], [], marker="o", color=NEUTRAL, markerfacecolor="white", linestyle="none", markersize=4,
                      label="outside the seeds / derived (hollow)")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, frameon=False)
    ax.set_title(safe(timeline.log.scenario.title, 90) + (" (altered timeline)" if timeline.log.skipped else ""))
    return ax


MARKERS = 4000
"""Events drawn one marker each up to this many (a plot is some 1,300 pixels wide); beyond it,
the strongest of each colour in each of `MARKERS` equal stretches of time (see `_thinned`)."""
BANDS = 200
"""Bands of one kind drawn one each (overlaps show darker) up to this many; beyond it, each run
of overlapping bands is drawn as one. A 100,000-event replay drew 7,000 translucent bands the
height of the plot, 3.6 of the plot's 10 s, into a wash that showed no more than the merged runs."""


class _Point(NamedTuple):
    """An event as the plot draws it: where it stands on the tension curve."""

    event: ev.Event
    tension: float
    seq: int


def _points(timeline: Timeline) -> list[_Point]:
    figures = timeline.figures
    return [_Point(e, figures.tension(i), i) for i, e in enumerate(timeline.log.events)]


def _thinned(entries, limit: int):
    """All entries when there are at most `limit`; else, in each of `limit` equal stretches of
    time, the strongest conflict event, the strongest cooperation event and the first neutral
    one (largest |Goldstein|, the first of equals), in log order: the colours keep their mix."""
    if len(entries) <= limit:
        return entries
    origin = entries[0].event.at
    width = max((entries[-1].event.at - origin).total_seconds(), 1.0) / limit
    best: dict[tuple[int, int], tuple[int, object]] = {}
    for k, entry in enumerate(entries):
        score = entry.event.goldstein
        key = (int((entry.event.at - origin).total_seconds() / width), (score > 0) - (score < 0))
        held = best.get(key)
        if held is None or abs(score) > abs(held[1].event.goldstein):
            best[key] = (k, entry)
    return [entry for _, entry in sorted(best.values(), key=lambda x: x[0])]


def _strongest_per_stretch(entries, count: int):
    """The strongest event (largest |Goldstein|, the first of equals) of each of `count` equal
    stretches of time that hold one, in log order."""
    origin = entries[0].event.at
    width = max((entries[-1].event.at - origin).total_seconds(), 1.0) / count
    best: dict[int, object] = {}
    for entry in entries:
        slot = min(int((entry.event.at - origin).total_seconds() / width), count - 1)
        held = best.get(slot)
        if held is None or abs(entry.event.goldstein) > abs(held.event.goldstein):
            best[slot] = entry
    return [best[slot] for slot in sorted(best)]


def _union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(start, width) spans with every overlapping run merged into one."""
    merged: list[list[float]] = []
    for start, width in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], start + width)
        else:
            merged.append([start, start + width])
    return [(start, end - start) for start, end in merged]


def _label(ax: Axes, entries: list[_Point], count: int, rows: int = 7, fontsize: float = 6.5) -> None:
    """Label the `count` strongest events in rows above the curve, packed so no two overlap.

    The packing here estimates text widths; `figure` packs the labels again once the layout
    is done, with the widths the renderer measures (`_pack_labels`)."""
    if not entries:
        return
    peak = max(max(e.tension for e in entries), 1.0)
    ax.set_ylim(top=peak * (1.15 + 0.07 * rows))
    span = max((entries[-1].event.at - entries[0].event.at).total_seconds() / 86_400, 1.0)
    width_in = ax.get_figure().get_size_inches()[0] * 0.9
    days_per_char = span / width_in * fontsize * 0.55 / 72
    if len(entries) <= MARKERS:
        chosen = sorted(sorted(entries, key=lambda x: (-abs(x.event.goldstein), x.seq))[:count],
                        key=lambda x: x.seq)
    else:  # thousands tie for strongest, and the first of them would all sit at the start
        chosen = _strongest_per_stretch(entries, count)
    row_end = [float("-inf")] * rows
    origin = entries[0].event.at
    labels = []
    for entry in chosen:
        e = entry.event
        text = safe(e.title, 42)
        x = (e.at - origin).total_seconds() / 86_400
        row = next((r for r in range(rows) if row_end[r] < x), None)
        if row is not None:
            row_end[row] = x + (len(text) + 2) * days_per_char
        label = ax.annotate(text, (_naive(e.at), entry.tension),
                            xytext=(_naive(e.at), _row_y(peak, rows, row or 0)), textcoords="data",
                            fontsize=fontsize, color="#333333", va="bottom",
                            arrowprops={"arrowstyle": "-", "color": "#cccccc", "linewidth": 0.5})
        label.set_in_layout(False)  # placed after the layout, inside the axes: it must not move it
        label.set_visible(row is not None)  # no room without overlapping: the marker stays unlabelled
        labels.append(label)
    _LABELS[ax] = (labels, peak, rows)


_LABELS: "weakref.WeakKeyDictionary[Axes, tuple[list, float, int]]" = weakref.WeakKeyDictionary()
"""The labels `_label` put on an axes, for `_pack_labels` to place again."""


def _row_y(peak: float, rows: int, row: int) -> float:
    return peak * (1.12 + 0.07 * (rows - 1 - row))


def _pack_labels(fig: Figure, ax: Axes) -> None:
    """Place the labels of `ax` again with their widths as drawn: in log order, each in the first
    row where it clears the one before by a few points, shifted left where it would run past the
    axes' right edge, and hidden where no row has room."""
    if ax not in _LABELS:
        return
    labels, peak, rows = _LABELS[ax]
    fig.draw_without_rendering()  # the constrained layout: where the axes really are
    renderer = fig.canvas.get_renderer()
    right = ax.get_window_extent(renderer).x1
    to_data, gap = ax.transData.inverted(), 4 * fig.dpi / 72
    row_end = [float("-inf")] * rows
    for label in labels:
        label.set_visible(True)
        x = ax.transData.transform((mdates.date2num(label.xy[0]), 0))[0]
        width = Text.get_window_extent(label, renderer).width  # the text's own box, not its leader line
        x = min(x, right - width)
        row = next((r for r in range(rows) if row_end[r] + gap <= x), None)
        if row is None:
            label.set_visible(False)
            continue
        row_end[row] = x + width
        label.set_position((mdates.num2date(to_data.transform((x, 0))[0]).replace(tzinfo=None), _row_y(peak, rows, row)))


def plot_steps(timeline: Timeline, ax: Axes, attribute: str, label: str) -> Axes:
    """A step line of a count the timeline's figures keep (open demands, sanctions in force)."""
    xs = [_naive(e.at) for e in timeline.log.events]
    ys = list(getattr(timeline.figures, attribute))
    ax.step(xs, ys, where="post", color="#4d4d4d", linewidth=1.1)
    ax.set_ylabel(label, fontsize=8)
    ax.set_ylim(bottom=0, top=max(ys + [1]) + 1)
    ax.grid(True, axis="y", color="#eeeeee")
    return ax


def figure(timeline: Timeline, cursor: dt.datetime | None = None) -> Figure:
    """The full picture: tension on top, open demands and sanctions below, sharing time."""
    # Titles and labels come from the scenario file: a `$` in them is text, not the start of a formula.
    with matplotlib.rc_context({"text.parse_math": False}):
        fig, (top, mid, low) = plt.subplots(3, 1, figsize=(13, 8), sharex=True,
                                            gridspec_kw={"height_ratios": [4, 1, 1]}, layout="constrained")
        plot_tension(timeline, top, cursor=cursor)
        plot_steps(timeline, mid, "open_demands", "open demands")
        plot_steps(timeline, low, "sanctions", "sanctions\nin force")
        if timeline.log.events and _span(timeline) < dt.timedelta(days=1):  # else matplotlib shows years around it
            middle = _naive(timeline.log.events[0].at)
            low.set_xlim(middle - dt.timedelta(days=3.5), middle + dt.timedelta(days=3.5))
        if _span(timeline) <= dt.timedelta(days=366):
            low.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
            low.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
        else:  # a Monday tick per week would be thousands of ticks
            low.xaxis.set_major_locator(mdates.AutoDateLocator())
            low.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        low.tick_params(axis="x", labelsize=7)
        _pack_labels(fig, top)
    return fig


def save(timeline: Timeline, path: Path | str, fmt: str | None = None, cursor: dt.datetime | None = None) -> None:
    """Draw and write the figure; the format comes from `fmt` or the file's extension."""
    fmt = (fmt or Path(path).suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"plot format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    with matplotlib.rc_context({"svg.hashsalt": "crisis", "svg.fonttype": "path", "pdf.compression": 6}):
        fig = figure(timeline, cursor=cursor)
        try:
            fig.savefig(path, format=fmt, dpi=110, metadata=_METADATA[fmt])
        finally:
            plt.close(fig)
