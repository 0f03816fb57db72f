"""SwapRepository.together(): a batch step's journal entries commit as one database transaction,
and the crash-injection points fire only after that commit (on a real SQLite file; the fault
hook, which would SIGKILL the process, is replaced by a recorder)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bridge import faults
from bridge.domain.swap import Leg, Model, Swap, SwapState
from bridge.errors import Conflict
from bridge.api.changes import ChangeFeed
from bridge.store.swaps import JournalCommit, SwapRepository


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


def test_every_commit_that_journals_is_announced_once_after_it_commits(repo: SwapRepository) -> None:
    """Whatever journals (an order, a transition, a sent transaction, a batch), the commit is announced at
    once, with its swaps and journal positions, and only once visible; a rolled-back one never."""
    announced = []
    visible_then: list[list[str]] = []
    others = SwapRepository(repo._sessions)

    def heard(commit: JournalCommit) -> None:
        announced.append(commit)
        visible_then.append([entry["to"] for entry in others.journal(sorted(commit.swap_ids)[0])])

    journalled = SwapRepository(repo._sessions, on_journal=heard)
    before = time.time()
    first, second = journalled.create_many([_swap(20), _swap(21)])
    journalled.record_tx(first, ledger="A", tx_hash="0x" + "ab" * 32, detail="sent")
    stale = journalled.get(second.id)
    with journalled.together([first.id, second.id]):
        journalled.transition(first, SwapState.ACCEPTED)
        journalled.transition(second, SwapState.ACCEPTED)
        assert len(announced) == 2  # the batch is not announced before it commits
    with pytest.raises(Conflict), journalled.together():
        journalled.transition(first, SwapState.CANCELLED)
        journalled.transition(stale, SwapState.ACCEPTED)  # it moved meanwhile: the block rolls back
    journalled.save(journalled.get(first.id))  # not a journal entry: nothing to announce
    assert [commit.swap_ids for commit in announced] == [{first.id, second.id}, {first.id}, {first.id, second.id}]
    seqs = [entry["seq"] for entry in repo.transitions_since(0, limit=100).entries]
    assert [(commit.first_seq, commit.last_seq) for commit in announced] == [(seqs[0], seqs[1]), (seqs[2], seqs[2]), (seqs[3], seqs[4])]
    assert visible_then == [["proposed"], ["proposed", "proposed"], ["proposed", "proposed", "accepted"]]
    assert before <= announced[0].committing_at <= announced[1].committing_at <= announced[2].committing_at <= time.time()


def test_the_feed_finds_the_commit_of_a_journal_position_and_wakes_its_streams() -> None:
    feed = ChangeFeed()

    async def main() -> list[float | None]:
        with feed.subscribe() as every, feed.subscribe("0xb") as one, feed.subscribe("0xc") as other:
            feed.journalled(JournalCommit(frozenset({"0xb"}), 11, 12, 2.0))
            feed.journalled(JournalCommit(frozenset({"0xa"}), 5, 10, 1.0))  # announced out of order
            await asyncio.sleep(0)
            assert every.is_set() and one.is_set() and not other.is_set()
        return [feed.committing_at(seq) for seq in (4, 5, 10, 11, 12, 13)]

    assert asyncio.run(main()) == [None, 1.0, 1.0, 2.0, 2.0, None]


def test_a_failing_listener_does_not_fail_a_write_that_committed(repo: SwapRepository, caplog: pytest.LogCaptureFixture) -> None:
    def deaf(commit: JournalCommit) -> None:
        raise RuntimeError("listener broke")

    journalled = SwapRepository(repo._sessions, on_journal=deaf)
    swap = journalled.create(_swap(30))
    journalled.transition(swap, SwapState.ACCEPTED)
    assert [entry["to"] for entry in repo.journal(swap.id)] == ["proposed", "accepted"]
    assert "listener broke" in caplog.text
