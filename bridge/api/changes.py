"""Wakes server-sent event streams the moment a swap changes, instead of having them poll.

The coordinator runs in worker and request threads; streams run on the event loop. A stream
subscribes an :class:`asyncio.Event`; :meth:`ChangeFeed.publish` sets every subscribed event
thread-safely. A stream clears its event *before* reading the journal, so a change that lands
between the read and the wait still wakes it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Streams are woken by the feed; this bounds a wait should a change ever go unannounced (e.g. a
# swap changed by another process sharing the database).
SAFETY_POLL_SECONDS = 1.0


class ChangeFeed:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def publish(self) -> None:
        """Called from any thread after a swap changed."""
        with self._guard:
            subscribers = list(self._subscribers)
        for loop, event in subscribers:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed; its stream is gone
                pass

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Event]:
        """An event set on every change while the context is open (call inside the event loop)."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._guard:
            self._subscribers.add(entry)
        try:
            yield entry[1]
        finally:
            with self._guard:
                self._subscribers.discard(entry)


async def changed(event: asyncio.Event, timeout: float) -> None:
    """Waits until ``event`` is set or ``timeout`` passes, then clears it."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        pass
    event.clear()
