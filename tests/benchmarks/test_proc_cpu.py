"""CPU time of a process tree from /proc: a busy child's time counts towards its parent."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.proc_cpu import CpuWindow, cpu_seconds, tree

BUSY_CHILD = """
import subprocess, sys
subprocess.run([sys.executable, "-c", "import time\\nend = time.process_time() + 0.6\\n"
                "while time.process_time() < end: pass"], check=True)
"""


def test_tree_includes_descendants() -> None:
    """A parent that only waits for a busy grandchild-free child shows the child's CPU time."""
    parent = subprocess.Popen([sys.executable, "-c", BUSY_CHILD])
    time.sleep(0.5)
    during = cpu_seconds(tree(parent.pid))
    parent.wait(timeout=30)
    assert during >= 0.2  # the child has been spinning for a while, the parent hardly at all


def test_window_measures_between_its_timers() -> None:
    """Two snapshots a second apart around a busy loop in this process."""
    window = CpuWindow({"me": os.getpid()})
    timers = window.schedule(0.05, 0.65)
    end = time.perf_counter() + 0.8
    while time.perf_counter() < end:
        pass
    for timer in timers:
        timer.join()
    used = window.seconds()["me"]
    assert 0.3 <= used <= 0.9, used
    assert CpuWindow({"me": os.getpid()}).seconds() == {}
