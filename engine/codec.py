"""Events and states to plain data (for JSON) and back, with cattrs.

Field order is the classes' own, datetimes are fixed-width UTC stamps, defaults are
omitted and floats are rounded, so the same log always serialises to the same bytes.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from . import events as ev
from . import state as st
from .dates import parse_moment, stamp
from .errors import ReplayError

converter = cattrs.Converter()
converter.register_unstructure_hook(dt.datetime, stamp)
converter.register_structure_hook(dt.datetime, lambda value, _: parse_moment(value))
converter.register_unstructure_hook(dt.date, dt.date.isoformat)
converter.register_structure_hook(dt.date, lambda value, _: dt.date.fromisoformat(value))
# A whole number stays one (`duration_days: 10` is read back as 10, not 10.0), so a record read
# from a log serialises to the same bytes again, and re-recording it keeps its chain hashes.
converter.register_structure_hook(
    float, lambda value, _: value if isinstance(value, int) and not isinstance(value, bool) else float(value))

for _cls in (ev.Source, ev.Window, *ev.ALL_TYPES.values(), st.DemandState):
    _renames = {"from_": override(rename="from")} if "from_" in attrs.fields_dict(_cls) else {}
    converter.register_unstructure_hook(
        _cls, make_dict_unstructure_fn(_cls, converter, _cattrs_omit_if_default=True, **_renames))
    converter.register_structure_hook(_cls, make_dict_structure_fn(_cls, converter, **_renames))


def event_to_dict(event: ev.Event) -> dict[str, Any]:
    """One log record: position and type first, then the event's own fields."""
    data = converter.unstructure(event)
    data.pop("seq", None)
    record: dict[str, Any] = {"seq": event.seq, "type": event.TYPE}
    if event.DERIVED:
        record["derived"] = True
    elif event.outside_seeds:
        record["outside_seeds"] = True
    record.update(data)
    return record


def event_from_dict(data: dict[str, Any]) -> ev.Event:
    """Inverse of `event_to_dict`; a ReplayError when the record is not a known event."""
    data = dict(data)
    cls = ev.ALL_TYPES.get(data.pop("type", None))
    if cls is None:
        raise ReplayError(f"unknown event type in record: {data.get('type')!r}")
    data.pop("derived", None)
    data.pop("outside_seeds", None)
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        raise ReplayError(f"record {data.get('seq', '?')} ({data.get('id', '?')}) is not a valid {cls.TYPE}: {exc}") from exc


# JSON leaves C1 controls, line separators and bidi overrides raw; escaped, a terminal shows them instead of obeying.
_RAW = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def to_json(data: Any, indent: int | None = None) -> str:
    """JSON that reads as UTF-8 text but cannot steer a terminal; the same data always gives the same text."""
    return json.dumps(data, ensure_ascii=False, indent=indent).translate(_RAW)


def event_line(event: ev.Event) -> str:
    """The JSON Lines form of one log record (no trailing newline)."""
    return to_json(event_to_dict(event))


def rounded(value: float) -> float:
    """Tension figures rounded for output: stable text and no spurious precision."""
    return round(value, 3) + 0.0  # + 0.0 turns -0.0 into 0.0


def state_to_dict(state: st.State) -> dict[str, Any]:
    """The state as JSON-ready data; parts named as the CLI documents them."""
    plain = converter.unstructure
    return {
        "time": stamp(state.time) if state.time else None,
        "seq": state.seq,
        "event": state.last,
        "tension": rounded(state.tension),
        "tension_parts": {"impulses": rounded(state.impulse), "conditions": rounded(state.pressure)},
        "demands": [plain(d) for d in state.demands],
        "sanctions": [plain(s) for s in state.sanctions],
        "threats": [plain(t) for t in state.threats],
        "deployments": [plain(d) for d in state.deployments],
        "troops": state.troops,
        "detentions": [plain(d) for d in state.detentions],
        "control": [plain(c) for c in state.control],
        "talks": [plain(t) for t in state.talks],
        "ousted": list(state.ousted),
    }
