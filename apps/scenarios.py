"""The regulator demo's scenarios, each a short story on a live local network with an automatic
check of its expected balances. Every scenario records what happened for the supervisory report."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Console
from web3.logs import DISCARD

from bridge.sdk.client import BridgeClient, BridgeRequestError
from corridor.keys import REGULATOR
from corridor.network import Network
from corridor.typed_data import Swap, sign, swap_message


@dataclass
class ScenarioResult:
    number: int
    title: str
    passed: bool
    summary: str
    facts: dict[str, Any] = field(default_factory=dict)
    swaps: list[str] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DemoContext:
    network: Network
    clients: dict[str, BridgeClient]
    console: Console
    worker: Any = None  # the bridge's worker, paused by scenario 3 to stage a default

    def now(self, ledger: str = "A") -> int:
        return int(self.network.clients[ledger].w3.eth.get_block("latest")["timestamp"])

    def balance(self, bank: str, currency: str) -> int:
        return int(self.network.token(currency).functions.balanceOf(self.network.keys.address(bank)).call())

    def money(self, currency: str, minor: int) -> str:
        decimals = self.network.settings.currencies[currency].decimals
        return f"{Decimal(minor) / 10**decimals:,.{decimals}f} {currency}"

    def name(self, bank: str) -> str:
        return self.network.settings.participants[bank].name

    def rate(self, base: str, quote: str) -> int:
        return int(self.clients["yangtze"].rate(base, quote)["mid_fixed_8"]) * 10**10

    def say(self, text: str) -> None:
        self.console.print(f"  {text}")


def _snapshot(ctx: DemoContext, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    return {(bank, code): ctx.balance(bank, code) for bank, code in pairs}


def same_ledger_pvp(ctx: DemoContext) -> ScenarioResult:
    """1 · Same-ledger CNY↔HKD PvP: one transaction, both legs."""
    a, b = ctx.clients["yangtze"], ctx.clients["harbour"]
    amount = 1_000_000_00
    before = _snapshot(ctx, [("yangtze", "CNY"), ("harbour", "CNY"), ("yangtze", "HKD"), ("harbour", "HKD")])
    rate = ctx.rate("CNY", "HKD")
    ctx.say(f"{ctx.name('yangtze')} offers {ctx.money('CNY', amount)} for HKD at the oracle mid {Decimal(rate) / 10**18:.6f}")
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=rate, deadline=ctx.now() + 900)
    b.accept(swap, expect={"amountA": amount})
    done = a.wait_for(swap["id"], {"settled", "failed"}, timeout=60)
    settle = next(t for t in done["transitions"] if t["to"] == "settled")
    buy = done["leg_b"]["amount"]
    ctx.say(f"{ctx.name('harbour')} accepts; the PvP escrow moves both legs in [bold]one transaction[/] "
            f"{settle['tx_hash'][:18]}… (block {settle['block']}): {ctx.money('CNY', amount)} ⇄ {ctx.money('HKD', buy)}")
    after = _snapshot(ctx, list(before))
    ok = (after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - amount and after[("harbour", "CNY")] == before[("harbour", "CNY")] + amount
          and after[("yangtze", "HKD")] == before[("yangtze", "HKD")] + buy and after[("harbour", "HKD")] == before[("harbour", "HKD")] - buy)  # fmt: skip
    return ScenarioResult(1, "Same-ledger CNY↔HKD PvP", ok and done["state"] == "settled",
                          f"both legs in one transaction (block {settle['block']})", {"tx": settle["tx_hash"]}, [swap["id"]])


def cross_ledger_htlc(ctx: DemoContext) -> ScenarioResult:
    """2 · Cross-ledger CNY↔THB PvP through HTLCs: both legs, the secret's journey."""
    a, c = ctx.clients["yangtze"], ctx.clients["chaophraya"]
    amount = 500_000_00
    before = _snapshot(ctx, [("yangtze", "CNY"), ("chaophraya", "CNY"), ("yangtze", "THB"), ("chaophraya", "THB")])
    order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=ctx.now())
    ctx.say(f"{ctx.name('yangtze')} draws a secret and locks it behind hashlock sha256(s) = {order.order.hashlock.hex()[:16]}…")
    swap = a.submit_htlc(order)
    c.accept(swap, expect={"sellAmount": amount})
    locked = a.wait_for(swap["id"], {"locked_b", "failed", "refunding"}, timeout=60)
    ctx.say(f"ledger A locks {ctx.money('CNY', amount)} until {time.strftime('%H:%M', time.gmtime(order.order.initiatorExpiry))} UTC; "
            f"ledger B locks {ctx.money('THB', order.order.buyAmount)} until "
            f"{time.strftime('%H:%M', time.gmtime(order.order.counterpartyExpiry))} UTC (earlier, by the safety margin)")
    a.reveal(order)
    ctx.say("the initiator's SDK verifies both locks on chain, then reveals the secret to the bridge")
    done = a.wait_for(swap["id"], {"settled", "refunded", "failed"}, timeout=60)
    ctx.say(f"claim on ledger B publishes the secret in its Claimed event ({done['leg_b']['settle_tx'][:18]}…); "
            f"the same secret claims ledger A ({done['leg_a']['settle_tx'][:18]}…)")
    after = _snapshot(ctx, list(before))
    buy = order.order.buyAmount
    ok = (locked["state"] == "locked_b" and done["state"] == "settled"
          and after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - amount and after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + amount
          and after[("yangtze", "THB")] == before[("yangtze", "THB")] + buy and after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - buy)  # fmt: skip
    return ScenarioResult(2, "Cross-ledger CNY↔THB PvP through HTLCs", ok, "both legs settled; the secret crossed from ledger B to A",
                          {"hashlock": "0x" + order.order.hashlock.hex()}, [swap["id"]])


def counterparty_default(ctx: DemoContext) -> ScenarioResult:
    """3 · Counterparty default: the counterparty never locks; the initiator is refunded at expiry."""
    net = ctx.network
    a, c = ctx.clients["pearlriver"], ctx.clients["chaophraya"]
    amount = 200_000_00
    before = _snapshot(ctx, [("pearlriver", "CNY"), ("chaophraya", "THB")])
    order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=ctx.now())
    swap = a.submit_htlc(order)
    ctx.worker.pause()  # hold the bridge between the acceptance and the locks, to stage the default
    c.accept(swap)
    # the counterparty defaults: right after accepting it withdraws its approval, so its leg can never be locked
    thb, bank = net.token("THB"), net.keys.account("chaophraya")
    net.clients["B"].transact(bank, thb.functions.approve(net.contract("B", "htlc").address, 0))
    ctx.worker.resume()
    state = a.wait_for(swap["id"], {"refunding", "locked_b"}, timeout=60)["state"]
    ctx.say(f"{ctx.name('chaophraya')} never locks its THB; {ctx.money('CNY', amount)} of {ctx.name('pearlriver')} waits in the escrow")
    net.set_time(order.order.initiatorExpiry)
    ctx.say("at the initiator's expiry the watchtower refunds the CNY leg to its sender")
    done = a.wait_for(swap["id"], {"refunded", "settled"}, timeout=60)
    net.clients["B"].transact(bank, thb.functions.approve(net.contract("B", "htlc").address, 2**256 - 1))
    after = _snapshot(ctx, list(before))
    ok = state == "refunding" and done["state"] == "refunded" and after == before
    return ScenarioResult(3, "Counterparty default", ok, "initiator refunded at expiry; no principal lost",
                          {"refund_tx": done["leg_a"]["refund_tx"]}, [swap["id"]])


def off_market_rate(ctx: DemoContext) -> ScenarioResult:
    """4 · Rate outside tolerance: an off-market swap is refused, citing the oracle round."""
    a, b = ctx.clients["yangtze"], ctx.clients["harbour"]
    rate = ctx.rate("CNY", "HKD") * 103 // 100
    try:
        a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=10_000_00, buy="HKD", rate=rate,
                     deadline=ctx.now() + 900, max_deviation_bps=50)  # fmt: skip
        return ScenarioResult(4, "Rate outside tolerance", False, "an off-market swap was accepted")
    except BridgeRequestError as exc:
        ctx.say(f"a swap agreed 3 % off the oracle mid is refused: [bold]{exc.status} {exc.error}[/] — {exc.detail}")
        ok = exc.status == 422 and exc.field == "rate" and "round" in (exc.detail or "")
        return ScenarioResult(4, "Rate outside tolerance", ok, f"refused citing the oracle round ({exc.field})",
                              refusals=[{"scenario": 4, "status": exc.status, "error": exc.error, "detail": exc.detail}])


def supervisory_powers(ctx: DemoContext) -> ScenarioResult:
    """6 · Supervisory powers: the regulator freezes a bank and pauses a currency, then lifts both."""
    net = ctx.network
    regulator = net.keys.account(REGULATOR)
    a, b, c = ctx.clients["yangtze"], ctx.clients["harbour"], ctx.clients["chaophraya"]
    refusals = []
    hkd, thb = net.token("HKD"), net.token("THB")
    net.clients["A"].transact(regulator, hkd.functions.freeze(net.keys.address("harbour")))
    ctx.say(f"the regulator freezes {ctx.name('harbour')} in HKD")
    try:
        swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=10_000_00, buy="HKD",
                            rate=ctx.rate("CNY", "HKD"), deadline=ctx.now() + 900)  # fmt: skip
        b.accept(swap)
        frozen_refused = False
    except BridgeRequestError as exc:
        frozen_refused = exc.status == 409
        refusals.append({"scenario": 6, "status": exc.status, "error": exc.error, "detail": exc.detail})
        ctx.say(f"a swap that would make {ctx.name('harbour')} pay HKD is refused: {exc.status} {exc.detail}")
    net.clients["B"].transact(regulator, thb.functions.pause())
    ctx.say("the regulator pauses THB on ledger B")
    try:
        order = c.htlc_order_at_quote(counterparty=a.account.address, sell="THB", sell_amount=100_000_00, buy="CNY", now=ctx.now())
        c.submit_htlc(order)
        paused_refused = False
    except BridgeRequestError as exc:
        paused_refused = exc.status == 409
        refusals.append({"scenario": 6, "status": exc.status, "error": exc.error, "detail": exc.detail})
        ctx.say(f"a THB swap is refused: {exc.status} {exc.detail}")
    net.clients["A"].transact(regulator, hkd.functions.unfreeze(net.keys.address("harbour")))
    net.clients["B"].transact(regulator, thb.functions.unpause())
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=10_000_00, buy="HKD",
                        rate=ctx.rate("CNY", "HKD"), deadline=ctx.now() + 900)  # fmt: skip
    b.accept(swap)
    lifted = a.wait_for(swap["id"], {"settled", "failed"}, timeout=60)["state"] == "settled"
    ctx.say("both measures lifted: the same kind of swap settles again")
    return ScenarioResult(6, "Supervisory powers", frozen_refused and paused_refused and lifted,
                          "freeze and pause refuse swaps; lifted, swaps settle", swaps=[swap["id"]], refusals=refusals)


def liquidity_saving(ctx: DemoContext, count: int = 200) -> ScenarioResult:
    """7 · Liquidity saving: a day of 200 randomised CNY/HKD swaps settled gross and netted."""
    net = ctx.network
    client, pvp = net.clients["A"], net.contract("A", "pvp")
    banks = net.settings.banks
    rng = random.Random(20261127)
    rate = ctx.rate("CNY", "HKD")
    nonces: dict[str, int] = {}
    signed = []
    deadline = ctx.now() + 3600
    for _ in range(count):
        a, b = rng.sample(banks, 2)
        amount = rng.randint(10_000_00, 2_000_000_00)
        nonce = nonces[a] = nonces.get(a, 10**9) + 1
        swap = Swap(net.keys.address(a), net.token("CNY").address, amount, net.keys.address(b), net.token("HKD").address,
                    amount * rate // 10**18, rate, 50, deadline, nonce)  # fmt: skip
        message = swap_message(client.chain_id, pvp.address, swap)
        signed.append((swap, sign(net.keys.account(a), message), sign(net.keys.account(b), message)))
    relayer = net.keys.account("relayer")
    snapshot = client.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    gross_gas = sum(int(client.transact(relayer, pvp.functions.settle(s.as_tuple(), x, y))["gasUsed"]) for s, x, y in signed)
    gross_balances = {(b, c): ctx.balance(b, c) for b in banks for c in ("CNY", "HKD")}
    client.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
    client.reset_nonces()
    net_gas, gross_value, net_moved = 0, {"CNY": 0, "HKD": 0}, {"CNY": 0, "HKD": 0}
    for start in range(0, count, 100):
        part = signed[start:start + 100]
        receipt = client.transact(relayer, pvp.functions.settleBatch([s.as_tuple() for s, _, _ in part], [x for _, x, _ in part],
                                                                      [y for _, _, y in part]), gas=29_000_000)  # fmt: skip
        net_gas += int(receipt["gasUsed"])
        for event in pvp.events.BatchNetted().process_receipt(receipt, errors=DISCARD):
            code = "CNY" if event["args"]["token"] == net.token("CNY").address else "HKD"
            gross_value[code] += event["args"]["grossValue"]
            net_moved[code] += event["args"]["netMoved"]
    same = {(b, c): ctx.balance(b, c) for b in banks for c in ("CNY", "HKD")} == gross_balances
    for code in ("CNY", "HKD"):
        ctx.say(f"{code}: gross funding {ctx.money(code, gross_value[code])}, netted {ctx.money(code, net_moved[code])} "
                f"({100 * net_moved[code] / gross_value[code]:.1f} %)")
    ctx.say(f"gas: {gross_gas:,} settled one by one, {net_gas:,} netted ({100 * net_gas / gross_gas:.0f} %); final balances identical: {same}")
    return ScenarioResult(7, "Liquidity saving by multilateral netting", same,
                          f"netting moved {100 * sum(net_moved.values()) / sum(gross_value.values()):.1f} % of gross funding",
                          {"gross": gross_value, "net": net_moved, "gross_gas": gross_gas, "net_gas": net_gas, "swaps": count})


SCENARIOS: list[Callable[[DemoContext], ScenarioResult]] = [
    same_ledger_pvp, cross_ledger_htlc, counterparty_default, off_market_rate, supervisory_powers, liquidity_saving,
]  # fmt: skip


def with_eur_and_chf(settings: Any) -> Any:
    """The same network plus EUR and CHF tokens on ledger A, funded at two banks (for scenario 5)."""
    from corridor.config import Settings

    data = settings.model_dump()
    data["currencies"]["EUR"] = {"name": "Corridor Digital EUR", "decimals": 2, "ledger": "A", "issuer": "pboc"}
    data["currencies"]["CHF"] = {"name": "Corridor Digital CHF", "decimals": 2, "ledger": "A", "issuer": "hkma"}
    data["participants"]["yangtze"]["opening_balances"]["EUR"] = 10_000_000_00
    data["participants"]["harbour"]["opening_balances"]["CHF"] = 10_000_000_00
    data["keys"] = {"mnemonic": settings.keys.mnemonic.get_secret_value() if settings.keys.mnemonic else None,
                    "private_keys": {k: v.get_secret_value() for k, v in settings.keys.private_keys.items()}}  # fmt: skip
    return Settings(**data)


def market_shock(ctx: DemoContext) -> ScenarioResult:
    """5 · Market shock: real ECB history for 2015-01-15 trips the EUR/CHF breaker until the regulator resumes it."""
    from datetime import date

    from corridor.errors import ChainRejected
    from corridor.network import open_network
    from oracle.replay import replay, start_of

    settings = with_eur_and_chf(ctx.network.settings)
    ctx.say("a second network, its clock set to 12 January 2015, replays the ECB's real fixings day by day")
    with open_network(settings, genesis_timestamp=start_of(date(2015, 1, 12))) as net:
        net.deploy()
        tripped_on = None
        for replayed in replay(net, date(2015, 1, 12), date(2015, 1, 16)):
            day, oracle = replayed.day, net.contract("A", "oracle")
            mid = oracle.functions.pair(b"EURCHF").call()[7] / 10**8
            halted = any("EURCHF" in r.breaker_tripped for r in replayed.rounds)
            ctx.say(f"{day}: EUR/CHF fixing {mid:.4f}" + ("  [red]→ jump beyond 5 %: EUR/CHF HALTED[/]" if halted else ""))
            tripped_on = tripped_on or (day if halted else None)
        client, pvp = net.clients["A"], net.contract("A", "pvp")
        alice, bob = net.keys.account("yangtze"), net.keys.account("harbour")
        eur, chf = net.token("EUR"), net.token("CHF")
        client.transact(alice, eur.functions.approve(pvp.address, 2**256 - 1))
        client.transact(bob, chf.functions.approve(pvp.address, 2**256 - 1))
        now = int(client.w3.eth.get_block("latest")["timestamp"])

        def attempt(nonce: int, rate: int) -> str | None:
            swap = Swap(alice.address, eur.address, 100_000_00, bob.address, chf.address, 100_000_00 * rate // 10**18,
                        rate, 100, now + 3600, nonce)  # fmt: skip
            message = swap_message(client.chain_id, pvp.address, swap)
            try:
                client.transact(net.keys.account("relayer"), pvp.functions.settle(swap.as_tuple(), sign(alice, message), sign(bob, message)))
                return None
            except ChainRejected as exc:
                return exc.error

        refused = attempt(1, int(oracle.functions.roundData(b"EURCHF", oracle.functions.pair(b"EURCHF").call()[5]).call()[0]) * 10**10)
        ctx.say(f"a EUR/CHF settlement is refused: [bold]{refused}[/]")
        client.transact(net.keys.account(REGULATOR), oracle.functions.resume(b"EURCHF"))
        resumed_mid = int(oracle.functions.settlementRate(b"EUR", b"CHF").call()[0])
        settled = attempt(2, resumed_mid) is None
        ctx.say(f"the regulator resumes EUR/CHF; a settlement at the new level ({resumed_mid / 10**18:.4f}) goes through: {settled}")
    ok = tripped_on == date(2015, 1, 15) and refused == "FxPairHalted" and settled
    return ScenarioResult(5, "Market shock (ECB 2015-01-15)", ok, f"EUR/CHF halted on {tripped_on}; settlements refused until resumed",
                          {"tripped_on": str(tripped_on)}, refusals=[{"scenario": 5, "status": "on chain", "error": refused,
                                                                      "detail": "EUR/CHF halted by the circuit breaker"}])  # fmt: skip


SCENARIOS.insert(4, market_shock)


def crash_and_recovery(ctx: DemoContext) -> ScenarioResult:
    """8 · Crash and recovery: the bridge is killed mid-swap (SIGKILL) and restarted; the swap completes."""
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from corridor.ledgers import free_port
    from corridor.toolchain import REPO_ROOT

    net = ctx.network
    ctx.worker.pause()  # the demo's own bridge stands aside: one relayer key, one bridge at a time
    amount = 150_000_00
    before = _snapshot(ctx, [("yangtze", "CNY"), ("chaophraya", "CNY"), ("yangtze", "THB"), ("chaophraya", "THB")])
    with tempfile.TemporaryDirectory() as tmp:
        deployment, database = Path(tmp) / "deployment.json", f"sqlite:///{Path(tmp) / 'bridge.db'}"
        assert net.deployment is not None
        net.deployment.save(deployment)

        def start(fault: str | None) -> tuple[subprocess.Popen[bytes], dict[str, BridgeClient]]:
            port = free_port()
            env = {**os.environ, "CORRIDOR_STATE_DIR": tmp}
            env.pop("CORRIDOR_FAULT_KILL_AFTER", None)
            if fault:
                env["CORRIDOR_FAULT_KILL_AFTER"] = fault
            process = subprocess.Popen([sys.executable, "-m", "apps.cli", "bridge", "serve", "--deployment", str(deployment),
                                        "--database", database, "--port", str(port)], cwd=REPO_ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            clients = {b: BridgeClient(f"http://127.0.0.1:{port}", b, net.keys.account(b)) for b in ("yangtze", "chaophraya")}
            deadline = time.monotonic() + 60
            while True:
                try:
                    clients["yangtze"].request("GET", "/v1/currencies")
                    return process, clients
                except BridgeRequestError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.1)

        process, clients = start("locked_a")
        a, c = clients["yangtze"], clients["chaophraya"]
        order = a.htlc_order_at_quote(counterparty=c.account.address, sell="CNY", sell_amount=amount, buy="THB", now=ctx.now())
        swap = a.submit_htlc(order)
        c.accept(swap)
        killed = process.wait(timeout=60) == -9
        crashed_at = time.monotonic()
        ctx.say(f"the bridge process is killed with SIGKILL right after locking the CNY leg (exit {process.returncode})")
        process, clients = start(None)
        a = clients["yangtze"]
        a.wait_for(swap["id"], {"locked_b"}, timeout=60)
        a.reveal(order)
        done = a.wait_for(swap["id"], {"settled", "refunded", "failed"}, timeout=60)
        recovery = time.monotonic() - crashed_at
        process.terminate()
        process.wait(timeout=30)
        for client in clients.values():
            client.close()
    for client in net.clients.values():
        client.reset_nonces()
    ctx.worker.resume()
    ctx.say(f"restarted on the same database, it re-read the chains, locked the THB leg and settled: "
            f"recovery took {recovery:.1f} s (PFMI P17 objective: 2 hours)")
    after = _snapshot(ctx, list(before))
    buy = order.order.buyAmount
    ok = (killed and done["state"] == "settled"
          and after[("yangtze", "CNY")] == before[("yangtze", "CNY")] - amount and after[("chaophraya", "THB")] == before[("chaophraya", "THB")] - buy
          and after[("yangtze", "THB")] == before[("yangtze", "THB")] + buy and after[("chaophraya", "CNY")] == before[("chaophraya", "CNY")] + amount)  # fmt: skip
    return ScenarioResult(8, "Crash and recovery", ok, f"killed mid-swap, restarted, settled; recovery {recovery:.1f} s",
                          {"recovery_seconds": round(recovery, 2), "objective_seconds": 7200}, [swap["id"]])


SCENARIOS.append(crash_and_recovery)
