"""Schemathesis fuzzes every operation of the bridge's OpenAPI document against a running server,
signed (a requests auth hook signs each request exactly as sent) and unsigned, in its stateless phase
and in its stateful phase (following the document's links), and checks conformance, not only the
absence of 5xx: every status code is one the document declares for the operation, every response
body and header matches its declared schema, and every content type is the declared one.

Server-sent event streams stay open by design: they are checked by ``test_event_streams_conform``.
The case counts are bounded (``EXAMPLES`` per operation and mode, ``STATEFUL_*``) so the suite stays
within about two minutes; each run prints its figures.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import httpx
import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, negative_data_rejection, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)  # fmt: skip

from bridge.api.auth import sign_request
from corridor.network import Network
from tests.integration.bridge.conftest import now

pytestmark = pytest.mark.integration
EXAMPLES = 50  # per operation and generation mode
STATEFUL_EXAMPLES, STATEFUL_STEPS = 80, 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]  # fmt: skip
STREAMS = r".*/events$"


class Signed(requests.auth.AuthBase):
    """Signs a prepared request as the bridge verifies it: method, percent-decoded path and raw query,
    the body exactly as sent."""

    def __init__(self, network: Network, participant: str = "yangtze") -> None:
        self.network, self.participant = network, participant

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urllib.parse.urlsplit(request.url or "")
        path = urllib.parse.unquote(url.path) + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        account = self.network.keys.account(self.participant)
        request.headers.update({"X-Corridor-Participant": self.participant, **sign_request(account, request.method or "GET", path, body)})
        return request


def _schema(bridge_url: str) -> Any:
    return schemathesis.openapi.from_url(bridge_url + "/openapi.json").exclude(path_regex=STREAMS)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_every_operation_conforms_to_the_document(bridge_url: str, bridge_network: Network, signed: bool) -> None:
    schema = _schema(bridge_url)
    auth = Signed(bridge_network) if signed else None
    seen: dict[str, int] = {}
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=schema.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES * len(list(schema.get_all_operations())), deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])  # fmt: skip
        def fuzz(case: schemathesis.Case) -> None:
            # signed runs add the security headers a negative case may have left out on purpose: the rejection of
            # schema-violating data is checked where nothing is added (unsigned)
            checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE and not signed else [])
            response = case.call_and_validate(auth=auth, checks=checks, timeout=30)
            seen[f"{case.method} {case.path}"] = seen.get(f"{case.method} {case.path}", 0) + 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 400:
                assert set(response.json()) == {"error", "detail", "field"}, response.text

        fuzz()
    operations = len(list(schema.get_all_operations()))
    print(f"\nschemathesis {'signed' if signed else 'unsigned'}: {operations} operations, {sum(seen.values())} cases, "
          f"{len(seen)} operations reached, statuses {dict(sorted(statuses.items()))}, {time.monotonic() - started:.0f}s")  # fmt: skip
    assert len(seen) >= operations - 2, sorted(seen)  # the strategy reaches (nearly) every operation


def test_stateful_phase_conforms(bridge_url: str, bridge_network: Network) -> None:
    """Sequences of calls chained by the document's links (a created swap's id into its reads and instructions)."""
    schema = _schema(bridge_url)
    auth = Signed(bridge_network)
    calls: list[int] = []

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"auth": auth, "timeout": 30}

        def validate_response(self, response: Any, case: schemathesis.Case, additional_checks: Any = (), **kwargs: Any) -> None:
            calls.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

    started = time.monotonic()
    Machine.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, deadline=None, database=None,
                                  suppress_health_check=list(HealthCheck)))  # fmt: skip
    print(f"\nschemathesis stateful: {len(calls)} calls, statuses {sorted(set(calls))}, {time.monotonic() - started:.0f}s")
    assert calls


def test_event_streams_conform(bridge_url: str, bridge_network: Network, clients: Any) -> None:
    """Both event streams answer text/event-stream; each event's data matches the schema the document names for it."""
    document = httpx.get(bridge_url + "/openapi.json").json()
    components = document["components"]["schemas"]
    a, b = clients["yangtze"], clients["harbour"]
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=3_00, buy="HKD", rate=rate, deadline=now(bridge_network) + 600)
    b.accept(swap)
    a.wait_for(swap["id"], {"settled"}, timeout=30)
    account = bridge_network.keys.account("yangtze")
    for path, template in ((f"/v1/swaps/{swap['id']}/events", "/v1/swaps/{swap_id}/events"), ("/v1/events?after=0&follow_seconds=0", "/v1/events")):
        media = document["paths"][template]["get"]["responses"]["200"]["content"]
        assert list(media) == ["text/event-stream"]
        events = media["text/event-stream"]["x-events"]
        headers = {"X-Corridor-Participant": "yangtze", **sign_request(account, "GET", path, b"")}
        response = httpx.get(bridge_url + path, headers=headers, timeout=30)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        kinds = []
        for block in response.text.strip().split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            schema_ref = events[fields["event"]]["$ref"].rsplit("/", 1)[-1]
            jsonschema_rs.validate({**components[schema_ref], "components": {"schemas": components}}, json.loads(fields["data"]))
            kinds.append(fields["event"])
        assert kinds and set(kinds) == {"transition"}


def test_unsupported_methods_answer_405_with_allow(bridge_url: str) -> None:
    response = httpx.request("TRACE", bridge_url + "/v1/swaps")
    assert response.status_code == 405 and set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert response.json()["error"] == "method_not_allowed"
    response = httpx.request("TRACE", bridge_url + "/v1/swaps/0xabc")
    assert response.status_code == 405 and set(response.headers["allow"].replace(" ", "").split(",")) == {"GET"}


