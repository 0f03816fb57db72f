"""Fault injection for crash-safety tests: ``CORRIDOR_FAULT_KILL_AFTER=<state>`` makes the bridge
process kill itself with SIGKILL right after committing that transition (``sent:<state>`` right
after journaling a transaction hash sent in that state). Unset in production: a no-op."""

from __future__ import annotations

import os
import signal


def after_transition(point: str) -> None:
    if os.environ.get("CORRIDOR_FAULT_KILL_AFTER") == point:
        os.kill(os.getpid(), signal.SIGKILL)
