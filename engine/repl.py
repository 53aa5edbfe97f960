"""`crisis repl`: step through a replay at a prompt. A thin layer: every command calls `Replay`.

Interactive at a terminal (tab completion, history kept across sessions); otherwise it reads
commands from standard input or `--script` and echoes each after the prompt, so a session
prints the same transcript every time and can serve as a golden test.
"""
from __future__ import annotations

import cmd
import datetime as dt
import difflib
import os
import sys
import warnings
from pathlib import Path
from typing import Iterable, TextIO

import attrs
import click

from . import events as ev
from .codec import state_to_dict
from .cursor import Replay, load
from .dates import iso
from .errors import CrisisError, ReplayError
from .query import NAMES
from .render import dumps, safe, state_text, why_text

GROUPS = (
    ("moving", ("next", "back", "goto", "first", "last", "until")),
    ("looking", ("state", "demands", "sanctions", "troops", "detained", "control", "events", "show", "diff", "why")),
    ("what if", ("skip", "unskip", "reset")),
    ("keeping", ("plot", "save", "export")),
    ("session", ("help", "quit")),
)
COMMANDS = tuple(name for _, names in GROUPS for name in names)
_NOT_EXPORTED = {"export", "help", "quit", "exit", "EOF"}
_LEDGER = ("state", "demands", "sanctions", "troops", "detained", "control", "events", "why")


class CommandError(CrisisError, ValueError):
    """A command typed wrongly (missing or bad argument); `command` is the command's name."""

    def __init__(self, message: str, command: str) -> None:
        self.command = command
        super().__init__(message)


def history_path() -> Path | None:
    """Where the interactive history lives: $CRISIS_HISTORY (empty: none), else $XDG_STATE_HOME, else ~."""
    if "CRISIS_HISTORY" in os.environ:
        return Path(os.environ["CRISIS_HISTORY"]) if os.environ["CRISIS_HISTORY"] else None
    state = os.environ.get("XDG_STATE_HOME")
    return Path(state) / "crisis" / "history" if state else Path.home() / ".crisis_history"


def _count(n: int) -> str:
    """A count of events, as the user would say it."""
    return f"{n} event{'' if n == 1 else 's'}"


class Session(cmd.Cmd):
    """One REPL session over one replay; `history` keeps the commands that ran, for `export`."""

    def __init__(self, replay: Replay, stdout: TextIO | None = None, name: str | None = None) -> None:
        super().__init__(stdout=stdout or sys.stdout)
        self.replay = replay
        self.name = name or replay.scenario.id
        self.history: list[str] = []
        self.errors = 0

    # --- the frame: prompt, banner, dispatch, errors

    @property
    def prompt(self) -> str:  # cmd reads it before every command
        r = self.replay
        where = iso(r.state.time) if r.state.time else "start"
        altered = f" | without {', '.join(sorted(r.skipped))}" if r.altered else ""
        return f"[{where} #{r.position}/{len(r)} tension {r.tension:.1f}{altered}]> "

    def banner(self) -> str:
        r = self.replay
        log = r.log
        span = f", {iso(log.events[0].at)} to {iso(log.events[-1].at)}" if len(log) else ""
        return (f"{safe(r.scenario.title)} ({r.scenario.id}): {_count(len(log))}{span}\n"
                "type help for the commands, quit to leave")

    def say(self, *lines: str) -> None:
        for line in lines:
            self.stdout.write(line + "\n")

    def onecmd(self, line: str) -> bool:
        line = line.strip()
        if not line or line.startswith("#"):
            return False
        try:
            stop = super().onecmd(line)
        except ReplayError:  # a line of the recorded log, read as it is reached, is damaged: this ends the session
            raise
        except CrisisError as exc:
            return self.error(str(exc))
        except (OSError, ValueError) as exc:  # a file that cannot be written, a picture format
            return self.error(str(exc))
        name = line.split()[0]
        if name not in _NOT_EXPORTED and not self._failed:
            self.history.append(line)
        self._failed = False
        return bool(stop)

    _failed = False

    def error(self, message: str) -> bool:
        self.errors += 1
        self.say(f"error: {safe(message)}")
        return False

    def emptyline(self) -> bool:
        return False  # cmd would repeat the last command: surprising when it is `next 100`

    def default(self, line: str) -> bool:
        name = line.split()[0]
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        self._failed = True
        self.errors += 1
        self.say(f"error: unknown command '{safe(name, 30)}'{hint} (help lists the commands)")
        return False

    def run(self, lines: Iterable[str]) -> int:
        """Run commands non-interactively, echoing each after the prompt; the number of errors."""
        self.say(self.banner())
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            self.say(self.prompt + line)
            if self.onecmd(line):
                break
        return self.errors

    def interactive(self) -> None:
        """The terminal session: readline completion of commands, ids and dates; history kept."""
        try:
            import readline
        except ImportError:  # pragma: no cover - no readline on this platform: plain input
            readline = None
        path = history_path()
        if readline is not None:
            readline.set_completer_delims(" \t\n")  # ids contain '-' and '/'
            if path is not None and path.exists():
                try:
                    readline.read_history_file(path)
                except OSError:
                    pass
        self.say(self.banner())
        try:
            while True:
                try:
                    self.cmdloop(intro="")
                    break
                except KeyboardInterrupt:
                    self.say("^C (quit to leave)")
        finally:
            if readline is not None and path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    readline.set_history_length(2000)
                    readline.write_history_file(path)
                except OSError:
                    pass

    # --- helpers for the commands

    def _landing(self) -> str:
        r = self.replay
        if r.position == 0:
            return f"#0/{len(r)}  before the first event"
        return f"#{r.position}/{len(r)}  {self._event_line(r.event)}"

    @staticmethod
    def _event_line(e: ev.Event) -> str:
        flags = e.TYPE + ("; derived" if e.DERIVED else "; outside seeds" if e.outside_seeds else "")
        return f"{iso(e.at)}  {e.id}: {safe(e.title, 80)}  [{flags}]"

    def _altered(self) -> None:
        """Every listing of an altered timeline starts by saying so, and what was left out."""
        r = self.replay
        if not r.altered:
            return
        skipped = sorted(r.skipped)
        caused = [e.id for e in r.left_out if e.id not in r.skipped]
        line = f"ALTERED TIMELINE without {', '.join(skipped)}"
        if caused:
            line += f"; also left out: {_some(caused)}"
        if r.added:
            line += f"; new: {_some([e.id for e in r.added])}"
        self.say(line)

    @staticmethod
    def _number(arg: str, command: str) -> int:
        if not arg:
            return 1
        try:
            n = int(arg)
        except ValueError:
            raise CommandError(f"{command} takes a number of events, got '{arg}'", command) from None
        if n < 0:
            raise CommandError(f"{command} takes a positive number of events, got {n}", command)
        return n

    @staticmethod
    def _needs(arg: str, command: str, what: str) -> str:
        if not arg.strip():
            raise CommandError(f"{command} needs {what} (help {command})", command)
        return arg.strip()

    def _moved(self, single_step: bool = False) -> None:
        self.say(self._landing())
        if single_step:
            self.say(*(f"  + {safe(c, 110)}" for c in self.replay.diff().changes))

    # --- moving

    def do_next(self, arg: str) -> None:
        """next [N]: apply the next N events (default 1); a single step also lists what it changed."""
        n = self._number(arg, "next")
        before = self.replay.position
        self.replay.step(n)
        self._moved(single_step=self.replay.position == before + 1)

    def do_back(self, arg: str) -> None:
        """back [N] | back --until EXPR: undo the last N events, or go back to the last moment EXPR held."""
        if arg.strip().startswith("--until"):
            expr = self._needs(arg.strip()[len("--until"):], "back --until", "a condition, e.g. back --until tension < 20")
            self.replay.until(expr, backwards=True)
        else:
            self.replay.back(self._number(arg, "back"))
        self._moved()

    def do_goto(self, arg: str) -> None:
        """goto DATE|EVENT_ID|#N: to the end of a day, right after an event, or to position N (0 = start)."""
        self.replay.goto(self._needs(arg, "goto", "a date, an event id or #N"))
        self._moved()

    def do_first(self, arg: str) -> None:
        """first: before the first event."""
        self.replay.first()
        self._moved()

    def do_last(self, arg: str) -> None:
        """last: after the last event."""
        self.replay.last()
        self._moved()

    def do_until(self, arg: str) -> None:
        """until EXPR: run forwards to the first moment after the cursor where EXPR holds.

        EXPR compares names with numbers (or day/date with an ISO date) using < <= > >= == !=,
        joined by and / or / not and parentheses, e.g. `until tension > 40`,
        `until open_demands == 0 and day >= 2014-03-20`. Names:
        """
        self.replay.until(self._needs(arg, "until", "a condition, e.g. until tension > 40"))
        self._moved()

    # --- looking

    def do_state(self, arg: str) -> None:
        """state: tension and its largest causes, demands, sanctions, forces, detentions, control."""
        r = self.replay
        self._altered()
        text = state_text(r.view(), r.state, r.state.time)
        if r.position:
            head = f"State at #{r.position}/{len(r)}, {iso(r.state.time)}, after {safe(r.state.last)}"
            text = head + "\n" + text.split("\n", 1)[1]
        self.stdout.write(text)

    def do_demands(self, arg: str) -> None:
        """demands: every demand made so far, open ones first."""
        state = self.replay.state
        self._altered()
        items = sorted(state.demands, key=lambda d: d.status != "open")
        opened = sum(1 for d in items if d.status == "open")
        self.say(f"demands: {opened} open, {len(items) - opened} closed")
        for d in items:
            status = d.status + (", overdue" if d.overdue else "")
            when = f"since {iso(d.since)}" if d.status == "open" else f"{iso(d.since)} to {iso(d.closed_at)}"
            deadline = f", deadline {iso(d.deadline)}" if d.deadline else ""
            self.say(f"  {status:<14} {d.from_} → {d.to}: {safe(d.what, 80)} ({when}{deadline})  [{d.id}]")

    def do_sanctions(self, arg: str) -> None:
        """sanctions: the sanctions packages in force."""
        items = list(self.replay.state.sanctions)
        self._altered()
        self.say(f"sanctions in force: {len(items)}")
        for s in items:
            self.say(f"  {s.actor or '?'} against {s.against} since {iso(s.since)}: "
                     f"{safe('; '.join(s.measures), 80)}  [{s.id}]")

    def do_troops(self, arg: str) -> None:
        """troops: deployments and exercises under way, and troop numbers by actor."""
        state = self.replay.state
        items = list(state.deployments)
        self._altered()
        self.say(f"forces: {len(items)}")
        for d in items:
            size = f"{'~' if d.estimate else ''}{d.troops:,} troops" if d.troops else safe(d.assets or "size not given", 50)
            kind = f"exercise until {iso(d.until)}" if d.exercise and d.until else "exercise" if d.exercise else "deployment"
            self.say(f"  {d.actor or '?'} in {safe(d.region, 50)}: {size} ({kind}, since {iso(d.since)})  [{d.id}]")
        troops = state.troops
        if troops:
            self.say("  troops by actor: " + ", ".join(f"{a} {n:,}" for a, n in troops.items())
                     + f" (total {sum(troops.values()):,})")

    def do_detained(self, arg: str) -> None:
        """detained: people held and not yet released."""
        items = list(self.replay.state.detentions)
        self._altered()
        self.say(f"detained: {len(items)}")
        for d in items:
            count = f" ({d.count})" if d.count else ""
            place = f" in {safe(d.place)}" if d.place else ""
            self.say(f"  {safe(d.detained, 60)}{count}{place}, held by {d.actor or '?'} since {iso(d.since)}  [{d.id}]")

    def do_control(self, arg: str) -> None:
        """control: sites held since a seizure, and by whom."""
        items = list(self.replay.state.control)
        self._altered()
        self.say(f"sites controlled: {len(items)}")
        for c in items:
            before = f", before {c.previous}" if c.previous else ""
            self.say(f"  {safe(c.site, 60)}: {c.controller}{' (partly)' if c.partial else ''} "
                     f"since {iso(c.since)}{before}  [{c.by}]")

    def do_events(self, arg: str) -> None:
        """events [TEXT]: the events (whose id, type or title contains TEXT); > marks the cursor."""
        r = self.replay
        text = arg.strip().lower()
        self._altered()
        rows = [(e.at, r.position_of(e.id), e) for e in r.events(text)]
        rows += [(e.at, None, e) for e in r.left_out
                 if not text or text in e.id.lower() or text in e.TYPE or text in e.title.lower()]
        rows.sort(key=lambda row: (row[0], row[1] if row[1] is not None else r.locate(row[0]) + 0.5))
        added = {e.id for e in r.added}
        if not rows:
            self.say(f"no event matches '{safe(arg.strip())}'")
        for _, position, e in rows:
            mark = ">" if position is not None and position == r.position else " "
            where = f"#{position}" if position is not None else "--"
            note = "  (left out)" if position is None else "  (new)" if e.id in added else ""
            self.say(f"{mark}{where:>5}  {self._event_line(e)}{note}")

    def do_show(self, arg: str) -> None:
        """show EVENT_ID: the event in full, with what caused it, what it led to, and its sources' quotes."""
        r = self.replay
        e = r.lookup(self._needs(arg, "show", "an event id"))
        self._altered()
        position = r.position_of(e.id)
        where = f"#{position}/{len(r)}" if position is not None else "left out of this altered timeline"
        self.say(f"{e.id}  [{e.TYPE}{'; derived' if e.DERIVED else ''}]  {where}")
        self.say(f"  at        {iso(e.at)}", f"  title     {safe(e.title)}")
        if e.summary:
            self.say(f"  summary   {safe(e.summary)}")
        if e.window is not None:
            w = e.window
            self.say(f"  window    {w.earliest} to {w.latest}" + (f' ("{safe(w.quote)}")' if w.quote else ""))
        skip = {"id", "at", "title", "summary", "window", "sources", "because", "cause", "cameo", "goldstein", "seq"}
        for field in attrs.fields(type(e)):
            value = getattr(e, field.name)
            if field.name in skip or value is None or value == () or value is False:
                continue
            shown = ", ".join(map(str, value)) if isinstance(value, tuple) else \
                iso(value) if isinstance(value, dt.datetime) else "yes" if value is True else value
            self.say(f"  {field.name.rstrip('_'):<9} {safe(shown)}")
        if e.because:
            self.say(f"  because   {', '.join(e.because)}")
        if e.cause:
            self.say(f"  cause     {', '.join(e.cause)}")
        led_to = r.consequences(e.id)
        if led_to:
            self.say(f"  led to    {', '.join(led_to)}")
        self.say(f"  CAMEO     {e.cameo}, Goldstein {e.goldstein:+g}")
        if e.sources:
            self.say("  sources:")
        for s in e.sources:
            where_from = s.doc or f"{s.ref} (outside the seeds)"
            self.say(f"    {safe(where_from)}" + (f': "{safe(s.quote)}"' if s.quote else ""))

    def do_diff(self, arg: str) -> None:
        """diff: what the last move changed (for a skip or unskip: what it changed at the cursor)."""
        self._altered()
        self.say(*(safe(line) for line in str(self.replay.diff()).splitlines()))

    def do_why(self, arg: str) -> None:
        """why [N]: tension at the cursor broken down by event, largest first (N of them, default 10), with quotes."""
        r = self.replay
        limit = self._number(arg, "why") if arg.strip() else 10
        self._altered()
        if r.state.time is None:
            self.say("tension 0.0: nothing has happened yet")
            return
        self.stdout.write(why_text(r.view(), r.state.time, limit=limit))

    # --- what if

    def do_skip(self, arg: str) -> None:
        """skip EVENT_ID...: leave events out, with everything they caused, and recompute."""
        ids = self._needs(arg, "skip", "an event id").split()
        before = {e.id for e in self.replay.left_out}
        added = {e.id for e in self.replay.added}
        self.replay.skip(*ids)
        gone = [e.id for e in self.replay.left_out if e.id not in before]
        self.say(f"left out {_count(len(gone))}: {', '.join(gone)}")
        new = [e.id for e in self.replay.added if e.id not in added]
        if new:
            self.say(f"new in this timeline: {', '.join(new)}")
        self._moved()

    def do_unskip(self, arg: str) -> None:
        """unskip EVENT_ID...: put skipped events back, with what they caused."""
        ids = self._needs(arg, "unskip", "an event id").split()
        before = [e.id for e in self.replay.left_out]
        self.replay.unskip(*ids)
        now = {e.id for e in self.replay.left_out}
        back = [i for i in before if i not in now]
        self.say(f"restored {_count(len(back))}: {', '.join(back)}")
        self._moved()

    def do_reset(self, arg: str) -> None:
        """reset: undo every skip (back to the original timeline)."""
        self.replay.reset()
        self.say("original timeline")
        self._moved()

    # --- keeping

    def do_plot(self, arg: str) -> None:
        """plot [FILE]: draw tension with the cursor marked (.png, .svg or .pdf; default <scenario>-<N>.png)."""
        from .plot import save
        r = self.replay
        target = arg.strip() or f"{r.scenario.id}-{r.position}.png"
        save(r.timeline, target, cursor=r.state.time)
        self.say(f"wrote {target}")

    def do_save(self, arg: str) -> None:
        """save FILE: the state at the cursor as JSON (with the position and any skips)."""
        r = self.replay
        target = Path(self._needs(arg, "save", "a file name"))
        data = {"scenario": r.scenario.id, "position": r.position, "events": len(r),
                "skipped": sorted(r.skipped), "left_out": [e.id for e in r.left_out], "state": state_to_dict(r.state)}
        target.write_text(dumps(data), encoding="utf-8")
        self.say(f"wrote {target}")

    def do_export(self, arg: str) -> None:
        """export FILE: this session's commands as a script (run it with crisis repl FILE --script SCRIPT)."""
        target = Path(self._needs(arg, "export", "a file name"))
        lines = [f"# crisis repl session over {self.name}", *self.history]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.say(f"wrote {target} ({len(self.history)} command{'' if len(self.history) == 1 else 's'})")

    # --- session

    def do_help(self, arg: str) -> None:
        """help [COMMAND]: the commands, or one command in full."""
        name = arg.strip()
        if name:
            method = getattr(self, f"do_{name}", None)
            if method is None or name not in COMMANDS:
                raise CommandError(f"no command '{name}'" + _hint(name), "help")
            self.say(*(line.strip() for line in method.__doc__.strip().splitlines()))
            if name == "until":
                self.say(*(f"  {n:<13} {text}" for n, (_, _, text) in NAMES.items()))
            return
        for group, names in GROUPS:
            self.say(f"{group}:")
            for n in names:
                self.say(f"  {getattr(self, f'do_{n}').__doc__.splitlines()[0]}")

    def do_quit(self, arg: str) -> bool:
        """quit: leave the session."""
        return True

    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:
        self.say("")
        return True

    # --- completion (readline calls these with the word being typed)

    def completenames(self, text: str, *ignored) -> list[str]:
        return [n for n in COMMANDS if n.startswith(text)]

    def _ids(self, text: str) -> list[str]:
        return [e.id for e in self.replay.log.events if e.id.startswith(text)]

    def _dates(self, text: str) -> list[str]:
        days = sorted({e.at.date().isoformat() for e in self.replay.log.events})
        return [d for d in days if d.startswith(text)]

    def complete_goto(self, text: str, *ignored) -> list[str]:
        return self._dates(text) + self._ids(text)

    def complete_show(self, text: str, *ignored) -> list[str]:
        return self._ids(text) + [e.id for e in self.replay.left_out if e.id.startswith(text)]

    def complete_skip(self, text: str, *ignored) -> list[str]:
        return [e.id for e in self.replay.log.events if not e.DERIVED and e.id.startswith(text)]

    def complete_unskip(self, text: str, *ignored) -> list[str]:
        return sorted(i for i in self.replay.skipped if i.startswith(text))

    def complete_until(self, text: str, *ignored) -> list[str]:
        return [n for n in NAMES if n.startswith(text)]

    def complete_help(self, text: str, *ignored) -> list[str]:
        return self.completenames(text)


def _some(ids: list[str], shown: int = 4) -> str:
    """A list of ids short enough for a header line (`events` lists them all)."""
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")


def _hint(name: str) -> str:
    close = difflib.get_close_matches(name, COMMANDS, n=1)
    return f"; did you mean {close[0]}?" if close else ""


@click.command("repl")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--script", "script", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Run the commands in this file (one a line, # for comments) instead of reading them.")
def repl_cmd(file: Path, script: Path | None) -> None:
    """Step through FILE, a scenario or a recorded replay folder: move, look, ask why, try what-ifs.

    At a terminal the session is interactive; otherwise commands come from standard input
    (or --script) and each is echoed after the prompt. Exits 1 if any command failed, 2 if
    a recorded replay turns out damaged where it is read (file:line on standard error).
    """
    from .cli import _run

    with warnings.catch_warnings(record=True) as notes:  # a recorded replay's notes: said once, plainly
        warnings.simplefilter("always")
        replay = _run(lambda: load(file))
    for note in notes:
        click.echo(f"note: {safe(note.message)}", err=True)
    session = Session(replay, stdout=sys.stdout, name=file.name)
    if script is not None:
        errors = _run(lambda: session.run(script.read_text(encoding="utf-8").splitlines()))
    elif sys.stdin.isatty():
        _run(session.interactive)
        return
    else:
        errors = _run(lambda: session.run(sys.stdin))
    if errors:
        sys.exit(1)
