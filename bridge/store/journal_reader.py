"""The journal as the supervision model reads it: aggregates counted in the database over every swap,
and every swap with its steps, read page by page (never a silent cap), turned into
:mod:`supervision.inputs` records. Knows SQLAlchemy; knows nothing of HTTP or chains."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import case, func, or_, select, tuple_
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bridge.store.actions import action_record
from bridge.store.db import AlertRow, QuoteRow, RefusalRow, SupervisoryActionRow, SwapRow, TransitionRow
from supervision.inputs import (ActionRecord, AlertRecord, JournalFacts, LegRecord, QuoteRecord, RefusalRecord, SwapAggregates, SwapRecord,
                                TransitionRecord)  # fmt: skip

PAGE = 1_000  # swaps per query when reading them all


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _failure(value: Any) -> str | None:
    """The swap's ``failure`` as text, whatever shape the bridge gives it (text, or reason/step/error fields)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items() if item not in (None, ""))
    return str(value)


def _leg(body: dict[str, Any]) -> LegRecord:
    return LegRecord(currency=body["currency"], ledger=body["ledger"], amount=int(body["amount"]), payer=body["payer"],
                     receiver=body["receiver"], expiry=body.get("expiry"), lock_tx=body.get("lock_tx"), lock_block=body.get("lock_block"),
                     settle_tx=body.get("settle_tx"), refund_tx=body.get("refund_tx"))  # fmt: skip


def midnight_utc() -> datetime:
    """00:00 UTC today (the bridge's clock): where "today" starts for the value settled today."""
    return datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


class JournalReader:
    def __init__(self, sessions: sessionmaker, *, database_url: str | None = None) -> None:
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        self._sqlite = (bind.dialect.name if bind is not None else make_url(database_url or "sqlite://").get_backend_name()) == "sqlite"
        self._database = _redacted(database_url) if database_url else "(not named)"

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A session whose reads all see the database at one moment (one read transaction): SQLite's
        driver would otherwise run each SELECT on its own, so two queries could straddle a commit."""
        with self._sessions() as session:
            connection = session.connection(execution_options={} if self._sqlite else {"isolation_level": "REPEATABLE READ"})
            if self._sqlite:
                connection.exec_driver_sql("BEGIN")
            try:
                yield session
            finally:
                session.rollback()

    def aggregates(self) -> SwapAggregates:
        """Counts by state and by model, and the value of settled swaps per currency (all of them, and those
        that reached ``settled`` since 00:00 UTC today, by their journal entry), over every swap."""
        return self.aggregates_at()[0]

    def aggregates_at(self) -> tuple[SwapAggregates, int]:
        """:meth:`aggregates` and the journal position they cover (read in one snapshot)."""
        midnight = midnight_utc()
        by_state: dict[str, int] = {}
        by_model: dict[str, int] = {}
        settled: dict[str, int] = {}
        today: dict[str, int] = {}
        with self.snapshot() as session:
            seq = int(session.scalar(select(func.coalesce(func.max(TransitionRow.seq), 0))) or 0)
            for state, model, n in session.execute(select(SwapRow.state, SwapRow.model, func.count()).group_by(SwapRow.state, SwapRow.model)):
                by_state[str(state)] = by_state.get(str(state), 0) + int(n)
                by_model[str(model)] = by_model.get(str(model), 0) + int(n)
            t = TransitionRow
            settled_since_midnight = (select(t.seq).where(t.swap_id == SwapRow.id, t.to_state == "settled", t.at >= midnight,
                                                          or_(t.from_state.is_(None), t.from_state != "settled")).exists())  # fmt: skip
            for leg in ("leg_a", "leg_b"):
                currency = SwapRow.body[leg]["currency"].as_string()
                amount = SwapRow.body[leg]["amount"].as_numeric(78, 0)
                recent = func.sum(case((settled_since_midnight, amount), else_=0))
                query = select(currency, func.sum(amount), recent).where(SwapRow.state == "settled").group_by(currency)
                for code, total, since_midnight in session.execute(query):
                    settled[str(code)] = settled.get(str(code), 0) + int(total or 0)
                    today[str(code)] = today.get(str(code), 0) + int(since_midnight or 0)
        aggregates = SwapAggregates(by_state=by_state, by_model=by_model, settled_value=settled,
                                    settled_today={code: value for code, value in today.items() if value}, day=midnight.date().isoformat())  # fmt: skip
        return aggregates, seq

    def swaps(self, *, page: int = PAGE) -> Iterator[SwapRecord]:
        """Every swap, oldest first (by when the bridge received it), read ``page`` at a time with its steps."""
        after: tuple[datetime, str] | None = None
        while True:
            query = select(SwapRow.id, SwapRow.body, SwapRow.created_at).order_by(SwapRow.created_at, SwapRow.id).limit(page)
            if after is not None:
                query = query.where(tuple_(SwapRow.created_at, SwapRow.id) > after)
            with self._sessions() as session:
                rows = session.execute(query).all()
                if not rows:
                    return
                steps: dict[str, list[TransitionRecord]] = {row.id: [] for row in rows}
                t = TransitionRow
                for r in session.execute(select(t.seq, t.swap_id, t.from_state, t.to_state, t.at, t.ledger, t.tx_hash, t.block_number,
                                                t.detail).where(t.swap_id.in_(list(steps))).order_by(t.seq)):  # fmt: skip
                    steps[r.swap_id].append(TransitionRecord(seq=r.seq, from_state=r.from_state, to_state=r.to_state, at=_utc(r.at),
                                                             ledger=r.ledger, tx_hash=r.tx_hash, block=r.block_number, detail=r.detail))  # fmt: skip
            for row in rows:
                yield self._record(row.body, _utc(row.created_at), steps[row.id])
            after = (rows[-1].created_at, rows[-1].id)
            if len(rows) < page:
                return

    @staticmethod
    def _record(body: dict[str, Any], created_at: datetime, steps: list[TransitionRecord]) -> SwapRecord:
        return SwapRecord(id=body["id"], model=body["model"], state=body["state"], initiator=body["initiator"],
                          counterparty=body["counterparty"], leg_a=_leg(body["leg_a"]), leg_b=_leg(body["leg_b"]), rate=int(body["rate"]),
                          max_deviation_bps=int(body["max_deviation_bps"]), deadline=int(body["deadline"]),
                          oracle_mid=int(body["oracle_mid"]) if body.get("oracle_mid") is not None else None,
                          oracle_round=int(body["oracle_round"]) if body.get("oracle_round") is not None else None,
                          quote_hash=body.get("quote_hash"), hashlock=body.get("hashlock"), failure=_failure(body.get("failure")),
                          received_at={str(k): int(v) for k, v in (body.get("received_at") or {}).items()}, created_at=created_at,
                          transitions=tuple(steps))  # fmt: skip

    def refusals(self) -> list[RefusalRecord]:
        with self._sessions() as session:
            return [RefusalRecord(id=f"R{r.id}", at=_utc(r.at), participant=r.participant, action=r.action, status=r.status, error=r.error,
                                  rule=r.rule, detail=r.detail, field=r.field, swap_id=r.swap_id)
                    for r in session.scalars(select(RefusalRow).order_by(RefusalRow.id))]  # fmt: skip

    def alerts(self) -> list[AlertRecord]:
        with self._sessions() as session:
            return [alert_record(a) for a in session.scalars(select(AlertRow).order_by(AlertRow.id))]

    def actions(self) -> list[ActionRecord]:
        """The regulator's powers used through the bridge, oldest first (the audit trail)."""
        with self._sessions() as session:
            return [action_record(a) for a in session.scalars(select(SupervisoryActionRow).order_by(SupervisoryActionRow.id))]

    def quotes(self) -> list[QuoteRecord]:
        with self._sessions() as session:
            return [QuoteRecord(hash=q.hash, participant=q.participant, base=q.base, quote=q.quote, side=q.side, amount=int(q.amount),
                                rate=int(q.rate), mid=int(q.mid) if q.mid else None, spread_bps=q.spread_bps,
                                oracle_round=int(q.oracle_round) if q.oracle_round else None, valid_until=q.valid_until,
                                created_at=_utc(q.created_at))
                    for q in session.scalars(select(QuoteRow).order_by(QuoteRow.created_at))]  # fmt: skip

    def swap(self, swap_id: str) -> SwapRecord | None:
        """One swap with its steps (None when the journal does not know it)."""
        with self._sessions() as session:
            row = session.get(SwapRow, swap_id)
            if row is None:
                return None
            t = TransitionRow
            steps = [TransitionRecord(seq=r.seq, from_state=r.from_state, to_state=r.to_state, at=_utc(r.at), ledger=r.ledger,
                                      tx_hash=r.tx_hash, block=r.block_number, detail=r.detail)
                     for r in session.scalars(select(t).where(t.swap_id == swap_id).order_by(t.seq))]  # fmt: skip
            return self._record(row.body, _utc(row.created_at), steps)

    def facts(self) -> JournalFacts:
        """Everything, for one report."""
        return JournalFacts(aggregates=self.aggregates(), swaps=tuple(self.swaps()), refusals=tuple(self.refusals()),
                            alerts=tuple(self.alerts()), quotes=tuple(self.quotes()), database=self._database,
                            actions=tuple(self.actions()))  # fmt: skip


def alert_record(a: AlertRow) -> AlertRecord:
    return AlertRecord(id=a.id, kind=a.kind, severity=a.severity, ledger=a.ledger, swap_id=a.swap_id, tx_hash=a.tx_hash,
                       detail=a.detail, raised_at=_utc(a.raised_at), last_seen_at=_utc(a.last_seen_at), occurrences=a.occurrences,
                       resolved_at=_utc(a.resolved_at) if a.resolved_at else None, resolution=a.resolution,
                       evidence=dict(a.evidence) if a.evidence else None,
                       acknowledged_at=_utc(a.acknowledged_at) if a.acknowledged_at else None, acknowledged_by=a.acknowledged_by,
                       acknowledgement=a.acknowledgement)  # fmt: skip


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: say where without it
        return "(database)"
