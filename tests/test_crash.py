"""`crisis replay` killed with SIGKILL at every step of recording leaves the old replay or the new one.

A forked child runs the CLI and sends itself SIGKILL just before its n-th file-system
call once recording has begun (n = 1, 2, … until a run completes), so every gap between
two steps is hit once: a genuine SIGKILL, at deterministic points. (The plot is a
stand-in file: drawing the real one takes a second per run and changes nothing here.) After each kill the
folder must read back (as `crisis verify` and `read_replay` would read it) as exactly the
previous complete replay or exactly the new one, byte for byte, with no stray files left.
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

import engine.atomic
import engine.plot
import engine.record
from engine.cli import main
from engine.store import open_replay

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="needs fork and SIGKILL")

ROOT = Path(__file__).resolve().parent.parent
NEW = ROOT / "tests" / "data" / "rules.yaml"
OPS = ("open", "close", "write", "fsync", "replace", "rename", "unlink", "rmdir", "mkdir", "chmod", "scandir")


def _arm(kill_at: int, exchange: bool) -> None:
    """In the child: count file-system calls from the start of recording; SIGKILL before call `kill_at`."""
    count = 0
    active = False

    def counted(real):
        def call(*args, **kwargs):
            nonlocal count
            if active:
                count += 1
                if count == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return call

    for name in OPS:
        setattr(os, name, counted(getattr(os, name)))
    engine.atomic._exchange = counted(engine.atomic._exchange if exchange else lambda a, b: False)
    replace_folder = engine.record.replace_folder

    def start(*args, **kwargs):
        nonlocal active
        active = True
        return replace_folder(*args, **kwargs)

    engine.record.replace_folder = start
    engine.plot.save = _stand_in_plot


def _stand_in_plot(timeline, path, fmt=None, cursor=None) -> None:
    """Drawing takes a second and has no bearing on crash safety: the file operations around it do."""
    Path(path).write_bytes(f"stand-in {fmt} plot of {len(timeline)} events\n".encode())


def _replay_killed_at(kill_at: int, args: list[str], exchange: bool) -> bool:
    """Run `crisis replay ARGS` in a child; True if it was killed, False if it finished."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 3
        try:
            sys.stdout = sys.stderr = open(os.devnull, "w")
            _arm(kill_at, exchange)
            main(["replay", *args], standalone_mode=False)
            code = 0
        except BaseException:  # noqa: BLE001  (reported to the parent by the exit code)
            code = 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, f"the replay failed (exit {os.WEXITSTATUS(status)}) without being killed"
    return False


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def _exchange_works(tmp_path: Path) -> bool:
    a, b = tmp_path / "probe-a", tmp_path / "probe-b"
    a.mkdir()
    b.mkdir()
    try:
        return engine.atomic._exchange(a, b)
    finally:
        a.rmdir()
        b.rmdir()


@pytest.mark.parametrize("swap", ["exchange", "two renames"])
def test_killed_recording_leaves_the_old_replay_or_the_new_one(tmp_path, swap):
    exchange = swap == "exchange"
    if exchange and not _exchange_works(tmp_path):
        pytest.skip("this system cannot swap two folders in one step")
    flags: list[str] = []  # the new replay has a plot, the old one has none: a mix would show
    work = tmp_path / "replays"
    work.mkdir()
    out = work / "crisis"
    new_args = [str(NEW), "--out", str(out), *flags]

    # the references sit as deep as `out`: the manifest names the scenario relative to its folder
    assert not _replay_killed_at(10**9, [str(NEW), "--out", str(tmp_path / "new" / "crisis"), *flags], exchange)
    assert not _replay_killed_at(10**9, [str(NEW), "--until", "2020-01-12", "--out", str(tmp_path / "old" / "crisis"),
                                         "--no-plot"], exchange)
    new, old = _snapshot(tmp_path / "new" / "crisis"), _snapshot(tmp_path / "old" / "crisis")
    assert new.keys() != old.keys() or new != old

    outcomes = {"old": 0, "new": 0}
    kill_at = 1
    while True:
        engine.atomic.replace_folder(out, lambda stage: [(stage / n).write_bytes(b) for n, b in old.items()],
                                     lambda folder: True)
        killed = _replay_killed_at(kill_at, new_args, exchange)
        raw = _snapshot(out)
        if exchange:  # the folder itself is never a mix, even before anything tidies up
            assert raw in (old, new), f"killed before call {kill_at}: the folder holds a mix"
        replay = open_replay(out)  # what any reader sees: an interrupted swap is finished or undone first
        assert replay.problem is None
        now = _snapshot(out)
        assert now in (old, new), f"killed before call {kill_at}: {sorted(now)} is neither replay"
        assert _leftovers(out) == [], f"killed before call {kill_at}: left {_leftovers(out)}"
        outcomes["old" if now == old else "new"] += 1
        if not killed:
            assert now == new
            break
        kill_at += 1
    print(f"{swap}: killed at {kill_at - 1} points, then completed; {outcomes}")
    assert kill_at > 20  # every step of the recording was hit
    assert outcomes["old"] > 0 and outcomes["new"] > 0
