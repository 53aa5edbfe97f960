"""Events and states to plain data (for JSON) and back, with cattrs.

Field order is the classes' own, datetimes are fixed-width UTC stamps, defaults are
omitted and floats are rounded, so the same log always serialises to the same bytes.
"""
from __future__ import annotations

import datetime as dt
import json
import re
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

_OWN = frozenset((ev.Source, ev.Window, *ev.ALL_TYPES.values(), st.DemandState))


def _renames(cls: type) -> dict:
    return {"from_": override(rename="from")} if "from_" in attrs.fields_dict(cls) else {}


# Made for each class the first time one is converted (cattrs caches them), not at import:
# generating them all costs a third of `crisis replay`'s start-up.
converter.register_unstructure_hook_factory(
    _OWN.__contains__, lambda cls: make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True,
                                                            **_renames(cls)))
converter.register_structure_hook_factory(
    _OWN.__contains__, lambda cls: make_dict_structure_fn(cls, converter, **_renames(cls)))


def event_to_dict(event: ev.Event, seq: int) -> dict[str, Any]:
    """One log record: the event's position `seq` in its log and its type first, then its own fields."""
    data = converter.unstructure(event)
    record: dict[str, Any] = {"seq": seq, "type": event.TYPE}
    if event.DERIVED:
        record["derived"] = True
    elif event.outside_seeds:
        record["outside_seeds"] = True
    record.update(data)
    return record


def event_from_dict(data: dict[str, Any]) -> ev.Event:
    """Inverse of `event_to_dict`; a ReplayError when the record is not a known event."""
    if not _FAST:
        _FAST.update((name, _fast(cls)) for name, cls in ev.ALL_TYPES.items())  # once, when a log is first read
    build = _FAST.get(data.get("type"))  # type: ignore[arg-type]
    if build is not None:
        try:
            return build(data)
        except (_Slow, KeyError):
            pass  # something cattrs must judge: let it build the event, or say what is wrong
    return _structured(data)


def _structured(data: dict[str, Any]) -> ev.Event:
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


# --- the fast path of event_from_dict: a million log records must read in seconds --------------


class _Slow(Exception):
    """A record the fast path leaves to cattrs (a value of another type, a window, …)."""


def _text(v):
    if type(v) is not str:
        raise _Slow
    return v


def _text_or_none(v):
    if v is not None and type(v) is not str:
        raise _Slow
    return v


def _number(v):
    if type(v) is not float and type(v) is not int:
        raise _Slow
    return v


def _whole(v):
    if type(v) is not int:
        raise _Slow
    return v


def _whole_or_none(v):
    if v is not None and type(v) is not int:
        raise _Slow
    return v


def _number_or_none(v):
    return v if v is None else _number(v)


def _flag(v):
    if type(v) is not bool:
        raise _Slow
    return v


def _texts(v):
    if type(v) is not list or not all(type(x) is str for x in v):
        raise _Slow
    return tuple(v)


def _moment(v):
    if type(v) is not str or len(v) != 20 or v[10] != "T" or v[19] != "Z":
        raise _Slow
    try:
        return _fromisoformat(v)  # the stamps `stamp` writes; anything else goes through parse_moment
    except ValueError:
        raise _Slow from None


def _moment_or_none(v):
    return v if v is None else _moment(v)


def _no_window(v):
    if v is not None:
        raise _Slow
    return v


_fromisoformat = dt.datetime.fromisoformat
_SOURCES: dict[tuple, tuple[ev.Source, ...]] = {}


def _sources(v):
    """Sources as the log gives them, shared between events citing the same ones."""
    if type(v) is not list:
        raise _Slow
    try:
        if len(v) == 1:  # what most events cite: spared the generator, a third of this function's time
            s = v[0]
            key = ((s["doc"] if "doc" in s else None, s.get("ref"), s.get("quote"), len(s)),)
        else:
            key = tuple((s["doc"] if "doc" in s else None, s.get("ref"), s.get("quote"), len(s)) for s in v)
        found = _SOURCES.get(key)
    except (TypeError, AttributeError):
        raise _Slow from None
    if found is None:
        for doc, ref, quote, size in key:
            if size != (doc is not None) + (ref is not None) + (quote is not None) or not all(
                    x is None or type(x) is str for x in (doc, ref, quote)):
                raise _Slow
        found = tuple(ev.Source(doc=doc, ref=ref, quote=quote) for doc, ref, quote, _ in key)
        if len(_SOURCES) < 100_000:
            _SOURCES[key] = found
    return found


_CHECKS = {str: _text, str | None: _text_or_none, float: _number, float | None: _number_or_none,
           int: _whole, int | None: _whole_or_none, bool: _flag, tuple[str, ...]: _texts,
           tuple[ev.Source, ...]: _sources, dt.datetime: _moment, dt.datetime | None: _moment_or_none,
           ev.Window | None: _no_window}


def _fast(cls: type[ev.Event]):
    """`build(record)`: the event, made slot by slot (no cattrs, no __init__: the classes have no
    validators); `_Slow` or KeyError for a record cattrs must see."""
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "absent": object()}
    lines = ["def build(d):", "    get = d.get", "    o = new(cls)"]
    for field in attrs.fields(attrs.resolve_types(cls)):
        key = "from" if field.name == "from_" else field.name
        check = f"check_{field.name}"
        scope[check] = _CHECKS[field.type]
        scope[f"set_{field.name}"] = getattr(cls, field.name).__set__
        if field.default is attrs.NOTHING:
            value = f"{check}(d[{key!r}])"
        else:
            default = field.default.factory() if isinstance(field.default, attrs.Factory) else field.default
            scope[f"default_{field.name}"] = default
            lines.append(f"    v = get({key!r}, absent)")
            value = f"default_{field.name} if v is absent else {check}(v)"
        lines.append(f"    set_{field.name}(o, {value})")
    lines.append("    return o")
    exec("\n".join(lines), scope)  # noqa: S102  (our own field names only)
    return scope["build"]


_FAST: dict[str, Any] = {}


# JSON leaves C1 controls, line separators and bidi overrides raw; escaped, a terminal shows them instead of obeying.
_RAW = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}


_RAW_FOUND = re.compile("[" + "".join(map(chr, _RAW)) + "]").search


def to_json(data: Any) -> str:
    """JSON that reads as UTF-8 text but cannot steer a terminal; the same data always gives the same text."""
    return to_json_text(_ENCODE(data))


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # made once: json.dumps with an option makes one per call


def to_json_text(text: str) -> str:
    """JSON text (as json.dumps writes it, ensure_ascii off) with the characters that could steer a terminal escaped."""
    if text.isascii() and "\x7f" not in text:  # all the others escaped here are beyond ASCII: two quick checks
        return text
    return text.translate(_RAW) if _RAW_FOUND(text) else text  # a search in C: translate is slow on long text


def event_line(event: ev.Event, seq: int) -> str:
    """The JSON Lines form of one log record, the event at position `seq` (no trailing newline)."""
    return to_json(event_to_dict(event, seq))


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
