"""Alerts for the supervisor: exceptions the bridge cannot settle by itself and must not ignore, and
the early warnings of :mod:`bridge.engine.watch` (a breaker tripped, a bank frozen, a swap stuck…).

An alert is keyed by its condition (``unknown_swap:A:0x…``, ``clock_skew``): raising a condition that
is already open counts another occurrence instead of adding a row, so a periodic check can raise it
on every run. Each alert has a severity, a first-seen time (``raised_at``), its evidence (what the
check saw, as data), and the regulator's acknowledgement; it is resolved when its condition clears.
Listeners (the webhook, the console's live stream) hear of every alert raised, resolved or
acknowledged, after it is committed. Knows SQLAlchemy; knows nothing of HTTP or chains.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bridge.store.db import AlertRow, DayOpeningRow

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
    "breaker_tripped": "an FX pair's circuit breaker halted it: settlements in it are refused until the regulator resumes it",
    "pair_stale": "an FX pair's latest fixing is older than its allowance: settlements in it are refused",
    "pair_unavailable": "an FX pair has no usable rate (never published, or not listed on a ledger)",
    "bank_frozen": "the regulator has frozen a bank in a currency: its payments in it are refused",
    "currency_paused": "the regulator has paused a currency: nothing moves in it",
    "swap_stuck": "a swap has waited in one state longer than its threshold",
    "lock_expiring": "an HTLC lock nears its expiry without its counterpart lock: the swap will refund",
    "ledger_unreachable": "a ledger does not answer the bridge's probes",
    "ledger_lagging": "a ledger's head block is older than the lag allowed while blocks are due",
    "worker_stalled": "a worker lane has not completed a pass within its allowance",
    "net_debit_high": "a bank's net debit since the day opened is above the configured share of its opening balance",
}
SEVERITIES = ("critical", "warning", "info")


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
    evidence: dict[str, Any] | None = None
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None
    acknowledgement: str | None = None

    @property
    def first_seen(self) -> str:
        return self.raised_at

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "first_seen": self.raised_at}


Listener = Callable[[str, Alert], None]  # ("raised" | "resolved" | "acknowledged", the alert after the change)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AlertRepository:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions
        self._guard = threading.Lock()  # one writer at a time within this process (SQLite)
        self.raised_total: dict[str, int] = {}  # new alerts raised by this process, by kind
        self.version = 0  # counts every change listeners heard of (the console compares it)
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """``listener(event, alert)`` after every alert raised, resolved or acknowledged (in the writer's thread)."""
        self._listeners.append(listener)

    def _tell(self, event: str, row: AlertRow) -> None:
        self.version += 1
        alert = _public(row)
        for listener in list(self._listeners):
            try:
                listener(event, alert)
            except Exception:  # a listener never stops an alert from being recorded
                logger.exception("alert listener failed event=%s key=%s", event, alert.key)

    def raise_alert(self, kind: str, key: str, detail: str, *, severity: str = "critical", ledger: str | None = None,
                    swap_id: str | None = None, tx_hash: str | None = None, evidence: dict[str, Any] | None = None) -> bool:  # fmt: skip
        """Opens the alert ``key`` (or counts another occurrence of it while it is open); True when new."""
        now = _now()
        with self._guard, self._sessions.begin() as session:
            row = session.scalar(select(AlertRow).where(AlertRow.key == key, AlertRow.resolved_at.is_(None)).limit(1))
            if row is not None:
                row.occurrences += 1
                row.last_seen_at = now
                row.detail = detail
                if evidence is not None:
                    row.evidence = evidence
                return False
            row = AlertRow(key=key, kind=kind, severity=severity, ledger=ledger, swap_id=swap_id, tx_hash=tx_hash,
                           detail=detail, raised_at=now, last_seen_at=now, occurrences=1, evidence=evidence)  # fmt: skip
            session.add(row)
        self.raised_total[kind] = self.raised_total.get(kind, 0) + 1
        log = logger.error if severity == "critical" else logger.warning
        log("alert raised kind=%s key=%s: %s", kind, key, detail)
        self._tell("raised", row)
        return True

    def resolve(self, key: str, resolution: str) -> bool:
        """Closes the open alert ``key`` (a condition that cleared by itself, e.g. clocks back in step)."""
        with self._guard, self._sessions.begin() as session:
            row = session.scalar(select(AlertRow).where(AlertRow.key == key, AlertRow.resolved_at.is_(None)).limit(1))
            if row is None:
                return False
            row.resolved_at, row.resolution = _now(), resolution
        logger.info("alert resolved key=%s: %s", key, resolution)
        self._tell("resolved", row)
        return True

    def acknowledge(self, alert_id: int, by: str, note: str | None = None) -> Alert | None:
        """Records that ``by`` (the regulator) has seen alert ``alert_id``; it stays open until its condition
        clears. None when there is no such alert. Acknowledging again keeps the first acknowledgement."""
        with self._guard, self._sessions.begin() as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                return None
            if row.acknowledged_at is not None:
                return _public(row)
            row.acknowledged_at, row.acknowledged_by, row.acknowledgement = _now(), by, note
        logger.info("alert acknowledged id=%s key=%s by=%s", alert_id, row.key, by)
        self._tell("acknowledged", row)
        return _public(row)

    def get(self, alert_id: int) -> Alert | None:
        with self._sessions() as session:
            row = session.get(AlertRow, alert_id)
            return _public(row) if row is not None else None

    def open_keys(self, kind: str) -> set[str]:
        """The keys of the open alerts of ``kind`` (a check resolves those whose condition is gone)."""
        with self._sessions() as session:
            return set(session.scalars(select(AlertRow.key).where(AlertRow.kind == kind, AlertRow.resolved_at.is_(None))))

    def list(self, *, open_only: bool = False, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[Alert]:
        query = select(AlertRow).order_by(AlertRow.id.desc())
        if open_only:
            query = query.where(AlertRow.resolved_at.is_(None))
        if kind:
            query = query.where(AlertRow.kind == kind)
        with self._sessions() as session:
            return [_public(row) for row in session.scalars(query.offset(offset).limit(limit))]

    def day_opening(self, day: str, participant: str, currency: str, observed: int) -> int:
        """``participant``'s ``currency`` balance when ``day`` opened: the first observation recorded (by
        any bridge process), or ``observed`` if this is the first."""
        with self._guard, self._sessions.begin() as session:
            row = session.get(DayOpeningRow, (day, participant, currency))
            if row is None:
                session.add(DayOpeningRow(day=day, participant=participant, currency=currency, balance=str(observed), observed_at=_now()))
                return observed
            return int(row.balance)

    def open_by_kind(self, *, unacknowledged: bool = False) -> dict[tuple[str, str], int]:
        query = select(AlertRow.kind, AlertRow.severity, func.count()).where(AlertRow.resolved_at.is_(None))
        if unacknowledged:
            query = query.where(AlertRow.acknowledged_at.is_(None))
        with self._sessions() as session:
            return {(kind, severity): int(n) for kind, severity, n in session.execute(query.group_by(AlertRow.kind, AlertRow.severity))}


def _public(row: AlertRow) -> Alert:
    def iso(value: datetime | None) -> str | None:  # SQLite hands times back without their zone: they are UTC
        if value is None:
            return None
        return (value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)).isoformat()

    return Alert(row.id, row.key, row.kind, row.severity, row.ledger, row.swap_id, row.tx_hash, row.detail,
                 iso(row.raised_at) or "", iso(row.last_seen_at) or "", row.occurrences, iso(row.resolved_at), row.resolution,
                 dict(row.evidence) if row.evidence else None, iso(row.acknowledged_at), row.acknowledged_by, row.acknowledgement)  # fmt: skip
