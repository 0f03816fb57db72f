"""The ledger's next block time: what quotes start from and what deadlines are judged against."""

from bridge.domain.timing import next_block_time


def test_a_node_with_a_live_pending_block_tells_its_own_time() -> None:
    assert next_block_time(ledger_clock=1_000, wall_clock=1_200.5, live_pending=True) == 1_000  # a ledger behind the bridge
    assert next_block_time(ledger_clock=5_000, wall_clock=1_200.5, live_pending=True) == 5_000  # a ledger ahead


def test_an_idle_head_is_stood_in_for_by_the_bridge_clock_within_the_skew() -> None:
    assert next_block_time(ledger_clock=1_000, wall_clock=1_250.7, live_pending=False) == 1_250
    assert next_block_time(ledger_clock=1_000, wall_clock=1_000 + 301, live_pending=False) == 1_000  # a replayed history keeps its clock
    assert next_block_time(ledger_clock=2_000, wall_clock=1_000, live_pending=False) == 2_000  # the ledger ahead: its own
