"""The console's live feed: server-sent events on the cookie session, pushed the moment something changes.

Woken by the bridge's swap change feed (every journal entry) and the console's own (alerts, the audit
trail, a rebuilt model), it sends:

- ``transition``: the newest journal entries since the last event (at most the feed's ``FEED_ROWS``), as
  the feed's table rows, newest first (a bank's session: only its own swaps); ``id`` is the journal
  position read to, so a reconnecting browser resumes where it stopped;
- ``swap``: the swap the page shows (``?swap=``) moved: its page re-fetches it;
- ``counts`` (regulator): the counts panel, the model's counts over the journal's aggregates, at most
  once a second under load;
- ``alerts`` (regulator): the alerts banner, whenever an alert is raised, resolved or acknowledged;
- ``actions`` (regulator): the audit trail moved; ``model``: a rebuilt model (its version);
- ``session-expired``: the session ended; the page goes to the sign-in page.

A stream lasts at most five minutes; the browser reconnects at once with the last ``id`` it saw.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from apps.console.access import ENV, ConsoleDenied, SessionDep, StateDep, banner
from apps.console.pages import FEED_ROWS, feed_row, live_counts
from apps.console.render import counts_chart
from apps.console.state import ConsoleState
from bridge.api.auth import REGULATOR
from bridge.api.sessions import COOKIE

router = APIRouter(prefix="/console", include_in_schema=False)
logger = logging.getLogger(__name__)
RESUME_ID = re.compile(r"[0-9]{1,18}")  # a journal position the browser saw (Last-Event-ID)
MAX_STREAM_SECONDS = 300.0
MAX_STREAMS_PER_SESSION = 8  # one session's live pages open at once (each holds a connection and reads the journal)
COUNTS_EVERY = 1.0  # the counts panel is re-sent at most this often…
COUNTS_CPU_SHARE = 0.02  # …and never with more than this share of one CPU…
COUNTS_EVERY_MAX = 5.0  # …but at least this often: one full count (the first, a new day) does not hold back the cheap ones after it
GATHER_SECONDS = 0.05  # once woken, what else changes within this is sent in the same event…
READ_EVERY_SECONDS = 0.25  # …and the journal is read at most this often (a busy bridge wakes the stream all the time)
SESSION_CHECK_SECONDS = 5.0
HEARTBEAT_SECONDS = 15.0


def _counts_panel(request: Request, state: ConsoleState) -> tuple[str, float]:
    """The counts panel (the journal's aggregates through the model's counts), and the CPU time it took
    (this thread's: under load its wall time is mostly waiting for the interpreter lock, which is not a
    cost to ration)."""
    started = time.thread_time()
    counts = live_counts(request, state)
    html = ENV.get_template("_counts.html.j2").render(counts=counts, counts_chart=counts_chart(counts.by_state), chart=ENV.globals["chart"])
    return html, time.thread_time() - started


def sse(event: str, data: str, *, event_id: int | None = None) -> str:
    lines = [f"event: {event}"] + ([f"id: {event_id}"] if event_id is not None else [])
    lines += [f"data: {line}" for line in (data.splitlines() or [""])]
    return "\n".join(lines) + "\n\n"


async def _any(events: list[asyncio.Event], task: asyncio.Future[Any] | None, timeout: float) -> None:
    """Until one of ``events`` is set, ``task`` (if any) is done, or ``timeout`` passes."""
    waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters + ([task] if task is not None else []), timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


@router.get("/stream")
async def stream(request: Request, session: SessionDep, state: StateDep, swap: str | None = None,
                 since: Annotated[int | None, Query(ge=0, le=2**62)] = None, alerts_seen: Annotated[int | None, Query(alias="alerts", ge=0, le=2**62)] = None,
                 actions_seen: Annotated[int | None, Query(alias="actions", ge=0, le=2**62)] = None,
                 model_seen: Annotated[int | None, Query(alias="model", ge=0, le=2**62)] = None) -> StreamingResponse:
    """The page's live updates. ``since``, ``alerts``, ``actions`` and ``model``: where the page's figures
    stood when it was built (:func:`~apps.console.access.marks_now`); what moved since is sent at once. A
    reconnecting browser's ``Last-Event-ID`` takes precedence over ``since``."""
    regulator = session.participant == REGULATOR
    participant = None if regulator else session.participant
    repo, alerts, actions = request.app.state.repo, request.app.state.alerts, request.app.state.actions
    changes = request.app.state.changes
    if swap is not None and not regulator:
        record = await run_in_threadpool(state.reader.swap, swap)
        if record is None or participant not in (record.initiator, record.counterparty):
            raise ConsoleDenied(403, "Not your swap", "A bank's session sees only the swaps it is a party to.")
    resume = request.headers.get("Last-Event-ID", "")
    if RESUME_ID.fullmatch(resume):
        start = int(resume)
    else:
        start = since if since is not None else await run_in_threadpool(repo.last_seq)
    token = request.cookies.get(COOKIE, "")
    rows = ENV.get_template("_feed_row.html.j2")
    if state.streams_by_session.get(session.id_hash, 0) >= MAX_STREAMS_PER_SESSION:
        raise ConsoleDenied(429, "Too many live pages", f"This session has {MAX_STREAMS_PER_SESSION} live pages open: close one.")

    async def events() -> AsyncIterator[str]:
        # Counted once the response runs (a stream that never starts never ends either).
        state.streams += 1
        state.streams_by_session[session.id_hash] = state.streams_by_session.get(session.id_hash, 0) + 1
        try:
            yield "retry: 500\n\n"
            async for event in follow():
                yield event
        finally:
            state.streams -= 1
            left = state.streams_by_session.get(session.id_hash, 1) - 1
            if left > 0:
                state.streams_by_session[session.id_hash] = left
            else:
                state.streams_by_session.pop(session.id_hash, None)

    async def follow() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        seq = start
        began = loop.time()
        seen_alerts = alerts.version if alerts_seen is None else alerts_seen
        seen_actions = actions.version if actions_seen is None else actions_seen
        latest = state.cache.latest
        seen_model = (latest.version if latest is not None else 0) if model_seen is None else model_seen
        counts_due, counts_sent, counts_every = False, 0.0, COUNTS_EVERY
        counting: asyncio.Future[tuple[str, float]] | None = None
        checked, beat = began, began
        unseen_at = 0  # when the previous read began, in ms (0: none yet; the page's own read is not timed)

        def committed_after(entry: dict[str, Any]) -> int | None:
            """A time ``entry``'s commit came after: its transaction's last moment before COMMIT (this process's
            recent commits), or the previous read, which did not see it."""
            committing = changes.committing_at(entry["seq"])
            return max(unseen_at, int(committing * 1000) if committing is not None else 0) or None

        try:
            with changes.subscribe() as swaps_changed, state.feed.subscribe() as console_changed:
                while True:
                    swaps_changed.clear()
                    console_changed.clear()
                    # The feed shows its latest FEED_ROWS rows: only those are read (and sent), however many
                    # entries came since the last read; the event id still moves past all of them.
                    reading, read_began = int(time.time() * 1000), loop.time()
                    tail = await run_in_threadpool(repo.journal_tail, seq, participant=participant, limit=FEED_ROWS, swap_id=swap)
                    moved = tail.moved
                    if tail.entries:  # one event for what one wake-up read: its newest rows first (the feed's order)
                        html = "".join(rows.render(row=feed_row(entry, committed_after_ms=committed_after(entry))) for entry in reversed(tail.entries))
                        yield sse("transition", html, event_id=tail.read_to)
                    unseen_at = reading  # what the next read finds was committed after this read began
                    seq = max(seq, tail.read_to)
                    if moved:
                        yield sse("swap", swap or "")
                    now = loop.time()
                    if regulator:
                        if tail.entries:
                            counts_due = True
                            state.cache.want()
                        # Counted beside the feed, not in its way: on a large journal a count takes a while, and the
                        # feed's next rows must not wait for it.
                        if counting is not None and counting.done():
                            failed, counted = counting.exception(), counting
                            counting, counts_sent = None, loop.time()
                            if failed is not None:  # the feed goes on; the counts are tried again
                                logger.warning("console counts failed: %s", failed)
                                counts_due = True
                            else:
                                html, took = counted.result()
                                state.counts_seconds = took
                                counts_every = min(COUNTS_EVERY_MAX, max(COUNTS_EVERY, took / COUNTS_CPU_SHARE))
                                yield sse("counts", html)
                        if counts_due and counting is None and now - counts_sent >= counts_every:
                            counting = asyncio.ensure_future(run_in_threadpool(_counts_panel, request, state))
                            counts_due = False
                        if alerts.version != seen_alerts:
                            seen_alerts = alerts.version
                            summary = await run_in_threadpool(banner, state, request)
                            yield sse("alerts", ENV.get_template("_alerts_banner.html.j2").render(banner=summary))
                        if actions.version != seen_actions:
                            seen_actions = actions.version
                            yield sse("actions", str(seen_actions))
                        latest = state.cache.latest
                        if latest is not None and latest.version != seen_model:
                            seen_model = latest.version
                            yield sse("model", str(seen_model))
                    if now - checked >= SESSION_CHECK_SECONDS:
                        checked = now
                        # Read-only: an open page is not activity, so an unattended console still ends when idle.
                        if await run_in_threadpool(state.sessions.get, token, touch=False) is None:
                            yield sse("session-expired", "/console/login")
                            return
                    if now - began >= MAX_STREAM_SECONDS:
                        return
                    wait = min(HEARTBEAT_SECONDS - (now - beat), SESSION_CHECK_SECONDS - (now - checked), MAX_STREAM_SECONDS - (now - began))
                    if counts_due and counting is None:
                        wait = min(wait, counts_every - (now - counts_sent))
                    await _any([swaps_changed, console_changed], counting, wait)
                    # A burst (a batch settling a hundred swaps) is read, and sent, at once; under load, at most four
                    # reads (and events) a second cost the bridge and the browser little, still well within the
                    # second; a lone change after a quiet spell is read after GATHER_SECONDS.
                    await asyncio.sleep(max(GATHER_SECONDS, READ_EVERY_SECONDS - (loop.time() - read_began)))
                    if loop.time() - beat >= HEARTBEAT_SECONDS:
                        beat = loop.time()
                        yield ": keepalive\n\n"
                        if regulator:
                            state.cache.want()  # the chains move without the journal (oracle rounds): look again now and then
        finally:
            if counting is not None and not counting.done():
                counting.cancel()  # the stream ended while counting: nobody waits for the panel
            elif counting is not None and not counting.cancelled() and counting.exception() is not None:
                logger.warning("console counts failed as the stream ended: %s", counting.exception())

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
