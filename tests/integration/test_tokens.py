"""The deployed default network on real anvil ledgers: onboarding, minting and the transfer policy,
with refusals decoded to their custom errors."""

from __future__ import annotations

import pytest
from eth_account import Account

from corridor.abi import AbiFunction
from corridor.errors import ChainRejected
from corridor.keys import OPERATOR, REGULATOR
from corridor.network import Network

pytestmark = pytest.mark.integration


def _balance(net: Network, currency: str, who: str) -> int:
    return int(net.token(currency).functions.balanceOf(net.keys.address(who)).call())


def test_deployment_places_each_currency_on_its_home_ledger(chain: Network) -> None:
    deployment = chain.deployment
    assert deployment is not None
    assert set(deployment.ledgers["A"].tokens) == {"CNY", "HKD"}
    assert set(deployment.ledgers["B"].tokens) == {"THB"}
    assert deployment.ledgers["A"].chain_id == 48801
    assert deployment.ledgers["B"].chain_id == 48802
    thb = chain.token("THB")
    assert thb.functions.symbol().call() == "THB"
    assert thb.functions.decimals().call() == 2


def test_every_participant_is_onboarded_on_every_ledger(chain: Network) -> None:
    for ledger in chain.settings.ledgers:
        registry = chain.registry(ledger)
        for name, participant in chain.settings.participants.items():
            status, bic, jurisdiction = registry.functions.participant(chain.keys.address(name)).call()
            assert status == 1
            assert bic.rstrip(b"\0").decode() == participant.bic
            assert jurisdiction.decode() == participant.jurisdiction


def test_opening_balances_and_supply(chain: Network) -> None:
    for code in chain.settings.currencies:
        expected = {name: p.opening_balances.get(code, 0) for name, p in chain.settings.participants.items()}
        for name, amount in expected.items():
            assert _balance(chain, code, name) == amount
        assert chain.token(code).functions.totalSupply().call() == sum(expected.values())


def test_permitted_transfer_moves_exactly_the_amount(chain: Network) -> None:
    client = chain.clients["A"]
    before = (_balance(chain, "HKD", "harbour"), _balance(chain, "HKD", "yangtze"))
    client.transact(chain.keys.account("harbour"), chain.token("HKD").functions.transfer(chain.keys.address("yangtze"), 12_345))
    assert _balance(chain, "HKD", "harbour") == before[0] - 12_345
    assert _balance(chain, "HKD", "yangtze") == before[1] + 12_345


def test_transfer_to_non_participant_is_refused_with_its_error(chain: Network) -> None:
    outsider = Account.create().address
    with pytest.raises(ChainRejected) as caught:
        chain.clients["B"].transact(chain.keys.account("chaophraya"), chain.token("THB").functions.transfer(outsider, 1))
    assert caught.value.error == "SettlementTokenIneligibleAccount"
    assert caught.value.args_by_name == {"account": outsider}
    assert chain.token("THB").functions.balanceOf(outsider).call() == 0


def test_frozen_account_cannot_receive(chain: Network) -> None:
    cny, client = chain.token("CNY"), chain.clients["A"]
    target = chain.keys.address("harbour")
    client.transact(chain.keys.account(REGULATOR), cny.functions.freeze(target))
    with pytest.raises(ChainRejected) as caught:
        client.transact(chain.keys.account("yangtze"), cny.functions.transfer(target, 1))
    assert caught.value.error == "SettlementTokenAccountFrozen"


def test_paused_currency_moves_nothing(chain: Network) -> None:
    hkd, client = chain.token("HKD"), chain.clients["A"]
    client.transact(chain.keys.account(REGULATOR), hkd.functions.pause())
    with pytest.raises(ChainRejected) as caught:
        client.transact(chain.keys.account("harbour"), hkd.functions.transfer(chain.keys.address("yangtze"), 1))
    assert caught.value.error == "EnforcedPause"
    # the pause on ledger A does not touch THB on ledger B
    chain.clients["B"].transact(chain.keys.account("chaophraya"), chain.token("THB").functions.transfer(chain.keys.address("yangtze"), 1))


def test_operator_cannot_mint(chain: Network) -> None:
    operator = chain.keys.account(OPERATOR)
    with pytest.raises(ChainRejected) as caught:
        chain.clients["A"].transact(operator, chain.token("CNY").functions.mint(chain.keys.address("yangtze"), 1))
    assert caught.value.error == "SettlementTokenUnauthorizedIssuer"
    assert caught.value.args_by_name == {"account": operator.address}


def test_suspended_participant_cannot_send(chain: Network) -> None:
    client = chain.clients["A"]
    client.transact(chain.keys.account(OPERATOR), chain.registry("A").functions.suspend(chain.keys.address("pearlriver")))
    with pytest.raises(ChainRejected) as caught:
        client.transact(chain.keys.account("pearlriver"), chain.token("CNY").functions.transfer(chain.keys.address("yangtze"), 1))
    assert caught.value.error == "SettlementTokenIneligibleAccount"


def test_a_snapshot_reads_many_facts_at_once_and_keeps_a_revert_to_its_own_read(chain: Network) -> None:
    """LedgerClient.snapshot (the bridge's instruction checks): the block time and every read in one
    JSON-RPC batch, each encoded directly; a read that reverts yields its decoded error in its place."""
    client, token, oracle = chain.clients["A"], chain.token("CNY"), chain.contract("A", "oracle")
    holder = chain.keys.address("yangtze")
    balance_of = AbiFunction.of(token.abi, "balanceOf")
    settlement_rate = AbiFunction.of(oracle.abi, "settlementRate")
    timestamp, (balance, unpriced, supply) = client.snapshot([
        (token.address, balance_of, (holder,)),
        (oracle.address, settlement_rate, (b"CNY", b"XXX")),  # no such pair: the oracle refuses
        (token.address, AbiFunction.of(token.abi, "totalSupply"), ()),
    ])  # fmt: skip
    assert timestamp == chain.clients["A"].w3.eth.get_block("latest")["timestamp"]
    assert balance == token.functions.balanceOf(holder).call()
    assert supply == token.functions.totalSupply().call()
    with pytest.raises(ChainRejected) as caught:  # the same refusal as a single call decodes it
        client.call(oracle.functions.settlementRate(b"CNY", b"XXX"))
    assert isinstance(unpriced, ChainRejected) and unpriced.error.startswith("Fx")
    assert (unpriced.error, unpriced.args_by_name) == (caught.value.error, caught.value.args_by_name)
