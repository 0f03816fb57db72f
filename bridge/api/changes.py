"""Wakes server-sent event streams the moment the journal moves, instead of having them poll.

The repository announces every commit that added journal entries (:meth:`ChangeFeed.journalled`, in the
writing thread: worker, request or recovery); streams run on the event loop. A stream subscribes an
:class:`asyncio.Event`; the feed sets every subscribed event thread-safely. A stream clears its event
*before* reading the journal, so a change that lands between the read and the wait still wakes it.

The feed also remembers when each of the latest commits was about to commit (:meth:`ChangeFeed.committing_at`):
the earliest its entries can have become visible, from which the console times how far behind it is.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bridge.store.swaps import JournalCommit

# Streams are woken by the feed; this bounds a wait should a change ever go unannounced (e.g. a
# swap changed by another process sharing the database).
SAFETY_POLL_SECONDS = 1.0


_ALL = "*"
REMEMBERED_COMMITS = 4096  # at least this many of the latest commits' times are kept (a few minutes of a busy bridge)


class ChangeFeed:
    """Subscribers follow one swap (woken only by its changes) or every swap (``swap_id=None``)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        # the latest commits' (last position, first position, moment before COMMIT), in journal order: not their swaps
        self._commits: list[tuple[int, int, float]] = []

    def journalled(self, commit: JournalCommit) -> None:
        """Called from any thread right after ``commit``: wakes the streams of its swaps and of every swap."""
        with self._guard:
            bisect.insort(self._commits, (commit.last_seq, commit.first_seq, commit.committing_at))  # threads may announce out of order
            if len(self._commits) > 2 * REMEMBERED_COMMITS:
                del self._commits[:REMEMBERED_COMMITS]
            subscribers = {*self._subscribers.get(_ALL, ())}
            for swap_id in commit.swap_ids:
                subscribers.update(self._subscribers.get(swap_id, ()))
        self._wake(subscribers)

    def committing_at(self, seq: int) -> float | None:
        """When the transaction that wrote journal position ``seq`` was about to commit (wall clock), if it is
        among the latest commits of this process."""
        with self._guard:
            found = bisect.bisect_left(self._commits, (seq,))
            if found < len(self._commits) and self._commits[found][1] <= seq:
                return self._commits[found][2]
        return None

    def publish(self, swap_id: str) -> None:
        """Called from any thread after ``swap_id`` changed (the journal announces itself: :meth:`journalled`)."""
        with self._guard:
            subscribers = {*self._subscribers.get(swap_id, ()), *self._subscribers.get(_ALL, ())}
        self._wake(subscribers)

    @staticmethod
    def _wake(subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]) -> None:
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
