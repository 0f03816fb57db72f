"""The console's model builder keeps what the ledgers' blocks held between builds (``ChainHistory``): each
build must read only the blocks since the last, and still equal a reading from scratch — also when a
ledger was reset under it (here: an anvil snapshot reverted and different blocks mined at the same heights)."""

from __future__ import annotations

import pytest

from corridor.network import Network
from supervision.chain import ChainHistory, ChainReader, network_facts
from supervision.inputs import ChainFacts

pytestmark = pytest.mark.integration


def _pay(chain: Network, amount: int, *, ledger: str = "A", currency: str = "CNY", sender: str = "yangtze", to: str = "pearlriver") -> None:
    chain.clients[ledger].transact(chain.keys.account(sender), chain.token(currency).functions.transfer(chain.keys.address(to), amount))


def _both(chain: Network, history: ChainHistory) -> tuple[ChainFacts, ChainFacts]:
    facts = network_facts(chain)  # one closing block per ledger for both readings
    return ChainReader(chain, facts, history=history).read(), ChainReader(chain, facts).read()


def _amounts(facts: ChainFacts) -> list[int]:
    return [t.amount for t in facts.transfers if t.ledger == "A" and t.currency == "CNY"]


def test_a_kept_history_reads_only_the_new_blocks_and_equals_a_reading_from_scratch(chain: Network) -> None:
    history = ChainHistory()
    heads = {name: int(client.w3.eth.block_number) for name, client in chain.clients.items()}
    kept, fresh = _both(chain, history)
    assert kept == fresh and history.blocks_read == sum(heads.values())  # the first reading: every block
    first_times = history.times_read
    _pay(chain, 7)
    _pay(chain, 8)
    _pay(chain, 9, ledger="B", currency="THB", sender="chaophraya", to="yangtze")
    read_before = history.blocks_read
    kept, fresh = _both(chain, history)
    grown = {name: int(client.w3.eth.block_number) - heads[name] for name, client in chain.clients.items()}
    assert kept == fresh and history.blocks_read - read_before == sum(grown.values()) > 0  # only the new blocks
    assert _amounts(kept)[-2:] == [7, 8]
    assert history.times_read - first_times <= sum(grown.values()) + 2  # the new blocks' times, not all again
    assert history.forgotten == 0


def test_a_ledger_reset_under_the_history_is_noticed_and_read_afresh(chain: Network) -> None:
    history = ChainHistory()
    client = chain.clients["A"]
    snapshot = client.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    _pay(chain, 11)
    kept, fresh = _both(chain, history)
    assert kept == fresh and 11 in _amounts(kept)
    client.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    client.reset_nonces()
    _pay(chain, 12)  # the same height, another block
    kept, fresh = _both(chain, history)
    assert history.forgotten == 1
    assert kept == fresh and 12 in _amounts(kept) and 11 not in _amounts(kept)
