"""What every scenario of the demo shares: the network, the banks' SDK clients, the bridge, the console,
and the evidence the scenarios gather for the supervision model (balance checks, on-chain refusals,
drills, simulations, labels). Narration writes amounts in major units, rates as decimals, rounds as
``#n`` and banks by name."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from rich.console import Console

from bridge.sdk.client import BridgeClient, BridgeRequestError
from corridor.network import Network
from supervision.inputs import (BalanceCheck, GrossSimulation, OracleEvent, OracleProvenance, RecoveryDrill, RefusalRecord,
                                ScenarioOutcome)  # fmt: skip
from supervision.units import major_text, rate, round_label


@dataclass
class Gathered:
    """Evidence gathered while the scenarios run (see :class:`supervision.inputs.Evidence`)."""

    refusals: list[RefusalRecord] = field(default_factory=list)
    drills: list[RecoveryDrill] = field(default_factory=list)
    gross_simulations: list[GrossSimulation] = field(default_factory=list)
    oracle_events: list[OracleEvent] = field(default_factory=list)
    oracle_provenance: list[OracleProvenance] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class DemoContext:
    network: Network
    clients: dict[str, BridgeClient]
    console: Console
    app: Any  # the bridge's FastAPI app: its worker (paused by scenarios that stage a failure) and its stores
    database_url: str
    gathered: Gathered = field(default_factory=Gathered)

    @property
    def worker(self) -> Any:
        return self.app.state.worker

    # ─── the ledgers ─────────────────────────────────────────────────────────────────────

    def now(self, ledger: str = "A") -> int:
        return int(self.network.clients[ledger].w3.eth.get_block("latest")["timestamp"])

    def balance(self, bank: str, currency: str, network: Network | None = None) -> int:
        net = network or self.network
        return int(net.token(currency).functions.balanceOf(net.keys.address(bank)).call())

    def snapshot(self, pairs: list[tuple[str, str]], network: Network | None = None) -> dict[tuple[str, str], int]:
        return {(bank, code): self.balance(bank, code, network) for bank, code in pairs}

    def checks(self, before: dict[tuple[str, str], int], expected: dict[tuple[str, str], int], network: Network | None = None) -> list[BalanceCheck]:
        """Each (bank, currency) of ``before``: its change on chain against the ``expected`` change (0 if not named)."""
        net = network or self.network
        after = self.snapshot(list(before), net)
        return [BalanceCheck(holder=bank, currency=code, decimals=net.settings.currencies[code].decimals,
                             expected_change=expected.get((bank, code), 0), observed_change=after[(bank, code)] - before[(bank, code)])
                for bank, code in before]  # fmt: skip

    # ─── words ───────────────────────────────────────────────────────────────────────────

    def money(self, currency: str, minor: int, network: Network | None = None) -> str:
        decimals = (network or self.network).settings.currencies[currency].decimals
        return f"{major_text(minor, decimals)} {currency}"

    def name(self, bank: str) -> str:
        return self.network.settings.participants[bank].name

    def rate(self, base: str, quote: str) -> int:
        return int(self.clients["yangtze"].rate(base, quote)["mid_fixed_8"]) * 10**10

    def rate_text(self, fixed_18: int, base: str, quote: str) -> str:
        return f"{rate(fixed_18, f'{base}/{quote}').display} {quote} per {base}"

    def round_text(self, round_ref: int | str | None) -> str:
        """``round_ref`` as the API gives it (a decimal string beyond 2^53)."""
        return round_label(int(round_ref) if round_ref is not None else None)

    def say(self, text: str) -> None:
        self.console.print(f"  {text}")

    # ─── refusals ────────────────────────────────────────────────────────────────────────

    def refused(self, attempt: Callable[[], Any]) -> BridgeRequestError | None:
        """Runs ``attempt``; the bridge's refusal if it was refused, None if it went through."""
        try:
            attempt()
        except BridgeRequestError as exc:
            return exc
        return None

    def refusal_id(self, swap_id: str | None = None, after: float | None = None) -> str | None:
        """The id the bridge gave the refusal it just recorded (for the swap, when named)."""
        for _ in range(20):  # recorded by the bridge right after answering
            found = [r for r in self.app.state.refusals.list() if (swap_id is None or r.swap_id == swap_id)]
            if found:
                return f"R{found[-1].id}"
            time.sleep(0.02)
        return None

    def chain_refusal(self, *, participant: str | None, action: str, error: str, rule: str, detail: str, ledger: str | None,
                      swap_id: str | None = None, tx_hash: str | None = None) -> str:  # fmt: skip
        """Records a refusal by a ledger outside the bridge (a token refusing a transfer, an escrow on another network)."""
        refusal_id = f"L{len(self.gathered.refusals) + 1}"
        self.gathered.refusals.append(RefusalRecord(id=refusal_id, at=datetime.now(timezone.utc), participant=participant, action=action,
                                                    status=None, error=error, rule=rule, detail=detail, swap_id=swap_id, ledger=ledger,
                                                    tx_hash=tx_hash, source="ledger"))  # fmt: skip
        return refusal_id


def outcome(number: int, title: str, summary: str, checks: list[BalanceCheck], *, ok: bool = True, swaps: list[str] | None = None,
            refusals: list[str | None] | None = None, network: str = "main network") -> ScenarioOutcome:  # fmt: skip
    """A scenario's result: passed when its own conditions hold and every balance check does."""
    return ScenarioOutcome(number=number, title=title, passed=ok and bool(checks) and all(c.passed for c in checks), summary=summary,
                           checks=tuple(checks), swaps=tuple(swaps or ()), refusals=tuple(r for r in (refusals or []) if r),
                           network=network)  # fmt: skip
