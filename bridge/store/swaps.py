"""The swap repository and its step journal.

Every state change goes through :meth:`SwapRepository.transition`, which checks it against the
state machine and writes the new state and a journal row in one transaction, *before* the caller
acts on it. :meth:`record_tx` stores a transaction hash right after it is sent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bridge import faults
from bridge.domain.swap import TERMINAL, Leg, Model, Swap, SwapState, check_correction, check_transition, failure
from bridge.errors import Conflict, NotFound
from bridge.store.db import HealthProbeRow, IdempotencyRow, QuoteRecipientRow, QuoteRow, SeenRequestRow, SwapRow, TransitionRow, read_in_one_step


logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def to_body(swap: Swap) -> dict[str, Any]:
    body = dataclasses.asdict(swap)
    body["history"] = []  # the journal table is the history
    return body


def from_body(body: dict[str, Any]) -> Swap:
    data = dict(body)
    data["model"] = Model(data["model"])
    data["state"] = SwapState(data["state"])
    data["leg_a"] = Leg(**data["leg_a"])
    data["leg_b"] = Leg(**data["leg_b"])
    if isinstance(data.get("failure"), str):  # recorded before failures were structured
        data["failure"] = {"step": None, "reason": data["failure"], "ledger": None, "error": None, "error_args": None, "tx_hash": None}
    return Swap(**data)


def _entry(row: Any) -> dict[str, Any]:
    """One journal entry as the event streams and the console's feed carry it."""
    return {"seq": row.seq, "swap_id": row.swap_id, "from": row.from_state, "to": row.to_state, "at": row.at.isoformat(),
            "ledger": row.ledger, "tx_hash": row.tx_hash, "detail": row.detail}


_PRUNE_EVERY_SECONDS = 10
_TAIL_CHUNK = 500  # journal rows a bank's tail reads at a time, walking back
JOURNAL_WRITE_LOCK = 0x636F72726964  # PostgreSQL advisory lock key of the journal's writers ("corrid")
# The states of unfinished swaps. The worker's and the alert watch's queries select these with IN, so they
# read the open swaps through the state index: NOT IN (the terminal states) would scan every swap ever made.
OPEN_STATES = [state.value for state in SwapState if state not in TERMINAL]


@dataclass(frozen=True)
class IssuedQuote:
    """A signed quote as the bridge recorded it when it issued it (hex strings 0x-prefixed, lower case)."""

    hash: str
    participant: str
    base: str
    quote: str
    side: str
    amount: int
    rate: int
    valid_until: int
    terms_hash: str
    signature: str
    mid: int | None = None  # the oracle mid the quote was priced from
    spread_bps: int | None = None
    oracle_round: int | None = None


@dataclass(frozen=True)
class JournalPage:
    entries: list[dict[str, Any]]
    read_to: int  # the last journal position this page read (visible to the reader or not)
    full: bool  # the page was full: more rows may follow at once


@dataclass(frozen=True)
class JournalTail:
    entries: list[dict[str, Any]]  # the newest entries read, oldest first
    read_to: int  # the journal's position when read: the next read starts after it
    moved: bool  # the swap asked about has an entry in the window read


@dataclass(frozen=True)
class JournalCommit:
    """What one committed transaction added to the journal, announced right after its commit (see
    ``SwapRepository(on_journal=…)``)."""

    swap_ids: frozenset[str]
    first_seq: int  # its entries' journal positions: one transaction's are consecutive (journal writers queue)
    last_seq: int
    committing_at: float  # wall-clock time just before its COMMIT: its entries became visible after this


_JOURNALLED = "corridor.journalled"  # session.info key: the journal rows a transaction added


def _added_to_journal(session: Session, rows: list[TransitionRow]) -> None:
    session.info.setdefault(_JOURNALLED, []).extend(rows)


def _about_to_commit(session: Session) -> JournalCommit | None:
    """Flushes the transaction (its journal rows get their positions), and what it journals, if anything."""
    rows: list[TransitionRow] = session.info.pop(_JOURNALLED, [])
    if not rows:
        return None
    session.flush()
    seqs = [row.seq for row in rows]
    return JournalCommit(frozenset(row.swap_id for row in rows), min(seqs), max(seqs), time.time())


class _Unit:
    """The transaction of one :meth:`SwapRepository.together` block, opened at its first write."""

    def __init__(self, sessions: sessionmaker, guard: Any, opened: Callable[[Session], None]) -> None:
        self.stack = ExitStack()
        self.rows: dict[str, SwapRow] = {}  # held here: the session keeps only weak references
        self.committed: list[Callable[[], None]] = []
        self._sessions, self._guard, self._opened = sessions, guard, opened
        self._session: Session | None = None
        self._to_load: list[str] = []

    @property
    def opened(self) -> bool:
        return self._session is not None

    def session(self) -> Session:
        if self._session is None:
            self.stack.enter_context(self._guard)
            self._session = self.stack.enter_context(self._sessions.begin())
            self._opened(self._session)
            self.load(self._to_load)
        return self._session

    def load(self, swap_ids: list[str]) -> None:
        """Reads and locks these swaps' rows: at once if the transaction is open, else when it opens."""
        if self._session is None:
            self._to_load += swap_ids
            return
        missing = [swap_id for swap_id in swap_ids if swap_id not in self.rows]
        if missing:
            rows = self._session.scalars(select(SwapRow).where(SwapRow.id.in_(missing)).with_for_update())
            self.rows.update((row.id, row) for row in rows)


class SwapRepository:
    """Swaps and their journal. ``on_journal``: called (in the writing thread) after every commit that added
    journal entries, whatever wrote them, so that whoever follows the journal (the event streams, the
    console's feed) can read it at once instead of at its next poll."""

    def __init__(self, sessions: sessionmaker, *, on_journal: Callable[[JournalCommit], None] | None = None) -> None:
        self._sessions = sessions
        self._on_journal = on_journal
        self._next_prune = 0
        bind = sessions.kw.get("bind")
        dialect = bind.dialect.name if bind is not None else ""
        # SQLite lets one writer in at a time and makes the others sleep and retry (up to 100 ms a
        # try); queueing this process's writers on a lock instead keeps each write a short wait.
        self._write_guard: Any = threading.Lock() if dialect == "sqlite" else nullcontext()
        # A reader follows the journal by position (the event streams, the console's feed). PostgreSQL hands
        # out positions when rows are inserted, not when they commit: a writer that commits after a later
        # position was read would be skipped for good. So a transaction that may journal (a together()
        # block, create, transition, record_tx) first queues on this process's lock, before it takes a
        # pooled connection (a waiter holds none), then on one transaction-scoped advisory lock (other
        # processes on the same database), both before any row lock, so no two writers wait on each other
        # in turn: positions become visible in order, as on SQLite, whose writers are queued already.
        # Writes that never journal (replay rows, quotes, idempotent answers alone, the health probe) do not queue.
        self._journal_in_order = dialect == "postgresql"
        self._journal_guard: Any = threading.Lock() if self._journal_in_order else nullcontext()
        self._together = threading.local()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A session for reading; inside an open :meth:`together` block, its own (it sees what the block wrote)."""
        unit: _Unit | None = getattr(self._together, "unit", None)
        if unit is not None and unit.opened:
            yield unit.session()
            return
        with self._sessions() as session:
            yield session

    @contextmanager
    def _write(self, *, journal: bool = False) -> Iterator[Session]:
        """A write transaction; ``journal``: it inserts journal entries (see ``_journal_in_order``)."""
        unit: _Unit | None = getattr(self._together, "unit", None)
        if unit is not None:  # inside together(): one transaction for all, committed at its end
            yield unit.session()
            return
        with self._write_guard, self._journal_guard if journal else nullcontext(), self._sessions.begin() as session:
            if journal:
                self._journal_opened(session)
            yield session
            journalled = _about_to_commit(session)
        self._announce(journalled)

    def _announce(self, journalled: JournalCommit | None) -> None:
        if journalled is None or self._on_journal is None:
            return
        try:
            self._on_journal(journalled)
        except Exception:  # the write has committed: a listener's failure must not undo it in the caller's eyes
            logger.exception("announcing journal entries %d–%d failed", journalled.first_seq, journalled.last_seq)

    def _journal_opened(self, session: Session) -> None:
        """Runs first in every transaction that may journal (see ``_journal_in_order``)."""
        if self._journal_in_order:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": JOURNAL_WRITE_LOCK})

    @contextmanager
    def together(self, swap_ids: list[str] | None = None) -> Iterator[None]:
        """Writes made inside (in this thread) commit together, in one database transaction: a batch
        step journals all its swaps at once, a request records its effect and its idempotent answer
        at once. The transaction opens at the first write (checks and ledger reads before it hold
        no lock). Nothing inside is visible before the whole commits; fault points and
        :meth:`after_commit` callbacks run after that commit, and not at all if it fails. A nested
        block joins the enclosing one. ``swap_ids``: the swaps about to change, read (and locked)
        in one query."""
        unit: _Unit | None = getattr(self._together, "unit", None)
        if unit is not None:
            unit.load(swap_ids or [])
            yield
            return
        unit = _Unit(self._sessions, self._journal_guard if self._journal_in_order else self._write_guard, self._journal_opened)
        unit.load(swap_ids or [])
        self._together.unit = unit
        journalled = None
        try:
            with unit.stack:  # on leaving: commit (or roll back), then let the next writer in
                yield
                journalled = _about_to_commit(unit.session()) if unit.opened else None
        finally:
            self._together.unit = None
        self._announce(journalled)
        for callback in unit.committed:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Runs ``callback`` once the enclosing :meth:`together` block has committed (at once outside one)."""
        unit: _Unit | None = getattr(self._together, "unit", None)
        if unit is not None:
            unit.committed.append(callback)
        else:
            callback()

    def _fault_point(self, point: str) -> None:
        self.after_commit(lambda: faults.after_transition(point))

    def create(self, swap: Swap) -> Swap:
        return self.create_many([swap])[0]

    def create_many(self, swaps: list[Swap], *, field: Callable[[int], str] = lambda i: "order") -> list[Swap]:
        """Stores new swaps, all or none (in one transaction); a swap that exists already is a
        :class:`Conflict` naming ``field(index)`` of the first such swap."""
        now = _now()
        ids = [swap.id for swap in swaps]
        with self._write(journal=True) as session:
            seen = set(session.scalars(select(SwapRow.id).where(SwapRow.id.in_(ids))))
            for index, swap_id in enumerate(ids):
                if swap_id in seen:
                    raise Conflict(f"swap {swap_id} already exists", field=field(index))
                seen.add(swap_id)
            session.add_all([SwapRow(id=swap.id, model=swap.model.value, state=swap.state.value, initiator=swap.initiator,
                                     counterparty=swap.counterparty, body=to_body(swap), created_at=now, updated_at=now)
                             for swap in swaps])  # fmt: skip
            try:
                session.flush()
            except IntegrityError as exc:  # the same order recorded concurrently by another request
                raise Conflict("one of these swaps was recorded meanwhile by another request", field=field(0)) from exc
            entries = [TransitionRow(swap_id=swap.id, from_state=None, to_state=swap.state.value, at=now, detail="order received") for swap in swaps]
            session.add_all(entries)
            _added_to_journal(session, entries)
        return swaps

    def get(self, swap_id: str) -> Swap:
        with self._read() as session:
            row = session.get(SwapRow, swap_id)
            if row is None:
                raise NotFound(f"no swap {swap_id}", field="id")
            return from_body(row.body)

    def get_many(self, swap_ids: list[str]) -> dict[str, Swap]:
        """The swaps that exist among ``swap_ids``, in one query (absent ids are simply missing)."""
        with self._read() as session:
            return {body["id"]: from_body(body) for body in session.scalars(select(SwapRow.body).where(SwapRow.id.in_(swap_ids)))}

    def save(self, swap: Swap) -> None:
        """Stores fields that are not a state change (signatures, secret, tx hashes)."""
        with self._write() as session:
            row = session.get(SwapRow, swap.id)
            if row is None:
                raise NotFound(f"no swap {swap.id}", field="id")
            if row.state != swap.state.value:
                raise Conflict(f"swap {swap.id} moved to {row.state} meanwhile", field="state")
            row.body = to_body(swap)
            row.updated_at = _now()
            row.version += 1

    def transition(self, swap: Swap, to: SwapState, *, detail: str | None = None, ledger: str | None = None,
                   tx_hash: str | None = None, block: int | None = None, correction: bool = False) -> Swap:  # fmt: skip
        """Moves ``swap`` to ``to`` (checked against the state machine and the stored state). A
        ``correction`` records what the chains show against the state machine (see
        :func:`bridge.domain.swap.check_correction`); its journal entry says so."""
        if correction:
            check_correction(swap.id, swap.state, to)
            detail = f"reconciled with the chain: {detail}"
        else:
            check_transition(swap.id, swap.state, to)
        with self._write(journal=True) as session:
            row = self._row_for_update(session, swap.id)
            if row is None:
                raise NotFound(f"no swap {swap.id}", field="id")
            if row.state != swap.state.value:
                raise Conflict(f"swap {swap.id} is {row.state}, not {swap.state}", field="state")
            previous = swap.state
            if to is SwapState.FAILED and swap.failure is None:  # every failed swap says where and why
                swap.failure = failure(step=previous, reason=detail or "failed", ledger=ledger, tx_hash=tx_hash)
            swap.state = to
            row.state = to.value
            row.body = to_body(swap)
            row.updated_at = _now()
            row.version += 1
            entry = TransitionRow(swap_id=swap.id, from_state=previous.value, to_state=to.value, at=row.updated_at,
                                  ledger=ledger, tx_hash=tx_hash, block_number=block, detail=detail)  # fmt: skip
            session.add(entry)
            _added_to_journal(session, [entry])
        self._fault_point(to.value)
        return swap

    def _row_for_update(self, session: Session, swap_id: str) -> SwapRow | None:
        unit: _Unit | None = getattr(self._together, "unit", None)
        if unit is not None and swap_id in unit.rows:
            return unit.rows[swap_id]  # read and locked by together()
        return session.get(SwapRow, swap_id, with_for_update=True)

    def record_tx(self, swap: Swap, *, ledger: str, tx_hash: str, detail: str, block: int | None = None) -> None:
        """Journals a transaction hash right after sending (the swap's state does not change)."""
        with self._write(journal=True) as session:
            row = self._row_for_update(session, swap.id)
            if row is None:
                raise NotFound(f"no swap {swap.id}", field="id")
            row.body = to_body(swap)
            row.updated_at = _now()
            entry = TransitionRow(swap_id=swap.id, from_state=swap.state.value, to_state=swap.state.value,
                                  at=row.updated_at, ledger=ledger, tx_hash=tx_hash, block_number=block, detail=detail)  # fmt: skip
            session.add(entry)
            _added_to_journal(session, [entry])
        self._fault_point(f"sent:{swap.state.value}")

    def journal(self, swap_id: str) -> list[dict[str, Any]]:
        return self.journals([swap_id])[swap_id]

    def journals(self, swap_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Each swap's transitions, oldest first, for several swaps in one query."""
        found: dict[str, list[dict[str, Any]]] = {swap_id: [] for swap_id in swap_ids}
        with self._read() as session:
            query = select(TransitionRow).where(TransitionRow.swap_id.in_(swap_ids)).order_by(TransitionRow.seq)
            for r in session.scalars(query):
                found[r.swap_id].append({"from": r.from_state, "to": r.to_state, "at": r.at.isoformat(), "ledger": r.ledger,
                                         "tx_hash": r.tx_hash, "block": r.block_number, "detail": r.detail})  # fmt: skip
        return found

    def last_seq(self) -> int:
        """The journal's latest position (0 when empty)."""
        with self._sessions() as session:
            return int(session.scalar(select(func.max(TransitionRow.seq))) or 0)

    def transitions_since(self, seq: int, *, participant: str | None = None, limit: int = 200) -> JournalPage:
        """The journal after ``seq``, oldest first, a page of up to ``limit`` rows; only the rows of
        ``participant``'s swaps when given (a page may then hold fewer, even none: read on from its
        ``read_to``). The read follows the journal's own order, so its cost does not grow with a
        participant's history."""
        t = TransitionRow
        query = select(t.seq, t.swap_id, t.from_state, t.to_state, t.at, t.ledger, t.tx_hash, t.detail, SwapRow.initiator,
                       SwapRow.counterparty).join(SwapRow, SwapRow.id == t.swap_id)  # plain rows: no ORM objects to build
        query = query.where(t.seq > seq).order_by(t.seq).limit(limit)
        with self._sessions() as session:
            rows = read_in_one_step(session.connection(), query, newest_first=False)  # plain rows, in one step on SQLite
        entries = [_entry(r) for r in rows if participant is None or participant in (r.initiator, r.counterparty)]
        return JournalPage(entries, rows[-1].seq if rows else seq, full=len(rows) == limit)

    def journal_tail(self, seq: int, *, participant: str | None = None, limit: int = 60, swap_id: str | None = None) -> JournalTail:
        """The newest ``limit`` journal entries after ``seq`` (oldest first; only ``participant``'s swaps
        when given), the journal's latest position, and whether ``swap_id`` moved after ``seq``: what a
        live view that shows the latest rows needs. The journal is walked back from its latest position
        by the primary key: the regulator's tail reads ``limit`` rows however far behind ``seq`` is; a
        bank's reads back until it has ``limit`` of its own or reaches ``seq``. (A participant filter in
        SQL would let SQLite's planner start from the bank's swaps instead: every swap it ever made.)"""
        t = TransitionRow
        columns = (t.seq, t.swap_id, t.from_state, t.to_state, t.at, t.ledger, t.tx_hash, t.detail)
        rows: list[Any] = []
        with self._sessions() as session:
            connection = session.connection()
            top = int(connection.execute(select(func.max(t.seq))).scalar() or 0)
            if top <= seq:
                return JournalTail([], seq, moved=False)
            window = (t.seq > seq) & (t.seq <= top)  # up to the position read first: a later row is the next tail's
            moved = swap_id is not None and connection.execute(select(t.seq).where(window, t.swap_id == swap_id).limit(1)).first() is not None
            if participant is None:
                rows = read_in_one_step(connection, select(*columns).where(window).order_by(t.seq.desc()).limit(limit), newest_first=True)
            else:
                query = select(*columns, SwapRow.initiator, SwapRow.counterparty).join(SwapRow, SwapRow.id == t.swap_id)
                below = top + 1
                while len(rows) < limit:
                    chunk = read_in_one_step(connection, query.where(t.seq > seq, t.seq < below).order_by(t.seq.desc()).limit(_TAIL_CHUNK),
                                             newest_first=True)
                    rows += [r for r in chunk if participant in (r.initiator, r.counterparty)]
                    if len(chunk) < _TAIL_CHUNK:
                        break
                    below = chunk[-1].seq
                rows = rows[:limit]
        return JournalTail([_entry(r) for r in reversed(rows)], top, moved=moved)

    def list(self, *, participant: str | None = None, state: str | None = None, since: datetime | None = None,
             limit: int = 50, offset: int = 0) -> list[Swap]:  # fmt: skip
        query = select(SwapRow).order_by(SwapRow.created_at, SwapRow.id)
        if participant:
            query = query.where((SwapRow.initiator == participant) | (SwapRow.counterparty == participant))
        if state:
            query = query.where(SwapRow.state == state)
        if since:
            query = query.where(SwapRow.created_at >= since)
        with self._sessions() as session:
            return [from_body(row.body) for row in session.scalars(query.offset(offset).limit(limit))]

    def active(self, *, proposed: bool = True) -> list[Swap]:
        """Every swap not yet in a terminal state (the worker's and recovery's queue); without those
        still waiting for their counterparty when ``proposed`` is False."""
        states = OPEN_STATES if proposed else [state for state in OPEN_STATES if state != SwapState.PROPOSED.value]
        with self._sessions() as session:  # the bodies alone: no ORM objects to build for a read-only list
            query = select(SwapRow.body).where(SwapRow.state.in_(states)).order_by(SwapRow.created_at, SwapRow.id)  # oldest first
            return [from_body(body) for body in session.scalars(query)]

    def waiting(self) -> list[tuple[Swap, datetime]]:
        """Every unfinished swap with when it entered its current state (its latest journal entry that
        changed the state: a transaction recorded in the same state does not count)."""
        t = TransitionRow
        entered = (select(func.max(t.at)).where(t.swap_id == SwapRow.id, (t.from_state.is_(None)) | (t.from_state != t.to_state))
                   .correlate(SwapRow).scalar_subquery())  # fmt: skip
        query = select(SwapRow.body, entered).where(SwapRow.state.in_(OPEN_STATES))
        with self._sessions() as session:
            rows = session.execute(query).all()
        return [(from_body(body), at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)) for body, at in rows if at is not None]

    def pending_transactions(self) -> dict[str, int]:
        """Transactions sent and not yet confirmed, by ledger: active swaps whose latest journal entry
        is a transaction hash recorded right after sending (same state, no block yet)."""
        t = TransitionRow
        latest = select(func.max(t.seq)).where(t.swap_id == SwapRow.id).correlate(SwapRow).scalar_subquery()
        query = (select(t.ledger, func.count()).select_from(SwapRow).join(t, t.seq == latest)
                 .where(SwapRow.state.in_(OPEN_STATES), t.tx_hash.is_not(None), t.block_number.is_(None), t.from_state == t.to_state)
                 .group_by(t.ledger))  # fmt: skip
        with self._sessions() as session:
            return {str(ledger): int(count) for ledger, count in session.execute(query)}

    def probe_write(self) -> None:
        """Writes (and removes) a page-sized row in one transaction: what every signed request needs
        (each writes a replay row), so a full, read-only or locked database fails here as it would there."""
        with self._write() as session:
            session.execute(insert(HealthProbeRow).values(at=_now(), payload="x" * 4096))
            session.execute(delete(HealthProbeRow))

    def count_by_state(self) -> dict[str, int]:
        with self._sessions() as session:
            counts: dict[str, int] = {}
            for state in session.scalars(select(SwapRow.state)):
                counts[state] = counts.get(state, 0) + 1
            return counts

    # ─── idempotency and replay protection ───────────────────────────────────────────────

    def idempotent_response(self, participant: str, key: str, request_body: bytes) -> tuple[int, dict[str, Any]] | None:
        digest = hashlib.sha256(request_body).hexdigest()
        with self._sessions() as session:
            row = session.get(IdempotencyRow, (participant, key))
            if row is None:
                return None
            if row.request_hash != digest:
                raise Conflict("this Idempotency-Key was used with a different request body", field="Idempotency-Key")
            return row.status, row.response

    def remember_response(self, participant: str, key: str, request_body: bytes, status: int, response: dict[str, Any]) -> None:
        digest = hashlib.sha256(request_body).hexdigest()
        try:
            with self._write() as session:
                session.add(IdempotencyRow(participant=participant, key=key, request_hash=digest, status=status,
                                           response=json.loads(json.dumps(response, default=str)), created_at=_now()))  # fmt: skip
        except IntegrityError:
            pass  # a concurrent retry stored the same first response

    # ─── quotes the bridge issued ────────────────────────────────────────────────────────

    def save_quote(self, quote: IssuedQuote) -> None:
        """Records the quote as issued to ``quote.participant`` (the same terms issued to another bank
        before keep their first record and gain this recipient)."""
        try:
            self._save_quote(quote)
        except IntegrityError:  # the same terms recorded concurrently (PostgreSQL): they exist now
            self._save_quote(quote)

    def _save_quote(self, quote: IssuedQuote) -> None:
        with self._write() as session:
            if session.get(QuoteRecipientRow, (quote.hash, quote.participant)) is None:
                session.add(QuoteRecipientRow(hash=quote.hash, participant=quote.participant, created_at=_now()))
            if session.get(QuoteRow, quote.hash) is not None:
                return
            session.add(QuoteRow(hash=quote.hash, participant=quote.participant, base=quote.base, quote=quote.quote,
                                   side=quote.side, amount=str(quote.amount), rate=str(quote.rate),
                                   valid_until=quote.valid_until, terms_hash=quote.terms_hash, signature=quote.signature,
                                   created_at=_now(), mid=None if quote.mid is None else str(quote.mid), spread_bps=quote.spread_bps,
                                   oracle_round=None if quote.oracle_round is None else str(quote.oracle_round)))  # fmt: skip

    def quote(self, quote_hash: str, participant: str) -> IssuedQuote | None:
        """The quote issued to ``participant`` under ``quote_hash`` (0x-prefixed, any case), if the bridge issued it one."""
        with self._read() as session:
            row = session.get(QuoteRow, quote_hash.lower())
            if row is None or session.get(QuoteRecipientRow, (row.hash, participant)) is None:
                return None
            return IssuedQuote(hash=row.hash, participant=participant, base=row.base, quote=row.quote, side=row.side,
                               amount=int(row.amount), rate=int(row.rate), valid_until=row.valid_until,
                               terms_hash=row.terms_hash, signature=row.signature)  # fmt: skip

    def claim_request_signature(self, signature: str, expires_at: int, now: int) -> bool:
        """Records a request signature; False when it was seen before (a replay)."""
        try:
            with self._write() as session:
                if now >= self._next_prune:  # expired signatures can never be replayed: drop them now and then
                    session.execute(delete(SeenRequestRow).where(SeenRequestRow.expires_at < now))
                    self._next_prune = now + _PRUNE_EVERY_SECONDS
                session.add(SeenRequestRow(signature=signature, expires_at=expires_at))
            return True
        except IntegrityError:
            return False
