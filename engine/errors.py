"""One root exception, with subclasses that carry data rather than only a string."""
from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True, order=True)
class Problem:
    """One thing wrong with an input file, located for the user to fix."""

    file: str
    """Path of the file as the user named it."""
    line: int
    """1-based line of the offending node (0 when the whole file is at fault)."""
    message: str
    """What is wrong, in words a scenario author understands."""

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
    """A recorded replay could not be read, or failed verification."""
