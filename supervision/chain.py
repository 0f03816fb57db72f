"""Reads what the supervision model needs from the ledgers and decodes it into :mod:`supervision.inputs`
records: token transfers and escrow events over the period, balances at its opening and closing
blocks, supplies, block times, the oracle's pairs and breaker events. The one module of the package
that talks to a chain (through the core's :class:`~corridor.network.Network`).

Reads are batched (one JSON-RPC batch per few hundred reads) and logs are fetched in block ranges,
so a report over a long period costs a handful of round trips per ledger, not one per swap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from eth_utils import keccak, to_checksum_address

from corridor.network import Network
from corridor.typed_data import lock_id_of
from oracle.history import ROUND_WINDOW
from oracle.rates import pair_id
from oracle.status import read_pair, read_statuses
from supervision.inputs import (BatchNetting, ChainFacts, CurrencyFacts, HtlcEvent, LedgerFacts, NetworkFacts, OracleEvent, OraclePair,
                                OracleRound, ParticipantFacts, Period, PvpSettlement, TokenTransfer)  # fmt: skip

logger = logging.getLogger(__name__)

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
LOG_CHUNK = 5_000  # blocks per eth_getLogs
READ_BATCH = 300  # calls per JSON-RPC batch
HISTORY_ROUNDS = 60  # each pair's latest rounds the oracle's history shows (read by roundData: within ROUND_WINDOW)


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


def network_facts(network: Network, *, label: str = "main network", heads: dict[str, int] | None = None,
                  read_heads: bool = True) -> NetworkFacts:  # fmt: skip
    """The configured and deployed network, read at each ledger's head (or at ``heads``; without
    ``read_heads`` no ledger is called and the heads read 0: names, currencies and addresses only)."""
    assert network.deployment is not None, "deploy() first"
    settings, keys = network.settings, network.keys
    ledgers = {}
    for name, deployed in network.deployment.ledgers.items():
        w3 = network.clients[name].w3
        head = heads[name] if heads and name in heads else (int(w3.eth.block_number) if read_heads else 0)
        head_time = int(w3.eth.get_block(head)["timestamp"]) if read_heads or (heads and name in heads) else 0
        ledgers[name] = LedgerFacts(name=name, chain_id=deployed.chain_id, confirmations=settings.ledgers[name].confirmations,
                                    head_block=head, head_time=head_time, pvp=deployed.pvp, htlc=deployed.htlc,
                                    oracle=deployed.oracle)  # fmt: skip
    currencies = {code: CurrencyFacts(code=code, name=c.name, decimals=c.decimals, ledger=settings.currency_ledger(code),
                                      token=network.deployment.token_address(settings, code))
                  for code, c in settings.currencies.items()}  # fmt: skip
    participants = {name: ParticipantFacts(name=name, display_name=p.name, address=keys.address(name),
                                           kind="central_bank" if p.kind == "central_bank" else "bank")
                    for name, p in settings.participants.items()}  # fmt: skip
    return NetworkFacts(label=label, ledgers=ledgers, currencies=currencies, participants=participants)


_Logs = tuple[list[TokenTransfer], list[PvpSettlement], list[BatchNetting], list[HtlcEvent], list[OracleEvent]]


@dataclass
class _Kept:
    """One ledger's logs of blocks ``start..end`` and the times of blocks read, as of ``anchor`` (the block
    ``end`` and its hash)."""

    anchor: tuple[int, str]
    start: int
    end: int
    logs: _Logs
    times: dict[int, int] = field(default_factory=dict)


class ChainHistory:
    """What the ledgers' blocks held, kept from one reading to the next by a reader that reads again and again
    (the console's model builder, every few seconds to minutes): the logs of the blocks read and the times of
    the blocks timed. A block's logs and time do not change unless its ledger was reset or reorganised, so
    each reading first checks that the last block kept has the same hash, and forgets that ledger's facts if
    not. Reading the period again then costs the blocks since the last reading, not the ledger's history,
    and the ledger serving the bridge is not made to send its whole history each time."""

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}
        self.blocks_read = 0  # blocks whose logs were fetched (for tests and curiosity)
        self.times_read = 0  # block times fetched
        self.forgotten = 0  # times a ledger's kept facts no longer matched its blocks

    def check(self, ledger: str, w3: Any) -> None:
        """Forgets ``ledger``'s kept facts if its kept last block is no longer what the ledger has there."""
        kept = self._kept.get(ledger)
        if kept is None:
            return
        try:
            same = _hex(w3.eth.get_block(kept.anchor[0])["hash"]) == kept.anchor[1]
        except Exception:  # gone (a ledger restarted shorter) or unreadable: read afresh
            same = False
        if not same:
            del self._kept[ledger]
            self.forgotten += 1

    def logs(self, ledger: str, start: int, end: int, anchor: str, read: Callable[[str, int, int], _Logs]) -> _Logs:
        """The logs of blocks ``start..end`` (``anchor``: block ``end``'s hash, read before the logs), reading only
        the blocks not kept yet."""
        kept = self._kept.get(ledger)
        if kept is not None and kept.start <= start and kept.end <= end:
            if end > kept.end:
                fresh = read(ledger, kept.end + 1, end)
                self.blocks_read += end - kept.end
                kept.logs = tuple(old + new for old, new in zip(kept.logs, fresh, strict=True))  # type: ignore[assignment]
                kept.end = end
            kept.anchor = (end, anchor)
            return tuple([item for item in items if item.block >= start] for items in kept.logs)  # type: ignore[return-value]
        logs = read(ledger, start, end)
        self.blocks_read += max(0, end - start + 1)
        if kept is None or start <= kept.start:
            self._kept[ledger] = _Kept(anchor=(end, anchor), start=start, end=end, logs=logs, times=kept.times if kept else {})
        return logs

    def times(self, ledger: str) -> dict[int, int] | None:
        """The kept times of ``ledger``'s blocks (to read from and add to), if its facts are kept."""
        kept = self._kept.get(ledger)
        return kept.times if kept is not None else None


class ChainReader:
    """Reads one network's ledgers for a report over blocks ``(opening, closing]`` of each ledger.
    ``history``: facts kept from earlier readings, reused and added to (see :class:`ChainHistory`)."""

    def __init__(self, network: Network, facts: NetworkFacts, *, history: ChainHistory | None = None) -> None:
        self.network = network
        self.facts = facts
        self.history = history
        self._journal_blocks: set[tuple[str, int]] = set()

    # ─── the whole reading ───────────────────────────────────────────────────────────────

    def read(self, opening: dict[str, int] | None = None) -> ChainFacts:
        """Everything of the period; ``opening``: the block each ledger's period starts after (default 0:
        from genesis, so issuance shows as movements)."""
        period = Period(opening_block={name: (opening or {}).get(name, 0) for name in self.facts.ledgers},
                        closing_block={name: ledger.head_block for name, ledger in self.facts.ledgers.items()})  # fmt: skip
        transfers, pvp, netting, htlc, oracle_events = [], [], [], [], []
        for name in self.facts.ledgers:
            start, end = period.opening_block[name] + 1, period.closing_block[name]
            if self.history is None:
                logs = self._logs(name, start, end)
            else:
                w3 = self.network.clients[name].w3
                self.history.check(name, w3)
                logs = self.history.logs(name, start, end, _hex(w3.eth.get_block(end)["hash"]), self._logs)
            transfers += logs[0]
            pvp += logs[1]
            netting += logs[2]
            htlc += logs[3]
            oracle_events += logs[4]
        blocks: set[tuple[str, int]] = {(name, period.opening_block[name]) for name in self.facts.ledgers}
        blocks |= {(name, period.closing_block[name]) for name in self.facts.ledgers}
        for item in (*transfers, *pvp, *netting, *htlc):
            blocks.add((item.ledger, item.block))
            confirmations = self.facts.ledgers[item.ledger].confirmations
            final = item.block + max(1, confirmations) - 1
            if final <= period.closing_block[item.ledger]:
                blocks.add((item.ledger, final))
        blocks |= self._journal_blocks
        times = self.block_times(blocks)
        oracle_events = [replace(e, ledger_time=times.get((e.ledger, e.block), 0)) for e in oracle_events]
        holders = self._holders(transfers)
        opening_balances = self.balances(holders, period.opening_block)
        closing_balances = self.balances(holders, period.closing_block)
        return ChainFacts(period=period, transfers=tuple(transfers), pvp_settlements=tuple(pvp), batch_netting=tuple(netting),
                          htlc_events=tuple(htlc), block_times=times, opening_balances=opening_balances,
                          closing_balances=closing_balances, opening_supply=self.supplies(period.opening_block),
                          closing_supply=self.supplies(period.closing_block), oracle_pairs=tuple(self.oracle_pairs()),
                          oracle_events=tuple(oracle_events), oracle_history=tuple(self.oracle_history()))  # fmt: skip

    def also_time(self, blocks: Iterable[tuple[str, int]]) -> None:
        """Blocks the journal cites (its steps' blocks): their times are read with the rest."""
        self._journal_blocks = {(ledger, block) for ledger, block in blocks if ledger in self.facts.ledgers}

    def oracle_events(self) -> list[OracleEvent]:
        """Every breaker trip and resumption on every ledger's oracle, from genesis, with its ledger time."""
        events: list[OracleEvent] = []
        for name, ledger in self.facts.ledgers.items():
            events += self._logs(name, 0, ledger.head_block)[4]
        times = self.block_times((e.ledger, e.block) for e in events)
        return [replace(e, ledger_time=times.get((e.ledger, e.block), 0)) for e in events]

    # ─── logs ────────────────────────────────────────────────────────────────────────────

    def _logs(self, ledger: str, start: int, end: int) -> _Logs:
        client = self.network.clients[ledger]
        pvp, htlc, oracle = (self.network.contract(ledger, name) for name in ("pvp", "htlc", "oracle"))
        tokens = {c.token.lower(): code for code, c in self.facts.currencies.items() if c.ledger == ledger}
        decoders = {}
        for contract, names in ((pvp, ("Settled", "SettledInBatch", "BatchNetted")), (htlc, ("Locked", "Claimed", "Refunded")),
                                (oracle, ("BreakerTripped", "PairResumed"))):  # fmt: skip
            for name in names:
                event = getattr(contract.events, name)()
                decoders[(contract.address.lower(), event.topic)] = (name, event)
        transfers, settlements, netting, htlc_events, oracle_events = [], [], [], [], []
        addresses = [to_checksum_address(a) for a in (*tokens, pvp.address, htlc.address, oracle.address)]
        for chunk_start in range(start, end + 1, LOG_CHUNK):
            chunk_end = min(end, chunk_start + LOG_CHUNK - 1)
            for log in client.w3.eth.get_logs({"address": addresses, "fromBlock": chunk_start, "toBlock": chunk_end}):
                address = str(log["address"]).lower()
                topic = _hex(log["topics"][0]) if log["topics"] else ""
                block, index, tx_hash = int(log["blockNumber"]), int(log["logIndex"]), _hex(log["transactionHash"])
                if address in tokens:
                    if topic == TRANSFER_TOPIC:
                        transfers.append(TokenTransfer(ledger=ledger, currency=tokens[address], block=block, log_index=index, tx_hash=tx_hash,
                                                       sender=to_checksum_address("0x" + bytes(log["topics"][1])[-20:].hex()),
                                                       receiver=to_checksum_address("0x" + bytes(log["topics"][2])[-20:].hex()),
                                                       amount=int.from_bytes(bytes(log["data"]), "big")))  # fmt: skip
                    continue
                decoder = decoders.get((address, topic))
                if decoder is None:
                    continue
                name, event = decoder
                args = event.process_log(log)["args"]
                if name in ("Settled", "SettledInBatch"):
                    settlements.append(PvpSettlement(ledger=ledger, swap_id=_hex(args["swapId"]), block=block, log_index=index, tx_hash=tx_hash,
                                                     batch_id=int(args["batchId"]) if name == "SettledInBatch" else None,
                                                     oracle_mid=int(args["oracleMid"]) if name == "Settled" else None,
                                                     round_ref=int(args["roundRef"]) if name == "Settled" else None))  # fmt: skip
                elif name == "BatchNetted":
                    netting.append(BatchNetting(ledger=ledger, batch_id=int(args["batchId"]), currency=tokens.get(str(args["token"]).lower(), "?"),
                                                gross_value=int(args["grossValue"]), net_moved=int(args["netMoved"]), block=block, tx_hash=tx_hash))  # fmt: skip
                elif name == "Locked":
                    sender = to_checksum_address(args["sender"])
                    htlc_events.append(HtlcEvent(ledger=ledger, kind="locked", lock_id=_hex(lock_id_of(sender, bytes(args["hashlock"]))),
                                                 block=block, log_index=index, tx_hash=tx_hash, swap_id=_hex(args["swapId"]),
                                                 currency=tokens.get(str(args["token"]).lower()), sender=sender,
                                                 receiver=to_checksum_address(args["receiver"]), amount=int(args["amount"]),
                                                 expiry=int(args["expiry"])))  # fmt: skip
                elif name in ("Claimed", "Refunded"):
                    htlc_events.append(HtlcEvent(ledger=ledger, kind=name.lower(), lock_id=_hex(args["lockId"]), block=block, log_index=index,
                                                 tx_hash=tx_hash))  # fmt: skip
                else:
                    pair = bytes(args["pair"]).decode(errors="replace")
                    oracle_events.append(OracleEvent(
                        network=self.facts.label, ledger=ledger, chain_id=self.facts.ledgers[ledger].chain_id,
                        kind="tripped" if name == "BreakerTripped" else "resumed", pair=f"{pair[:3]}/{pair[3:]}", block=block, tx_hash=tx_hash,
                        ledger_time=0, round=int(args["roundId"]) if name == "BreakerTripped" else None,
                        previous_mid=int(args["previousMid"]) if name == "BreakerTripped" else None,
                        mid=int(args["mid"]) if name == "BreakerTripped" else None,
                        jump_bps=int(args["jumpBps"]) if name == "BreakerTripped" else None,
                        by=str(args["by"]) if name == "PairResumed" else None))  # fmt: skip
        return transfers, settlements, netting, htlc_events, oracle_events

    # ─── batched reads ───────────────────────────────────────────────────────────────────

    def block_times(self, blocks: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        wanted: dict[str, list[int]] = {}
        for ledger, block in sorted(set(blocks)):
            wanted.setdefault(ledger, []).append(block)
        times: dict[tuple[str, int], int] = {}
        for ledger, numbers in wanted.items():
            w3 = self.network.clients[ledger].w3
            kept = self.history.times(ledger) if self.history is not None else None
            if kept is not None:
                times.update({(ledger, number): kept[number] for number in numbers if number in kept})
                numbers = [number for number in numbers if number not in kept]
                self.history.times_read += len(numbers)  # type: ignore[union-attr]
            for start in range(0, len(numbers), READ_BATCH):
                part = numbers[start: start + READ_BATCH]
                with w3.batch_requests() as batch:
                    for number in part:
                        batch.add(w3.eth.get_block(number))
                    answers = batch.execute()
                read = {number: int(answer["timestamp"]) for number, answer in zip(part, answers, strict=True)}
                times.update({(ledger, number): time for number, time in read.items()})
                if kept is not None:
                    kept.update(read)
        return times

    def _holders(self, transfers: list[TokenTransfer]) -> dict[str, set[str]]:
        """Every address that may hold each currency: participants, escrows, and anyone a transfer reached."""
        holders: dict[str, set[str]] = {code: set() for code in self.facts.currencies}
        base = {p.address for p in self.facts.participants.values()}
        for code, currency in self.facts.currencies.items():
            ledger = self.facts.ledgers[currency.ledger]
            holders[code] |= base | {ledger.pvp, ledger.htlc}
        for t in transfers:
            for address in (t.sender, t.receiver):
                if int(address, 16):
                    holders[t.currency].add(address)
        return holders

    def balances(self, holders: dict[str, set[str]], at: dict[str, int]) -> dict[tuple[str, str], int]:
        """``balanceOf`` of every holder of every currency at block ``at[ledger]`` (historical state)."""
        found: dict[tuple[str, str], int] = {}
        for code, addresses in holders.items():
            ledger = self.facts.currencies[code].ledger
            w3, token = self.network.clients[ledger].w3, self.network.token(code)
            if not self._exists(ledger, token.address, at[ledger]):
                continue  # the token was deployed later: nobody held any
            ordered = sorted(addresses)
            for start in range(0, len(ordered), READ_BATCH):
                part = ordered[start: start + READ_BATCH]
                with w3.batch_requests() as batch:
                    for address in part:
                        batch.add(token.functions.balanceOf(address).call(block_identifier=at[ledger]))
                    answers = batch.execute()
                for address, amount in zip(part, answers, strict=True):
                    if int(amount):
                        found[(address, code)] = int(amount)
        return found

    def supplies(self, at: dict[str, int]) -> dict[str, int]:
        return {code: int(self.network.token(code).functions.totalSupply().call(block_identifier=at[c.ledger]))
                if self._exists(c.ledger, c.token, at[c.ledger]) else 0 for code, c in self.facts.currencies.items()}  # fmt: skip

    def _exists(self, ledger: str, address: str, block: int) -> bool:
        return bool(self.network.clients[ledger].w3.eth.get_code(to_checksum_address(address), block_identifier=block))

    def oracle_pairs(self) -> list[OraclePair]:
        """Every configured pair on every ledger, as the oracle answers now (state, round, mid, times)."""
        settings = self.network.settings.oracle
        rows = []
        for ledger in self.facts.ledgers:
            oracle = self.network.contract(ledger, "oracle")
            for status in read_statuses(self.network.clients[ledger], oracle, settings.base_currency, list(settings.pairs)):
                published = None
                if status.round:
                    try:
                        raw = oracle.functions.roundData(pair_id(status.base, status.quote), status.round).call()
                        published = int(raw[5])
                    except Exception:  # a pair without rounds, or a node refusing the read: the time is "not measured"
                        published = None
                state = read_pair(oracle, pair_id(status.base, status.quote))
                rows.append(OraclePair(ledger=ledger, pair=status.pair, state=status.state.value, round=status.round,
                                       mid=str(status.mid) if status.mid is not None else None, observed_at=status.observed_at,
                                       published_at=published, age_seconds=status.age_seconds, max_age_seconds=state.max_age,
                                       detail=None if status.available else status.detail,
                                       halted_since=status.halted_since.isoformat() if status.halted_since else None,
                                       dispersion_bps=status.dispersion_bps))  # fmt: skip
        return rows

    def oracle_history(self, rounds: int = HISTORY_ROUNDS) -> list[OracleRound]:
        """Each directly published pair's latest ``rounds`` rounds on every ledger, oldest first (one
        JSON-RPC batch per ledger for the pairs' states, then batches of round reads). The oracle keeps the
        last ``ROUND_WINDOW`` rounds per pair on chain (older ones are in its events), so at most that many."""
        rounds = min(rounds, ROUND_WINDOW)
        settings = self.network.settings.oracle
        history: list[OracleRound] = []
        for ledger in self.facts.ledgers:
            oracle = self.network.contract(ledger, "oracle")
            w3 = self.network.clients[ledger].w3
            ids = [pair_id(settings.base_currency, quote) for quote in settings.pairs]
            with w3.batch_requests() as batch:
                for pid in ids:
                    batch.add(oracle.functions.pair(pid).call())
                states = batch.execute()
            wanted = [(pid, number) for pid, state in zip(ids, states, strict=True) if int(state[5])
                      for number in range(max(1, int(state[5]) - rounds + 1), int(state[5]) + 1)]  # fmt: skip
            for start in range(0, len(wanted), READ_BATCH):
                part = wanted[start: start + READ_BATCH]
                with w3.batch_requests() as batch:
                    for pid, number in part:
                        batch.add(oracle.functions.roundData(pid, number).call())
                    answers = batch.execute()
                for (pid, number), raw in zip(part, answers, strict=True):
                    history.append(OracleRound(ledger=ledger, pair=f"{pid[:3].decode()}/{pid[3:].decode()}", round=number, mid=int(raw[0]),
                                               dispersion_bps=int(raw[3]), observed_at=int(raw[4]), published_at=int(raw[5])))  # fmt: skip
        return history

