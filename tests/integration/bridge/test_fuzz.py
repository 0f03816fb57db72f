"""Schemathesis fuzzes every operation of the bridge's OpenAPI schema against a running server:
no input, signed or not, may produce a 5xx, and every refusal is a JSON body naming its field."""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from bridge.api.auth import sign_request
from corridor.network import Network

pytestmark = pytest.mark.integration
EXAMPLES = 100


def _send(case: schemathesis.Case, bridge_url: str, network: Network | None) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=bridge_url)
    body = json.dumps(kwargs["json"]).encode() if kwargs.get("json") is not None else b""
    url = httpx.URL(kwargs["url"], params=kwargs.get("params") or None)
    headers = {"Content-Type": "application/json"}
    if network is not None:
        headers |= {"X-Corridor-Participant": "yangtze",
                    **sign_request(network.keys.account("yangtze"), kwargs["method"], url.raw_path.decode(), body)}  # fmt: skip
        if kwargs["method"] == "POST":
            headers["Idempotency-Key"] = "fuzz-" + headers["X-Corridor-Nonce"]
    return httpx.request(kwargs["method"], url, content=body or None, headers=headers, timeout=30)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_fuzzed_requests_never_5xx_and_name_the_field(bridge_url: str, bridge_network: Network, signed: bool) -> None:
    # server-sent event streams stay open by design; they are exercised in test_api
    schema = schemathesis.openapi.from_url(bridge_url + "/openapi.json").exclude(path_regex=r".*/events$")
    seen: set[str] = set()

    @given(case=schema.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case: schemathesis.Case) -> None:
        response = _send(case, bridge_url, bridge_network if signed else None)
        seen.add(f"{case.method} {case.path}")
        assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
        if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
            assert set(response.json()) == {"error", "detail", "field"}, response.text

    fuzz()
    assert len(seen) >= 8, seen  # the strategy reached most operations
