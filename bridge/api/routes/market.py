"""Participants, currencies, the network's contracts, oracle rates and signed quotes."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from bridge.api.deps import CallerDep, CoordinatorDep, IdempotencyKey, RepoDep
from bridge.api.idempotency import idempotent
from bridge.api.schemas import CurrencyPublic, NetworkPublic, ParticipantPublic, QuoteCreate, QuotePublic, RatePublic
from bridge.engine.network_info import network_info
from bridge.errors import BridgeError, Conflict, InvalidInstruction, RateUnavailable
from corridor.errors import ChainRejected
from oracle.status import PairState, describe, describe_rejection, halted_since

router = APIRouter(prefix="/v1", tags=["market"])
CurrencyPath = Annotated[str, Path(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code")]


@router.get("/network", response_model=NetworkPublic)
def get_network(caller: CallerDep, coordinator: CoordinatorDep) -> dict[str, Any]:
    """Ledgers (chain ids, RPC URLs, contracts) and currencies (ledger, decimals, token): what banks sign against."""
    return network_info(coordinator.network)


@router.get("/participants", response_model=list[ParticipantPublic])
def list_participants(caller: CallerDep, coordinator: CoordinatorDep) -> list[dict[str, Any]]:
    """Every configured participant with its address and on-chain status per ledger."""
    settings = coordinator.network.settings
    result = []
    for name, p in settings.participants.items():
        address = coordinator.participant_address(name)
        status = {ledger: coordinator.chain.is_active(ledger, address) for ledger in settings.ledgers}
        result.append({"name": name, "legal_name": p.name, "bic": p.bic, "jurisdiction": p.jurisdiction, "kind": p.kind,
                       "address": address, "active": status})  # fmt: skip
    return result


@router.get("/currencies", response_model=list[CurrencyPublic])
def list_currencies(caller: CallerDep, coordinator: CoordinatorDep) -> list[dict[str, Any]]:
    info = network_info(coordinator.network)["currencies"]
    return [{"code": code, **fields} for code, fields in info.items()]


_RATE_UNAVAILABLE = {409: {"description": "No usable rate: the oracle's last fixing for a currency is too old, its pair is "
                                         "halted, or it was never published (`rate_unavailable`, the currency and since when "
                                         "in `detail`, the request's side at fault in `field`)",
                           "content": {"application/json": {"example": {
                               "error": "rate_unavailable", "field": "quote",
                               "detail": "no ECB fixing for THB since 2025-04-17 (40 open-market hours old; EUR/THB allows 26)"}}}}}  # fmt: skip


def rate_unavailable(exc: ChainRejected, coordinator: Any, ledger: str, base: str) -> BridgeError:
    """The oracle's refusal as a :class:`RateUnavailable` naming the currency and since when (never
    hex), or a plain :class:`Conflict` when the refusal is not about a missing rate."""
    described = describe_rejection(exc, ledger=ledger)
    if described is None:
        return Conflict(f"no usable rate: {exc.error} {exc.args_by_name}", field="quote")
    state, pair, sentence = described
    if state is PairState.HALTED:
        since = halted_since(coordinator.chain.contract(ledger, "oracle"), pair.replace("/", "").encode())
        sentence = describe(state, pair, halted_since=since)
    return RateUnavailable(sentence, field="base" if pair.split("/")[1] == base else "quote")


@router.get("/rates/{base}/{quote}", response_model=RatePublic, responses={401: {}, **_RATE_UNAVAILABLE, 422: {}})
def get_rate(base: CurrencyPath, quote: CurrencyPath, caller: CallerDep, coordinator: CoordinatorDep) -> dict[str, Any]:
    """The oracle's latest usable rate (on the base currency's ledger), with its round and age. Any pair of
    settlement currencies and oracle pairs (an ECB currency need not be a settlement currency to be read)."""
    settings = coordinator.network.settings
    base, quote = base.upper(), quote.upper()
    known = set(settings.currencies) | {settings.oracle.base_currency} | set(settings.oracle.pairs)
    for field, code in (("base", base), ("quote", quote)):
        if code not in known:
            raise InvalidInstruction(f"unknown currency {code}: neither a settlement currency nor an oracle pair", field=field)
    if base == quote:
        raise InvalidInstruction("base and quote must differ", field="quote")
    settled = [code for code in (base, quote) if code in settings.currencies]
    ledger = settings.currency_ledger(settled[0]) if settled else next(iter(settings.ledgers))
    oracle = coordinator.chain.contract(ledger, "oracle")
    try:
        rate = coordinator.chain.client(ledger).call(oracle.functions.latest(base.encode(), quote.encode()))
    except ChainRejected as exc:
        raise rate_unavailable(exc, coordinator, ledger, base) from exc
    now = coordinator.chain.now(ledger)
    scale = 10**8
    return {"base": base, "quote": quote, "ledger": ledger, "mid": str(rate[0] / scale), "bid": str(rate[1] / scale),
            "ask": str(rate[2] / scale), "mid_fixed_8": rate[0], "dispersion_bps": rate[3], "observed_at": rate[4],
            "published_at": rate[5], "round": str(rate[6]), "age_seconds": now - rate[4],
            "market": ["open", "weekend", "holiday"][rate[7]], "derived": rate[8]}  # fmt: skip


@router.post("/quotes", status_code=201, response_model=QuotePublic, responses={401: {}, **_RATE_UNAVAILABLE, 422: {}})
async def create_quote(request: Request, body: QuoteCreate, caller: CallerDep, coordinator: CoordinatorDep, repo: RepoDep,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:  # fmt: skip
    """A signed quote: oracle mid ± spread for the pair, side and amount, valid for a short window from
    the ledger's next block time. The bridge records it: a linked-ledger swap must cite a quote issued
    to its initiator, for its pair, side and amount, at a rate within the quote's band."""

    def action() -> dict[str, Any]:
        try:
            signed = coordinator.quotes.issue(caller.name, base=body.base, quote=body.quote, side=body.side, amount=body.amount)
        except ChainRejected as exc:
            base = body.base.upper()
            raise rate_unavailable(exc, coordinator, coordinator.network.settings.currency_ledger(base), base) from exc
        return {"quote": {k: (str(v) if isinstance(v, int) and v > 2**53 else v) for k, v in signed.quote.as_dict().items()},
                "hash": "0x" + signed.quote.hash.hex(), "terms_hash": "0x" + signed.quote.terms_hash.hex(),
                "signature": "0x" + signed.signature.hex(), "issued_at": int(time.time())}  # fmt: skip

    return await idempotent(request, caller.name, idempotency_key, 201, action, repo)
