"""The regulator's scenarios 0–4 and 6: each a short story on the live network, told as a supervisor
reads it (bank names, major units, decimal rates, round numbers, the rule that refused), each ending
with a check of the balances it moved — or, for a refusal, that nothing moved."""

from __future__ import annotations

import re
import time

from eth_account import Account
from rich.table import Table
from web3 import Web3

from apps.demo.context import DemoContext, outcome
from corridor.errors import ChainRejected
from corridor.keys import REGULATOR
from supervision.inputs import BalanceCheck, ScenarioOutcome


def foundation(ctx: DemoContext) -> ScenarioOutcome:
    """0 · Foundation: ledgers, registry, permissioned currency tokens."""
    net = ctx.network
    settings, keys = net.settings, net.keys
    assert net.deployment is not None
    for name, ledger in net.deployment.ledgers.items():
        tokens = ", ".join(f"{code} {address}" for code, address in ledger.tokens.items())
        ctx.console.print(f"Ledger [bold]{name}[/] (chain id {ledger.chain_id}) registry {ledger.registry}; tokens: {tokens}")
    table = Table(title="Opening balances (minted by each currency's central bank)")
    table.add_column("bank")
    for code in settings.currencies:
        table.add_column(code, justify="right")
    for bank in settings.banks:
        table.add_row(settings.participants[bank].name, *(ctx.money(code, ctx.balance(bank, code)) for code in settings.currencies))
    ctx.console.print(table)
    sender, receiver = settings.banks[0], settings.banks[1]
    cny, client = net.token("CNY"), net.clients[settings.currency_ledger("CNY")]
    amount = 1_250_000_00
    before = ctx.snapshot([(sender, "CNY"), (receiver, "CNY")])
    receipt = client.transact(keys.account(sender), cny.functions.transfer(keys.address(receiver), amount))
    tx_hash = Web3.to_hex(receipt["transactionHash"])
    ctx.gathered.labels[tx_hash] = "foundation transfer (scenario 0): a permitted payment between two participants"
    ctx.say(f"[green]Permitted[/]: {ctx.name(sender)} pays {ctx.name(receiver)} {ctx.money('CNY', amount)} directly "
            f"(block {receipt['blockNumber']}, tx {tx_hash[:18]}…)")
    checks = ctx.checks(before, {(sender, "CNY"): -amount, (receiver, "CNY"): amount})
    outsider = Account.create().address
    refusal = None
    try:
        client.transact(keys.account(sender), cny.functions.transfer(outsider, 100))
        refused = False
    except ChainRejected as exc:
        refused = exc.error == "SettlementTokenIneligibleAccount"
        refusal = ctx.chain_refusal(participant=sender, action="transfer", error=exc.error, rule="not a participant", ledger=client.name,
                                    detail=f"CNY refused {ctx.name(sender)}'s transfer of {ctx.money('CNY', 100)} to {outsider}, "
                                           "an address that is no participant (refused before it was mined)")  # fmt: skip
        ctx.say(f"[red]Refused[/]: a transfer of {ctx.money('CNY', 100)} to {outsider} (no participant): the CNY token refuses it "
                f"with [bold]{exc.error}[/] — rule: not a participant")  # fmt: skip
    checks.append(_outsider_check(ctx, outsider))
    return outcome(0, "Foundation: ledgers, registry, permissioned tokens", "a permitted transfer moved; a transfer to a non-participant was refused",
                   checks, ok=refused, refusals=[refusal])  # fmt: skip


def _outsider_check(ctx: DemoContext, outsider: str) -> BalanceCheck:
    held = int(ctx.network.token("CNY").functions.balanceOf(outsider).call())
    return BalanceCheck(holder=outsider, currency="CNY", decimals=ctx.network.settings.currencies["CNY"].decimals, expected_change=0,
                        observed_change=held)  # fmt: skip


def same_ledger_pvp(ctx: DemoContext) -> ScenarioOutcome:
    """1 · Same-ledger CNY↔HKD PvP: one transaction, both legs."""
    a, b = ctx.clients["yangtze"], ctx.clients["harbour"]
    amount = 1_000_000_00
    before = ctx.snapshot([("yangtze", "CNY"), ("harbour", "CNY"), ("yangtze", "HKD"), ("harbour", "HKD")])
    rate = ctx.rate("CNY", "HKD")
    ctx.say(f"{ctx.name('yangtze')} offers {ctx.money('CNY', amount)} for HKD at the oracle mid {ctx.rate_text(rate, 'CNY', 'HKD')}")
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=rate, deadline=ctx.now() + 900)
    b.accept(swap, expect={"amountA": amount})
    done = a.wait_for(swap["id"], {"settled", "failed"}, timeout=60)
    settle = next(t for t in done["transitions"] if t["to"] == "settled")
    buy = done["leg_b"]["amount"]
    ctx.say(f"{ctx.name('harbour')} accepts; the PvP escrow moves both legs in [bold]one transaction[/] {settle['tx_hash'][:18]}… "
            f"(block {settle['block']}), checked against oracle round {ctx.round_text(done['oracle_round'])}: "
            f"{ctx.money('CNY', amount)} ⇄ {ctx.money('HKD', buy)}")  # fmt: skip
    checks = ctx.checks(before, {("yangtze", "CNY"): -amount, ("harbour", "CNY"): amount, ("yangtze", "HKD"): buy, ("harbour", "HKD"): -buy})
    return outcome(1, "Same-ledger CNY↔HKD PvP", f"both legs in one transaction (block {settle['block']})", checks,
                   ok=done["state"] == "settled", swaps=[swap["id"]])  # fmt: skip


def cross_ledger_htlc(ctx: DemoContext) -> ScenarioOutcome:
    """2 · Cross-ledger CNY↔THB PvP through HTLCs: both legs, the secret's journey."""
    a, c = ctx.clients["yangtze"], ctx.clients["chaophraya"]
    amount = 500_000_00
    before = ctx.snapshot([("yangtze", "CNY"), ("chaophraya", "CNY"), ("yangtze", "THB"), ("chaophraya", "THB")])
    order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=ctx.now())
    ctx.say(f"{ctx.name('yangtze')} draws a secret and locks it behind hashlock sha256(s) = {order.order.hashlock.hex()[:16]}…, "
            f"at the quoted mid {ctx.rate_text(order.order.rate, 'CNY', 'THB')}")  # fmt: skip
    swap = a.submit_htlc(order)
    c.accept(swap, expect={"sellAmount": amount})
    locked = a.wait_for(swap["id"], {"locked_b", "failed", "refunding"}, timeout=60)
    ctx.say(f"ledger A locks {ctx.money('CNY', amount)} of {ctx.name('yangtze')} until {time.strftime('%H:%M', time.gmtime(order.order.initiatorExpiry))} "
            f"(ledger time); ledger B locks {ctx.money('THB', order.order.buyAmount)} of {ctx.name('chaophraya')} until "
            f"{time.strftime('%H:%M', time.gmtime(order.order.counterpartyExpiry))} (earlier, by the safety margin)")  # fmt: skip
    a.reveal(order)
    ctx.say("the initiator's SDK verifies both locks on chain, then reveals the secret to the bridge")
    done = a.wait_for(swap["id"], {"settled", "refunded", "failed"}, timeout=60)
    ctx.say(f"the claim on ledger B publishes the secret in its Claimed event ({done['leg_b']['settle_tx'][:18]}…); "
            f"the same secret claims ledger A ({done['leg_a']['settle_tx'][:18]}…)")
    buy = order.order.buyAmount
    checks = ctx.checks(before, {("yangtze", "CNY"): -amount, ("chaophraya", "CNY"): amount, ("yangtze", "THB"): buy, ("chaophraya", "THB"): -buy})
    return outcome(2, "Cross-ledger CNY↔THB PvP through HTLCs", "both legs settled; the secret crossed from ledger B to A", checks,
                   ok=locked["state"] == "locked_b" and done["state"] == "settled", swaps=[swap["id"]])  # fmt: skip


def counterparty_default(ctx: DemoContext) -> ScenarioOutcome:
    """3 · Counterparty default: the counterparty never locks; the initiator is refunded at expiry."""
    net = ctx.network
    a, c = ctx.clients["pearlriver"], ctx.clients["chaophraya"]
    amount = 200_000_00
    before = ctx.snapshot([("pearlriver", "CNY"), ("chaophraya", "CNY"), ("pearlriver", "THB"), ("chaophraya", "THB")])
    order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=ctx.now())
    swap = a.submit_htlc(order)
    ctx.worker.pause()  # hold the bridge between the acceptance and the locks, to stage the default
    c.accept(swap)
    # the counterparty defaults: right after accepting it withdraws its approval, so its leg can never be locked
    thb, bank = net.token("THB"), net.keys.account("chaophraya")
    net.clients["B"].transact(bank, thb.functions.approve(net.contract("B", "htlc").address, 0))
    ctx.worker.resume()
    state = a.wait_for(swap["id"], {"refunding", "locked_b"}, timeout=60)["state"]
    ctx.say(f"{ctx.name('chaophraya')} withdrew its approval and never locks its THB; {ctx.money('CNY', amount)} of "
            f"{ctx.name('pearlriver')} waits in the HTLC escrow on ledger A")  # fmt: skip
    jump = order.order.initiatorExpiry - ctx.now("A")
    net.set_time(order.order.initiatorExpiry)
    ctx.say(f"both ledgers' clocks move {jump:,} s ahead to leg A's expiry ({time.strftime('%H:%M', time.gmtime(order.order.initiatorExpiry))} "
            "ledger time); the watchtower refunds the CNY leg to its sender")
    done = a.wait_for(swap["id"], {"refunded", "settled"}, timeout=60)
    net.clients["B"].transact(bank, thb.functions.approve(net.contract("B", "htlc").address, 2**256 - 1))
    refund = done["leg_a"]["refund_tx"]
    ctx.say(f"refunded in {refund[:18]}…: {ctx.name('pearlriver')} has its {ctx.money('CNY', amount)} back; nothing of the THB moved")
    checks = ctx.checks(before, {})
    return outcome(3, "Counterparty default", "the initiator's leg was refunded at its expiry; no principal lost", checks,
                   ok=state == "refunding" and done["state"] == "refunded", swaps=[swap["id"]])  # fmt: skip


def off_market_rate(ctx: DemoContext) -> ScenarioOutcome:
    """4 · Rate outside tolerance: an off-market swap is refused, citing the oracle round."""
    a, b = ctx.clients["yangtze"], ctx.clients["harbour"]
    before = ctx.snapshot([("yangtze", "CNY"), ("harbour", "CNY"), ("yangtze", "HKD"), ("harbour", "HKD")])
    mid = ctx.rate("CNY", "HKD")
    rate = mid * 103 // 100
    ctx.say(f"{ctx.name('yangtze')} offers CNY at {ctx.rate_text(rate, 'CNY', 'HKD')}, 3 % off the oracle mid {ctx.rate_text(mid, 'CNY', 'HKD')}, "
            "with a tolerance of 50 bps")  # fmt: skip
    exc = ctx.refused(lambda: a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=10_000_00, buy="HKD", rate=rate,
                                           deadline=ctx.now() + 900, max_deviation_bps=50))  # fmt: skip
    refusal = ctx.refusal_id() if exc else None
    if exc is not None:
        ctx.say(f"refused by the bridge ({exc.status} {exc.error}, rule: rate outside tolerance): {exc.detail}")
    checks = ctx.checks(before, {})
    ok = exc is not None and exc.status == 422 and exc.field == "terms.rate" and "round #" in (exc.detail or "")
    return outcome(4, "Rate outside tolerance", "refused at intake citing the oracle mid and round; nothing moved", checks, ok=ok,
                   refusals=[refusal])  # fmt: skip


def supervisory_powers(ctx: DemoContext) -> ScenarioOutcome:
    """6 · Supervisory powers: the regulator freezes a bank and pauses a currency, then lifts both."""
    net = ctx.network
    regulator = net.keys.account(REGULATOR)
    a, b, c = ctx.clients["yangtze"], ctx.clients["harbour"], ctx.clients["chaophraya"]
    hkd, thb = net.token("HKD"), net.token("THB")
    watched = [("yangtze", "CNY"), ("harbour", "CNY"), ("yangtze", "HKD"), ("harbour", "HKD"), ("chaophraya", "THB"), ("yangtze", "THB")]
    before = ctx.snapshot(watched)
    refusals: list[str | None] = []
    swaps: list[str] = []

    def pvp(amount: int) -> dict:
        return a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=ctx.rate("CNY", "HKD"),
                            deadline=ctx.now() + 900)  # fmt: skip

    # (a) a frozen bank cannot pay: its acceptance is refused; the initiator withdraws the order
    net.clients["A"].transact(regulator, hkd.functions.freeze(net.keys.address("harbour")))
    ctx.say(f"the regulator freezes {ctx.name('harbour')} in HKD")
    frozen = pvp(10_000_00)
    swaps.append(frozen["id"])
    exc = ctx.refused(lambda: b.accept(frozen))
    refusals.append(ctx.refusal_id(frozen["id"]) if exc else None)
    if exc is not None:
        ctx.say(f"{ctx.name('harbour')}'s acceptance of a swap in which it pays HKD is refused ({exc.status}): {exc.detail}")
    a.cancel(frozen["id"])
    ctx.say(f"{ctx.name('yangtze')} cancels that swap (swap {frozen['id'][:10]}…: cancelled, nothing moved)")
    # (b) a paused currency moves for nobody: the order is refused at intake
    net.clients["B"].transact(regulator, thb.functions.pause())
    ctx.say("the regulator pauses THB on ledger B")
    order = c.htlc_order_at_quote(counterparty=a.account.address, sell="THB", sell_amount=100_000_00, buy="CNY", now=ctx.now())
    paused = ctx.refused(lambda: c.submit_htlc(order))
    refusals.append(ctx.refusal_id(order.swap_id) if paused else None)
    if paused is not None:
        ctx.say(f"{ctx.name('chaophraya')}'s THB order is refused ({paused.status}): {paused.detail}")
    net.clients["B"].transact(regulator, thb.functions.unpause())
    net.clients["A"].transact(regulator, hkd.functions.unfreeze(net.keys.address("harbour")))
    # (c) a freeze that lands after both banks agreed: the escrow itself refuses at settlement; the swap fails, nothing moves
    ctx.worker.pause()
    late = pvp(20_000_00)
    swaps.append(late["id"])
    b.accept(late)
    net.clients["A"].transact(regulator, hkd.functions.freeze(net.keys.address("harbour")))
    ctx.worker.resume()
    failed = a.wait_for(late["id"], {"failed", "settled"}, timeout=60)
    net.clients["A"].transact(regulator, hkd.functions.unfreeze(net.keys.address("harbour")))
    failure = failed.get("failure") or {}  # {"step", "reason", "ledger", "error", ...}: the escrow's own refusal
    found = re.search(r"\b(PvP[A-Za-z]+|SettlementToken[A-Za-z]+)", str(failure.get("reason") or "") + _last_detail(failed))
    error = failure.get("error") or (found.group(1) if found else "refused")
    ctx.say(f"the regulator freezes {ctx.name('harbour')} again after both banks agreed a swap: the PvP escrow refuses it at settlement "
            f"({error}: {ctx.name('harbour')} is frozen in HKD); the swap is [bold]{failed['state']}[/], nothing moved")  # fmt: skip
    # (d) lifted: the same kind of swap settles again
    after_lift = pvp(10_000_00)
    swaps.append(after_lift["id"])
    b.accept(after_lift)
    lifted = a.wait_for(after_lift["id"], {"settled", "failed"}, timeout=60)
    buy = lifted["leg_b"]["amount"]
    ctx.say(f"both measures lifted: a swap of {ctx.money('CNY', 10_000_00)} ⇄ {ctx.money('HKD', buy)} settles again")
    checks = ctx.checks(before, {("yangtze", "CNY"): -10_000_00, ("harbour", "CNY"): 10_000_00, ("yangtze", "HKD"): buy, ("harbour", "HKD"): -buy})
    ok = (exc is not None and exc.status == 409 and paused is not None and paused.status == 409 and failed["state"] == "failed"
          and lifted["state"] == "settled")  # fmt: skip
    return outcome(6, "Supervisory powers", "a freeze and a pause refuse swaps (at intake, and at settlement); lifted, swaps settle", checks,
                   ok=ok, swaps=swaps, refusals=refusals)  # fmt: skip


def _last_detail(swap: dict) -> str:
    steps = [t for t in swap["transitions"] if t["to"] == swap["state"] and t.get("detail")]
    return steps[-1]["detail"] if steps else swap["state"]
