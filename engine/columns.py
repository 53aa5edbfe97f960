"""Each event's time, Goldstein score and type in arrays, beside the events themselves.

Tension decays at every event by the time since the one before, and adds the event's
score: the only two things of every event tension needs. At a million events, reading
them from the event objects is most of that pass (each object, and its datetime, is a
cache miss), while two arrays are 16 bytes an event, read in order. The figures visit only
the events of a few types, found from their type codes (a byte an event) in one C-level
pass. A loaded scenario keeps its events' (`sim.prepare`), and a run extends them with the
events it derives (`sim.Log.columns`).

Times are whole microseconds after `origin`: the difference of two is exact, and divided
by 1,000,000 it is the float `timedelta.total_seconds()` gives for the difference of the
two datetimes (both are an integer over 10**6, correctly rounded), so tension computed
from these columns is the reducers' to the bit.
"""
from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Sequence
from operator import attrgetter

import attrs

from .events import ALL_TYPES, Event

MICROSECOND = dt.timedelta(microseconds=1)
_GOLDSTEIN = attrgetter("goldstein")


class _Kinds(dict):
    """Event type -> its code in `Columns.kinds`: 1, 2, … in the order of `events.ALL_TYPES`;
    0 for any other type (a subclass made elsewhere), which no figure counts."""

    def __missing__(self, cls: type) -> int:
        return 0


KIND = _Kinds((cls, code) for code, cls in enumerate(ALL_TYPES.values(), 1))


def kind_table(types) -> bytes:
    """A `bytes.translate` table: 1 for the codes of `types`, 0 for the others."""
    codes = {KIND[cls] for cls in types}
    return bytes(code in codes for code in range(256))


@attrs.frozen(eq=False)
class Columns:
    """`times[i]`: microseconds from `origin` to event i; `scores[i]`: its Goldstein score;
    `kinds[i]`: its type's code (`KIND`)."""

    origin: dt.datetime | None
    times: array
    scores: array
    kinds: bytearray

    def __len__(self) -> int:
        return len(self.times)

    @classmethod
    def of(cls, events: Sequence[Event], origin: dt.datetime | None = None) -> "Columns":
        """The columns of `events`, timed from `origin` (default: the first event's time)."""
        if origin is None and events:
            origin = events[0].at
        return cls(origin, array("q", [(e.at - origin) // MICROSECOND for e in events]),
                   array("d", map(_GOLDSTEIN, events)), bytearray(map(KIND.__getitem__, map(type, events))))

    def prefix(self, n: int) -> "Columns":
        """The columns of the first `n` events."""
        return Columns(self.origin, self.times[:n], self.scores[:n], self.kinds[:n])

    def microseconds(self, moment: dt.datetime) -> int:
        """`moment` as this log's times say it."""
        return (moment - self.origin) // MICROSECOND
