"""Participants, currencies, the network's contracts, oracle rates and signed quotes."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path

from bridge.api.deps import CallerDep, CoordinatorDep
from bridge.api.schemas import QuoteCreate
from bridge.engine.network_info import network_info
from bridge.errors import Conflict, InvalidInstruction
from corridor.errors import ChainRejected

router = APIRouter(prefix="/v1", tags=["market"])
CurrencyPath = Annotated[str, Path(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code")]


@router.get("/network")
def get_network(caller: CallerDep, coordinator: CoordinatorDep) -> dict[str, Any]:
    """Ledgers (chain ids, RPC URLs, contracts) and currencies (ledger, decimals, token): what banks sign against."""
    return network_info(coordinator.network)


@router.get("/participants")
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


@router.get("/currencies")
def list_currencies(caller: CallerDep, coordinator: CoordinatorDep) -> list[dict[str, Any]]:
    info = network_info(coordinator.network)["currencies"]
    return [{"code": code, **fields} for code, fields in info.items()]


@router.get("/rates/{base}/{quote}", responses={401: {}, 409: {}, 422: {}})
def get_rate(base: CurrencyPath, quote: CurrencyPath, caller: CallerDep, coordinator: CoordinatorDep) -> dict[str, Any]:
    """The oracle's latest usable rate (on the base currency's ledger), with its round and age."""
    settings = coordinator.network.settings
    base, quote = base.upper(), quote.upper()
    known = set(settings.currencies) | {settings.oracle.base_currency}
    for field, code in (("base", base), ("quote", quote)):
        if code not in known:
            raise InvalidInstruction(f"unknown currency {code}", field=field)
    ledger = settings.currency_ledger(base) if base in settings.currencies else next(iter(settings.ledgers))
    oracle = coordinator.chain.contract(ledger, "oracle")
    try:
        rate = coordinator.chain.client(ledger).call(oracle.functions.latest(base.encode(), quote.encode()))
    except ChainRejected as exc:
        raise Conflict(f"no usable rate: {exc.error} {exc.args_by_name}", field="quote") from exc
    now = coordinator.chain.now(ledger)
    scale = 10**8
    return {"base": base, "quote": quote, "ledger": ledger, "mid": str(rate[0] / scale), "bid": str(rate[1] / scale),
            "ask": str(rate[2] / scale), "mid_fixed_8": rate[0], "dispersion_bps": rate[3], "observed_at": rate[4],
            "published_at": rate[5], "round": str(rate[6]), "age_seconds": now - rate[4],
            "market": ["open", "weekend", "holiday"][rate[7]], "derived": rate[8]}  # fmt: skip


@router.post("/quotes", status_code=201, responses={401: {}, 409: {}, 422: {}})
def create_quote(body: QuoteCreate, caller: CallerDep, coordinator: CoordinatorDep) -> dict[str, Any]:
    """A signed quote: oracle mid ± spread for the pair, side and amount, valid for a short window. The
    bridge records it: a linked-ledger swap must cite a quote issued to its initiator."""
    signed = coordinator.quotes.issue(caller.name, base=body.base, quote=body.quote, side=body.side, amount=body.amount)
    return {"quote": {k: (str(v) if isinstance(v, int) and v > 2**53 else v) for k, v in signed.quote.as_dict().items()},
            "hash": "0x" + signed.quote.hash.hex(), "terms_hash": "0x" + signed.quote.terms_hash.hex(),
            "signature": "0x" + signed.signature.hex(), "issued_at": int(time.time())}  # fmt: skip
