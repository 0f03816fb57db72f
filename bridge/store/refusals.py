"""Refused instructions, kept for the supervisor: who sent what, the rule that refused it, the swap it
named. Written in a transaction of its own, after the refused request's own transaction has rolled back.
Knows SQLAlchemy; knows nothing of HTTP or chains."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bridge.store.db import RefusalRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    id: int
    at: datetime
    participant: str | None
    action: str
    status: int
    error: str
    rule: str
    field: str | None
    detail: str
    swap_id: str | None


class RefusalRepository:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions
        self._guard = threading.Lock()  # one writer at a time within this process (SQLite)

    def record(self, *, participant: str | None, action: str, status: int, error: str, rule: str, detail: str,
               field: str | None = None, swap_id: str | None = None) -> None:  # fmt: skip
        with self._guard, self._sessions.begin() as session:
            session.add(RefusalRow(at=datetime.now(timezone.utc), participant=participant, action=action[:16], status=status,
                                   error=error[:64], rule=rule[:64], field=field[:128] if field else None, detail=detail,
                                   swap_id=swap_id))  # fmt: skip

    def list(self, *, after_id: int = 0, limit: int = 1000) -> list[Refusal]:
        """Refusals oldest first, from ``after_id`` on (page through with the last id read)."""
        query = select(RefusalRow).where(RefusalRow.id > after_id).order_by(RefusalRow.id).limit(limit)
        with self._sessions() as session:
            return [Refusal(r.id, r.at, r.participant, r.action, r.status, r.error, r.rule, r.field, r.detail, r.swap_id)
                    for r in session.scalars(query)]  # fmt: skip
