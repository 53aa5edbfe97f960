"""The state of a crisis at one moment: frozen values, derived from the event log only.

A state is rebuilt after every event of a log, so it is built for that. Each part
(demands, sanctions, …) is an `Items`: a persistent sequence whose versions share
their contents, so adding an item costs O(1) and changing one O(log n) however long
the crisis, where a tuple would be copied whole at every step. The item objects
(`DemandState`, …) are made from the events behind them when they are read.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, Callable, Iterator, NamedTuple

import attrs
import immutables


@attrs.frozen(kw_only=True)
class DemandState:
    """A demand and where it stands."""

    id: str
    from_: str
    to: str
    what: str
    since: dt.datetime
    deadline: dt.datetime | None = None
    status: str = "open"
    """open | met | rejected | withdrawn"""
    overdue: bool = False
    """True once its deadline passed while it was open."""
    closed_at: dt.datetime | None = None
    closed_by: str | None = None
    """Id of the event that resolved it."""


@attrs.frozen(kw_only=True)
class SanctionsState:
    """A sanctions package in force."""

    id: str
    actor: str | None
    against: str
    measures: tuple[str, ...]
    targets: tuple[str, ...]
    since: dt.datetime


@attrs.frozen(kw_only=True)
class ThreatState:
    """A threat and whether its condition has come."""

    id: str
    actor: str | None
    consequence: str
    condition: str | None
    since: dt.datetime
    status: str = "pending"
    """pending | triggered | lapsed"""


@attrs.frozen(kw_only=True)
class DeploymentState:
    """Forces sent somewhere (deployments, and exercises while they last)."""

    id: str
    actor: str | None
    region: str
    troops: int | None
    assets: str | None
    since: dt.datetime
    exercise: bool = False
    until: dt.datetime | None = None
    """For an exercise with a known duration: when it ends."""
    estimate: bool = False


@attrs.frozen(kw_only=True)
class DetentionState:
    """People held, from their detention until a release."""

    id: str
    actor: str | None
    detained: str
    count: int | None
    place: str | None
    since: dt.datetime


@attrs.frozen(kw_only=True)
class ControlState:
    """Who holds a site or region, since which event."""

    site: str
    controller: str
    previous: str | None
    since: dt.datetime
    by: str
    """Id of the seizure that changed hands."""
    partial: bool = False
    region: str | None = None


@attrs.frozen(kw_only=True)
class TalksState:
    """A meeting or call that was held."""

    id: str
    mode: str
    participants: tuple[str, ...]
    place: str | None
    at: dt.datetime


# --- parts: persistent, creation-ordered sequences of items ------------------------------------


class Kind:
    """How one part holds its items: the record kept per item, the item made from it, its key.

    A record is what the reducers store when an item is added (usually the event itself,
    so adding allocates nothing); `make(record, change)` is the item object, `change` being
    what later events changed about it (None while nothing has).
    """

    def __init__(self, name: str, make: Callable[[Any, Any], Any], key: str | None) -> None:
        self.name = name
        self.make = make
        self.key = key
        """The item attribute items are looked up by, or None for a part only ever added to."""


_REMOVED = object()
_serials = itertools.count(1)
_new = object.__new__


class _Log(list):
    """The records of one line of versions, shared by all of them; a version sees its first `n`."""

    __slots__ = ()


class _TupleLike:
    """Value semantics of a tuple of the items, shared by Items and Subset: equal to any
    of them (or a plain tuple) holding the same items in the same order."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, (_TupleLike, tuple)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class Items(_TupleLike, Sequence):
    """One part of a state: an immutable sequence of item objects, oldest first.

    Versions of a part made one from another share a `_Log` of records: adding to the
    newest version appends to it (older versions still see only their own prefix),
    adding to an older one copies its prefix first, unless the very same record is
    already next, as when a log is folded again from a snapshot. Changes and removals
    live in a persistent map (`immutables.Map`, a HAMT) beside the log, as does the
    index from key to position. `serial`, `parent` and `touched` let `timeline.changes`
    look only at what one step touched.
    """

    __slots__ = ("_log", "_n", "_changed", "_index", "_size", "_kind", "serial", "parent", "touched")

    def __new__(cls, items: Any = (), kind: Kind | None = None) -> "Items":
        """A part holding `items` (item objects, e.g. DemandState), as built by hand or by a test."""
        if isinstance(items, Items):
            return items
        if kind is None:
            raise TypeError("Items(…) needs the part's kind")
        part = _empty(kind)
        for item in items:
            part = part._add(_Record(item), None if kind.key is None else getattr(item, kind.key))
        return part

    # -- reading

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        make, changed, log = self._kind.make, self._changed, self._log
        if not changed:
            for i in range(self._n):
                yield make(log[i], None)
            return
        get = changed.get
        for i in range(self._n):
            change = get(i)
            if change is not _REMOVED:
                yield make(log[i], change)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self)[index]
        if not self._changed:
            n = self._n
            if -n <= index < n:
                return self._kind.make(self._log[index % n], None)
            raise IndexError("part index out of range")
        return tuple(self)[index]

    def __reduce__(self):
        return _items_from_name, (tuple(self), self._kind.name)

    def get(self, key: str) -> Any:
        """The item with this key (id, or site for control), or None."""
        pos = self._index.get(key) if self._index is not None else None
        return None if pos is None else self._item(pos)

    def _item(self, pos: int) -> Any:
        change = self._changed.get(pos)
        return None if change is _REMOVED else self._kind.make(self._log[pos], change)

    def _record(self, key: str) -> tuple[int, Any, Any] | None:
        """(position, record, change) of the live item with this key, or None."""
        pos = self._index.get(key) if self._index is not None else None
        if pos is None:
            return None
        return pos, self._log[pos], self._changed.get(pos)

    def found(self, touched: Any) -> tuple[Any, Any] | None:
        """(record, change) of the live item at a key, or at a position (an int), or None."""
        pos = touched if isinstance(touched, int) else self._index.get(touched) if self._index is not None else None
        if pos is None or pos >= self._n:
            return None
        change = self._changed.get(pos)
        return None if change is _REMOVED else (self._log[pos], change)

    def added(self) -> Any:
        """The newest item (the last one added)."""
        return self._item(self._n - 1)

    # -- new versions (used by the reducers; each returns a new part)

    def _version(self, log: _Log, n: int, changed, index, size: int, touched: Any) -> "Items":
        part = _new(Items)
        part._log, part._n, part._changed, part._index, part._size, part._kind = log, n, changed, index, size, self._kind
        part.serial, part.parent, part.touched = next(_serials), self.serial, touched
        return part

    def _add(self, record: Any, key: str | None, drop: int | None = None) -> "Items":
        """With `record` added at the end (and the item at position `drop` removed, for a move)."""
        log, n = self._log, self._n
        if not n:  # an empty part starts a log of its own: State() never holds on to one
            log = _Log((record,))
        elif len(log) == n:
            log.append(record)
        elif not (log[n] is record or log[n] == record):  # another line of versions: start its own log
            log = _Log(log[:n])
            log.append(record)
        changed, index, size = self._changed, self._index, self._size + 1
        if drop is not None:
            changed, size = changed.set(drop, _REMOVED), size - 1
        if key is not None:
            index = index.set(key, n)
        return self._version(log, n + 1, changed, index, size, key if key is not None else n)

    def _change(self, key: str, change: Any) -> "Items":
        pos = self._index.get(key)
        if pos is None:
            return self
        return self._version(self._log, self._n, self._changed.set(pos, change), self._index, self._size, key)

    def _remove(self, key: str) -> "Items":
        pos = self._index.get(key)
        if pos is None:
            return self
        return self._version(self._log, self._n, self._changed.set(pos, _REMOVED), self._index.delete(key),
                             self._size - 1, key)


class _Record:
    """A record that is a finished item already (parts built by hand, `Items(items, kind)`)."""

    __slots__ = ("item",)

    def __init__(self, item: Any) -> None:
        self.item = item

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Record) and other.item == self.item

    __hash__ = None  # type: ignore[assignment]


def _empty(kind: Kind) -> Items:
    part = _new(Items)
    part._log, part._n, part._changed, part._size, part._kind = _Log(), 0, immutables.Map(), 0, kind
    part._index = immutables.Map() if kind.key is not None else None
    part.serial, part.parent, part.touched = next(_serials), 0, None
    return part


def _maker(build: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """`make` for a kind: `build` for records the reducers keep, and hand-built items as they are."""
    def make(record: Any, change: Any) -> Any:
        if type(record) is _Record:
            return record.item if change is None else attrs.evolve(record.item, **change._asdict())
        return build(record, change)
    return make


def _demand(e, change) -> DemandState:
    if change is None:
        return DemandState(id=e.id, from_=e.from_, to=e.to, what=e.what, since=e.at, deadline=e.deadline)
    return DemandState(id=e.id, from_=e.from_, to=e.to, what=e.what, since=e.at, deadline=e.deadline,
                       status=change.status, overdue=change.overdue, closed_at=change.closed_at,
                       closed_by=change.closed_by)


def _threat(e, change) -> ThreatState:
    return ThreatState(id=e.id, actor=e.actor, consequence=e.consequence, condition=e.condition, since=e.at,
                       status="pending" if change is None else change.status)


def _deployment(e, change) -> DeploymentState:
    if e.TYPE == "exercise":
        until = e.at + dt.timedelta(days=e.duration_days) if e.duration_days else None
        return DeploymentState(id=e.id, actor=e.actor, region=e.region, troops=e.troops, assets=None, since=e.at,
                               exercise=True, until=until)
    return DeploymentState(id=e.id, actor=e.actor, region=e.region, troops=e.troops, assets=e.assets, since=e.at,
                           estimate=e.estimate)


def _control(record, change) -> ControlState:
    e, previous = record
    return ControlState(site=e.site, controller=e.to, previous=previous, since=e.at, by=e.id, partial=e.partial,
                        region=e.region)


KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    Kind("demands", _maker(_demand), "id"),
    Kind("sanctions", _maker(lambda e, _: SanctionsState(
        id=e.id, actor=e.actor, against=e.against, measures=e.measures, targets=e.targets, since=e.at)), None),
    Kind("threats", _maker(_threat), "id"),
    Kind("deployments", _maker(_deployment), "id"),
    Kind("detentions", _maker(lambda e, _: DetentionState(
        id=e.id, actor=e.actor, detained=e.detained, count=e.count, place=e.place, since=e.at)), "id"),
    Kind("control", _maker(_control), "site"),
    Kind("talks", _maker(lambda e, _: TalksState(
        id=e.id, mode=e.mode, participants=e.participants, place=e.place, at=e.at)), None),
    Kind("ousted", _maker(lambda record, change: record), None),
)}


PARTS = tuple(KINDS)
"""The parts of a state, in the order outputs list them."""


def _items_from_name(items: tuple, name: str) -> Items:
    return Items(items, KINDS[name])


class DemandChange(NamedTuple):
    """What resolutions and deadlines changed about a demand."""

    status: str = "open"
    overdue: bool = False
    closed_at: dt.datetime | None = None
    closed_by: str | None = None


class ThreatChange(NamedTuple):
    """What a threat's condition or lapse changed about it."""

    status: str


class Subset(_TupleLike, Sequence):
    """The items of a part that pass a test, read lazily; its length is known without reading them."""

    __slots__ = ("_items", "_test", "_size")

    def __init__(self, items: Items, test: Callable[[Any], bool], size: int) -> None:
        self._items, self._test, self._size = items, test, size

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[Any]:
        if self._size:
            test = self._test
            yield from (x for x in self._items if test(x))

    def __getitem__(self, index):
        return tuple(self)[index]


def _is_open(demand: DemandState) -> bool:
    return demand.status == "open"


def _is_exercise(deployment: DeploymentState) -> bool:
    return deployment.exercise


# --- the state -----------------------------------------------------------------------------------


class Parts(tuple):
    """Everything but time and tension: the parts, and counts kept as they change.

    (pressure, demands, sanctions, threats, deployments, detentions, control, talks, ousted,
    open demands, exercises under way, troops by actor (an `immutables.Map`), the model the
    pressure was weighed with). The model is bookkeeping, left out of equality.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Parts):
            return NotImplemented
        return self is other or tuple.__eq__(self[:12], other[:12])

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]


def _parts(pressure: float, demands: Items, sanctions: Items, threats: Items, deployments: Items, detentions: Items,
           control: Items, talks: Items, ousted: Items, open_: int, exercises: int, troops: immutables.Map) -> Parts:
    return tuple.__new__(Parts, (pressure, demands, sanctions, threats, deployments, detentions, control, talks,
                                 ousted, open_, exercises, troops, None))


class State(tuple):
    """Everything known at `time`, after applying the log up to `seq`.

    Immutable: reducers return new states. Built once per event of a log, it is a tuple
    underneath (the cheapest immutable record CPython makes: about 0.2 µs against 1 µs
    for a frozen attrs class); read it through its attributes only. Two states are equal
    when their contents are.
    """

    __slots__ = ()

    def __new__(cls, *, time: dt.datetime | None = None, seq: int = -1, last: str | None = None,
                impulse: float = 0.0, pressure: float = 0.0, demands=(), sanctions=(), threats=(), deployments=(),
                detentions=(), control=(), talks=(), ousted=()) -> "State":
        given = {"demands": demands, "sanctions": sanctions, "threats": threats, "deployments": deployments,
                 "detentions": detentions, "control": control, "talks": talks, "ousted": ousted}
        parts = {name: Items(value, KINDS[name]) for name, value in given.items()}
        troops: immutables.Map = immutables.Map()
        for d in parts["deployments"]:
            if d.troops and d.actor:
                troops = troops.set(d.actor, troops.get(d.actor, 0) + d.troops)
        return tuple.__new__(cls, (time, seq, last, impulse, _parts(
            pressure, *parts.values(), sum(1 for d in parts["demands"] if d.status == "open"),
            sum(1 for d in parts["deployments"] if d.exercise), troops)))

    time: dt.datetime | None = property(itemgetter(0))  # type: ignore[assignment]
    """Moment of the last event applied (None before the first)."""
    seq: int = property(itemgetter(1))  # type: ignore[assignment]
    """Log position of the last event applied."""
    last: str | None = property(itemgetter(2))  # type: ignore[assignment]
    """Id of the last event applied."""
    impulse: float = property(itemgetter(3))  # type: ignore[assignment]
    """Decayed sum of event impulses, as of `time` (the non-steady part of tension)."""
    pressure: float = property(lambda self: tuple.__getitem__(self, 4)[0])  # type: ignore[assignment]
    """Steady pressure from conditions in force (sanctions, exercises, detentions, occupations)."""
    demands: Items = property(lambda self: tuple.__getitem__(self, 4)[1])  # type: ignore[assignment]
    sanctions: Items = property(lambda self: tuple.__getitem__(self, 4)[2])  # type: ignore[assignment]
    threats: Items = property(lambda self: tuple.__getitem__(self, 4)[3])  # type: ignore[assignment]
    deployments: Items = property(lambda self: tuple.__getitem__(self, 4)[4])  # type: ignore[assignment]
    detentions: Items = property(lambda self: tuple.__getitem__(self, 4)[5])  # type: ignore[assignment]
    control: Items = property(lambda self: tuple.__getitem__(self, 4)[6])  # type: ignore[assignment]
    talks: Items = property(lambda self: tuple.__getitem__(self, 4)[7])  # type: ignore[assignment]
    ousted: Items = property(lambda self: tuple.__getitem__(self, 4)[8])  # type: ignore[assignment]

    @property
    def tension(self) -> float:
        """Tension at `time`: decayed impulses plus steady pressure."""
        return self.impulse + self.pressure

    @property
    def open_demands(self) -> Sequence[DemandState]:
        """The demands still open, oldest first (its length is kept, not counted)."""
        parts = tuple.__getitem__(self, 4)
        return Subset(parts[1], _is_open, parts[9])

    @property
    def exercises(self) -> Sequence[DeploymentState]:
        """The exercises under way, oldest first (its length is kept, not counted)."""
        parts = tuple.__getitem__(self, 4)
        return Subset(parts[4], _is_exercise, parts[10])

    @property
    def troops(self) -> dict[str, int]:
        """Troop numbers by actor, summed over deployments and exercises that give one."""
        return dict(sorted(tuple.__getitem__(self, 4)[11].items()))

    def __repr__(self) -> str:
        fields = ("time", "seq", "last", "impulse", "pressure", *PARTS)
        return "State(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in fields) + ")"

    def __reduce__(self):
        fields = {name: getattr(self, name) for name in ("time", "seq", "last", "impulse", "pressure")}
        return _state, (fields, {name: tuple(getattr(self, name)) for name in PARTS})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((self.time, self.seq, self.last, self.impulse, self.pressure, *(getattr(self, p) for p in PARTS)))


def _state(fields: dict, parts: dict) -> State:
    return State(**fields, **parts)


EMPTY = State()
"""The state before anything happened."""
