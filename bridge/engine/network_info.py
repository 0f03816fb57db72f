"""The public description of a network that banks sign against (served at GET /v1/network)."""

from __future__ import annotations

from typing import Any

from bridge.domain.timing import DEFAULT_CLAIM_SAFETY
from corridor.network import Network


def network_info(network: Network) -> dict[str, Any]:
    assert network.deployment is not None, "the network has no deployment"
    ledgers = {
        name: {"chain_id": d.chain_id, "rpc_url": d.rpc_url, "registry": d.registry, "oracle": d.oracle,
               "pvp": d.pvp, "htlc": d.htlc}  # fmt: skip
        for name, d in network.deployment.ledgers.items()
    }
    currencies = {
        code: {"ledger": network.settings.currency_ledger(code), "decimals": c.decimals, "name": c.name,
               "token": network.deployment.token_address(network.settings, code)}  # fmt: skip
        for code, c in network.settings.currencies.items()
    }
    # the clock rule every party applies before the secret moves (bridge.domain.timing)
    timing = {"safety_margin_seconds": network.settings.bridge.expiry_margin_seconds, "claim_safety_seconds": DEFAULT_CLAIM_SAFETY}
    return {"ledgers": ledgers, "currencies": currencies, "timing": timing}
