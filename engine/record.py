"""Recording a replay on disk: the event log, the state timeline and the plot.

Each file is written to a temporary file beside its target, flushed, fsynced and
renamed over it, so a crash leaves the previous file or the new one, never half of one.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from .codec import event_line
from .render import dumps, timeline_document
from .timeline import Timeline

EVENTS = "events.jsonl"
TIMELINE = "timeline.json"
PLOT = "plot.png"


def atomic_write(path: Path, data: bytes | Callable[[Path], None]) -> None:
    """Write `data` (bytes, or a function that writes a given path) to `path` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if callable(data):
            os.close(fd)
            data(Path(tmp))
            fd = os.open(tmp, os.O_RDONLY)
        else:
            with os.fdopen(fd, "wb", closefd=False) as out:
                out.write(data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def log_text(timeline: Timeline) -> str:
    return "".join(event_line(e) + "\n" for e in timeline.log.events)


def record(timeline: Timeline, folder: Path, plot: Path | None | bool = True) -> list[Path]:
    """Write the replay into `folder`; `plot` is True (folder/plot.png), a path, or False."""
    written = []
    if plot:
        from .plot import save  # matplotlib is imported only when a picture is wanted
        target = folder / PLOT if plot is True else Path(plot)
        atomic_write(target, lambda tmp: save(timeline, tmp, fmt=target.suffix.lstrip(".") or "png"))
        written.append(target)
    for name, text in ((TIMELINE, dumps(timeline_document(timeline))), (EVENTS, log_text(timeline))):
        atomic_write(folder / name, text.encode("utf-8"))
        written.append(folder / name)
    return written
