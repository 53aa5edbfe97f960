"""Writing files, and whole folders, so that a crash leaves the old version or the new one.

A file is written to a temporary file beside its target, flushed, fsynced and renamed
over it. A folder (a recorded replay) is built complete in a hidden staging folder beside
it and then swapped in: on Linux in one step (`renameat2` with RENAME_EXCHANGE), elsewhere
by two renames whose gap `recover_folder` closes the next time the folder is written or
read. Either way no reader ever sees new events beside an old plot.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator


def _mode_for(path: Path, directory: bool = False) -> int:
    """Keep an existing file's permissions; new ones get the usual 0666 (0777 for folders) less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return (0o777 if directory else 0o666) & ~mask


def atomic_write(path: Path, data: bytes | Callable[[Path], None]) -> None:
    """Write `data` (bytes, or a function that writes a given path) to `path` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if callable(data):
            os.close(fd)
            fd = -1
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
        fsync_dir(path.parent)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename itself is still atomic
    finally:
        os.close(fd)


# --- whole folders ---------------------------------------------------------------------------------

def _staging(folder: Path, kind: str) -> list[Path]:
    return sorted(folder.parent.glob(f".{glob.escape(folder.name)}.{kind}-*"))


@contextlib.contextmanager
def _locked(parent: Path) -> Iterator[None]:
    """Hold an exclusive lock on `parent` so two writers (or a writer and a recovery) take turns."""
    try:
        import fcntl
        fd = os.open(parent, os.O_RDONLY)
    except (ImportError, OSError):  # no flock here (Windows) or an unopenable folder: run unlocked
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without renameat2 (glibc < 2.28, musl)
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # kernel or file system without it
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def recover_folder(folder: Path) -> None:
    """Finish or undo a swap that a crash interrupted, and remove leftover staging folders."""
    if _staging(folder, "new") or _staging(folder, "old"):
        with _locked(folder.parent):
            _recover(folder)


def _recover(folder: Path) -> None:
    # Only a crash between the two renames of the portable swap leaves `folder` missing
    # beside `.name.old-X`; the new `.name.new-X` was complete before the first rename,
    # so it is put in place. Anything else staged was never committed.
    olds = _staging(folder, "old")
    if olds and not folder.exists():
        old = olds[-1]
        new = old.with_name(old.name.replace(".old-", ".new-", 1))
        os.rename(new if new.is_dir() else old, folder)
        fsync_dir(folder.parent)
    for leftover in _staging(folder, "new") + _staging(folder, "old"):
        shutil.rmtree(leftover, ignore_errors=True)


def replace_folder(folder: Path, fill: Callable[[Path], None], replaceable: Callable[[Path], bool]) -> None:
    """Make `folder` hold exactly what `fill(staging)` writes, in one step as far as readers can tell.

    An existing `folder` is only replaced if `replaceable(folder)` says so, so that a
    mistyped `--out` cannot wipe out unrelated files.
    """
    folder = folder.resolve()  # a symlink is followed, not replaced; `.` gets a name
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent):
        _recover(folder)
        if folder.exists() and not (folder.is_dir() and replaceable(folder)):
            raise FileExistsError(errno.EEXIST, "holds files that are not part of a recorded replay", str(folder))
        stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=parent))
        try:
            os.chmod(stage, _mode_for(folder, directory=True))  # mkdtemp makes it private
            fill(stage)
            fsync_dir(stage)
            if not folder.exists():
                os.rename(stage, folder)
            elif _exchange(stage, folder):
                fsync_dir(parent)
                shutil.rmtree(stage)  # it now holds the previous folder
            else:
                old = stage.with_name(stage.name.replace(".new-", ".old-", 1))
                os.rename(folder, old)
                os.rename(stage, folder)
                fsync_dir(parent)
                shutil.rmtree(old)
            fsync_dir(parent)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
