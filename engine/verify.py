"""`crisis verify`: check a recorded replay against its manifest and hash chain, or keep its valid part."""
from __future__ import annotations

from pathlib import Path

import click

from .cli import Failure
from .errors import ReplayError, TamperedReplay, TruncatedReplay
from .record import EVENTS


@click.command("verify")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--recover", is_flag=True,
              help="Keep the events before the first bad line, written as a new complete replay (see --out).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Where --recover records the valid part [default: FOLDER-recovered].")
@click.option("--no-plot", is_flag=True, help="With --recover, do not draw the plot.")
@click.pass_context
def verify_cmd(ctx: click.Context, folder: Path, recover: bool, out: Path | None, no_plot: bool) -> None:
    """Verify the replay recorded in FOLDER: each file against its manifest, each log line against its hash.

    Exit status 0: intact. 2: damaged, truncated or not a replay (the first bad file:line
    is printed). 1: damaged, and --recover recorded the events before the damage.
    """
    from .store import open_replay
    from .timeline import build

    try:
        recording = open_replay(folder, recover=recover, every_hash=True)  # it reports the chain intact
    except ReplayError as exc:
        hint = ""
        if isinstance(exc, (TamperedReplay, TruncatedReplay)) and exc.line and exc.file == str(folder / EVENTS):
            hint = f"\n(`crisis verify {folder} --recover` keeps the {exc.line - 1} events before it)"
        raise Failure(f"{exc}{hint}") from None
    for note in recording.notes:
        click.echo(f"note: {note}", err=True)
    if recording.problem is None:
        chain = "hash chain intact" if recording.recorded_format >= 2 else "format 1, no hash chain"
        click.echo(f"{folder}: ok: {recording.total} events, {chain}, "
                   f"{len(recording.manifest['files'])} files match the manifest")
        return
    click.echo(str(recording.problem), err=True)
    from .record import record

    target = out or folder.resolve().with_name(folder.resolve().name + "-recovered")  # `.` has no name of its own
    try:
        record(build(recording.log), target, plot=not no_plot)
    except ReplayError as exc:
        raise Failure(f"error: {exc}") from None
    last = f", up to {recording.log.events[-1].at:%Y-%m-%d}" if recording.log.events else ""
    click.echo(f"recovered: kept {len(recording.log)} of {recording.total} events{last}, recorded in {target}")
    ctx.exit(1)
