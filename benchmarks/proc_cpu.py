"""CPU time of processes and their descendants, read from Linux's ``/proc`` (no extra packages)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of a live process, or None."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks


def tree(root: int) -> list[int]:
    """``root`` and every live descendant (e.g. a server's worker processes)."""
    parents = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = found[0]
    found_pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        found_pids.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return found_pids


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by these processes (those still alive)."""
    return sum(found[1] for pid in pids if (found := _stat(pid)) is not None)


class CpuWindow:
    """CPU seconds each named process tree uses between two moments set by timers."""

    def __init__(self, pids: Mapping[str, int]) -> None:
        """Watch these process trees (name → root pid), as they are now: a snapshot then reads
        only their own few files, so it is quick even while other threads hold the GIL."""
        self.pids = {name: tree(pid) for name, pid in pids.items()}
        self.start: dict[str, float] = {}
        self.end: dict[str, float] = {}

    def _snapshot(self, into: dict[str, float]) -> Callable[[], None]:
        def take() -> None:
            into.update({name: cpu_seconds(pids) for name, pids in self.pids.items()})

        return take

    def schedule(self, start_in: float, end_in: float) -> list[threading.Timer]:
        """Snapshot after ``start_in`` and ``end_in`` seconds; the started timers."""
        timers = [
            threading.Timer(start_in, self._snapshot(self.start)),
            threading.Timer(end_in, self._snapshot(self.end)),
        ]
        for timer in timers:
            timer.daemon = True
            timer.start()
        return timers

    def seconds(self) -> dict[str, float]:
        """CPU seconds per process tree in the window (empty if a snapshot is missing)."""
        if not self.start or not self.end:
            return {}
        return {name: self.end[name] - self.start[name] for name in self.pids}
