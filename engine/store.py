"""Reading recorded replays back, and verifying them: the log, or a clear account of what is wrong.

`open_replay` checks a replay folder against its manifest: every file's SHA-256, the
hash chain of the event log line by line, and the chain's head and length. The first
thing that does not match is raised as a `ReplayError` naming the file and line
(`TamperedReplay`, `TruncatedReplay`, `IncompleteReplay`, `ReplayFormatError`), unless
`recover=True` asks to keep the events before it. A log whose SHA-256 is the manifest's
is opened without decoding it, each event read from its line when first used (`lazylog`).
Replays of format 1 are upgraded as they are read. The scenario comes from the file the
manifest names when that file is unchanged; otherwise from the details recorded with the
replay, with a note saying so.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs

from . import chain
from . import events as ev
from .atomic import recover_folder
from .codec import converter, event_from_dict
from .errors import IncompleteReplay, ReplayError, ReplayFormatError, ScenarioError, TamperedReplay, TruncatedReplay
from .jsonl import MAX_EVENTS as JSONL_MAX_EVENTS
from .lazylog import Documented, LazyEvents, open_recorded
from .limits import MAX_FILE_BYTES, MAX_ITEMS, megabytes
from .record import EVENTS, FORMAT, MANIFEST, TIMELINE
from .scenario import Actor, Document, Model, Scenario
from .sim import Log
from .unchanged import file_digest, from_log

__all__ = ["Recording", "ReplayWarning", "open_replay", "read_replay", "upgrade"]

# Every documented event can add at most one derived event; the bound follows the larger of
# the two scenario formats (JSON Lines, for imported and synthetic data), or replays of
# scenarios the loader accepts would be refused.
MAX_EVENTS = 2 * max(MAX_ITEMS, JSONL_MAX_EVENTS)


class ReplayWarning(UserWarning):
    """Something about a replay a user should know that does not stop it from loading."""


@attrs.frozen(kw_only=True, eq=False)
class Recording:
    """A recorded replay read back from its folder."""

    folder: Path
    log: Log
    """The recorded events; with `problem` set, only those before the first bad line."""
    manifest: dict[str, Any]
    """The manifest, upgraded to the current format."""
    recorded_format: int
    """The format the replay was written in (older ones are upgraded when read)."""
    total: int
    """How many events the recording holds according to its manifest."""
    notes: tuple[str, ...] = ()
    """What the user should know that does not make the replay unusable (a changed scenario file, an old format)."""
    problem: ReplayError | None = None
    """With `recover=True`: what was wrong. None when the replay is complete and untouched."""


def read_replay(folder: str | Path, recover: bool = False) -> Log:
    """The event log of a recorded replay (see `open_replay`); notes and a recovered problem become warnings."""
    recording = open_replay(folder, recover=recover)
    for note in recording.notes:
        warnings.warn(note, ReplayWarning, stacklevel=2)
    if recording.problem is not None:
        warnings.warn(f"{recording.problem}; kept the {len(recording.log)} events before it, of {recording.total}",
                      ReplayWarning, stacklevel=2)
    return recording.log


def open_replay(folder: str | Path, recover: bool = False, every_hash: bool = False) -> Recording:
    """Read and verify the replay in `folder`; raise a ReplayError at the first thing that does not match.

    With `recover=True` a damaged or cut-short event log gives the events before its first
    bad line instead (and files that do not match their manifest are reported, not fatal);
    `Recording.problem` says what was wrong. A log whose SHA-256 is the manifest's is opened
    without recomputing its chain or decoding its lines (see `lazylog`): each event is decoded
    when first used, and a line damaged under a forged digest raises a `TamperedReplay` then.
    `every_hash=True` reads every line and recomputes its hash all the same, as `crisis verify`
    does: it says the chain is intact.
    """
    folder = Path(folder)
    try:
        recover_folder(folder)  # a recording a crash interrupted is finished or undone first
    except OSError as exc:
        raise IncompleteReplay(f"an interrupted recording could not be finished: {exc.strerror or exc}",
                               file=str(folder)) from None
    raw = _manifest(folder)
    recorded = raw["format"]
    manifest = upgrade(raw, folder) if recorded < FORMAT else raw
    notes = [f"{folder}: recorded in format {recorded}, read through the upgrade to format {FORMAT}; "
             f"format {recorded} has no per-line hashes, so damage can be detected but not located"] \
        if recorded < 2 else []
    problem: ReplayError | None = None

    def fail(error: ReplayError) -> None:
        nonlocal problem
        if not recover:
            raise error
        problem = problem or error

    events: Sequence[ev.Event] = []
    # the log first: the other files derive from it
    fast, digest = (None, _digest(folder / EVENTS)) if every_hash else _recorded_log(folder / EVENTS, manifest, recorded)
    if digest is None:
        fail(IncompleteReplay("missing: the manifest lists it but it is not there", file=str(folder / EVENTS)))
    elif fast is not None:
        events = fast
    else:
        try:
            events, log_problem = _read_log(folder / EVENTS, manifest, chained=recorded >= 2)
        except OSError as exc:
            raise IncompleteReplay(f"cannot read: {exc.strerror or exc}", file=str(folder / EVENTS)) from None
        if log_problem is None and digest != manifest["files"][EVENTS]:
            log_problem = TamperedReplay(
                "does not match the SHA-256 in manifest.json" + (
                    ", although every line matches its hash: reformatted after recording?" if recorded >= 2 else
                    " (format 1 has no per-line hashes, so neither the damage nor a valid part can be located)"),
                file=str(folder / EVENTS))
            if recorded < 2:
                events = []
        if log_problem is not None:
            fail(log_problem)
    for name, expected in manifest["files"].items():
        if name == EVENTS:
            continue
        found = _digest(folder / name)
        if found is None:
            fail(IncompleteReplay("missing: the manifest lists it but it is not there", file=str(folder / name)))
        elif found != expected:
            fail(TamperedReplay("does not match the SHA-256 in manifest.json: changed after recording, "
                                "or left from another recording", file=str(folder / name)))
    unlisted = sorted(p.name for p in folder.iterdir() if p.name not in manifest["files"] and p.name != MANIFEST)
    if unlisted:
        notes.append(f"{folder}: not part of the recording (not in its manifest): {', '.join(unlisted)}")
    scenario, scenario_notes = _scenario(folder, manifest, events)
    log = Log(scenario=scenario, events=events if isinstance(events, LazyEvents) else tuple(events),
              skipped=frozenset(manifest["skipped"]))
    return Recording(folder=folder, log=log, manifest=manifest, recorded_format=recorded, total=manifest["events"],
                     notes=tuple(notes + scenario_notes), problem=problem)


# --- the manifest ----------------------------------------------------------------------------------

_SHAPE: dict[int, dict[str, type | tuple[type, ...]]] = {
    1: {"scenario": str, "scenario_file": str, "scenario_sha256": str, "events": int, "skipped": list, "files": dict},
    2: {"scenario": str, "scenario_file": str, "scenario_sha256": str, "events": int, "skipped": list, "files": dict,
        "log_head": str, "header": dict},
}


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise IncompleteReplay("no such replay folder", file=str(folder))
    if not path.is_file():
        raise IncompleteReplay("no manifest.json: not a recorded replay, or its recording never finished",
                               file=str(path))
    data = _json(path)
    version = data.get("format") if isinstance(data, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ReplayFormatError("not a replay manifest (no 'format' version)", file=str(path))
    if version > FORMAT:
        raise ReplayFormatError(f"written in format {version}, newer than this crisis reads (up to {FORMAT}): "
                                "upgrade crisis", file=str(path))
    for key, kind in _SHAPE[version].items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise ReplayFormatError(f"manifest field '{key}' is missing or not a {getattr(kind, '__name__', kind)}",
                                    file=str(path))
    if not all(isinstance(k, str) and isinstance(v, str) and "/" not in k and "\\" not in k and k not in ("", ".", "..")
               for k, v in data["files"].items()) or EVENTS not in data["files"]:
        raise ReplayFormatError("manifest 'files' must map the replay's own file names to SHA-256 digests",
                                file=str(path))
    if not 0 <= data["events"] <= MAX_EVENTS or not all(isinstance(s, str) for s in data["skipped"]):
        raise ReplayFormatError("manifest 'events' or 'skipped' is out of range", file=str(path))
    return data


def upgrade(manifest: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A format-1 manifest as format 2: the scenario located from its bare file name, and a
    header taken from timeline.json. Format 1 has no chain, so `log_head` stays empty."""
    data = dict(manifest, format=FORMAT, log_head="")
    data["scenario_file"] = _locate_v1(folder, manifest["scenario_file"])
    document = _json(folder / TIMELINE) if (folder / TIMELINE).is_file() else {}
    document = document if isinstance(document, dict) else {}
    model = document.get("model") if isinstance(document.get("model"), dict) else {}
    conditions = model.get("conditions") if isinstance(model.get("conditions"), dict) else {}
    values = {"half_life_days": model.get("half_life_days"), "impulse_per_goldstein": model.get("impulse_per_goldstein"),
              **conditions}
    data["header"] = {  # no actors or documents: format 1 did not record them
        "id": manifest["scenario"],
        "title": document.get("title", manifest["scenario"]),
        "model": {k: v for k, v in values.items() if k in attrs.fields_dict(Model) and isinstance(v, (int, float))},
    }
    return data


def _locate_v1(folder: Path, name: str) -> str:
    """Format 1 kept only the scenario's file name; look where `crisis replay` puts things."""
    if "/" in name or "\\" in name:
        return name
    for base in ("..", "../..", "../../.."):
        for sub in ("", "scenario/"):
            candidate = f"{base}/{sub}{name}"
            if (folder / candidate).is_file():
                return candidate
    return name


# --- the event log ---------------------------------------------------------------------------------

def _recorded_log(path: Path, manifest: dict, recorded: int) -> tuple[LazyEvents | None, str | None]:
    """The events, decoded when used, when the log is byte for byte as recorded (see `lazylog`),
    else None; and its SHA-256 (None if it is missing)."""
    if recorded < 2 or not path.is_file():  # format 1 has no chain head to compare; a FIFO could block
        return None, _digest(path)
    try:
        return open_recorded(path, manifest["events"], manifest["files"][EVENTS], manifest["log_head"])
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None, None
    except OSError as exc:
        raise IncompleteReplay(f"cannot read: {exc.strerror or exc}", file=str(path)) from None


def _read_log(path: Path, manifest: dict, chained: bool) -> tuple[list[ev.Event], ReplayError | None]:
    """The events of a log, up to the first line that fails; and what failed, if anything."""
    shown = str(path)
    expected = manifest["events"]
    head = chain.genesis(manifest["scenario_sha256"])
    events: list[ev.Event] = []
    with path.open("rb") as handle:
        for number in range(1, expected + 2):
            raw = handle.readline(MAX_FILE_BYTES + 1)
            if not raw:
                break
            if number > expected:
                return events, TamperedReplay(f"line {number} is more than the {expected} events the manifest lists",
                                              file=shown, line=number)
            if len(raw) > MAX_FILE_BYTES:
                return events, TamperedReplay(f"line {number} is longer than {megabytes(MAX_FILE_BYTES)}",
                                              file=shown, line=number)
            if not raw.endswith(b"\n"):
                return events, TruncatedReplay(f"line {number} is cut short (the file ends in the middle of it)",
                                               file=shown, line=number)
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError):
                return events, TamperedReplay(f"line {number} is not a JSON record", file=shown, line=number)
            if not isinstance(record, dict):
                return events, TamperedReplay(f"line {number} is not a JSON record", file=shown, line=number)
            if chained:
                claimed = record.get(chain.HASH)
                head = chain.link(head, record)
                if claimed != head:
                    why = "has no hash" if claimed is None else "does not match its hash"
                    return events, TamperedReplay(
                        f"line {number} {why}: it was changed after recording, or a line before it was removed "
                        "or moved (or the log belongs to another recording)", file=shown, line=number)
                record = {k: v for k, v in record.items() if k != chain.HASH}
            if record.get("seq") != number - 1:
                return events, TamperedReplay(f"line {number} has seq {record.get('seq')!r}, expected {number - 1}",
                                              file=shown, line=number)
            try:
                events.append(event_from_dict(record))
            except ReplayError as exc:
                return events, ReplayError(exc.message, file=shown, line=number)
    if len(events) < expected:
        return events, TruncatedReplay(f"the log ends after {len(events)} of the {expected} events the manifest "
                                       "lists (cut short?)", file=shown, line=len(events) + 1)
    if chained and head != manifest["log_head"]:
        return events, TamperedReplay("'log_head' does not match the hash of the log's last line",
                                      file=str(path.with_name(MANIFEST)))
    return events, None


# --- the scenario ----------------------------------------------------------------------------------

def _scenario(folder: Path, manifest: dict, events: Sequence[ev.Event]) -> tuple[Scenario, list[str]]:
    """The scenario file if it is the one recorded, else the scenario as recorded; notes saying which."""
    from .reader import load_scenario  # only when a replay is opened

    path = folder / manifest["scenario_file"]
    recorded = "using the scenario details recorded with the replay"
    if not path.is_file():
        return _recorded(path, manifest, events), [f"scenario file {path} not found: {recorded}"]
    scenario = _unchanged(path, manifest, events)
    if scenario is not None:
        return scenario, []
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        return _recorded(path, manifest, events), [
            f"scenario file {path} no longer loads ({len(exc.problems)} problems, e.g. {exc.problems[0]}): {recorded}"]
    if scenario.digest != manifest["scenario_sha256"]:
        return _recorded(path, manifest, events), [
            f"scenario file {path} has changed since this replay was recorded: {recorded} "
            f"(replay the file again to see the current version)"]
    return scenario, []


def _unchanged(path: Path, manifest: dict, events: Sequence[ev.Event]) -> Scenario | None:
    """The scenario of a JSONL file with the recorded digest, its events taken from the log (see
    `unchanged`); None when that cannot be shown to give what loading the file gives. A log read
    lazily is not decoded for it: its documented events are counted, and the quotes they cite
    found, in its lines (see `lazylog`)."""
    if path.suffix != ".jsonl" or manifest["skipped"]:  # skipped events are in the file, not in the log
        return None
    found = file_digest(path)
    if found is None or found[0] != manifest["scenario_sha256"]:
        return None
    try:
        documented = _recorded(path, manifest, events).events  # the log's documented events, as the reader gives them
    except ReplayFormatError:
        return None
    if len(documented) != found[1]:
        return None
    return from_log(path, documented, found[0], events.citations() if isinstance(events, LazyEvents) else None)


def _recorded(path: Path, manifest: dict, events: Sequence[ev.Event]) -> Scenario:
    """A Scenario rebuilt from the manifest's header and the log's documented events."""
    head = manifest["header"]
    try:
        model = converter.structure(head.get("model") or {}, Model)
        actors = tuple(converter.structure(a, Actor) for a in head["actors"]) if "actors" in head else \
            tuple(Actor(code=code, name=code, kind="unknown") for code in sorted(_codes(events)))
        documents = tuple(converter.structure(d, Document) for d in head["documents"]) if "documents" in head else \
            tuple(Document(doc=doc) for doc in sorted({s.doc for e in events for s in e.sources if s.doc}))
        title = str(head.get("title", manifest["scenario"]))
    except (cattrs.BaseValidationError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ReplayFormatError(f"manifest 'header' is not a scenario header: {exc}",
                                file=str(path.parent / MANIFEST)) from exc
    return Scenario(id=manifest["scenario"], title=title, path=path, seeds=path.parent / "seeds", model=model,
                    actors=actors, documents=documents,
                    events=Documented(events) if isinstance(events, LazyEvents) else
                    tuple(e for e in events if not e.DERIVED),
                    digest=manifest["scenario_sha256"])


def _codes(events: Sequence[ev.Event]) -> set[str]:
    codes = set()
    for e in events:
        for field in attrs.fields(type(e)):
            kind = field.metadata.get("kind")
            value = getattr(e, field.name)
            if kind == "actor" and value:
                codes.add(value)
            elif kind == "actors":
                codes.update(value)
    return codes


# --- small helpers ---------------------------------------------------------------------------------

def _json(path: Path) -> Any:
    shown = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise IncompleteReplay(f"cannot read: {exc.strerror}", file=shown) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ReplayFormatError(f"larger than {megabytes(MAX_FILE_BYTES)}", file=shown)
    try:
        return json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise TamperedReplay(f"not valid JSON: {exc.msg}", file=shown, line=exc.lineno) from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TamperedReplay("not valid JSON", file=shown) from None


def _digest(path: Path) -> str | None:
    """SHA-256 of a file, read in chunks; None if it is missing."""
    if not path.is_file():  # not a FIFO or a device either: reading those could block or never end
        return None
    sha = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        raise IncompleteReplay(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    return sha.hexdigest()
