"""The console's live counts: a full count once, then only the journal entries written since. At every
journal position they must equal a full count of every swap (the report's), whatever moved."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bridge.domain.swap import ALLOWED, Leg, Model, Swap, SwapState
from bridge.store import live_counts
from bridge.store.db import TransitionRow
from bridge.store.journal_reader import JournalReader
from bridge.store.live_counts import LiveCounts
from bridge.store.swaps import SwapRepository


def _swap(n: int) -> Swap:
    return Swap(id=f"0x{n:064x}", model=Model.PVP if n % 3 else Model.HTLC, state=SwapState.PROPOSED, initiator="yangtze",
                counterparty="harbour", initiator_address="0x" + "1" * 40, counterparty_address="0x" + "2" * 40,
                leg_a=Leg("CNY" if n % 2 else "SGD", "A", 1_000 + n, "yangtze", "harbour"), leg_b=Leg("HKD", "B", 7 * n + 3, "harbour", "yangtze"),
                rate=10**18, max_deviation_bps=50, deadline=10**10, nonce=n, terms={}, signature_a="0x00")  # fmt: skip


def _reader(repo: SwapRepository) -> JournalReader:
    return JournalReader(repo._sessions, database_url="sqlite:///x.db")


def test_live_counts_equal_a_full_count_at_every_step_of_a_random_walk(repo: SwapRepository) -> None:
    reader = _reader(repo)
    live = LiveCounts(reader)
    rng = random.Random(7)
    assert live.current() == reader.aggregates()  # an empty journal
    swaps: dict[str, Swap] = {}
    n = 0
    for step in range(240):
        if step % 9 == 0:  # a file of new swaps, in one transaction
            made = repo.create_many([_swap(n + i) for i in range(rng.randint(1, 6))])
            n += len(made)
            swaps.update({s.id: s for s in made})
        movable = [s for s in swaps.values() if ALLOWED.get(s.state)]
        if movable:
            swap = rng.choice(movable)
            wanted = rng.choice(sorted(ALLOWED[swap.state], key=lambda state: state.value))
            swaps[swap.id] = repo.transition(swap, wanted, detail="walk")
            if rng.random() < 0.2:  # a transaction recorded, the state unchanged
                repo.record_tx(swaps[swap.id], ledger="A", tx_hash="0x" + "ab" * 32, detail="sent")
        if step % 4 == 0:  # the page looks now and then: several entries at once
            assert live.current() == reader.aggregates(), f"step {step}"
    final = live.current()
    assert final == reader.aggregates()
    assert live.full_counts == 1  # counted in full once; everything after from the journal
    assert final.by_state.get("settled") and final.settled_value and final.settled_today == final.settled_value


def test_a_new_day_is_counted_in_full_and_yesterdays_settlements_leave_today(repo: SwapRepository, monkeypatch: pytest.MonkeyPatch) -> None:
    reader, live = _reader(repo), None
    swaps = repo.create_many([_swap(n) for n in range(4)])
    for swap in swaps[:2]:
        repo.transition(swap, SwapState.SETTLED, detail="relayed")
    live = LiveCounts(reader)
    before = live.current()
    assert set(before.settled_today) == {"CNY", "SGD", "HKD"} and live.full_counts == 1
    with repo._sessions.begin() as session:  # those two settled yesterday
        session.execute(update(TransitionRow).values(at=datetime.now(timezone.utc) - timedelta(days=1)))
    tomorrow = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    monkeypatch.setattr("bridge.store.journal_reader.midnight_utc", lambda: tomorrow)
    monkeypatch.setattr(live_counts, "midnight_utc", lambda: tomorrow)
    after = live.current()
    assert live.full_counts == 2 and after.day == tomorrow.date().isoformat()
    assert after.settled_today == {} and after.settled_value == before.settled_value == reader.aggregates().settled_value


def test_a_full_count_reads_one_snapshot_with_the_journal_position_it_covers(repo: SwapRepository) -> None:
    reader = _reader(repo)
    repo.create_many([_swap(n) for n in range(3)])
    with reader.snapshot() as session:
        seen = session.scalar(TransitionRow.__table__.select().with_only_columns(TransitionRow.seq).order_by(TransitionRow.seq.desc()).limit(1))
        repo.create_many([_swap(n) for n in range(3, 5)])  # committed meanwhile, by another connection
        again = session.scalar(TransitionRow.__table__.select().with_only_columns(TransitionRow.seq).order_by(TransitionRow.seq.desc()).limit(1))
    assert seen == again == 3  # the snapshot does not see the later commit
    aggregates, seq = reader.aggregates_at()
    assert seq == 5 and sum(aggregates.by_state.values()) == 5
