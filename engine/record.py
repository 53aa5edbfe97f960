"""Recording a replay on disk: the event log, the state timeline, the plot and a manifest.

The folder is written as a whole (`atomic.replace_folder`): a crash leaves the previous
recording or the new one, never new events beside an old plot. The event log is hash-
chained (`chain`) and the manifest lists a SHA-256 of every file, so `store` can tell a
complete, untouched replay from anything else.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .atomic import atomic_write, replace_folder
from .chain import chained
from .codec import converter, event_line, event_to_dict, to_json
from .errors import ReplayError
from .render import dumps, timeline_document
from .scenario import Scenario
from .sim import Log
from .timeline import Timeline

__all__ = ["FORMAT", "atomic_write", "log_text", "manifest", "record"]

EVENTS = "events.jsonl"
TIMELINE = "timeline.json"
PLOT = "plot.png"
MANIFEST = "manifest.json"
REPLAY_FILES = (EVENTS, TIMELINE, MANIFEST, "plot.png", "plot.svg", "plot.pdf")
FORMAT = 2
"""Version of the recorded replay format; `store` reads older versions through an upgrade step.

1: manifest with per-file SHA-256 and the scenario's file name.
2: each events.jsonl line carries a chain hash; the manifest adds the chain's head, the
   scenario's path from the folder, and the scenario header (title, model, actors,
   documents) so a replay can be read without its scenario file.
"""


def log_text(timeline: Timeline) -> str:
    """The log's records, one JSON line each, without chain hashes (what events.jsonl says, less the hashes)."""
    return "".join(event_line(e, seq) + "\n" for seq, e in enumerate(timeline.log.events))


def chained_log_text(log: Log) -> tuple[str, str]:
    """The text of events.jsonl (each record with its chain hash), and the hash of its last line."""
    records, head = chained([event_to_dict(e, seq) for seq, e in enumerate(log.events)], log.scenario.digest)
    return "".join(to_json(r) + "\n" for r in records), head


def scenario_reference(scenario: Path, folder: Path) -> str:
    """Where the scenario file is, seen from the replay folder: a relative path, unless the
    two share nothing but the root (then an absolute one)."""
    target, base = scenario.resolve(), folder.resolve()
    try:
        common = Path(os.path.commonpath([target, base]))
    except ValueError:  # different drives
        return target.as_posix()
    if common == Path(target.anchor):
        return target.as_posix()
    return Path(os.path.relpath(target, base)).as_posix()


def header(scenario: Scenario) -> dict:
    """What reading a replay needs from its scenario, kept so the replay stands on its own."""
    plain = converter.unstructure
    return {"id": scenario.id, "title": scenario.title, "model": plain(scenario.model),
            "actors": [plain(a) for a in scenario.actors], "documents": [plain(d) for d in scenario.documents]}


def manifest(timeline: Timeline, files: dict[str, bytes], drawn_with: str | None, folder: Path, head: str) -> dict:
    """What a replay folder holds: format, scenario, chain head, and a SHA-256 of every file."""
    scenario = timeline.log.scenario
    data = {
        "format": FORMAT,
        "scenario": scenario.id,
        "scenario_file": scenario_reference(scenario.path, folder),
        "scenario_sha256": scenario.digest,
        "events": len(timeline.log),
        "skipped": sorted(timeline.log.skipped),
        "log_head": head,
        "files": {name: hashlib.sha256(blob).hexdigest() for name, blob in sorted(files.items())},
    }
    if drawn_with:
        data["plot_drawn_with"] = drawn_with  # PNG bytes depend on the matplotlib version
    data["header"] = header(scenario)
    return data


def _replaceable(folder: Path) -> bool:
    """Only a folder holding nothing but a recorded replay may be replaced by a new one."""
    known = set(REPLAY_FILES)
    try:
        known.update(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        pass
    strangers = sorted(p.name for p in folder.iterdir()
                       if p.is_dir() or not (p.name in known or (p.name.startswith(".") and p.name.endswith(".tmp"))))
    if strangers:
        shown = ", ".join(strangers[:5]) + (", …" if len(strangers) > 5 else "")
        raise ReplayError(f"{folder} holds files that are not part of a recorded replay ({shown}); "
                          "record into a new or empty folder")
    return True


def record(timeline: Timeline, folder: Path, plot: Path | None | bool = True) -> list[Path]:
    """Write the replay into `folder`; `plot` is True (folder/plot.png), a path, or False.

    Everything inside `folder` is replaced at once. A plot outside it is written on its own
    (atomically too) and is not part of the replay.
    """
    folder = Path(folder)
    target = folder / PLOT if plot is True else Path(plot) if plot else None
    inside = target is not None and target.resolve().parent == folder.resolve()
    try:
        def fill(stage: Path) -> None:
            files: dict[str, bytes] = {}
            drawn_with = None
            if inside:
                import matplotlib

                from .plot import save
                atomic_write(stage / target.name, lambda tmp: save(timeline, tmp, fmt=target.suffix.lstrip(".") or "png"))
                files[target.name] = (stage / target.name).read_bytes()
                drawn_with = f"matplotlib {matplotlib.__version__}"
            files[TIMELINE] = dumps(timeline_document(timeline)).encode("utf-8")
            text, head = chained_log_text(timeline.log)
            files[EVENTS] = text.encode("utf-8")
            for name in (TIMELINE, EVENTS):
                atomic_write(stage / name, files[name])
            # Last: a folder whose files match its manifest is a complete replay.
            atomic_write(stage / MANIFEST, dumps(manifest(timeline, files, drawn_with, folder, head)).encode("utf-8"))

        replace_folder(folder, fill, _replaceable)
        if target is not None and not inside:
            from .plot import save  # matplotlib is imported only when a picture is wanted
            atomic_write(target, lambda tmp: save(timeline, tmp, fmt=target.suffix.lstrip(".") or "png"))
    except OSError as exc:
        raise ReplayError(f"cannot record the replay in {folder}: {exc.strerror or exc}") from exc
    return ([target] if target is not None else []) + [folder / TIMELINE, folder / EVENTS, folder / MANIFEST]
