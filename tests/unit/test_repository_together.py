"""SwapRepository.together(): a batch step's journal entries commit as one database transaction,
and the crash-injection points fire only after that commit (on a real SQLite file; the fault
hook, which would SIGKILL the process, is replaced by a recorder)."""

from __future__ import annotations

import threading

import pytest

from bridge import faults
from bridge.domain.swap import Leg, Model, Swap, SwapState
from bridge.errors import Conflict
from bridge.store.swaps import SwapRepository


def _swap(n: int) -> Swap:
    return Swap(id=f"0x{n:064x}", model=Model.PVP, state=SwapState.PROPOSED, initiator="yangtze", counterparty="harbour",
                initiator_address="0x" + "1" * 40, counterparty_address="0x" + "2" * 40,
                leg_a=Leg("CNY", "A", 100, "yangtze", "harbour"), leg_b=Leg("HKD", "A", 108, "harbour", "yangtze"),
                rate=10**18, max_deviation_bps=50, deadline=10**10, nonce=n, terms={}, signature_a="0x00")  # fmt: skip


@pytest.fixture()
def fired(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    points: list[str] = []
    monkeypatch.setattr(faults, "after_transition", points.append)
    return points


def test_transitions_inside_commit_together_and_fire_their_fault_points_after(repo: SwapRepository, fired: list[str]) -> None:
    swaps = [repo.create(_swap(n)) for n in (1, 2)]
    with repo.together():
        for swap in swaps:
            repo.transition(swap, SwapState.ACCEPTED)
        assert fired == []  # nothing may be acted upon (or crash) before the whole batch is durable
        others = SwapRepository(repo._sessions)  # another thread's view: its own sessions
        assert [others.get(s.id).state for s in swaps] == [SwapState.PROPOSED] * 2  # not visible to others yet
        assert [repo.get(s.id).state for s in swaps] == [SwapState.ACCEPTED] * 2  # the block sees its own writes
    assert fired == ["accepted", "accepted"]
    assert [repo.get(s.id).state for s in swaps] == [SwapState.ACCEPTED] * 2
    assert [j["to"] for j in repo.journal(swaps[0].id)] == ["proposed", "accepted"]


def test_a_refused_transition_inside_undoes_the_whole_batch(repo: SwapRepository, fired: list[str]) -> None:
    first, second = repo.create(_swap(3)), repo.create(_swap(4))
    stale = repo.get(second.id)
    repo.transition(second, SwapState.CANCELLED)
    fired.clear()
    with pytest.raises(Conflict), repo.together():
        repo.transition(first, SwapState.ACCEPTED)
        repo.transition(stale, SwapState.ACCEPTED)  # it moved meanwhile
    assert fired == []
    assert repo.get(first.id).state is SwapState.PROPOSED
    assert [j["to"] for j in repo.journal(first.id)] == ["proposed"]


def test_a_request_records_its_effect_and_its_answer_together_or_neither(repo: SwapRepository, fired: list[str]) -> None:
    """The API wraps each instruction and its idempotent answer in one block: a failure after the
    effect (here: before the answer commits) leaves neither, so a retry runs afresh."""
    announced: list[str] = []
    with pytest.raises(RuntimeError), repo.together():
        swap = repo.create(_swap(5))
        repo.after_commit(lambda: announced.append(swap.id))
        repo.remember_response("yangtze", "key-5", b"{}", 201, {"id": swap.id})
        raise RuntimeError("the process dies before the commit")
    assert announced == [] and fired == []
    assert repo.get_many([swap.id]) == {} and repo.idempotent_response("yangtze", "key-5", b"{}") is None
    with repo.together():
        repo.create(swap)
        repo.after_commit(lambda: announced.append(swap.id))
        repo.remember_response("yangtze", "key-5", b"{}", 201, {"id": swap.id})
        assert announced == []
    assert announced == [swap.id]
    assert repo.idempotent_response("yangtze", "key-5", b"{}") == (201, {"id": swap.id})


def test_a_nested_block_joins_the_enclosing_transaction(repo: SwapRepository, fired: list[str]) -> None:
    first, second = repo.create(_swap(6)), repo.create(_swap(7))
    fired.clear()
    with repo.together():
        repo.transition(first, SwapState.ACCEPTED)
        with repo.together([second.id]):
            repo.transition(second, SwapState.ACCEPTED)
        assert fired == []  # the inner block's end commits nothing
    assert fired == ["accepted", "accepted"]
    assert {repo.get(s.id).state for s in (first, second)} == {SwapState.ACCEPTED}


def test_a_block_holds_no_write_lock_until_its_first_write(repo: SwapRepository) -> None:
    """Checks and ledger reads before the first write must not keep the worker's writes waiting."""
    with repo.together():
        done = threading.Event()
        writer = threading.Thread(target=lambda: (repo.create(_swap(8)), done.set()))
        writer.start()
        assert done.wait(5)  # another thread wrote while this block had not written yet
        writer.join()
    assert repo.get(_swap(8).id).state is SwapState.PROPOSED
