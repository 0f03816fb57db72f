"""The journal's aggregates kept up to date by the journal itself, for pages that show them live.

:meth:`JournalReader.aggregates <bridge.store.journal_reader.JournalReader.aggregates>` counts every swap
in the database: about two seconds at 30,000 swaps under load. A live page that wants the counts within a
second of each journal entry cannot afford that, so :class:`LiveCounts` counts once in full (in one
snapshot, with the journal position it covers) and then applies only the entries written since: each
creation adds to its state and model, each state change moves one swap from one state to the other, each
entry into ``settled`` adds the swap's legs to the value settled (and to today's, if it was written since
00:00 UTC). What the journal alone cannot say is counted in full again: a new day, a swap leaving
``settled`` (a correction), or a backlog longer than a count would take. The result is, by construction
and by test, what a full count at that journal position gives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from bridge.store.db import SwapRow, TransitionRow, read_in_one_step
from bridge.store.journal_reader import JournalReader, midnight_utc
from supervision.inputs import SwapAggregates

SETTLED = "settled"
CATCH_UP_LIMIT = 20_000  # entries applied one by one at most; beyond, a full count is the cheaper read


@dataclass(frozen=True)
class Counted:
    aggregates: SwapAggregates
    seq: int  # the journal position the aggregates cover


def _move(counts: dict[str, int], key: str, by: int) -> None:
    value = counts.get(key, 0) + by
    if value:
        counts[key] = value
    else:
        counts.pop(key, None)


class LiveCounts:
    """The aggregates at the journal's latest position; one instance serves every page and request."""

    def __init__(self, reader: JournalReader) -> None:
        self._reader = reader
        self._lock = threading.Lock()  # one reader of the journal at a time; the others take its result
        self._counted: Counted | None = None
        self.full_counts = 0  # how many times it counted every swap (the first, new days, corrections)

    def current(self) -> SwapAggregates:
        with self._lock:
            counted = self._counted
            today = midnight_utc().date().isoformat()
            if counted is None or counted.aggregates.day != today:
                counted = self._full()
            else:
                counted = self._advance(counted) or self._full()
            self._counted = counted
            return counted.aggregates

    def _full(self) -> Counted:
        self.full_counts += 1
        aggregates, seq = self._reader.aggregates_at()
        return Counted(aggregates, seq)

    def _advance(self, counted: Counted) -> Counted | None:
        """``counted`` moved on by the entries written since, or None if only a full count can say."""
        t = TransitionRow
        with self._reader.snapshot() as session:
            query = select(t.seq, t.swap_id, t.from_state, t.to_state, t.at).where(t.seq > counted.seq).order_by(t.seq).limit(CATCH_UP_LIMIT + 1)
            entries = read_in_one_step(session.connection(), query, newest_first=False)
            if not entries:
                return counted
            if len(entries) > CATCH_UP_LIMIT or any(e.from_state == SETTLED and e.to_state != SETTLED for e in entries):
                return None
            # Only what the counts need: a new swap's model (a column) and a settled swap's two legs (not its whole
            # body, which carries the order, its signatures and terms, and would all be parsed under the bridge's GIL).
            created = {e.swap_id for e in entries if e.from_state is None}
            settled_now = {e.swap_id for e in entries if e.to_state == SETTLED and e.from_state != SETTLED}
            models: dict[str, str] = {}
            legs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
            if created:
                models = {row.id: row.model for row in session.execute(select(SwapRow.id, SwapRow.model).where(SwapRow.id.in_(created)))}
            if settled_now:
                query = select(SwapRow.id, SwapRow.body["leg_a"].label("a"), SwapRow.body["leg_b"].label("b")).where(SwapRow.id.in_(settled_now))
                legs = {row.id: (row.a, row.b) for row in session.execute(query)}
        a = counted.aggregates
        by_state, by_model, settled, today = dict(a.by_state), dict(a.by_model), dict(a.settled_value), dict(a.settled_today)
        midnight = datetime.fromisoformat(a.day or "1970-01-01").replace(tzinfo=timezone.utc)
        for e in entries:
            if e.from_state == e.to_state:  # a transaction recorded; the state is unchanged
                continue
            if e.from_state is None:
                _move(by_model, models[e.swap_id], 1)
            else:
                _move(by_state, e.from_state, -1)
            _move(by_state, e.to_state, 1)
            if e.to_state == SETTLED:
                at = e.at if e.at.tzinfo is not None else e.at.replace(tzinfo=timezone.utc)
                for leg in legs[e.swap_id]:
                    currency, amount = str(leg["currency"]), int(leg["amount"])
                    _move(settled, currency, amount)
                    if at >= midnight:
                        _move(today, currency, amount)
        return Counted(replace(a, by_state=by_state, by_model=by_model, settled_value=settled, settled_today=today), entries[-1].seq)
