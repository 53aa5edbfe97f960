"""Recording a replay on disk: the event log, the state timeline and the plot.

Each file is written to a temporary file beside its target, flushed, fsynced and
renamed over it, so a crash leaves the previous file or the new one, never half of one.
"""
from __future__ import annotations

import hashlib
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


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; new files get the usual 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


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
        os.chmod(tmp, _mode_for(path))
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


MANIFEST = "manifest.json"
FORMAT = 1
"""Version of the recorded replay format; readers upgrade older versions."""


def manifest(timeline: Timeline, files: dict[str, bytes], drawn_with: str | None) -> dict:
    """What a replay folder holds: format, scenario hash, and a SHA-256 of every file."""
    scenario = timeline.log.scenario
    data = {
        "format": FORMAT,
        "scenario": scenario.id,
        "scenario_file": scenario.path.name,
        "scenario_sha256": scenario.digest,
        "events": len(timeline.log),
        "skipped": sorted(timeline.log.skipped),
        "files": {name: hashlib.sha256(blob).hexdigest() for name, blob in sorted(files.items())},
    }
    if drawn_with:
        data["plot_drawn_with"] = drawn_with  # PNG bytes depend on the matplotlib version
    return data


def record(timeline: Timeline, folder: Path, plot: Path | None | bool = True) -> list[Path]:
    """Write the replay into `folder`; `plot` is True (folder/plot.png), a path, or False.

    The manifest goes last: a folder whose files match its manifest is a complete replay.
    """
    written = []
    files: dict[str, bytes] = {}
    drawn_with = None
    if plot:
        from .plot import save  # matplotlib is imported only when a picture is wanted
        target = folder / PLOT if plot is True else Path(plot)
        atomic_write(target, lambda tmp: save(timeline, tmp, fmt=target.suffix.lstrip(".") or "png"))
        written.append(target)
        if target.parent == folder:
            import matplotlib
            files[target.name] = target.read_bytes()
            drawn_with = f"matplotlib {matplotlib.__version__}"
    for name, text in ((TIMELINE, dumps(timeline_document(timeline))), (EVENTS, log_text(timeline))):
        files[name] = text.encode("utf-8")
        atomic_write(folder / name, files[name])
        written.append(folder / name)
    atomic_write(folder / MANIFEST, dumps(manifest(timeline, files, drawn_with)).encode("utf-8"))
    written.append(folder / MANIFEST)
    return written
