"""7 · Liquidity saving: a day of 200 randomised CNY/HKD swaps among the four banks, sent to the bridge
as the banks' instruction files, accepted, and settled by the bridge in netted batches. The same swaps
are also settled one by one on a copy of ledger A (an anvil fork at the block before the batches,
discarded afterwards): its receipts give the gross gas, and its final balances must equal the
ledger's after netting. The liquidity figures themselves (turnover, each bank's peak net debit gross
and netted) are the supervision model's, printed with the supervisor's summary."""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

import httpx
from web3 import Web3

from apps.demo.context import DemoContext, outcome
from corridor.ledgers import LedgerLauncher, LedgerSpec
from corridor.typed_data import Swap, amount_at, compact_signature, digest, sign, swap_message
from supervision.inputs import GrossSimulation, ScenarioOutcome, SimulatedSettlement
from supervision.liquidity import gas_comparison

SLOT = 50  # swaps per round of instruction files (the day in four rounds)
SETTLE_GAS = 400_000  # a ceiling per settlement on the copy (about 125k is used)


def _rpc(url: str, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    payload = [{"jsonrpc": "2.0", "id": i, "method": method, "params": params} for i, (method, params) in enumerate(calls)]
    answers = {a["id"]: a for a in httpx.post(url, json=payload, timeout=120).json()}
    results = []
    for i in range(len(calls)):
        if "error" in answers[i]:
            raise RuntimeError(f"{calls[i][0]} failed on the copy: {answers[i]['error']}")
        results.append(answers[i]["result"])
    return results


def _files(items: list[tuple[str, int, Any]], funds: dict[str, int], limit: int = 500) -> list[tuple[str, list[Any]]]:
    """Groups ``(bank, amount, item)`` into each bank's files, in order, each file's total within the bank's funds
    (the bridge checks funding across a file: a file the bank could not pay gross is refused whole)."""
    open_files: dict[str, tuple[int, list[Any]]] = {}
    files: list[tuple[str, list[Any]]] = []
    for bank, amount, item in items:
        total, members = open_files.get(bank, (0, []))
        if members and (total + amount > funds[bank] or len(members) >= limit):
            files.append((bank, members))
            total, members = 0, []
        open_files[bank] = (total + amount, [*members, item])
    files += [(bank, members) for bank, (_, members) in open_files.items() if members]
    return files


def liquidity_saving(ctx: DemoContext, count: int = 200) -> ScenarioOutcome:
    """7 · Liquidity saving: a day of 200 randomised CNY/HKD swaps, sent as instruction files and netted by the bridge."""
    net = ctx.network
    client, pvp = net.clients["A"], net.contract("A", "pvp")
    banks = net.settings.banks
    rng = random.Random(20261127)
    rate = ctx.rate("CNY", "HKD")
    deadline = ctx.now() + 3600
    cny, hkd = net.token("CNY").address, net.token("HKD").address
    decimals = net.settings.currencies["CNY"].decimals, net.settings.currencies["HKD"].decimals
    day: list[tuple[str, str, Swap, bytes, bytes, str]] = []
    base = secrets.randbits(48) << 12
    for index in range(count):
        a, b = rng.sample(banks, 2)
        amount = rng.randint(10_000_00, 2_000_000_00)
        swap = Swap(net.keys.address(a), cny, amount, net.keys.address(b), hkd, amount_at(amount, rate, *decimals), rate, 50, deadline, base + index)
        message = swap_message(client.chain_id, pvp.address, swap)
        day.append((a, b, swap, sign(net.keys.account(a), message), sign(net.keys.account(b), message), "0x" + digest(message).hex()))
    before = ctx.snapshot([(bank, code) for bank in banks for code in ("CNY", "HKD")])
    expected: dict[tuple[str, str], int] = {key: 0 for key in before}
    for a, b, swap, *_ in day:
        expected[(a, "CNY")] -= swap.amountA
        expected[(b, "CNY")] += swap.amountA
        expected[(a, "HKD")] += swap.amountB
        expected[(b, "HKD")] -= swap.amountB
    ctx.say(f"{count} swaps among the four banks, CNY against HKD at the oracle mid {ctx.rate_text(rate, 'CNY', 'HKD')}, in {count // SLOT} "
            f"rounds of {SLOT}; each round every bank sends its orders and its acceptances as instruction files (each file "
            "fundable by the bank on its own: the bridge checks funding across a file)")  # fmt: skip
    ctx.worker.pause()  # the whole day agreed first, so that the bridge nets it in full batches
    seq = ctx.app.state.repo.last_seq()
    submits = accepts = 0
    for start in range(0, count, SLOT):
        slot = day[start: start + SLOT]
        files = _files([(a, swap.amountA, (swap, sa)) for a, _, swap, sa, _, _ in slot], {bank: before[(bank, "CNY")] for bank in banks})
        for bank, members in files:
            instructions = [{"model": "pvp", "ledger": "A", "terms": dict(vars(swap)), "signature": "0x" + sig.hex()} for swap, sig in members]
            ctx.clients[bank].request("POST", "/v1/swaps/batch", {"swaps": instructions})
        submits += len(files)
        files = _files([(b, swap.amountB, (swap_id, sb)) for _, b, swap, _, sb, swap_id in slot], {bank: before[(bank, "HKD")] for bank in banks})
        for bank, members in files:
            acceptances = [{"id": swap_id, "signature": "0x" + sig.hex()} for swap_id, sig in members]
            ctx.clients[bank].request("POST", "/v1/swaps/batch/accept", {"acceptances": acceptances})
        accepts += len(files)
    ctx.say(f"{submits} order files and {accepts} acceptance files recorded: {count} swaps accepted, waiting for the bridge")
    simulation = _gross_on_a_copy(ctx, [(swap, sa, sb, swap_id) for _, _, swap, sa, sb, swap_id in day])
    ctx.worker.resume()
    ids = [swap_id for *_, swap_id in day]
    reached = ctx.clients["regulator"].wait_all(ids, {"settled", "failed", "expired"}, after=seq, timeout=120)
    settled = sum(1 for state in reached.values() if state == "settled")
    batch_txs = _batch_transactions(ctx, ids)
    netted_gas = sum(int(client.w3.eth.get_transaction_receipt(tx)["gasUsed"]) for tx in batch_txs)
    after = ctx.snapshot(list(before))
    same = all(after[key] == simulation[1].get(key) for key in after)
    gross = GrossSimulation(ledger="A", copy=simulation[2], fork_block=simulation[3], settlements=tuple(simulation[0]), netted_gas=netted_gas,
                            same_final_balances=same)  # fmt: skip
    ctx.gathered.gross_simulations.append(gross)
    ctx.say(f"the bridge netted the day in {len(batch_txs)} settleBatch transactions ({', '.join(tx[:14] + '…' for tx in batch_txs)}): "
            f"{settled} of {count} swaps settled")  # fmt: skip
    gas = gas_comparison(gross)  # the supervision model's own figure
    ctx.say(f"gas, a simulation: {gas.gross_gas:,} settling one by one on the copy, {gas.netted_gas:,} netted on ledger A "
            f"({100 * (gas.ratio or 0):.0f} %); the copy's final balances equal ledger A's after netting: {same}")  # fmt: skip
    checks = ctx.checks(before, expected)
    return outcome(7, "Liquidity saving by multilateral netting", f"{settled} swaps netted in {len(batch_txs)} batches; the same final balances as "
                   "settling one by one (on a copy); peak liquidity need in the supervisor's summary", checks,
                   ok=settled == count and same, swaps=ids)  # fmt: skip


def _revert_reason(ctx: DemoContext, url: str, receipt: Any) -> str:
    """Why a transaction of the copy reverted: replayed as a call at its block's parent, the error decoded."""
    if receipt is None:
        return "never mined"
    block = int(receipt["blockNumber"], 16)
    trace = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "debug_traceTransaction",
                                  "params": [receipt["transactionHash"], {"tracer": "callTracer"}]}, timeout=60).json()  # fmt: skip
    output = (trace.get("result") or {}).get("output")
    name, args = ctx.network.clients["A"].decoder.decode(output)
    return f"{name} {args} (block {block})"


def _batch_transactions(ctx: DemoContext, ids: list[str]) -> list[str]:
    """The settleBatch transactions that settled ``ids``, in block order (from the escrow's events)."""
    pvp = ctx.network.contract("A", "pvp")
    wanted = set(ids)
    found: dict[str, int] = {}
    for log in pvp.events.SettledInBatch().get_logs(from_block=0):
        if "0x" + bytes(log["args"]["swapId"]).hex() in wanted:
            found.setdefault("0x" + bytes(log["transactionHash"]).hex(), int(log["blockNumber"]))
    return sorted(found, key=lambda tx: found[tx])


def _gross_on_a_copy(ctx: DemoContext, day: list[tuple[Swap, bytes, bytes, str]]) -> tuple[list[SimulatedSettlement], dict[tuple[str, str], int], str, int]:
    """Settles every swap of ``day`` one by one on a fork of ledger A; (receipts, final balances, how, fork block)."""
    net = ctx.network
    client = net.clients["A"]
    head = int(client.w3.eth.block_number)
    spec = LedgerSpec(name="A-copy", chain_id=client.chain_id, fork_url=client.rpc_url, fork_block=head, accounts=len(net.keys.roles) + 4,
                      mnemonic=net.settings.keys.mnemonic.get_secret_value() if net.settings.keys.mnemonic else LedgerSpec.mnemonic)  # fmt: skip
    relayer = net.keys.account("relayer")
    with LedgerLauncher() as launcher:
        copy = launcher.start([spec])["A-copy"]
        w3 = Web3(Web3.HTTPProvider(copy.rpc_url))
        pvp = w3.eth.contract(address=net.contract("A", "pvp").address, abi=net.build["PvPEscrow"].abi)
        latest = w3.eth.get_block("latest")
        fees = ({"maxFeePerGas": 4 * int(latest["baseFeePerGas"]) + 10**9, "maxPriorityFeePerGas": 10**9}
                if latest.get("baseFeePerGas") else {"gasPrice": int(w3.eth.gas_price)})  # fmt: skip
        nonce = w3.eth.get_transaction_count(relayer.address)
        raw = []
        for index, (swap, sig_a, sig_b, _) in enumerate(day):
            tx = pvp.functions.settle(swap.as_tuple(), compact_signature(sig_a), compact_signature(sig_b)).build_transaction(
                {"from": relayer.address, "nonce": nonce + index, "gas": SETTLE_GAS, "chainId": client.chain_id, **fees})
            raw.append("0x" + relayer.sign_transaction(tx).raw_transaction.hex())
        hashes = _rpc(copy.rpc_url, [("eth_sendRawTransaction", [r]) for r in raw])
        receipts: list[Any] = [None] * len(hashes)
        deadline = time.monotonic() + 120
        while any(r is None for r in receipts) and time.monotonic() < deadline:  # the copy mines them one by one
            missing = [i for i, r in enumerate(receipts) if r is None]
            for i, found in zip(missing, _rpc(copy.rpc_url, [("eth_getTransactionReceipt", [hashes[i]]) for i in missing]), strict=True):
                receipts[i] = found
            if any(r is None for r in receipts):
                time.sleep(0.05)
        failed = [h for h, r in zip(hashes, receipts, strict=True) if r is None or int(r["status"], 16) != 1]
        if failed:
            reason = _revert_reason(ctx, copy.rpc_url, receipts[hashes.index(failed[0])])
            raise RuntimeError(f"{len(failed)} of {len(day)} gross settlements failed on the copy (first {failed[0]}: {reason})")
        settlements = [SimulatedSettlement(swap_id=swap_id, tx_hash=h, gas_used=int(r["gasUsed"], 16))
                       for (_, _, _, swap_id), h, r in zip(day, hashes, receipts, strict=True)]  # fmt: skip
        balances = {}
        for bank in net.settings.banks:
            for code in ("CNY", "HKD"):
                token = w3.eth.contract(address=net.token(code).address, abi=net.build["SettlementToken"].abi)
                balances[(bank, code)] = int(token.functions.balanceOf(net.keys.address(bank)).call())
    how = (f"settled one by one, in the day's order, on a copy of ledger A (an anvil fork at block {head}, chain id {client.chain_id}, "
           "discarded after the run)")  # fmt: skip
    return settlements, balances, how, head
