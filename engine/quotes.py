"""The seed documents events quote, and the check that each quote is really there."""
from __future__ import annotations

from pathlib import Path

from .limits import MAX_FILE_BYTES, megabytes


def normalise(text: str) -> str:
    """Whitespace folded to single spaces: line breaks in a report do not break a quote."""
    return " ".join(text.split())


class SeedLibrary:
    """Read-only access to the documents of one seeds folder, each read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._texts: dict[str, str] = {}

    def check_name(self, doc: str) -> str | None:
        """Why `doc` cannot be used as a seed name, or None if it can.

        A name is a bare file name inside the seeds folder: no separators, no `..`, no
        absolute paths and no symlinks, so a shared scenario cannot read other files.
        """
        if not doc or doc in (".", "..") or "/" in doc or "\\" in doc or "\x00" in doc:
            return f"document '{doc}' must be a file name inside the seeds folder, not a path"
        path = self.folder / doc
        try:
            if path.is_symlink():
                return f"document '{doc}' is a symbolic link; seeds must be plain files"
            if not path.is_file():
                return f"document '{doc}' not found in {self.folder}"
            if path.stat().st_size > MAX_FILE_BYTES:
                return f"document '{doc}' is too large: a seed may have at most {megabytes(MAX_FILE_BYTES)}"
            self.text(doc)  # read now: an unreadable seed is a problem at this line, not a crash later
        except (OSError, ValueError) as exc:  # a name too long, a NUL in the seeds path, no permission
            return f"document '{doc}' cannot be read: {getattr(exc, 'strerror', None) or exc}"
        return None

    def text(self, doc: str) -> str:
        if doc not in self._texts:
            with (self.folder / doc).open("rb") as handle:
                raw = handle.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
            self._texts[doc] = normalise(raw)
        return self._texts[doc]

    def contains(self, doc: str, quote: str) -> bool:
        needle = normalise(quote)
        return bool(needle) and needle in self.text(doc)
