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


_ALL = "*"


class ChangeFeed:
    """Subscribers follow one swap (woken only by its changes) or every swap (``swap_id=None``)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def publish(self, swap_id: str) -> None:
        """Called from any thread after ``swap_id`` changed."""
        with self._guard:
            subscribers = [*self._subscribers.get(swap_id, ()), *self._subscribers.get(_ALL, ())]
        for loop, event in subscribers:
            if event.is_set():  # a wake-up is pending already; its stream reads the journal after it
                continue
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed; its stream is gone
                pass

    @contextmanager
    def subscribe(self, swap_id: str | None = None) -> Iterator[asyncio.Event]:
        """An event set on every change of ``swap_id`` (of any swap when None) while the context is
        open; call inside the event loop."""
        key = swap_id or _ALL
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._guard:
            self._subscribers.setdefault(key, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._guard:
                subscribers = self._subscribers.get(key, set())
                subscribers.discard(entry)
                if not subscribers:
                    self._subscribers.pop(key, None)


async def changed(event: asyncio.Event, timeout: float, *, gather: float = 0.0) -> None:
    """Waits until ``event`` is set or ``timeout`` passes, then clears it. ``gather``: once woken, wait
    that much longer, so that a burst of changes (a batch settling hundreds of swaps) is read at once
    rather than once per change."""
    try:
        await asyncio.wait_for(event.wait(), timeout)
        if gather:
            await asyncio.sleep(gather)
    except TimeoutError:
        pass
    event.clear()
