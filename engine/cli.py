"""`crisis`: a thin click layer over the public API. Expected errors exit 2, never a traceback."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .api import moment, replay
from .errors import CrisisError, DateError, ReplayError, ScenarioError


class Failure(click.ClickException):
    """An expected failure: every problem on its own line, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(self.message, err=True)


def _run(fn):
    """Turn the package's own errors into clean exits."""
    try:
        return fn()
    except ScenarioError as exc:
        count = len(exc.problems)
        raise Failure(f"{exc}\n{count} problem{'s' if count != 1 else ''} found") from None
    except DateError as exc:
        raise Failure(f"error: {exc}") from None
    except ReplayError as exc:  # already `file:line: message` when a file is to blame
        raise Failure(str(exc) if exc.file else f"error: {exc}") from None
    except CrisisError as exc:
        raise Failure(f"error: {exc}") from None


def _moment(text: str | None, option: str):
    if text is None:
        return None
    try:
        return moment(text)
    except DateError as exc:
        raise Failure(f"error: {option}: {exc}") from None


scenario_arg = click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="crisis")
def main() -> None:
    """Replay documented crises event by event, and see why tension rose."""


@main.command("replay")
@scenario_arg
@click.option("--until", "until", metavar="DATE", help="Stop after this date (ISO date or UTC date-time).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Print a readable timeline, or the state timeline as JSON.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to record the replay in [default: replays/<scenario id>, or "
                   "replays/<id>-until-<DATE> with --until].")
@click.option("--plot", "plot", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the plot here instead of <out>/plot.png (.png, .svg or .pdf).")
@click.option("--no-plot", is_flag=True, help="Do not draw the plot (matplotlib is not even imported).")
@click.option("--no-record", is_flag=True, help="Print only; write no files.")
def replay_cmd(scenario: Path, until, fmt, out, plot, no_plot, no_record) -> None:
    """Replay SCENARIO: print the timeline and final state, and record the replay."""
    from .record import TIMELINE, record
    from .render import dump_chunks, state_text, timeline_document, timeline_text

    cut = _moment(until, "--until")
    timeline = _run(lambda: replay(scenario))
    if cut is not None:
        timeline = timeline.until(cut)
    def print_json() -> None:
        for chunk in dump_chunks(timeline_document(timeline, lazy=True)):
            click.echo(chunk, nl=False)

    if fmt == "text":
        click.echo(timeline_text(timeline))
        click.echo(state_text(timeline, timeline.final, cut), nl=False)
    elif no_record:
        print_json()
    if no_record:
        return
    scenario_id = timeline.log.scenario.id
    folder = out or Path("replays") / (scenario_id if cut is None else f"{scenario_id}-until-{until}")
    try:
        written = _run(lambda: record(timeline, folder, plot=False if no_plot else (plot or True)))
    except Failure:
        if fmt == "json":  # printed all the same, as the text is: only the recording failed
            print_json()
        raise
    if fmt == "json":  # the document just recorded: made once, not again for the screen
        with (folder / TIMELINE).open("rb") as recorded:
            for block in iter(lambda: recorded.read(1 << 20), b""):
                click.echo(block, nl=False)
    click.echo("recorded: " + ", ".join(str(p) for p in written), err=fmt == "json")


@main.command("validate")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate_cmd(scenarios) -> None:
    """Check SCENARIOS and list every problem found, as file:line: message."""
    from .reader import load_scenario

    problems = []
    for path in scenarios:
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        quotes = sum(1 for e in s.events for src in e.sources if src.doc) + sum(1 for d in s.documents if d.quote)
        outside = sum(1 for e in s.events if e.outside_seeds)
        click.echo(f"{path}: ok: {len(s.events)} events ({outside} outside the seeds), {len(s.actors)} actors, "
                   f"{quotes} quotes found in {len(s.documents)} documents")
    if problems:
        _run(lambda: (_ for _ in ()).throw(ScenarioError(problems)))


@main.command("state")
@scenario_arg
@click.option("--at", "at", required=True, metavar="DATE", help="The moment (a bare date means the end of that day).")
@click.option("--json", "as_json", is_flag=True, help="Print the state as JSON.")
def state_cmd(scenario: Path, at: str, as_json: bool) -> None:
    """The state of SCENARIO at a moment: tension, demands, sanctions, forces, detentions, control."""
    from .codec import rounded, state_to_dict
    from .project import tension_at
    from .render import dumps, state_text

    when = _moment(at, "--at")
    timeline = _run(lambda: replay(scenario))
    state = timeline.state_at(when)
    if as_json:
        data = state_to_dict(state)
        data["time"] = at if state.time is None else data["time"]
        data["at"] = at
        data["tension"] = rounded(tension_at(state, when, timeline.model))
        # impulses keep decaying after the last event; show the parts as of --at so they add up
        data["tension_parts"]["impulses"] = rounded(tension_at(state, when, timeline.model) - state.pressure)
        click.echo(dumps(data), nl=False)
    else:
        click.echo(state_text(timeline, state, when), nl=False)


@main.command("why")
@scenario_arg
@click.option("--at", "at", required=True, metavar="DATE", help="The moment to explain.")
@click.option("--top", default=10, show_default=True, help="How many events to list.")
def why_cmd(scenario: Path, at: str, top: int) -> None:
    """Tension of SCENARIO at a moment, broken down by event with the quotes behind each."""
    from .render import why_text

    when = _moment(at, "--at")
    timeline = _run(lambda: replay(scenario))
    click.echo(why_text(timeline, when, limit=top), nl=False)


@main.command("plot")
@scenario_arg
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Picture to write: .png, .svg or .pdf.")
@click.option("--until", "until", metavar="DATE", help="Plot only up to this date.")
def plot_cmd(scenario: Path, output: Path, until) -> None:
    """Draw tension over time with event markers, condition bands, demands and sanctions panels."""
    from .plot import FORMATS
    from .record import atomic_write

    fmt = output.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise Failure(f"error: {output}: the picture must end in .png, .svg or .pdf")
    cut = _moment(until, "--until")
    timeline = _run(lambda: replay(scenario))
    if cut is not None:
        timeline = timeline.until(cut)
    from .plot import save
    atomic_write(output, lambda tmp: save(timeline, tmp, fmt=fmt))
    click.echo(f"wrote {output}")


from .repl import repl_cmd  # noqa: E402  (defined in its own module; it imports cli only when run)
main.add_command(repl_cmd)
from .verify import verify_cmd  # noqa: E402
main.add_command(verify_cmd)
from .synth import synth_cmd  # noqa: E402
main.add_command(synth_cmd)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
