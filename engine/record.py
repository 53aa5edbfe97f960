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
from typing import Iterable, Iterator

from .atomic import atomic_write, replace_folder
from .chain import HASH, genesis, link
from .codec import converter, event_line, event_to_dict, to_json
from .errors import ReplayError
from .render import dump_chunks, dumps, timeline_document
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


def chained_lines(log: Log, heads: list[str]) -> Iterator[str]:
    """The lines of events.jsonl, each record with its chain hash (`chain.link`) as its last
    field, made one at a time; the hash of the last line is appended to `heads` at the end."""
    head = genesis(log.scenario.digest)
    for seq, event in enumerate(log.events):
        record = event_to_dict(event, seq)
        head = link(head, record)
        record[HASH] = head
        yield to_json(record) + "\n"
    heads.append(head)


def write_text(path: Path, chunks: Iterable[str]) -> str:
    """Write text as it comes, UTF-8, in blocks of about a megabyte; its SHA-256.

    A replay is never held whole in memory: the events.jsonl of a million events is half
    a gigabyte of text, and the records behind it twice that."""
    sha = hashlib.sha256()
    with open(path, "wb") as out:
        block: list[str] = []
        held = 0
        for chunk in chunks:
            block.append(chunk)
            held += len(chunk)
            if held >= 1 << 20:
                data = "".join(block).encode("utf-8")
                sha.update(data)
                out.write(data)
                block, held = [], 0
        data = "".join(block).encode("utf-8")
        sha.update(data)
        out.write(data)
    return sha.hexdigest()


def write_log(path: Path, log: Log) -> tuple[str, str]:
    """Write the log's events.jsonl to `path` atomically; its SHA-256 and the chain's head."""
    heads: list[str] = []
    digest: list[str] = []
    atomic_write(path, lambda tmp: digest.append(write_text(tmp, chained_lines(log, heads))))
    return digest[0], heads[0]


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


def manifest(timeline: Timeline, files: dict[str, str], drawn_with: str | None, folder: Path, head: str) -> dict:
    """What a replay folder holds: format, scenario, chain head, and `files`, the SHA-256 of each file."""
    scenario = timeline.log.scenario
    data = {
        "format": FORMAT,
        "scenario": scenario.id,
        "scenario_file": scenario_reference(scenario.path, folder),
        "scenario_sha256": scenario.digest,
        "events": len(timeline.log),
        "skipped": sorted(timeline.log.skipped),
        "log_head": head,
        "files": dict(sorted(files.items())),
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
            files: dict[str, str] = {}
            drawn_with = None
            if inside:
                import matplotlib

                from .plot import save
                atomic_write(stage / target.name, lambda tmp: save(timeline, tmp, fmt=target.suffix.lstrip(".") or "png"))
                files[target.name] = hashlib.sha256((stage / target.name).read_bytes()).hexdigest()
                drawn_with = f"matplotlib {matplotlib.__version__}"
            document = dump_chunks(timeline_document(timeline, lazy=True))
            atomic_write(stage / TIMELINE, lambda tmp: files.__setitem__(TIMELINE, write_text(tmp, document)))
            files[EVENTS], head = write_log(stage / EVENTS, timeline.log)
            # Last: a folder whose files match its manifest is a complete replay.
            atomic_write(stage / MANIFEST, dumps(manifest(timeline, files, drawn_with, folder, head)).encode("utf-8"))

        replace_folder(folder, fill, _replaceable)
        if target is not None and not inside:
            from .plot import save  # matplotlib is imported only when a picture is wanted
            atomic_write(target, lambda tmp: save(timeline, tmp, fmt=target.suffix.lstrip(".") or "png"))
    except OSError as exc:
        raise ReplayError(f"cannot record the replay in {folder}: {exc.strerror or exc}") from exc
    return ([target] if target is not None else []) + [folder / TIMELINE, folder / EVENTS, folder / MANIFEST]
