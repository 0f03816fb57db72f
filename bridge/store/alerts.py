"""Alerts for the supervisor: exceptions the bridge cannot settle by itself and must not ignore.

An alert is keyed by its condition (``unknown_swap:A:0x…``, ``clock_skew``): raising a condition that
is already open counts another occurrence instead of adding a row, so a periodic check can raise it
on every run. Knows SQLAlchemy; knows nothing of HTTP or chains.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bridge.store.db import AlertRow

logger = logging.getLogger(__name__)

# What each kind means (the README's Operations section lists what to do about each).
KINDS = {
    "unknown_swap": "the chains show escrow activity for a swap the journal does not know",
    "journal_contradicted": "the journal recorded an outcome the chains contradict (corrected to the chain's)",
    "one_legged": "one leg of a linked-ledger swap was claimed and the other could not be: a party's principal is at risk",
    "nonce_reused": "a party's signed nonce was used on chain by another instruction",
    "clock_skew": "two ledgers' clocks differ by more than half the safety margin",
    "claim_held": "a claim was held by the token policy (a party frozen or suspended, a currency paused): the funds are "
                  "the receiver's and are paid when the hold lifts",
}


@dataclass(frozen=True)
class Alert:
    id: int
    key: str
    kind: str
    severity: str
    ledger: str | None
    swap_id: str | None
    tx_hash: str | None
    detail: str
    raised_at: str
    last_seen_at: str
    occurrences: int
    resolved_at: str | None
    resolution: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AlertRepository:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions
        self._guard = threading.Lock()  # one writer at a time within this process (SQLite)
        self.raised_total: dict[str, int] = {}  # new alerts raised by this process, by kind

    def raise_alert(self, kind: str, key: str, detail: str, *, severity: str = "critical", ledger: str | None = None,
                    swap_id: str | None = None, tx_hash: str | None = None) -> bool:  # fmt: skip
        """Opens the alert ``key`` (or counts another occurrence of it while it is open); True when new."""
        now = _now()
        with self._guard, self._sessions.begin() as session:
            row = session.scalar(select(AlertRow).where(AlertRow.key == key, AlertRow.resolved_at.is_(None)).limit(1))
            if row is not None:
                row.occurrences += 1
                row.last_seen_at = now
                row.detail = detail
                return False
            session.add(AlertRow(key=key, kind=kind, severity=severity, ledger=ledger, swap_id=swap_id, tx_hash=tx_hash,
                                 detail=detail, raised_at=now, last_seen_at=now, occurrences=1))  # fmt: skip
        self.raised_total[kind] = self.raised_total.get(kind, 0) + 1
        logger.error("alert raised kind=%s key=%s: %s", kind, key, detail)
        return True

    def resolve(self, key: str, resolution: str) -> bool:
        """Closes the open alert ``key`` (a condition that cleared by itself, e.g. clocks back in step)."""
        with self._guard, self._sessions.begin() as session:
            row = session.scalar(select(AlertRow).where(AlertRow.key == key, AlertRow.resolved_at.is_(None)).limit(1))
            if row is None:
                return False
            row.resolved_at, row.resolution = _now(), resolution
        logger.info("alert resolved key=%s: %s", key, resolution)
        return True

    def list(self, *, open_only: bool = False, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[Alert]:
        query = select(AlertRow).order_by(AlertRow.id.desc())
        if open_only:
            query = query.where(AlertRow.resolved_at.is_(None))
        if kind:
            query = query.where(AlertRow.kind == kind)
        with self._sessions() as session:
            return [_public(row) for row in session.scalars(query.offset(offset).limit(limit))]

    def open_by_kind(self) -> dict[tuple[str, str], int]:
        query = select(AlertRow.kind, AlertRow.severity, func.count()).where(AlertRow.resolved_at.is_(None))
        with self._sessions() as session:
            return {(kind, severity): int(n) for kind, severity, n in session.execute(query.group_by(AlertRow.kind, AlertRow.severity))}


def _public(row: AlertRow) -> Alert:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return Alert(row.id, row.key, row.kind, row.severity, row.ledger, row.swap_id, row.tx_hash, row.detail,
                 iso(row.raised_at) or "", iso(row.last_seen_at) or "", row.occurrences, iso(row.resolved_at), row.resolution)  # fmt: skip
