"""One root exception, with subclasses that carry data rather than only a string."""
from __future__ import annotations

import re

import attrs

from .limits import MAX_MESSAGE

# C0 and C1 control characters and the bidirectional overrides that can reorder what a terminal shows.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _one_line(message: object) -> str:
    """A message quoting file content, made safe to print: shown as `\\xNN`, never obeyed, and cut short."""
    text = CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                       str(message))
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


@attrs.frozen(kw_only=True, order=True)
class Problem:
    """One thing wrong with an input file, located for the user to fix."""

    file: str
    """Path of the file as the user named it."""
    line: int
    """1-based line of the offending node (0 when the whole file is at fault)."""
    message: str = attrs.field(converter=_one_line)
    """What is wrong, in words a scenario author understands (one line, control characters escaped)."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class CrisisError(Exception):
    """Root of every error this package raises on purpose."""


class ScenarioError(CrisisError, ValueError):
    """A scenario file is unusable; `problems` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DateError(CrisisError, ValueError):
    """A date or moment given by the user could not be understood."""


class ReplayError(CrisisError):
    """A recorded replay could not be read, or failed verification; `file:line` when one is to blame."""

    def __init__(self, message: str, *, file: str | None = None, line: int = 0) -> None:
        self.message = message
        self.file = file
        """The file at fault (as the user would name it), or None."""
        self.line = line
        """1-based line of the first bad line of `file`, 0 when the whole file is at fault."""
        super().__init__(f"{file}:{line}: {message}" if file else message)


class TamperedReplay(ReplayError):
    """A file, or a line of the event log, does not match the hash recorded for it."""


class TruncatedReplay(ReplayError):
    """The event log stops before its last recorded event (the lines it has are intact)."""


class IncompleteReplay(ReplayError):
    """A file the replay needs is missing, or the folder is not a recorded replay."""


class ReplayFormatError(ReplayError):
    """A replay file is not in a format this version can read (e.g. written by a newer one)."""
