"""A cursor over a replay: stand on any event, step both ways, ask why, and try "what if".

Position `i` is the state after the first `i` events of the log (0: before anything).
Seeking never replays from the start: a snapshot of the state is kept every `every`
events (taken lazily, the first time the cursor passes), and `goto(i)` folds only the
events between the nearest snapshot at or before `i` (or the cursor, when nearer) and `i`.

`skip` re-runs the engine without some documented events and what they caused; each
set of skips keeps its own log and snapshots, so `unskip` returns to the very same log.
"""
from __future__ import annotations

import bisect
import datetime as dt
import difflib
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

import attrs

from . import events as ev
from .dates import iso
from .errors import CrisisError, DateError
from .project import fold, step
from .query import Condition, parse
from .sim import Log, pruned, references, simulate
from .state import State
from .timeline import Contribution, Timeline, build, changes, explain

SNAPSHOT_EVERY = 128
"""Events between snapshots: goto folds at most this many (see `python -m engine.bench_goto`)."""


class CursorError(CrisisError, LookupError):
    """A position, event id, date or skip the replay cannot honour; `target` is what was asked."""

    def __init__(self, message: str, target: object = None) -> None:
        self.target = target
        super().__init__(message)


class _Step(NamedTuple):
    event: ev.Event


class _Prefix:
    """The first `n` events read as a timeline, for `explain` and `render.state_text`.

    The cursor may stand between two events of the same moment, so the state in force is
    the cursor's own, not the last state at that moment.
    """

    def __init__(self, log: Log, n: int, state: State) -> None:
        self.log = log
        self.model = log.scenario.model
        self._n = n
        self._state = state

    @property
    def entries(self) -> Iterator[_Step]:
        events = self.log.events
        return (_Step(events[k]) for k in range(self._n))

    @property
    def final(self) -> State:
        return self._state

    def state_at(self, moment: dt.datetime) -> State:
        return self._state


class _Track:
    """One log and its snapshot index; each set of skips has its own."""

    def __init__(self, log: Log, every: int) -> None:
        self.log = log
        self.events = log.events
        self.model = log.scenario.model
        self.every = every
        self.snapshots: list[State] = [State()]
        """snapshots[j] is the state after the first j * every events."""
        self._times: list[dt.datetime] | None = None
        self._index: dict[str, int] | None = None
        self._timeline: Timeline | None = None
        self.compared: tuple[tuple[ev.Event, ...], tuple[ev.Event, ...]] | None = None
        """(left out, added) against the original log, once asked for."""

    @property
    def times(self) -> list[dt.datetime]:
        if self._times is None:
            self._times = [e.at for e in self.events]
        return self._times

    @property
    def index(self) -> dict[str, int]:
        """Event id -> the position right after it."""
        if self._index is None:
            self._index = {e.id: k + 1 for k, e in enumerate(self.events)}
        return self._index

    @property
    def timeline(self) -> Timeline:
        if self._timeline is None:
            self._timeline = build(self.log)
        return self._timeline

    def state(self, i: int, near: tuple[int, State] | None = None) -> State:
        """The state at position `i`, folded from the nearest snapshot (or from `near`, if closer)."""
        j = i // self.every
        while len(self.snapshots) <= j:
            k = len(self.snapshots) - 1
            start = k * self.every
            self.snapshots.append(fold(self.events[start:start + self.every], self.model, self.snapshots[k]))
        base, state = j * self.every, self.snapshots[j]
        if near is not None and base <= near[0] <= i:
            base, state = near
        return fold(self.events[base:i], self.model, state) if base < i else state

    def share(self, other: "_Track") -> None:
        """Take `other`'s snapshots of the events both logs begin with (the same objects, or equal
        derived ones): a counterfactual re-folds only from the first event it changed, and its
        snapshots before that are the ones already held (at a million events, half a million
        events and four thousand States not made again)."""
        same = 0
        for mine, theirs in zip(self.events, other.events):
            if mine is not theirs and mine != theirs:
                break
            same += 1
        keep = min(len(other.snapshots), same // self.every + 1)
        if keep > len(self.snapshots):
            self.snapshots = other.snapshots[:keep]

    def scan_back(self, top: int) -> Iterator[tuple[int, State]]:
        """(position, state) from `top` down to 0, one snapshot block at a time."""
        while top >= 0:
            base = top // self.every * self.every
            states = [self.state(base)]
            for event in self.events[base:top]:
                states.append(step(states[-1], event, self.model))
            for offset in range(len(states) - 1, -1, -1):
                yield base + offset, states[offset]
            top = base - 1


@attrs.frozen(kw_only=True)
class Diff:
    """What a move changed: the changes from the state at `before` to the state at `after`."""

    before: int
    after: int
    changes: tuple[str, ...]
    tension: tuple[float, float] = (0.0, 0.0)
    """Tension at the two states (each at its own moment)."""
    note: str = ""
    """Set when the move crossed timelines (a skip or unskip)."""

    def __iter__(self):
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def __str__(self) -> str:
        where = f"#{self.before} → #{self.after}" + (f" ({self.note})" if self.note else "")
        head = f"{where}: tension {self.tension[0]:.1f} → {self.tension[1]:.1f}"
        return "\n".join([head] + [f"  {c}" for c in self.changes or ("no other change",)])

    def __repr__(self) -> str:
        return str(self)


@attrs.frozen(kw_only=True)
class Why:
    """Tension at the cursor broken down by event, largest first; the shares add up to `tension`."""

    moment: dt.datetime | None
    tension: float
    shares: tuple[Contribution, ...]

    def __iter__(self):
        return iter(self.shares)

    def __len__(self) -> int:
        return len(self.shares)

    def __getitem__(self, index):
        return self.shares[index]

    def __str__(self) -> str:
        if self.moment is None:
            return "tension 0.0: nothing has happened yet"
        lines = [f"tension {self.tension:.1f} on {iso(self.moment)}, by event (largest first):"]
        lines.extend(f"  {c.total:+6.1f}  {c.event.id}: {c.event.title}" for c in self.shares if abs(c.total) >= 0.05)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


class Replay:
    """A replay with a cursor: `step`, `back`, `goto`, `until`, `diff`, `why`, `skip`, `unskip`.

    Moves return the replay itself, so they chain: `replay.goto("2014-03-16").back(2).state`.
    """

    def __init__(self, log: Log, *, every: int = SNAPSHOT_EVERY) -> None:
        if every < 1:
            raise ValueError(f"snapshots must be at least 1 event apart, got {every}")
        self.original = log
        """The log as loaded, before any skip."""
        self.every = every
        self._tracks: dict[frozenset[str], _Track] = {frozenset(): _Track(log, every)}
        self._skipped: frozenset[str] = frozenset()
        self._position = 0
        self._state = State()
        self._before: tuple[int, State, str] = (0, State(), "")

    # --- where the cursor is

    @property
    def _track(self) -> _Track:
        return self._tracks[self._skipped]

    @property
    def log(self) -> Log:
        """The log the cursor walks: the original, or the altered one while events are skipped."""
        return self._track.log

    @property
    def scenario(self):
        return self.original.scenario

    @property
    def position(self) -> int:
        """How many events have been applied (0 to len(replay))."""
        return self._position

    @property
    def state(self) -> State:
        """The state at the cursor."""
        return self._state

    @property
    def event(self) -> ev.Event | None:
        """The last event applied (None at position 0)."""
        return self.log.events[self._position - 1] if self._position else None

    @property
    def tension(self) -> float:
        return self._state.tension

    def __len__(self) -> int:
        return len(self.log)

    def __repr__(self) -> str:
        where = (f"#{self._position}/{len(self)} {iso(self._state.time)} {self._state.last}, "
                 f"tension {self._state.tension:.1f}") if self._position else f"#0/{len(self)} before the first event"
        return f"<Replay {self.scenario.id} {where}{self._altered_note()}>"

    def _altered_note(self) -> str:
        if not self.altered:
            return ""
        extra = len(self.left_out) - len(self._skipped)
        return f", altered: without {', '.join(sorted(self._skipped))}" + (f" (+{extra} caused)" if extra else "")

    # --- moving

    def _move(self, position: int) -> "Replay":
        if not 0 <= position <= len(self):
            raise CursorError(f"position #{position} is outside #0..#{len(self)}", position)
        near = (self._position, self._state)
        self._before = (self._position, self._state, "")
        self._state = self._track.state(position, near)
        self._position = position
        return self

    def step(self, n: int = 1) -> "Replay":
        """Apply the next `n` events (stopping at the end)."""
        return self._move(min(len(self), self._position + max(0, n)))

    def back(self, n: int = 1) -> "Replay":
        """Undo the last `n` events (stopping at the start)."""
        return self._move(max(0, self._position - max(0, n)))

    def first(self) -> "Replay":
        return self._move(0)

    def last(self) -> "Replay":
        return self._move(len(self))

    def goto(self, target: int | str | dt.datetime | dt.date) -> "Replay":
        """Go to a position (int or '#N'), right after an event (its id), or to a moment.

        A date means the end of that day: the cursor lands after the last event on or before it.
        """
        return self._move(self.locate(target))

    def locate(self, target: int | str | dt.datetime | dt.date) -> int:
        """The position `goto(target)` would move to."""
        if isinstance(target, bool):
            raise CursorError(f"cannot go to {target!r}", target)
        if isinstance(target, int):
            return target
        if isinstance(target, dt.datetime):
            return bisect.bisect_right(self._track.times, target)
        if isinstance(target, dt.date):
            end = dt.datetime.combine(target, dt.time.max, tzinfo=dt.timezone.utc)
            return bisect.bisect_right(self._track.times, end)
        text = str(target).strip()
        if text.startswith("#"):
            try:
                return int(text[1:])
            except ValueError:
                raise CursorError(f"'{text}' is not a position; write #N with N from 0 to {len(self)}", text) from None
        if text in self._track.index:
            return self._track.index[text]
        self._check_not_left_out(text)
        from .api import moment
        try:
            return bisect.bisect_right(self._track.times, moment(text))
        except DateError as exc:
            if text[:1].isdigit():
                raise CursorError(str(exc), text) from None
        raise CursorError(f"no event or date '{text}'{_suggest(text, self._track.index)}", text)

    def until(self, condition: str | Callable[[State], bool], *, backwards: bool = False) -> "Replay":
        """Move to the next position (or with `backwards`, the previous one) where `condition` holds.

        `condition` is a `query` expression such as 'tension > 40', or any function of a state.
        """
        test = parse(condition) if isinstance(condition, str) else condition
        found = self.find(test, backwards=backwards)
        if found is None:
            where = "before" if backwards else "after"
            raise CursorError(f"'{test}' holds nowhere {where} #{self._position}", condition)
        position, state = found
        self._before = (self._position, self._state, "")
        self._position, self._state = position, state
        return self

    def find(self, test: Condition | Callable[[State], bool], *, backwards: bool = False) -> tuple[int, State] | None:
        """The first (position, state) after the cursor (or before it) where `test` holds."""
        track = self._track
        if backwards:
            if self._position == 0:
                return None
            return next(((p, s) for p, s in track.scan_back(self._position - 1) if test(s)), None)
        state = self._state
        for k in range(self._position, len(track.events)):
            state = step(state, track.events[k], track.model)
            if test(state):
                return k + 1, state
        return None

    # --- looking

    def state_at(self, target: int | str | dt.datetime | dt.date) -> State:
        """The state at a position, after an event, or at a moment, without moving the cursor."""
        position = self.locate(target)
        if not 0 <= position <= len(self):
            raise CursorError(f"position #{position} is outside #0..#{len(self)}", position)
        return self._track.state(position, (self._position, self._state))

    def diff(self) -> Diff:
        """What the last move changed (between the state before it and the state now)."""
        position, state, note = self._before
        return Diff(before=position, after=self._position, changes=tuple(changes(state, self._state)),
                    tension=(state.tension, self._state.tension), note=note)

    def view(self) -> _Prefix:
        """The log up to the cursor, read as a timeline by `explain` and `render.state_text`."""
        return _Prefix(self.log, self._position, self._state)

    def why(self) -> Why:
        """Tension at the cursor broken down by event, largest first."""
        if self._state.time is None:
            return Why(moment=None, tension=0.0, shares=())
        shares = tuple(explain(self.view(), self._state.time))
        return Why(moment=self._state.time, tension=self._state.tension, shares=shares)

    def events(self, text: str | None = None) -> list[ev.Event]:
        """Events of the log the cursor walks whose id, type or title contains `text` (any case)."""
        if not text:
            return list(self.log.events)
        needle = text.lower()
        return [e for e in self.log.events if needle in e.id.lower() or needle in e.TYPE or needle in e.title.lower()]

    def lookup(self, event_id: str) -> ev.Event:
        """An event by id: from the log the cursor walks, else from the original log or the scenario."""
        track = self._track
        if event_id in track.index:
            return track.events[track.index[event_id] - 1]
        for event in self._original_events():
            if event.id == event_id:
                return event
        raise CursorError(f"no event '{event_id}'{_suggest(event_id, track.index)}", event_id)

    def position_of(self, event_id: str) -> int | None:
        """The position right after an event, or None if it is not in the log the cursor walks."""
        return self._track.index.get(event_id)

    def consequences(self, event_id: str) -> list[str]:
        """Ids of the events in the original log that refer to `event_id` directly."""
        return [e.id for e in self.original.events if event_id in references(e)]

    @property
    def timeline(self) -> Timeline:
        """Every state of the log the cursor walks (for plotting, or rows of a DataFrame)."""
        return self._track.timeline

    def table(self) -> list[dict]:
        """One row per event (time, event, tension, counts, changes): `pandas.DataFrame(replay.table())`."""
        from .render import entry_to_dict
        return [entry_to_dict(entry) for entry in self.timeline.entries]

    # --- what if

    @property
    def skipped(self) -> frozenset[str]:
        """The events asked to be left out."""
        return self._skipped

    @property
    def altered(self) -> bool:
        return bool(self._skipped)

    @property
    def left_out(self) -> tuple[ev.Event, ...]:
        """Events of the original log missing from the altered one (skipped, caused by them, or no longer derived)."""
        return self._compared()[0]

    @property
    def added(self) -> tuple[ev.Event, ...]:
        """Derived events the altered log has and the original had not (a threat lapsing instead, …)."""
        return self._compared()[1]

    def _compared(self) -> tuple[tuple[ev.Event, ...], tuple[ev.Event, ...]]:
        track = self._track
        if not self._skipped:
            return (), ()
        if track.compared is None:
            original = self._tracks[frozenset()].index
            track.compared = (tuple(e for e in self.original.events if e.id not in track.index),
                              tuple(e for e in track.events if e.id not in original))
        return track.compared

    def skip(self, *event_ids: str) -> "Replay":
        """Leave documented events out, with everything they caused, and recompute."""
        for event_id in event_ids:
            self._check_skippable(event_id)
        return self._switch(self._skipped | set(event_ids), "skip " + " ".join(event_ids))

    def unskip(self, *event_ids: str) -> "Replay":
        """Put skipped events back (and what they caused)."""
        for event_id in event_ids:
            if event_id not in self._skipped:
                if event_id in self.log.skipped:
                    causes = sorted(s for s in self._skipped if event_id in pruned(self._documented(), [s]))
                    raise CursorError(f"'{event_id}' is left out because of {', '.join(causes)}; unskip that instead",
                                      event_id)
                raise CursorError(f"'{event_id}' is not skipped", event_id)
        return self._switch(self._skipped - set(event_ids), "unskip " + " ".join(event_ids))

    def reset(self) -> "Replay":
        """Undo every skip: back to the original log."""
        return self._switch(frozenset(), "reset")

    def _switch(self, skipped: Iterable[str], note: str) -> "Replay":
        skipped = frozenset(skipped)
        old = self._track
        if skipped not in self._tracks:
            if len(self._tracks) > 8:  # keep the original and a few alternatives
                for key in [k for k in self._tracks if k and k != self._skipped][:4]:
                    del self._tracks[key]
            track = self._tracks[skipped] = _Track(simulate(self.scenario, skip=skipped), self.every)
            original = self._tracks[frozenset()]  # always kept
            track.share(old)
            if original is not old:
                track.share(original)
        self._before = (self._position, self._state, note)
        self._skipped = skipped
        self._position = self._same_place(old, self._tracks[skipped])
        self._state = self._track.state(self._position)
        return self

    def _same_place(self, old: _Track, new: _Track) -> int:
        """Where the cursor stands in another log: at the same moment, and after all of it if it was
        after all of it before; otherwise after the same events of that moment."""
        if self._position == 0:
            return 0
        moment = self._state.time
        end = bisect.bisect_right(new.times, moment)
        if self._position == bisect.bisect_right(old.times, moment):
            return end
        seen = {e.id for e in old.events[bisect.bisect_left(old.times, moment):self._position]}
        start = bisect.bisect_left(new.times, moment)
        return start + sum(1 for e in new.events[start:end] if e.id in seen)

    def _documented(self) -> tuple[ev.Event, ...]:
        return self.scenario.events

    def _original_events(self) -> Iterator[ev.Event]:
        yield from self.original.events
        yield from self._documented()

    def _check_skippable(self, event_id: str) -> None:
        documented = self._documented()
        if any(e.id == event_id for e in documented):  # a scan: a dict of a million ids is 100 MB
            if event_id in self.log.skipped:
                raise CursorError(f"'{event_id}' is already left out", event_id)
            return
        event = next((e for e in self.original.events if e.id == event_id), None)
        if event is not None and event.DERIVED:
            raise CursorError(f"'{event_id}' is derived by the engine from {', '.join(event.cause)}; "
                              "skip one of those instead", event_id)
        if not documented:
            raise CursorError("this replay has no scenario events to re-run; open the scenario to skip events",
                              event_id)
        raise CursorError(f"no event '{event_id}'{_suggest(event_id, (e.id for e in documented))}", event_id)

    def _check_not_left_out(self, text: str) -> None:
        if any(e.id == text for e in self.left_out):
            raise CursorError(f"'{text}' is left out of this altered timeline", text)


def _suggest(text: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(text, list(names), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def read(path: str | Path) -> Log:
    """The log of a scenario file (simulated) or of a recorded replay folder (read back)."""
    path = Path(path)
    if path.is_dir():
        from .store import read_replay  # verified against its manifest and hash chain
        return read_replay(path)
    from .reader import load_scenario
    return simulate(load_scenario(path))


def load(path: str | Path, *, every: int = SNAPSHOT_EVERY) -> Replay:
    """A `Replay` of a scenario file or a recorded replay folder, with the cursor before the first event."""
    return Replay(read(path), every=every)
