"""The queries the worker and the alert watch run on every pass read the open swaps through the state
index and each one's journal through its swap index: their cost follows the open swaps, never the
journal's or the swap table's whole history (SQLite's query plans, on a real file)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import Float, event, literal, select

from bridge.domain.swap import Leg, Model, Swap, SwapState
from bridge.store.db import SwapRow, TransitionRow, read_in_one_step
from bridge.store.swaps import SwapRepository


def _swap(n: int, model: Model = Model.PVP) -> Swap:
    return Swap(id=f"0x{n:064x}", model=model, state=SwapState.PROPOSED, initiator="yangtze", counterparty="harbour",
                initiator_address="0x" + "1" * 40, counterparty_address="0x" + "2" * 40,
                leg_a=Leg("CNY", "A", 100, "yangtze", "harbour"), leg_b=Leg("HKD", "A", 108, "harbour", "yangtze"),
                rate=10**18, max_deviation_bps=50, deadline=10**10, nonce=n, terms={}, signature_a="0x00")  # fmt: skip


@contextmanager
def plans(repo: SwapRepository) -> Iterator[list[str]]:
    """Every query plan step SQLite chose for the statements run inside the block."""
    engine = repo._sessions.kw["bind"]
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001 - SQLAlchemy's hook
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    found: list[str] = []
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)
        with engine.connect() as conn:
            for statement, parameters in statements:
                found += [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]


@pytest.fixture()
def history(repo: SwapRepository) -> SwapRepository:
    """Finished swaps (the history), one swap still proposed, one accepted and one with a transaction sent."""
    for n in range(1, 41):
        swap = repo.transition(repo.create(_swap(n)), SwapState.ACCEPTED)
        swap = repo.transition(swap, SwapState.SETTLING)
        repo.transition(swap, SwapState.SETTLED)
    repo.create(_swap(100))
    repo.transition(repo.create(_swap(101)), SwapState.ACCEPTED)
    sending = repo.transition(repo.transition(repo.create(_swap(102)), SwapState.ACCEPTED), SwapState.SETTLING)
    repo.record_tx(sending, ledger="A", tx_hash="0x" + "ab" * 32, detail="settle sent")
    return repo


def test_the_open_swaps_queries_answer_from_the_open_swaps(history: SwapRepository) -> None:
    assert sorted(int(s.id, 16) for s in history.active()) == [100, 101, 102]
    assert sorted(int(s.id, 16) for s in history.active(proposed=False)) == [101, 102]
    entered = {int(swap.id, 16): (swap.state, at) for swap, at in history.waiting()}
    assert {n: state for n, (state, _) in entered.items()} == {100: SwapState.PROPOSED, 101: SwapState.ACCEPTED, 102: SwapState.SETTLING}
    # the transaction recorded in SETTLING does not restart the clock: the swap entered SETTLING before it
    journal = history.journal(f"0x{102:064x}")
    assert [entry["to"] for entry in journal] == ["proposed", "accepted", "settling", "settling"]
    assert entered[102][1].tzinfo is not None
    assert entered[102][1].replace(tzinfo=None).isoformat() == journal[2]["at"]
    assert history.pending_transactions() == {"A": 1}


def test_no_query_of_a_worker_or_watch_pass_scans_the_history(history: SwapRepository) -> None:
    with plans(history) as steps:
        history.active()
        history.active(proposed=False)
        history.waiting()
        history.pending_transactions()
    assert steps, "no query was seen"
    scans = [step for step in steps if step.startswith("SCAN") and ("swaps" in step or "transitions" in step)]
    assert scans == [], f"full scans: {scans} (plans: {steps})"


def _other_bank(n: int) -> Swap:
    swap = _swap(n)
    return Swap(**{**swap.__dict__, "initiator": "pearlriver", "counterparty": "chaophraya"})


def test_the_journal_tail_is_the_newest_rows_after_a_position(history: SwapRepository) -> None:
    top = history.last_seq()
    theirs = history.create(_other_bank(200))  # another pair of banks' swap
    mine = history.transition(history.create(_swap(201)), SwapState.ACCEPTED)
    tail = history.journal_tail(top, limit=2)
    assert tail.read_to == history.last_seq() == top + 3
    assert [(e["swap_id"], e["to"]) for e in tail.entries] == [(mine.id, "proposed"), (mine.id, "accepted")]  # newest two, oldest first
    assert [e["seq"] for e in history.journal_tail(top, limit=60).entries] == [top + 1, top + 2, top + 3]
    assert [e["swap_id"] for e in history.journal_tail(top, participant="pearlriver").entries] == [theirs.id]
    assert history.journal_tail(top, participant="harbour").entries == history.journal_tail(top + 1).entries
    assert history.journal_tail(top, swap_id=theirs.id).moved and not history.journal_tail(top + 1, swap_id=theirs.id).moved
    nothing = history.journal_tail(top + 3, swap_id=mine.id)
    assert (nothing.entries, nothing.read_to, nothing.moved) == ([], top + 3, False)


def test_the_journal_tail_walks_back_by_position_for_the_regulator_and_for_a_bank(history: SwapRepository) -> None:
    """A bank with a long history of its own (here harbour, party to every swap but one) must not make
    its tail start from its swaps: the walk goes back from the journal's latest position."""
    for n in range(300, 340):  # another pair of banks' swaps, the newest in the journal
        history.create(_other_bank(n))
    with plans(history) as steps:
        regulator = history.journal_tail(3, limit=5, swap_id=f"0x{100:064x}")
        bank = history.journal_tail(3, participant="harbour", limit=5)
    assert len(regulator.entries) == 5 and all(e["swap_id"] != f"0x{100:064x}" for e in regulator.entries)
    assert [e["swap_id"] for e in bank.entries][-1] == f"0x{102:064x}"  # harbour's newest, behind the others' 40
    assert len(bank.entries) == 5 and bank.read_to == regulator.read_to == history.last_seq()
    # (the rows read are packed into one value by scanning what the walk found: ``anon_1``, never a table)
    bad = [step for step in steps if (step.startswith("SCAN") and step != "SCAN anon_1") or "MULTI-INDEX" in step or "TEMP B-TREE" in step
           or "initiator" in step]  # fmt: skip
    assert bad == [], f"not a walk by position: {bad} (plans: {steps})"


def test_a_packed_read_gives_the_rows_and_values_the_query_gives(history: SwapRepository) -> None:
    """On SQLite the tail's rows come back packed in one value (one step of the driver instead of one per
    row): every row and every value (integers, text, None, times) as the plain query gives them."""
    t = TransitionRow
    query = (select(t.seq, t.swap_id, t.from_state, t.to_state, t.at, t.ledger, t.tx_hash, t.block_number, t.detail, SwapRow.initiator)
             .join(SwapRow, SwapRow.id == t.swap_id).order_by(t.seq.desc()).limit(60))  # fmt: skip
    statements: list[str] = []
    engine = history._sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: statements.append(statement))
    with engine.connect() as connection:
        plain = [tuple(row) for row in connection.execute(query)]
        packed = read_in_one_step(connection, query, newest_first=True)
    assert len(plain) == 60 and [tuple(row) for row in packed] == plain
    assert "json_group_array" in statements[-1] and "json_group_array" not in statements[-2]
    ascending = query.order_by(None).order_by(t.seq)  # and oldest first, as the bank event stream reads
    with engine.connect() as connection:
        oldest, plain_oldest = read_in_one_step(connection, ascending, newest_first=False), [tuple(row) for row in connection.execute(ascending)]
    assert [tuple(row) for row in oldest] == plain_oldest and oldest[0].seq < oldest[-1].seq
    assert {type(row.at) for row in packed} == {datetime} and any(row.detail == "settle sent" for row in packed)
    assert any(row.from_state is None for row in packed) and any(row.tx_hash is not None for row in packed)
    with engine.connect() as connection:
        assert read_in_one_step(connection, query.where(t.seq < 0), newest_first=True) == []
        # a type that would not come back exactly (a float through JSON's numbers) is refused, not rounded
        with pytest.raises(TypeError, match="not rate"):
            read_in_one_step(connection, select(t.seq, literal(0.30000000000000004, Float).label("rate")), newest_first=False)


def test_a_banks_tail_reads_back_past_a_chunk_of_other_banks_rows(history: SwapRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    import bridge.store.swaps as store

    monkeypatch.setattr(store, "_TAIL_CHUNK", 7)  # several chunks of others' rows between harbour's entries
    start = history.last_seq()
    mine = history.create(_swap(400))
    for n in range(401, 431):
        history.create(_other_bank(n))
    tail = history.journal_tail(start, participant="harbour", limit=5)
    assert [e["swap_id"] for e in tail.entries] == [mine.id] and tail.read_to == start + 31
    assert history.journal_tail(start + 1, participant="harbour").entries == []
