"""The public, non-CLI entry points: load a scenario, replay it, ask for a moment."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

from .dates import end_of_day, parse_moment
from .reader import load_scenario
from .sim import simulate
from .timeline import Timeline, build


def replay(path: str | Path, skip: Iterable[str] = ()) -> Timeline:
    """Load, check and replay a scenario file; the timeline holds the log and every state."""
    return build(simulate(load_scenario(path), skip=skip))


def moment(text: str) -> dt.datetime:
    """A user's `--at`/`--until`: a bare date means the end of that day (all of it has happened)."""
    return end_of_day(parse_moment(text), text)
