"""The supervision model's computations on hand-made journal rows and chain events: no ledger, no bridge.

Each test builds the smallest network and history that shows one rule: amounts in major units,
peak net debit gross versus netted, time to final in ledger time, a reconciliation that shows a
difference instead of hiding it, verdicts that say "not measured" rather than default."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from supervision.build import build_model
from supervision.inputs import (ChainFacts, CurrencyFacts, Evidence, HtlcEvent, JournalFacts, LedgerFacts, LegRecord, NetworkFacts,
                                ParticipantFacts, Period, PvpSettlement, SwapAggregates, SwapRecord, TokenTransfer, TransitionRecord)  # fmt: skip
from supervision.liquidity import peak_net_debit, thinned
from supervision.model import CurvePoint, Status, page_of
from supervision.units import duration_text, major_text, money, rate, round_label

A, B, PVP, HTLC = "0x" + "a" * 40, "0x" + "b" * 40, "0x" + "1" * 40, "0x" + "2" * 40
ISSUER = "0x" + "c" * 40
T0 = 1_800_000_000
START = datetime(2027, 1, 15, 9, 0, tzinfo=timezone.utc)


def network(confirmations: int = 1, head: int = 20) -> NetworkFacts:
    return NetworkFacts(
        label="test network",
        ledgers={"A": LedgerFacts("A", 1, confirmations, head, T0 + head * 10, PVP, HTLC, "0x" + "3" * 40)},
        currencies={"CNY": CurrencyFacts("CNY", "Digital CNY", 2, "A", "0x" + "4" * 40), "HKD": CurrencyFacts("HKD", "Digital HKD", 2, "A", "0x" + "5" * 40)},
        participants={"alpha": ParticipantFacts("alpha", "Alpha Bank", A, "bank"), "beta": ParticipantFacts("beta", "Beta Bank", B, "bank"),
                      "pboc": ParticipantFacts("pboc", "Central Bank", ISSUER, "central_bank")})  # fmt: skip


def pvp_swap(swap_id: str, payer: str, receiver: str, cny: int, hkd: int, *, state: str = "settled", received: int | None = T0,
             block: int | None = 5, at: datetime = START) -> SwapRecord:  # fmt: skip
    steps = [TransitionRecord(1, None, "proposed", at, None, None, None, "order received"),
             TransitionRecord(2, "proposed", "accepted", at + timedelta(seconds=1), None, None, None, "counterparty accepted")]  # fmt: skip
    if state == "settled":
        steps.append(TransitionRecord(3, "accepted", "settled", at + timedelta(seconds=2), "A", "0xfeed", block, "settled"))
    return SwapRecord(id=swap_id, model="pvp", state=state, initiator=payer, counterparty=receiver,
                      leg_a=LegRecord("CNY", "A", cny, payer, receiver), leg_b=LegRecord("HKD", "A", hkd, receiver, payer),
                      rate=hkd * 10**18 // cny, max_deviation_bps=50, deadline=T0 + 900, oracle_mid=hkd * 10**18 // cny, oracle_round=1,
                      quote_hash=None, hashlock=None, failure=None, received_at={"A": received} if received else {}, created_at=at,
                      transitions=tuple(steps))  # fmt: skip


def chain(transfers: list[TokenTransfer], settlements: list[PvpSettlement], *, opening: dict, closing: dict, supply: dict,
          htlc: list[HtlcEvent] | None = None, times: dict | None = None) -> ChainFacts:  # fmt: skip
    blocks = {("A", b): T0 + b * 10 for b in range(0, 30)}
    blocks.update(times or {})
    return ChainFacts(period=Period({"A": 0}, {"A": 20}), transfers=tuple(transfers), pvp_settlements=tuple(settlements), batch_netting=(),
                      htlc_events=tuple(htlc or ()), block_times=blocks, opening_balances=opening, closing_balances=closing,
                      opening_supply=supply, closing_supply=supply)  # fmt: skip


def journal(swaps: list[SwapRecord]) -> JournalFacts:
    by_state: dict[str, int] = {}
    for swap in swaps:
        by_state[swap.state] = by_state.get(swap.state, 0) + 1
    return JournalFacts(aggregates=SwapAggregates(by_state, {"pvp": len(swaps)}, {}), swaps=tuple(swaps), refusals=(), alerts=(), quotes=(),
                        database="sqlite:///test.db")  # fmt: skip


def transfer(block: int, index: int, tx: str, sender: str, receiver: str, amount: int, currency: str = "CNY") -> TokenTransfer:
    return TokenTransfer("A", currency, block, index, tx, sender, receiver, amount)


# ─── units ───────────────────────────────────────────────────────────────────────────────


def test_amounts_are_written_in_major_units_with_every_decimal_and_the_code() -> None:
    assert money(100_000_000, "CNY", 2).display == "1,000,000.00 CNY"
    assert money(-5, "CNY", 2).display == "-0.05 CNY"
    assert money(7, "JPY", 0).display == "7 JPY"
    assert money(1_234_567, "KWD", 3).model_dump() == {"currency": "KWD", "minor_units": 1_234_567, "decimals": 3, "display": "1,234.567 KWD"}
    assert major_text(10**20, 2) == "1,000,000,000,000,000,000.00"  # exact beyond a float's precision


def test_rates_rounds_and_durations_read_as_people_read_them() -> None:
    assert rate(1_179_291_230_000_000_000, "CNY/HKD").display == "1.179291"
    assert rate(1_179_291_230_000_000_000, "CNY/HKD").fixed_18 == "1179291230000000000"
    assert round_label(7) == "#7"
    assert round_label((3 << 128) | 5) == "#3 × #5 (cross via EUR)"
    assert round_label(340282366920938463463374607431768211457) == "#1 × #1 (cross via EUR)"
    assert duration_text(3599) == "59 min 59 s" and duration_text(0.33) == "0.3 s" and duration_text(None) == "not measured"


def test_a_page_says_what_it_holds() -> None:
    page = page_of(list(range(215)), offset=50, limit=50, noun="swaps", order="oldest first")
    assert page.items == list(range(50, 100)) and page.total == 215
    assert page.holds == "swaps 51–100 of 215, oldest first"
    assert page_of([], offset=0, limit=10, noun="swaps", order="x").holds == "no swaps (of 0)"


# ─── liquidity ───────────────────────────────────────────────────────────────────────────


def test_peak_net_debit_is_the_deepest_running_debit_not_the_turnover() -> None:
    steps = [{("alpha", "CNY"): -100, ("beta", "CNY"): 100}, {("alpha", "CNY"): 80, ("beta", "CNY"): -80},
             {("alpha", "CNY"): -50, ("beta", "CNY"): 50}]  # fmt: skip
    assert peak_net_debit(steps) == {("alpha", "CNY"): 100, ("beta", "CNY"): 0}


def test_a_netted_batch_needs_only_the_net_while_one_by_one_needs_the_peak() -> None:
    """Two swaps in opposite directions netted in one batch: each bank pays only its net; one by one,
    the first payer needs the whole first payment."""
    s1 = pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00)
    s2 = pvp_swap("0x02", "beta", "alpha", 900_00, 990_00)
    batch = "0xba7c"
    moves = [transfer(5, 0, batch, A, PVP, 100_00), transfer(5, 1, batch, PVP, B, 100_00),
             transfer(5, 2, batch, B, PVP, 110_00, "HKD"), transfer(5, 3, batch, PVP, A, 110_00, "HKD")]  # fmt: skip
    settled = [PvpSettlement("A", "0x01", 5, 4, batch, batch_id=1), PvpSettlement("A", "0x02", 5, 5, batch, batch_id=1)]
    opening = {(A, "CNY"): 5_000_00, (B, "CNY"): 5_000_00, (A, "HKD"): 5_000_00, (B, "HKD"): 5_000_00}
    closing = {(A, "CNY"): 4_900_00, (B, "CNY"): 5_100_00, (A, "HKD"): 5_110_00, (B, "HKD"): 4_890_00}
    model = build_model(network(), journal([s1, s2]), chain(moves, settled, opening=opening, closing=closing, supply={"CNY": 10_000_00, "HKD": 10_000_00}))
    cny = next(c for c in model.liquidity.currencies if c.currency == "CNY")
    assert cny.turnover.display == "1,900.00 CNY"  # turnover: every payment's gross value
    assert cny.peak_need_netted.display == "100.00 CNY"  # alpha's net debit in the batch
    assert cny.peak_need_gross.display == "1,000.00 CNY"  # one by one: alpha pays 1,000 before beta's 900 comes back
    assert cny.saving_percent == 90.0
    assert model.reconciliation.ok, model.reconciliation
    # the movements list each netted swap's gross legs with the batch's transaction, and they reconcile
    legs = [m for m in model.movements.items if m.swap_id == "0x01" and m.currency == "CNY"]
    assert {(m.holder, m.change.display, m.tx_hash) for m in legs} == {("Alpha Bank", "-1,000.00 CNY", batch), ("Beta Bank", "1,000.00 CNY", batch)}
    assert all(check.ok for check in model.reconciliation.attribution)


# ─── reconciliation ──────────────────────────────────────────────────────────────────────


def test_a_difference_with_the_chain_is_shown_never_absorbed() -> None:
    swap = pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00)
    moves = [transfer(5, 0, "0xfeed", A, B, 1_000_00), transfer(5, 1, "0xfeed", B, A, 1_100_00, "HKD")]
    opening = {(A, "CNY"): 5_000_00, (B, "HKD"): 5_000_00}
    closing = {(A, "CNY"): 4_000_00, (B, "CNY"): 1_000_00, (A, "HKD"): 1_100_00, (B, "HKD"): 3_899_00}  # 1.00 HKD missing at beta
    model = build_model(network(), journal([swap]), chain(moves, [PvpSettlement("A", "0x01", 5, 2, "0xfeed")], opening=opening, closing=closing,
                                                          supply={"CNY": 5_000_00, "HKD": 5_000_00}))  # fmt: skip
    bad = [c for c in model.reconciliation.cells if not c.ok]
    assert [(c.holder, c.currency, c.difference.display) for c in bad] == [("Beta Bank", "HKD", "-1.00 HKD")]
    assert not model.reconciliation.ok
    assert [s.difference.display for s in model.reconciliation.supply if not s.ok] == ["1.00 HKD"]
    verdict = next(v for v in model.verdicts if v.id == "reconciliation")
    assert verdict.status is Status.NOT_MET
    assert any(e.kind == "reconciliation difference" for e in model.exceptions.items)


def test_a_settlement_the_journal_does_not_know_fails_attribution() -> None:
    moves = [transfer(5, 0, "0xfeed", A, B, 1_000_00)]
    model = build_model(network(), journal([]), chain(moves, [PvpSettlement("A", "0x99", 5, 1, "0xfeed")], opening={(A, "CNY"): 1_000_00},
                                                      closing={(B, "CNY"): 1_000_00}, supply={"CNY": 1_000_00, "HKD": 0}))  # fmt: skip
    assert [a.ok for a in model.reconciliation.attribution] == [False]
    assert "does not know" in model.reconciliation.attribution[0].difference


# ─── finality and verdicts ───────────────────────────────────────────────────────────────


def test_time_to_final_is_ledger_time_from_the_order_to_the_finality_point() -> None:
    swap = pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00, received=T0 + 10, block=7)
    moves = [transfer(7, 0, "0xfeed", A, B, 1_000_00), transfer(7, 1, "0xfeed", B, A, 1_100_00, "HKD")]
    facts = chain(moves, [PvpSettlement("A", "0x01", 7, 2, "0xfeed")], opening={(A, "CNY"): 1_000_00, (B, "HKD"): 1_100_00},
                  closing={(B, "CNY"): 1_000_00, (A, "HKD"): 1_100_00}, supply={"CNY": 1_000_00, "HKD": 1_100_00})  # fmt: skip
    one = build_model(network(confirmations=1), journal([swap]), facts).indicators.items[0]
    assert one.time_to_final_seconds == 60.0  # block 7 at T0 + 70, order at T0 + 10
    three = build_model(network(confirmations=3), journal([swap]), facts).indicators.items[0]
    assert three.legs[0].final_at_block == 9 and three.time_to_final_seconds == 80.0  # block 9 at T0 + 90
    assert three.wall_latency_seconds == 2.0  # the bridge's clock, separately


def test_verdicts_say_not_measured_when_nothing_was_measured() -> None:
    model = build_model(network(), journal([]), chain([], [], opening={}, closing={}, supply={"CNY": 0, "HKD": 0}), Evidence())
    statuses = {v.id: v.status for v in model.verdicts}
    assert statuses == {"P8": Status.NOT_MEASURED, "P12": Status.NOT_MEASURED, "P17": Status.NOT_MEASURED, "G20-speed": Status.NOT_MEASURED,
                        "G20-cost": Status.NOT_MEASURED, "G20-transparency": Status.NOT_MEASURED, "reconciliation": Status.NOT_MEASURED}  # fmt: skip
    assert all(v.measured and v.why and v.evidence.startswith("#") for v in model.verdicts)


def test_a_one_legged_htlc_swap_fails_p12() -> None:
    hashlock = "0x" + "9" * 64
    swap = SwapRecord(id="0x07", model="htlc", state="failed", initiator="alpha", counterparty="beta", leg_a=LegRecord("CNY", "A", 100_00, "alpha", "beta"),
                      leg_b=LegRecord("HKD", "A", 110_00, "beta", "alpha"), rate=11 * 10**17, max_deviation_bps=50, deadline=T0 + 900,
                      oracle_mid=11 * 10**17, oracle_round=1, quote_hash=None, hashlock=hashlock, failure="leg A refunded after leg B was claimed",
                      received_at={"A": T0}, created_at=START, transitions=())  # fmt: skip
    events = [HtlcEvent("A", "locked", "0xla", 3, 0, "0xl1", swap_id="0x07", currency="CNY", sender=A, receiver=B, amount=100_00, expiry=T0 + 3600),
              HtlcEvent("A", "locked", "0xlb", 4, 0, "0xl2", swap_id="0x07", currency="HKD", sender=B, receiver=A, amount=110_00, expiry=T0 + 1800),
              HtlcEvent("A", "claimed", "0xlb", 5, 0, "0xc2"), HtlcEvent("A", "refunded", "0xla", 9, 0, "0xr1")]  # fmt: skip
    moves = [transfer(3, 1, "0xl1", A, HTLC, 100_00), transfer(4, 1, "0xl2", B, HTLC, 110_00, "HKD"), transfer(5, 1, "0xc2", HTLC, A, 110_00, "HKD"),
             transfer(9, 1, "0xr1", HTLC, A, 100_00)]  # fmt: skip
    facts = chain(moves, [], htlc=events, opening={(A, "CNY"): 100_00, (B, "HKD"): 110_00}, closing={(A, "CNY"): 100_00, (A, "HKD"): 110_00},
                  supply={"CNY": 100_00, "HKD": 110_00})  # fmt: skip
    model = build_model(network(), journal([swap]), facts)
    p12 = next(v for v in model.verdicts if v.id == "P12")
    assert p12.status is Status.NOT_MET and "1 one-legged" in p12.measured
    assert model.reconciliation.ok  # the chain and the journal agree on what moved; the loss is the finding
    exposure = {e.currency: e for e in model.risk.exposure}
    assert exposure["CNY"].value_hours_minor == 100_00 * 60  # locked at block 3, refunded at block 9: 60 s of ledger time
    assert exposure["HKD"].value_hours_minor == 110_00 * 10


@pytest.mark.parametrize(("failure", "expected"), [(None, None), ("PvPPartyNotPermitted", "PvPPartyNotPermitted"),
                                                   ({"reason": "refused", "step": "settle", "error": None}, "reason: refused; step: settle")])  # fmt: skip
def test_the_swap_failure_reads_as_text_whatever_its_shape(failure: object, expected: str | None) -> None:
    from bridge.store.journal_reader import _failure

    assert _failure(failure) == expected


def test_position_curves_are_the_running_sums_whose_deepest_points_are_the_peaks() -> None:
    """The console's intraday curves come from the same running sums as the peaks: the marked peak of each
    curve is the bank's peak net debit, one by one and netted."""
    s1 = pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00)
    s2 = pvp_swap("0x02", "beta", "alpha", 900_00, 990_00)
    batch = "0xba7c"
    moves = [transfer(5, 0, batch, A, PVP, 100_00), transfer(5, 1, batch, PVP, B, 100_00),
             transfer(5, 2, batch, B, PVP, 110_00, "HKD"), transfer(5, 3, batch, PVP, A, 110_00, "HKD")]  # fmt: skip
    settled = [PvpSettlement("A", "0x01", 5, 4, batch, batch_id=1), PvpSettlement("A", "0x02", 5, 5, batch, batch_id=1)]
    opening = {(A, "CNY"): 5_000_00, (B, "CNY"): 5_000_00, (A, "HKD"): 5_000_00, (B, "HKD"): 5_000_00}
    closing = {(A, "CNY"): 4_900_00, (B, "CNY"): 5_100_00, (A, "HKD"): 5_110_00, (B, "HKD"): 4_890_00}
    model = build_model(network(), journal([s1, s2]), chain(moves, settled, opening=opening, closing=closing, supply={"CNY": 10_000_00, "HKD": 10_000_00}))
    curves = {(c.bank, c.currency): c for c in model.liquidity.curves}
    alpha = curves[("Alpha Bank", "CNY")]
    assert [p.position_minor for p in alpha.gross] == [-1_000_00, -100_00]  # pays 1,000, then receives 900
    assert [p.position_minor for p in alpha.netted] == [-100_00]  # the batch moved only the net
    assert alpha.peak_gross is not None and alpha.peak_gross.net_debit_minor == 1_000_00 and alpha.peak_gross.ledger_time == T0 + 50
    assert alpha.peak_netted is not None and alpha.peak_netted.net_debit_minor == 100_00
    for c in model.liquidity.currencies:
        for bank in c.banks:
            curve = curves.get((bank.bank, c.currency))
            assert (curve.peak_gross.net_debit_minor if curve and curve.peak_gross else 0) == bank.peak_net_debit_gross.minor_units
            assert (curve.peak_netted.net_debit_minor if curve and curve.peak_netted else 0) == bank.peak_net_debit_netted.minor_units


def test_thinned_curves_keep_each_stretchs_lowest_and_highest_and_every_peak() -> None:
    """The console draws long curves from about ``cap`` points: a subset in step order with the first and
    last point, each stretch's lowest and highest, so the deepest point (the peak) is always among them."""
    rng = random.Random(11)
    position, points = 0, []
    for step in range(10_000):
        position += rng.randint(-50, 49)
        points.append(CurvePoint(step=step, ledger="A", block=step, ledger_time=0, position_minor=position, net_debit_minor=max(0, -position)))
    kept = thinned(points, 400)
    assert len(kept) <= 402 and kept == sorted(kept, key=lambda p: p.step) and all(p in points for p in kept)
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert min(kept, key=lambda p: p.position_minor) == min(points, key=lambda p: p.position_minor)
    assert max(kept, key=lambda p: p.position_minor) == max(points, key=lambda p: p.position_minor)
    size = -(-len(points) // 200)
    for start in range(0, len(points), size):  # every stretch's envelope is drawn
        stretch = points[start:start + size]
        assert min(stretch, key=lambda p: p.position_minor) in kept and max(stretch, key=lambda p: p.position_minor) in kept
    assert thinned(points[:300], 400) == points[:300]  # a short curve is drawn whole


def test_a_model_with_thinned_curves_keeps_its_peaks_and_says_how_many_points_each_had() -> None:
    s1 = pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00)
    s2 = pvp_swap("0x02", "beta", "alpha", 900_00, 990_00)
    moves = [transfer(5, 0, "0x01", A, B, 1_000_00), transfer(5, 1, "0x01", B, A, 1_100_00, "HKD"),
             transfer(6, 0, "0x02", B, A, 900_00), transfer(6, 1, "0x02", A, B, 990_00, "HKD")]  # fmt: skip
    settled = [PvpSettlement("A", "0x01", 5, 2, "0x01"), PvpSettlement("A", "0x02", 6, 2, "0x02")]
    opening = {(A, "CNY"): 5_000_00, (B, "CNY"): 5_000_00, (A, "HKD"): 5_000_00, (B, "HKD"): 5_000_00}
    closing = {(A, "CNY"): 4_900_00, (B, "CNY"): 5_100_00, (A, "HKD"): 5_110_00, (B, "HKD"): 4_890_00}
    facts = chain(moves, settled, opening=opening, closing=closing, supply={"CNY": 10_000_00, "HKD": 10_000_00})
    whole = build_model(network(), journal([s1, s2]), facts)
    thin = build_model(network(), journal([s1, s2]), facts, curve_points=1)
    assert thin.liquidity.currencies == whole.liquidity.currencies
    for a, b in zip(whole.liquidity.curves, thin.liquidity.curves, strict=True):
        assert (b.peak_gross, b.peak_netted) == (a.peak_gross, a.peak_netted)
        assert (b.gross_points, b.netted_points) == (len(a.gross), len(a.netted)) and a.gross_points is None
        assert set(p.step for p in b.gross) <= set(p.step for p in a.gross)


def test_a_pvp_settle_is_counted_once_in_the_turnover() -> None:
    """``settle`` moves each leg straight from payer to receiver: those transfers are the swap's legs, not
    payments of their own (turnover and concentration counted them twice before)."""
    swap = pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00)
    moves = [transfer(5, 0, "0xfeed", A, B, 1_000_00), transfer(5, 1, "0xfeed", B, A, 1_100_00, "HKD")]
    opening = {(A, "CNY"): 5_000_00, (B, "HKD"): 5_000_00}
    closing = {(A, "CNY"): 4_000_00, (B, "CNY"): 1_000_00, (A, "HKD"): 1_100_00, (B, "HKD"): 3_900_00}
    model = build_model(network(), journal([swap]), chain(moves, [PvpSettlement("A", "0x01", 5, 2, "0xfeed")], opening=opening, closing=closing,
                                                          supply={"CNY": 5_000_00, "HKD": 5_000_00}))  # fmt: skip
    assert {c.currency: c.turnover.display for c in model.liquidity.currencies} == {"CNY": "1,000.00 CNY", "HKD": "1,100.00 HKD"}
    assert {c.currency: c.turnover.display for c in model.concentration} == {"CNY": "1,000.00 CNY", "HKD": "1,100.00 HKD"}


def test_the_pending_queue_ages_every_swap_not_yet_final() -> None:
    now = START + timedelta(minutes=40)
    waiting = [pvp_swap("0x01", "alpha", "beta", 1_000_00, 1_100_00, state="proposed", at=START + timedelta(minutes=39, seconds=30)),
               pvp_swap("0x02", "alpha", "beta", 2_000_00, 2_200_00, state="accepted", at=START + timedelta(minutes=30)),
               pvp_swap("0x03", "beta", "alpha", 3_000_00, 3_300_00, state="accepted", at=START)]  # fmt: skip
    done = pvp_swap("0x04", "alpha", "beta", 500_00, 550_00)
    model = build_model(network(), journal([*waiting, done]), chain([], [], opening={}, closing={}, supply={}), now=now)
    assert [p.swap_id for p in model.risk.pending] == ["0x03", "0x02", "0x01"]  # oldest order first; the settled one is not pending
    assert model.risk.pending[0].age_seconds == 2400.0 and model.risk.pending[0].in_state_seconds == 2399.0
    buckets = {b.label: (b.swaps, [m.display for m in b.value]) for b in model.risk.pending_ageing}
    assert buckets == {"under 1 min": (1, ["1,000.00 CNY"]), "1–5 min": (0, []), "5–30 min": (1, ["2,000.00 CNY"]),
                       "30 min–2 h": (1, ["3,000.00 CNY"]), "over 2 h": (0, [])}  # fmt: skip


def test_settled_today_lists_every_settled_currency_even_at_zero() -> None:
    aggregates = SwapAggregates({"settled": 2}, {"pvp": 2}, {"CNY": 3_000_00, "HKD": 3_300_00}, settled_today={"CNY": 1_000_00}, day="2027-01-15")
    facts = JournalFacts(aggregates=aggregates, swaps=(), refusals=(), alerts=(), quotes=(), database="x")
    model = build_model(network(), facts, chain([], [], opening={}, closing={}, supply={}))
    assert [m.display for m in model.counts.settled_today] == ["1,000.00 CNY", "0.00 HKD"] and model.counts.day == "2027-01-15"


def test_the_audit_trail_names_who_did_what_to_whom_with_the_transaction() -> None:
    from supervision.inputs import ActionRecord

    records = (ActionRecord(1, START, "regulator", A, "console session 1a2b3c4d", "freeze", "A", "HKD", "beta", None, "sanctions hit", "done",
                            "0x" + "e" * 64, 12, None, START + timedelta(seconds=1)),
               ActionRecord(2, START, "regulator", A, "api", "resume", "A", None, None, "EUR/CHF", None, "refused", None, None,
                            "FxNotHalted: EUR/CHF", START))  # fmt: skip
    facts = JournalFacts(aggregates=SwapAggregates({}, {}, {}), swaps=(), refusals=(), alerts=(), quotes=(), database="x", actions=records)
    model = build_model(network(), facts, chain([], [], opening={}, closing={}, supply={}))
    first, second = model.actions
    assert (first.target, first.via, first.tx_hash, first.block, first.reason) == ("Beta Bank in HKD", "console session 1a2b3c4d", "0x" + "e" * 64,
                                                                                 12, "sanctions hit")  # fmt: skip
    assert (second.target, second.status, second.error) == ("EUR/CHF on ledger A", "refused", "FxNotHalted: EUR/CHF")
