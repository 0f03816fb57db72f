"""Tables, engine and migrations. Knows SQLAlchemy; knows nothing of HTTP or chains."""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, BigInteger, Connection, DateTime, Engine, ForeignKey, Integer, Select, String, Text, create_engine, event, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class Base(DeclarativeBase):
    pass


class SwapRow(Base):
    """A swap: indexed columns for queries, the full domain object as JSON."""

    __tablename__ = "swaps"
    id: Mapped[str] = mapped_column(String(66), primary_key=True)
    model: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    initiator: Mapped[str] = mapped_column(String(64), index=True)
    counterparty: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=0)


class TransitionRow(Base):
    """The step journal: every state change, written before the action it leads to."""

    __tablename__ = "transitions"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    swap_id: Mapped[str] = mapped_column(ForeignKey("swaps.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ledger: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class IdempotencyRow(Base):
    """The first response to each (participant, Idempotency-Key), replayed on retries."""

    __tablename__ = "idempotency"
    participant: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuoteRecipientRow(Base):
    """Who was issued a quote (by hash): a swap may cite only a quote issued to its initiator. Several
    banks asking for the same terms in the same second share one quote (its hash covers terms only)."""

    __tablename__ = "quote_recipients"
    hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuoteRow(Base):
    """A quote the bridge issued and signed: a swap may cite only these (by hash), and only when issued to
    its initiator (:class:`QuoteRecipientRow`); ``participant``: the first it was issued to."""

    __tablename__ = "quotes"
    hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    side: Mapped[str] = mapped_column(String(4))
    amount: Mapped[str] = mapped_column(String(80))  # decimal text: integers beyond 64 bits
    rate: Mapped[str] = mapped_column(String(80))
    valid_until: Mapped[int] = mapped_column(BigInteger)
    terms_hash: Mapped[str] = mapped_column(String(66))
    signature: Mapped[str] = mapped_column(String(132))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mid: Mapped[str | None] = mapped_column(String(80), nullable=True)  # the oracle mid it was priced from
    spread_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    oracle_round: Mapped[str | None] = mapped_column(String(80), nullable=True)


class SeenRequestRow(Base):
    """Signatures of authenticated requests inside the clock window: a replay is refused."""

    __tablename__ = "seen_requests"
    signature: Mapped[str] = mapped_column(String(132), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class HealthProbeRow(Base):
    """Written and removed by the database health probe (a write, as every signed request writes)."""

    __tablename__ = "health_probes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[str] = mapped_column(Text)


class AlertRow(Base):
    """An exception for the supervisor: something the chains show that the journal does not (or
    contradicts), a one-legged swap, ledger clocks too far apart. ``key`` identifies the condition:
    while an alert with that key is open, raising it again only counts."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    ledger: Mapped[str | None] = mapped_column(String(32), nullable=True)
    swap_id: Mapped[str | None] = mapped_column(String(66), nullable=True, index=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # what the check saw, as data
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledgement: Mapped[str | None] = mapped_column(Text, nullable=True)  # the regulator's note


class RefusalRow(Base):
    """An instruction the bridge refused: who, what, the rule that refused it, and the swap it named."""

    __tablename__ = "refusals"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    participant: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64), index=True)
    field: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    swap_id: Mapped[str | None] = mapped_column(String(66), nullable=True, index=True)


class DayOpeningRow(Base):
    """A bank's balance in a currency when the bridge first looked on a (UTC) day: what its net debit
    alert counts from. The first observation of the day wins, whichever bridge process made it."""

    __tablename__ = "day_openings"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    balance: Mapped[str] = mapped_column(String(80))  # decimal text: integers beyond 64 bits
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebChallengeRow(Base):
    """A one-time sign-in challenge for the console: the exact text the participant's key must sign."""

    __tablename__ = "web_challenges"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebSessionRow(Base):
    """A console session: only the SHA-256 of its cookie is stored (a copy of the table opens no session)."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(42))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    challenge_id: Mapped[str] = mapped_column(String(64))


class SupervisoryActionRow(Base):
    """One use of the regulator's powers (freeze, unfreeze, pause, unpause, resume): written before the
    transaction is sent, its hash and block after: the audit trail."""

    __tablename__ = "supervisory_actions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "regulator"
    actor_address: Mapped[str] = mapped_column(String(42))  # whose key signed the transaction
    via: Mapped[str] = mapped_column(String(64))  # "console session 1a2b3c4d", "api"
    action: Mapped[str] = mapped_column(String(16))  # freeze | unfreeze | pause | unpause | resume
    ledger: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    participant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pair: Mapped[str | None] = mapped_column(String(7), nullable=True)  # "EUR/CHF"
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # requested | sent | done | refused | failed
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so API and worker threads coexist."""
    if url.startswith("sqlite"):
        # A pool as large as the API's thread pool plus the worker: connections are reused, never
        # reopened (each new one would run the pragmas below again).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=48, max_overflow=16)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=32)
def _packed_row(names: tuple[str, ...]) -> Any:
    return namedtuple("PackedRow", names)  # noqa: PYI024 - the names are the query's columns, known only here


# What survives SQLite's JSON exactly: integers, text and NULL, and times stored as text. A float or decimal
# would come back rounded to JSON's number, and bytes cannot go into JSON at all.
_PACKABLE = (Integer, String, DateTime)


def read_in_one_step(connection: Connection, query: Select[Any], *, newest_first: bool) -> list[Any]:
    """``query``'s rows (named tuples: ``row.seq``), ordered by its first column (descending with
    ``newest_first``, as the query itself orders them), for a reader that must not wait on busy threads.
    On SQLite the driver gives up Python's interpreter lock for every row it steps through and has to win
    it back each time, and while the bridge's other threads are busy each win can take a switch interval
    or more. Here SQLite packs the rows into one JSON array, returned in a single step, and each value is
    converted as the column's type converts it. Elsewhere (PostgreSQL: one round trip however many rows)
    the query runs as it is. SQLite before 3.44 keeps no order inside the array: it is sorted again here.
    The columns are integers, text or times (:data:`_PACKABLE`), each with its own name."""
    names = tuple(column.key for column in query.selected_columns)
    unpackable = [column.key for column in query.selected_columns if not isinstance(column.type, _PACKABLE)]
    if unpackable:
        raise TypeError(f"read_in_one_step reads integers, text and times only, not {', '.join(unpackable)}")
    row = _packed_row(names)
    if connection.dialect.name != "sqlite":
        return [row(*values) for values in connection.execute(query)]
    inner = query.subquery()
    packed = connection.execute(select(func.json_group_array(func.json_array(*inner.c)))).scalar_one()
    dialect = connection.dialect
    convert = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in inner.c]
    rows = [row(*(value if value is None or how is None else how(value) for value, how in zip(values, convert, strict=True)))
            for values in json.loads(packed)]  # fmt: skip
    rows.sort(key=lambda r: r[0], reverse=newest_first)
    return rows


def migrate(url: str) -> None:
    """Brings the schema at ``url`` to the latest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is a ConfigParser: a literal "%" (URL-encoded socket paths, passwords) must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
