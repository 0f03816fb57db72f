"""5 · Market shock: on a second network clocked at 12 January 2015, the ECB's real fixings are replayed
day by day; on the 15th the SNB dropped the EUR/CHF floor and the breaker halts the pair. Every fact
reported is read from that network's chain: the breaker's event (pair, round, jump, transaction), the
escrow's refusal (its error, decoded), and the settlement after the regulator resumes the pair."""

from __future__ import annotations

from datetime import date
from typing import Any

from apps.demo.context import DemoContext, outcome
from corridor.config import Settings
from corridor.errors import ChainRejected
from corridor.keys import REGULATOR
from corridor.network import open_network
from corridor.typed_data import Swap, compact_signature, digest, sign, swap_message
from oracle.replay import replay, start_of
from oracle.status import describe_rejection, read_pair
from supervision.chain import ChainReader, network_facts
from supervision.inputs import ScenarioOutcome
from supervision.units import round_label

REPLAY = "replay network (ECB fixings from 2015-01-12)"


def with_eur_and_chf(settings: Settings) -> Settings:
    """The same network plus EUR and CHF tokens on ledger A, funded at two banks."""
    data = settings.model_dump()
    data["currencies"]["EUR"] = {"name": "Corridor Digital EUR", "decimals": 2, "ledger": "A", "issuer": "pboc"}
    data["currencies"]["CHF"] = {"name": "Corridor Digital CHF", "decimals": 2, "ledger": "A", "issuer": "hkma"}
    data["participants"]["yangtze"]["opening_balances"]["EUR"] = 10_000_000_00
    data["participants"]["harbour"]["opening_balances"]["CHF"] = 10_000_000_00
    data["keys"] = {"mnemonic": settings.keys.mnemonic.get_secret_value() if settings.keys.mnemonic else None,
                    "private_keys": {k: v.get_secret_value() for k, v in settings.keys.private_keys.items()}}  # fmt: skip
    return Settings(**data)


def market_shock(ctx: DemoContext) -> ScenarioOutcome:
    """5 · Market shock: real ECB history for 2015-01-15 trips the EUR/CHF breaker until the regulator resumes it."""
    settings = with_eur_and_chf(ctx.network.settings)
    ctx.say("a second network, its clock set to 12 January 2015, replays the ECB's real fixings day by day")
    with open_network(settings, genesis_timestamp=start_of(date(2015, 1, 12))) as net:
        net.deploy()
        oracle = net.contract("A", "oracle")
        tripped_on = None
        for replayed in replay(net, date(2015, 1, 12), date(2015, 1, 16)):
            state = read_pair(oracle, b"EURCHF")
            halted = [r for r in replayed.rounds if "EURCHF" in r.breaker_tripped and r.ledger == "A"]
            note = f"  [red]→ a jump of {halted[0].jump_bps['EURCHF']:,} bps: EUR/CHF HALTED[/]" if halted else ""
            ctx.say(f"{replayed.day}: EUR/CHF fixing {state.last_mid / 10**8:.4f} (round #{state.latest_round}){note}")
            tripped_on = tripped_on or (replayed.day if halted else None)
        client, pvp = net.clients["A"], net.contract("A", "pvp")
        alice, bob = net.keys.account("yangtze"), net.keys.account("harbour")
        eur, chf = net.token("EUR"), net.token("CHF")
        client.transact(alice, eur.functions.approve(pvp.address, 2**256 - 1))
        client.transact(bob, chf.functions.approve(pvp.address, 2**256 - 1))
        now = int(client.w3.eth.get_block("latest")["timestamp"])
        pairs = [("yangtze", "EUR"), ("harbour", "EUR"), ("yangtze", "CHF"), ("harbour", "CHF")]

        def attempt(nonce: int, rate: int) -> tuple[str, str | None, Any]:
            swap = Swap(alice.address, eur.address, 100_000_00, bob.address, chf.address, 100_000_00 * rate // 10**18, rate, 100, now + 3600, nonce)
            message = swap_message(client.chain_id, pvp.address, swap)
            swap_id = "0x" + digest(message).hex()
            try:
                receipt = client.transact(net.keys.account("relayer"), pvp.functions.settle(swap.as_tuple(), compact_signature(sign(alice, message)), compact_signature(sign(bob, message))))
                return swap_id, "0x" + bytes(receipt["transactionHash"]).hex(), swap
            except ChainRejected as exc:
                return swap_id, None, exc

        last_round = read_pair(oracle, b"EURCHF").latest_round
        before = ctx.snapshot(pairs, net)
        halted_mid = int(oracle.functions.roundData(b"EURCHF", last_round).call()[0]) * 10**10
        swap_id, tx_hash, refused = attempt(1, halted_mid)
        refusal = None
        refused_checks = ctx.checks(before, {}, net)
        if isinstance(refused, ChainRejected):
            described = describe_rejection(refused, ledger="A")
            sentence = described[2] if described else f"{refused.error} {refused.args_by_name}"
            refusal = ctx.chain_refusal(participant="yangtze", action="settle", error=refused.error, rule="oracle pair halted", ledger="A",
                                        swap_id=swap_id, detail=f"the PvP escrow of the {REPLAY} refused a EUR/CHF settlement: {sentence}")  # fmt: skip
            ctx.say(f"a EUR/CHF settlement at the last rate is refused by the PvP escrow: [bold]{refused.error}[/] — {sentence}")
        resume = client.transact(net.keys.account(REGULATOR), oracle.functions.resume(b"EURCHF"))
        resumed_mid = int(oracle.functions.settlementRate(b"EUR", b"CHF").call()[0])
        before = ctx.snapshot(pairs, net)
        settled_id, settled_tx, settled = attempt(2, resumed_mid)
        ctx.say(f"the regulator resumes EUR/CHF (tx {('0x' + bytes(resume['transactionHash']).hex())[:18]}…); a settlement at the new level "
                f"{resumed_mid / 10**18:.4f} CHF per EUR goes through" + (f" (tx {settled_tx[:18]}…)" if settled_tx else ": [red]it did not[/]"))  # fmt: skip
        moved = {}
        if isinstance(settled, Swap):
            moved = {("yangtze", "EUR"): -settled.amountA, ("harbour", "EUR"): settled.amountA, ("yangtze", "CHF"): settled.amountB,
                     ("harbour", "CHF"): -settled.amountB}  # fmt: skip
        checks = refused_checks + ctx.checks(before, moved, net)
        facts = network_facts(net, label=REPLAY)
        events = ChainReader(net, facts).oracle_events()
        ctx.gathered.oracle_events += events
        for event in events:
            if event.kind == "tripped":
                ctx.say(f"from the chain: BreakerTripped {event.pair} round {round_label(event.round)} on ledger {event.ledger}, "
                        f"{(event.previous_mid or 0) / 10**8:.4f} → {(event.mid or 0) / 10**8:.4f} ({event.jump_bps:,} bps), tx {event.tx_hash[:18]}…")  # fmt: skip
    tripped = sorted({e.pair for e in events if e.kind == "tripped"})
    ok = tripped_on == date(2015, 1, 15) and isinstance(refused, ChainRejected) and refused.error == "FxPairHalted" and settled_tx is not None
    summary = (f"{', '.join(tripped) or 'no pair'} halted on {tripped_on} (breaker events from the chain); a settlement refused with "
               f"{refused.error if isinstance(refused, ChainRejected) else 'nothing'} until the regulator resumed the pair")  # fmt: skip
    return outcome(5, "Market shock (ECB 2015-01-15)", summary, checks, ok=ok, swaps=[], refusals=[refusal], network=REPLAY)
