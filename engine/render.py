"""Text and JSON renderings of a timeline: what `crisis replay` and `crisis state` print."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any, Callable, Iterable, Iterator

from .codec import rounded, state_to_dict, to_json_text
from .dates import iso, stamp
from .state import State
from .timeline import Timeline, explain, quotes

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # with bidi overrides


def safe(text: object, width: int | None = None) -> str:
    """Text from a scenario made safe for a terminal: control characters shown, not obeyed."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if m.group() < "\u0100" else f"\\u{ord(m.group()):04x}",
                       str(text)).replace("\n", " ").replace("\t", " ")
    if width is not None and len(out) > width:
        out = out[: width - 1] + "…"
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _flags(event) -> str:
    flags = [event.TYPE]
    if event.DERIVED:
        flags.append("derived from " + ", ".join(event.cause))
    elif event.outside_seeds:
        flags.append("outside seeds")
    return "[" + "; ".join(flags) + "]"


def timeline_text(timeline: Timeline) -> str:
    """The readable timeline: date, tension, open demands, event and what it changed."""
    log = timeline.log
    scenario = log.scenario
    derived = sum(1 for e in log.events if e.DERIVED)
    lines = [safe(scenario.title), f"{len(log)} events ({len(log) - derived} documented, {derived} derived)"]
    if log.skipped:
        lines.append("ALTERED TIMELINE: left out " + ", ".join(sorted(log.skipped)))
    if log.events:
        lines[-1] += f", {iso(log.events[0].at)} to {iso(log.events[-1].at)}"
    model = scenario.model
    lines.append(f"tension = Goldstein impulses halving every {model.half_life_days:g} days"
                 " + steady pressure of sanctions, exercises, detentions and occupations")
    lines.append("")
    lines.append(f"{'date':<16}  {'tension':>7}  {'open':>4}  event")
    for e, tension, open_demands, _, _, _, _, changes in timeline.figures.rows():
        lines.append(f"{iso(e.at):<16}  {tension:7.1f}  {open_demands:4d}  {safe(e.title, 80)}  {_flags(e)}")
        lines.extend(f"{'':<33}+ {safe(c, 100)}" for c in changes)
    return "\n".join(lines) + "\n"


def state_text(timeline: Timeline, state: State, moment: dt.datetime | None = None, top: int = 5) -> str:
    """A summary of one state: tension and its largest causes, demands, sanctions, forces, control."""
    scenario = timeline.log.scenario
    moment = moment or state.time
    if state.time is None:
        return "Nothing has happened yet at this moment.\n"
    from .project import tension_at
    tension = tension_at(state, moment, scenario.model)
    shown = f"{moment.date()} (end of day)" if moment.time() == dt.time.max else iso(moment)
    lines = [f"State on {shown} after event #{state.seq} ({safe(state.last)})",
             f"  tension {tension:.1f} (impulses {tension - state.pressure:.1f} + conditions {state.pressure:.1f})"]
    shares = [c for c in explain(timeline, moment) if abs(c.total) >= 0.05][:top]
    if shares:
        lines.append("  largest contributions:")
        lines.extend(f"    {c.total:+6.1f}  {iso(c.event.at)}  {safe(c.event.title, 70)}" for c in shares)
    open_, closed = state.open_demands, [d for d in state.demands if d.status != "open"]
    lines.append(f"  open demands ({len(open_)}):")
    lines.extend(f"    {d.from_} → {d.to}: {safe(d.what, 70)} (since {iso(d.since)}{', overdue' if d.overdue else ''})"
                 for d in open_)
    if closed:
        lines.append(f"  closed demands ({len(closed)}):")
        lines.extend(f"    {d.from_} → {d.to}: {safe(d.what, 60)} ({d.status} {iso(d.closed_at)})" for d in closed)
    lines.append(f"  sanctions in force ({len(state.sanctions)}):")
    lines.extend(f"    {s.actor or '?'} against {s.against} since {iso(s.since)}: {safe('; '.join(s.measures), 70)}"
                 for s in state.sanctions)
    pending = [t for t in state.threats if t.status == "pending"]
    if pending:
        lines.append(f"  threats pending ({len(pending)}):")
        lines.extend(f"    {t.actor or '?'}: {safe(t.consequence, 70)}" for t in pending)
    lines.append(f"  forces ({len(state.deployments)}):")
    for d in state.deployments:
        size = f"{'~' if d.estimate else ''}{d.troops:,} troops" if d.troops else safe(d.assets or "size not given", 40)
        kind = f"exercise until {iso(d.until)}" if d.exercise and d.until else "exercise" if d.exercise else "deployment"
        lines.append(f"    {d.actor or '?'} in {safe(d.region, 40)}: {size} ({kind})")
    if state.troops:
        lines.append("    troops by actor: " + ", ".join(f"{a} {n:,}" for a, n in state.troops.items()))
    lines.append(f"  detained ({len(state.detentions)}):")
    lines.extend(f"    {safe(d.detained, 60)}" + (f" in {safe(d.place)}" if d.place else "") + f" since {iso(d.since)}"
                 for d in state.detentions)
    lines.append(f"  control ({len(state.control)}):")
    lines.extend(f"    {safe(c.site, 50)}: {c.controller}{' (partly)' if c.partial else ''} since {iso(c.since)}"
                 + (f", before {c.previous}" if c.previous else "") for c in state.control)
    calls = sum(1 for t in state.talks if t.mode == "call")
    lines.append(f"  talks held: {len(state.talks)} ({_count(len(state.talks) - calls, 'meeting')}, {_count(calls, 'call')})")
    return "\n".join(lines) + "\n"


def entry_to_dict(entry) -> dict[str, Any]:
    """The row of one timeline entry (an event and the state after it)."""
    s = entry.state
    return row_to_dict(s.seq, (entry.event, s.tension, len(s.open_demands), len(s.sanctions), s.troops,
                               len(s.detentions), len(s.control), entry.changes))


def row_to_dict(seq: int, row: tuple) -> dict[str, Any]:
    """The row at log position `seq` of `Figures.rows()`, as timeline.json holds it."""
    e, tension, open_demands, sanctions, troops, detained, sites, changes = row
    out: dict[str, Any] = {"seq": seq, "at": stamp(e.at), "event": e.id, "type": e.TYPE, "title": e.title}
    if e.DERIVED:
        out["derived"] = True
        out["cause"] = list(e.cause)
    elif e.outside_seeds:
        out["outside_seeds"] = True
    out.update({
        "goldstein": e.goldstein,
        "tension": rounded(tension),
        "open_demands": open_demands,
        "sanctions": sanctions,
        "troops": troops,
        "detained": detained,
        "controlled_sites": sites,
        "changes": list(changes),
    })
    return out


def timeline_document(timeline: Timeline, lazy: bool = False) -> dict[str, Any]:
    """The state timeline as data: one row per event, then the final state in full.

    With `lazy=True` the rows are `Rows`, made one at a time as `dump_chunks` writes them:
    the rows of a long replay as dicts (each with its troops by actor) would take more
    memory than the replay itself (a gigabyte at 100,000 events of 200 actors).
    """
    scenario = timeline.log.scenario
    rows = (row_to_dict(seq, row) for seq, row in enumerate(timeline.figures.rows()))
    return {
        "scenario": scenario.id,
        "title": scenario.title,
        "model": {"half_life_days": scenario.model.half_life_days,
                  "impulse_per_goldstein": scenario.model.impulse_per_goldstein,
                  "conditions": {k: getattr(scenario.model, k) for k in scenario.model.CONDITIONS}},
        "skipped": sorted(timeline.log.skipped),
        "timeline": Rows(rows) if lazy else list(rows),
        "final": state_to_dict(timeline.final),
    }


class Rows:
    """A list made item by item as it is written (`dump_chunks`), never held whole."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = iter(items)


def dumps(data: Any) -> str:
    """JSON as every command writes it: stable, readable, UTF-8, newline-terminated.

    One record per line: objects are broken over lines down to the second level and
    lists down to the third, anything deeper is written on one line. A timeline reads
    as one line per event and a state as one line per item, and the records are made by
    the json module's C encoder: an indented dump goes through its pure-Python encoder,
    which took 80 s for the timeline of a 100,000-event replay.
    """
    return "".join(dump_chunks(data))


def dump_chunks(data: Any, size: int = 1 << 20) -> Iterator[str]:
    """`dumps(data)` in pieces of about `size` characters, for writing as they come; `Rows`
    in `data` are made as they are reached."""
    pieces: list[str] = []
    held = 0
    for piece in _layout(data, 0):
        pieces.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(pieces)
            pieces, held = [], 0
    pieces.append("\n")
    yield "".join(pieces)


_ENCODE: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _one_line(value: Any) -> str:
    """`value` as JSON on one line, with what could steer a terminal escaped (`to_json_text`).

    Every piece `_layout` yields is escaped on its own (escaping goes character by character,
    so the pieces escape as their concatenation would): a troops map encoded once for many
    rows is then searched once, not in every row that repeats it."""
    return to_json_text(_ENCODE(value))


def _layout(value: Any, depth: int) -> Iterator[str]:
    kind = type(value)
    if kind is Rows:
        yield from _rows(value, depth)
        return
    if not (value and (kind is dict and depth < 2 or kind is list and depth < 3)):
        yield _one_line(value)
        return
    inner, pad = " " * (depth + 1), " " * depth
    yield "{\n" if kind is dict else "[\n"
    for i, item in enumerate(value.items() if kind is dict else value):
        yield ",\n" + inner if i else inner
        if kind is dict:
            yield _one_line(item[0]) + ": "
            item = item[1]
        yield from _layout(item, depth + 1)
    yield "\n" + pad + ("}" if kind is dict else "]")


def _rows(rows: Rows, depth: int) -> Iterator[str]:
    """`Rows` laid out as the list they stand for; rows of one line each go through `_RowLine`."""
    first = next(rows.items, _NONE)
    if first is _NONE:
        yield "[]"
        return
    inner, pad = " " * (depth + 1), " " * depth
    one_line = _RowLine() if depth + 1 >= 2 else None
    yield "[\n"
    for i, item in enumerate(itertools.chain((first,), rows.items)):
        yield ",\n" + inner if i else inner
        if one_line is not None and type(item) is dict:
            yield one_line(item)
        else:
            yield from _layout(item, depth + 1)
    yield "\n" + pad + "]"


class _RowLine:
    """`_one_line(row)` for the rows of a timeline, the troops map encoded once for all the rows
    that share it.

    Rows share one troops map while troops do not move (`Figures.rows`), and with a few hundred
    actors it is most of each line: a timeline of 100,000 rows encoded the same map again and
    again for most of its writing time. The line is spliced from the row's fields before and
    after `troops`, each encoded on its own: the same text the encoder writes for the whole row
    (an object is its items joined by ", ", between braces)."""

    def __init__(self) -> None:
        self.troops: dict | None = None
        self.text = ""

    def __call__(self, row: dict) -> str:
        troops = row.get(_TROOPS)
        if not troops or type(troops) is not dict:
            return _one_line(row)
        if troops is not self.troops:  # the row holds a new map (`is`: this one holds the old alive)
            self.troops, self.text = troops, _one_line(troops)
        items = list(row.items())
        at = items.index((_TROOPS, troops))
        parts = [_one_line(dict(items[:at]))[1:-1] if at else None, _TROOPS_KEY + self.text,
                 _one_line(dict(items[at + 1:]))[1:-1] if at + 1 < len(items) else None]
        return "{" + ", ".join(p for p in parts if p is not None) + "}"


_TROOPS = "troops"
_TROOPS_KEY = _one_line(_TROOPS) + ": "


_NONE = object()


def why_text(timeline: Timeline, moment: dt.datetime, limit: int | None = None) -> str:
    """Tension at `moment` broken down by event, largest first, each with its evidence."""
    shares = explain(timeline, moment)
    total = sum(c.total for c in shares)
    lines = [f"tension {total:.1f} on {iso(moment)}, by event (largest first):"]
    for c in shares[:limit]:
        if abs(c.total) < 0.05:
            continue
        part = f"impulse {c.impulse:+.1f}" + (f", condition {c.condition:+.1f}" if c.condition else "")
        lines.append(f"  {c.total:+6.1f}  {iso(c.event.at)}  {safe(c.event.id)}: {safe(c.event.title, 70)}"
                     f"  (CAMEO {c.event.cameo}, Goldstein {c.event.goldstein:+g}; {part})")
        lines.extend(f"            {safe(q, 150)}" for q in quotes(c.event))
    return "\n".join(lines) + "\n"
