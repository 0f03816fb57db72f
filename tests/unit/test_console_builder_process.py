"""The console's model builder runs in a process of its own; it must not outlive the bridge that spawned
it (a bridge killed or crashed would otherwise leave one idle process behind per start)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SPAWNER = """
import multiprocessing, os, time
from apps.console import model_cache
if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=model_cache._exit_with, args=(os.getpid(),))
    child.start()
    print(child.pid, flush=True)
    time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # exited, waiting to be reaped by whoever adopted it


def test_a_builder_process_leaves_with_the_bridge_that_spawned_it() -> None:
    bridge = subprocess.Popen([sys.executable, "-c", SPAWNER], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert bridge.stdout is not None
    builder = int(bridge.stdout.readline())
    time.sleep(1.5)
    assert not _gone(builder)  # alive while its bridge is
    os.kill(bridge.pid, signal.SIGKILL)
    bridge.wait()
    deadline = time.monotonic() + 10
    while not _gone(builder) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(builder), "the builder process outlived its bridge"
