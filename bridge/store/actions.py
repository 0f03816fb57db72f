"""The audit trail of the regulator's powers: every freeze, unfreeze, pause, unpause and resume the
bridge sent for the regulator, written before its transaction is sent (``requested``), with the
transaction's hash right after (``sent``) and its block, or the ledger's refusal, once known (``done``,
``refused``, ``failed``). Knows SQLAlchemy; knows nothing of HTTP or chains."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bridge.store.db import SupervisoryActionRow
from supervision.inputs import ActionRecord


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def action_record(row: SupervisoryActionRow) -> ActionRecord:
    """The row as the supervision model reads it."""
    return ActionRecord(id=row.id, requested_at=_utc(row.requested_at), actor=row.actor, actor_address=row.actor_address, via=row.via,
                        action=row.action, ledger=row.ledger, currency=row.currency, participant=row.participant, pair=row.pair,
                        reason=row.reason, status=row.status, tx_hash=row.tx_hash, block=row.block_number, error=row.error,
                        finished_at=_utc(row.finished_at) if row.finished_at else None)  # fmt: skip


class ActionRepository:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions
        self._guard = threading.Lock()
        self.version = 0
        self._listeners: list[Callable[[ActionRecord], None]] = []

    def listen(self, listener: Callable[[ActionRecord], None]) -> None:
        self._listeners.append(listener)

    def _tell(self, row: SupervisoryActionRow) -> ActionRecord:
        self.version += 1
        entry = action_record(row)
        for listener in list(self._listeners):
            listener(entry)
        return entry

    def requested(self, *, actor: str, actor_address: str, via: str, action: str, ledger: str, currency: str | None = None,
                  participant: str | None = None, pair: str | None = None, reason: str | None = None) -> ActionRecord:  # fmt: skip
        with self._guard, self._sessions.begin() as session:
            row = SupervisoryActionRow(requested_at=datetime.now(timezone.utc), actor=actor, actor_address=actor_address, via=via,
                                       action=action, ledger=ledger, currency=currency, participant=participant, pair=pair,
                                       reason=reason, status="requested")  # fmt: skip
            session.add(row)
        return self._tell(row)

    def update(self, action_id: int, *, status: str, tx_hash: str | None = None, block: int | None = None,
               error: str | None = None) -> ActionRecord:  # fmt: skip
        with self._guard, self._sessions.begin() as session:
            row = session.get(SupervisoryActionRow, action_id)
            assert row is not None, f"no action {action_id}"
            row.status = status
            if tx_hash is not None:
                row.tx_hash = tx_hash
            if block is not None:
                row.block_number = block
            if error is not None:
                row.error = error
            if status in ("done", "refused", "failed"):
                row.finished_at = datetime.now(timezone.utc)
        return self._tell(row)

    def get(self, action_id: int) -> ActionRecord | None:
        with self._sessions() as session:
            row = session.get(SupervisoryActionRow, action_id)
            return action_record(row) if row is not None else None

    def list(self, *, limit: int = 100, offset: int = 0) -> list[ActionRecord]:
        """Newest first."""
        query = select(SupervisoryActionRow).order_by(SupervisoryActionRow.id.desc()).offset(offset).limit(limit)
        with self._sessions() as session:
            return [action_record(row) for row in session.scalars(query)]

    def all(self) -> list[ActionRecord]:
        """Oldest first (for the supervision model)."""
        with self._sessions() as session:
            return [action_record(row) for row in session.scalars(select(SupervisoryActionRow).order_by(SupervisoryActionRow.id))]
