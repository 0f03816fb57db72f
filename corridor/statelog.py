"""Logging of conditions rather than events: one line when a condition starts, one when it clears,
and while it lasts at most one reminder per interval carrying the count of repeats it stood for.

A ledger that stays down for a minute is five log lines, not thousands of tracebacks::

    log = StateLog(logger)
    log.failing(("ledger", "B"), "ledger %s unreachable: %s", "B", reason)   # first: logged
    log.failing(("ledger", "B"), "ledger %s unreachable: %s", "B", reason)   # repeats: counted
    log.cleared(("ledger", "B"), "ledger %s reachable again", "B")          # logged, with the count
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Condition:
    message: str
    started: float
    last_logged: float
    repeats: int = 0


def describe(exc: BaseException) -> str:
    """A short, stable account of ``exc`` for a condition's message: its type and the first line of its
    own reason (a database error's driver message, not the statement and parameters around it), so
    the same failure reads the same every time."""
    orig = getattr(exc, "orig", None)
    reason = str(orig if isinstance(orig, BaseException) else exc).strip().splitlines()
    return f"{type(exc).__name__}: {reason[0][:200] if reason else ''}".rstrip(": ")


class StateLog:
    """Rate-limited logging of conditions keyed by any hashable (thread-safe)."""

    def __init__(self, logger: logging.Logger, *, remind_every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.remind_every = remind_every
        self._clock = clock
        self._open: dict[Hashable, _Condition] = {}
        self._guard = threading.Lock()

    def failing(self, key: Hashable, message: str, *args: object, level: int = logging.WARNING, exc_info: bool = False) -> bool:
        """Records that condition ``key`` holds. Logs when it starts (or its message changes), and
        a reminder at most every ``remind_every`` seconds while it lasts; True when it logged."""
        now = self._clock()
        text = message % args if args else message
        with self._guard:
            condition = self._open.get(key)
            if condition is None or condition.message != text:
                self._open[key] = _Condition(text, now, now)
                log, reminder = True, None
            elif now - condition.last_logged >= self.remind_every:
                reminder = condition.repeats
                condition.repeats, condition.last_logged = 0, now
                log = True
            else:
                condition.repeats += 1
                return False
        if reminder is None:
            self.logger.log(level, text, exc_info=exc_info)
        else:
            self.logger.log(level, "%s (still; %d repeats in the last %.0fs)", text, reminder, self.remind_every)
        return log

    def cleared(self, key: Hashable, message: str, *args: object, level: int = logging.INFO) -> bool:
        """Records that condition ``key`` no longer holds; logs once if it held. True when it logged."""
        with self._guard:
            condition = self._open.pop(key, None)
        if condition is None:
            return False
        text = message % args if args else message
        self.logger.log(level, "%s (after %.1fs)", text, self._clock() - condition.started)
        return True

    def holding(self, key: Hashable) -> bool:
        with self._guard:
            return key in self._open
