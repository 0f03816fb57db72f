"""The journal as the supervision model reads it: aggregates counted in the database over every swap
(the overview and the report used to stop silently at the oldest 10,000), and every swap read page
by page, in order, with its steps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, update

from bridge.domain.swap import Leg, Model, Swap, SwapState
from bridge.store.db import SwapRow, TransitionRow
from bridge.store.journal_reader import JournalReader
from bridge.store.swaps import SwapRepository

COUNT = 10_050  # beyond the old cap


def _swap(n: int) -> Swap:
    model = Model.PVP if n % 3 else Model.HTLC
    return Swap(id=f"0x{n:064x}", model=model, state=SwapState.PROPOSED, initiator="yangtze", counterparty="harbour",
                initiator_address="0x" + "1" * 40, counterparty_address="0x" + "2" * 40,
                leg_a=Leg("CNY", "A", 100 + n, "yangtze", "harbour"), leg_b=Leg("HKD", "A", 2 * n + 1, "harbour", "yangtze"),
                rate=10**18, max_deviation_bps=50, deadline=10**10, nonce=n, terms={}, signature_a="0x00",
                received_at={"A": 1_800_000_000 + n})  # fmt: skip


def test_aggregates_count_every_swap_and_reading_pages_through_all_of_them(repo: SwapRepository) -> None:
    for start in range(0, COUNT, 2_500):
        repo.create_many([_swap(n) for n in range(start, min(COUNT, start + 2_500))])
    settled = [f"0x{n:064x}" for n in range(COUNT) if n % 2 == 0]
    with repo._sessions.begin() as session:  # settled, each with its journal entry
        session.execute(update(SwapRow).where(SwapRow.id.in_(settled)).values(state="settled"))
        session.execute(insert(TransitionRow), [{"swap_id": swap_id, "from_state": "proposed", "to_state": "settled", "at": datetime.now(timezone.utc)}
                                                for swap_id in settled])  # fmt: skip
    reader = JournalReader(repo._sessions, database_url="sqlite:///x.db")
    aggregates = reader.aggregates()
    assert sum(aggregates.by_state.values()) == sum(aggregates.by_model.values()) == COUNT
    assert aggregates.by_state == {"settled": len(settled), "proposed": COUNT - len(settled)}
    assert aggregates.by_model == {"pvp": sum(1 for n in range(COUNT) if n % 3), "htlc": sum(1 for n in range(COUNT) if n % 3 == 0)}
    assert aggregates.settled_value == {"CNY": sum(100 + n for n in range(0, COUNT, 2)), "HKD": sum(2 * n + 1 for n in range(0, COUNT, 2))}
    assert aggregates.settled_today == aggregates.settled_value  # all settled just now
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    with repo._sessions.begin() as session:  # half of them settled yesterday (by their journal entry; a later save moves nothing)
        session.execute(update(TransitionRow).where(TransitionRow.swap_id.in_(settled[: len(settled) // 2]), TransitionRow.to_state == "settled")
                        .values(at=yesterday))  # fmt: skip
        session.execute(update(SwapRow).where(SwapRow.id.in_(settled[len(settled) // 2 :])).values(updated_at=yesterday))
    today = reader.aggregates()
    assert today.settled_value == aggregates.settled_value and today.day == datetime.now(timezone.utc).date().isoformat()
    assert today.settled_today == {"CNY": sum(100 + n for n in range(0, COUNT, 2)[len(settled) // 2:]),
                                   "HKD": sum(2 * n + 1 for n in range(0, COUNT, 2)[len(settled) // 2:])}  # fmt: skip
    read = list(reader.swaps(page=1_000))
    assert len(read) == COUNT and len({swap.id for swap in read}) == COUNT
    assert [swap.id for swap in read[:3]] == [f"0x{n:064x}" for n in range(3)]
    assert read[-1].received_at == {"A": 1_800_000_000 + COUNT - 1}
    assert all(swap.transitions[0].to_state == "proposed" and len(swap.transitions) == 1 + (swap.id in settled) for swap in read[:50])
