"""The change feed wakes a subscriber on every change, from any thread, and keeps when the first change
since it last looked was announced (what a live view measures its lag from)."""

from __future__ import annotations

import asyncio
import threading
import time

from bridge.api.changes import ChangeFeed


def test_a_change_from_another_thread_wakes_the_subscriber_and_keeps_the_first_announcement() -> None:
    feed = ChangeFeed()

    async def scenario() -> None:
        with feed.subscribe() as anything, feed.subscribe("0xabc") as one:
            assert anything.take_announced_at() is None and not anything.is_set()
            before = int(time.time() * 1000)
            first = threading.Thread(target=feed.publish, args=("0xdef",))
            first.start()
            first.join()
            await asyncio.wait_for(anything.wait(), 2)
            time.sleep(0.01)
            feed.publish("0xabc")  # a later change: the first announcement since the last look is kept
            await asyncio.wait_for(one.wait(), 2)
            announced = anything.take_announced_at()
            assert announced is not None and before <= announced <= int(time.time() * 1000) - 10
            assert anything.take_announced_at() is None  # taken: the next look starts afresh
            assert one.take_announced_at() is not None and one.take_announced_at() is None
        assert feed._subscribers == {}  # noqa: SLF001 - every subscription ended

    asyncio.run(scenario())
