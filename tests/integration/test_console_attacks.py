"""The console's sign-in as an attacker tries it, against a real bridge on the session's anvil ledgers
(regressions of an outside review): a server the command line is pointed at cannot make the regulator's
key sign an API request or relay a genuine challenge; a challenge names the bridge as the bridge knows
itself, whatever Host a requester sends; nobody can lock a participant out by asking for challenges in
its name; a page of another origin can neither ask for challenges nor sign a browser in; bad input to
the console's pages is a 4xx, never a 500."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from eth_account.messages import encode_defunct

from apps.console import install_console
from bridge.api.app import create_app
from bridge.api.auth import request_message
from bridge.sdk.client import BridgeClient, BridgeRequestError
from bridge.server import ServerThread
from bridge.store.web_sessions import MAX_OPEN_CHALLENGES
from corridor.network import Network
from tests.integration.bridge.conftest import approve_all, open_clients, publish_rates

pytestmark = pytest.mark.integration


@dataclass
class Bridge:
    url: str
    network: Network
    app: Any
    clients: dict[str, BridgeClient]

    def session(self, who: str) -> tuple[httpx.Client, str]:
        """A console session of ``who`` over plain HTTP, and its CSRF token."""
        http = httpx.Client(base_url=self.url, follow_redirects=False)
        page = http.get(self.clients[who].console_link())
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'name="(challenge|signature)" value="([^"]+)"', page.text))
        assert http.post("/console/login", data=fields, headers={"Origin": self.url}).status_code == 303
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', http.get("/console/swaps").text)
        assert token is not None
        return http, token.group(1)


@pytest.fixture(scope="module")
def bridge(network: Network, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    snapshots = {name: client.w3.provider.make_request("evm_snapshot", [])["result"] for name, client in network.clients.items()}  # type: ignore[arg-type]
    approve_all(network)
    publish_rates(network)
    app = create_app(network, f"sqlite:///{tmp_path_factory.mktemp('attacks') / 'bridge.db'}", worker_interval=0.05,
                     extensions=[install_console])  # fmt: skip
    try:
        with ServerThread(app) as server, open_clients(server.url, network) as clients:
            yield Bridge(server.url, network, app, clients)
    finally:
        for name, client in network.clients.items():
            client.w3.provider.make_request("evm_revert", [snapshots[name]])  # type: ignore[arg-type]
            client.reset_nonces()


class HostileServer:
    """What a mistyped or phishing ``--url`` reaches: it answers the challenge request with ``answer()``."""

    def __init__(self, answer: Callable[[], dict[str, Any]]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                payload = json.dumps(answer()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def _refused_sign_in(url: str, network: Network) -> BridgeRequestError:
    victim = BridgeClient(url, "regulator", network.keys.account("regulator"), store=False)
    try:
        with pytest.raises(BridgeRequestError) as refused:
            victim.console_link()
    finally:
        victim.close()
    assert refused.value.error == "challenge_refused"
    return refused.value


def test_the_login_command_never_signs_an_api_request_a_hostile_server_sends(bridge: Bridge) -> None:
    body = json.dumps({"action": "pause", "currency": "THB", "reason": "not the regulator"}).encode()
    text = request_message("POST", "/v1/regulator/actions", body, int(time.time()), secrets.token_hex(12))
    with HostileServer(lambda: {"id": "x", "message": text, "expires_at": "2099-01-01T00:00:00+00:00"}) as hostile:
        refused = _refused_sign_in(hostile.url, bridge.network)
    assert "not a console sign-in challenge" in str(refused.detail)
    assert not bool(bridge.network.token("THB").functions.paused().call())


def test_the_login_command_never_signs_a_genuine_challenge_relayed_from_another_bridge(bridge: Bridge) -> None:
    real = httpx.Client(base_url=bridge.url)
    with HostileServer(lambda: real.post("/console/login/challenge", json={"participant": "regulator"}).json()) as hostile:
        refused = _refused_sign_in(hostile.url, bridge.network)
    assert f"names {bridge.url}" in str(refused.detail)


def test_a_challenge_names_the_bridge_whatever_host_the_requester_claims(bridge: Bridge) -> None:
    claimed = httpx.post(f"{bridge.url}/console/login/challenge", json={"participant": "regulator"}, headers={"Host": "evil.example:8600"})
    assert claimed.status_code == 200, claimed.text
    own = bridge.url.removeprefix("http://")
    message = claimed.json()["message"]
    assert message.startswith(f"{own} wants you to sign in") and f"URI: {bridge.url}/console/" in message and "evil.example" not in message


def test_nobody_locks_the_regulator_out_by_asking_for_challenges_in_its_name(bridge: Bridge) -> None:
    anyone = httpx.Client(base_url=bridge.url)
    for _ in range(MAX_OPEN_CHALLENGES + 10):
        assert anyone.post("/console/login/challenge", json={"participant": "regulator"}).status_code == 200
    http, _ = bridge.session("regulator")  # the regulator still signs in at once
    assert http.get("/console/actions").status_code == 200
    from bridge.store.db import WebChallengeRow

    with bridge.app.state.console.sessions._sessions() as db:  # and the table stays bounded per participant
        waiting = db.query(WebChallengeRow).filter(WebChallengeRow.participant == "regulator", WebChallengeRow.used_at.is_(None)).count()
    assert waiting <= MAX_OPEN_CHALLENGES


def test_a_page_of_another_origin_can_neither_ask_for_a_challenge_nor_sign_a_browser_in(bridge: Bridge) -> None:
    port = int(bridge.url.rsplit(":", 1)[1])
    other = f"http://127.0.0.1:{port + 1}"  # another port of the same host: the same site for SameSite cookies
    http = httpx.Client(base_url=bridge.url, follow_redirects=False)
    for headers in ({"Origin": other}, {"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost:1"}):
        assert http.post("/console/login/challenge", json={"participant": "regulator"}, headers=headers).status_code == 403
        assert http.post("/console/login/challenge", data={"participant": "regulator"}, headers=headers).status_code == 403
    # a genuine link fetched by another page's script (to set the binding cookie) is refused...
    link = bridge.clients["harbour"].console_link().removeprefix(bridge.url)
    assert http.get(link, headers={"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Site": "same-site"}).status_code == 403
    # ...and once opened, its form posted from another origin signs nobody in
    page = http.get(link, headers={"Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 200
    fields = dict(re.findall(r'name="(challenge|signature)" value="([^"]+)"', page.text))
    assert http.post("/console/login", data=fields, headers={"Origin": other}).status_code == 403
    assert "corridor_console" not in http.cookies
    assert http.post("/console/login", data=fields, headers={"Origin": bridge.url}).status_code == 303  # from its own page: in


def test_bad_input_to_the_console_is_a_4xx_never_a_500(bridge: Bridge) -> None:
    http, token = bridge.session("regulator")
    origin = {"Origin": bridge.url}
    answers = {
        "huge done id": http.get("/console/actions", params={"done": "99999999999999999999"}),
        "huge alert id": http.post("/console/alerts/99999999999999999999/acknowledge", data={"csrf_token": token}, headers=origin),
        "non-ASCII pair": http.post("/console/actions/confirm", data={"csrf_token": token, "action": "resume", "ledger": "A", "pair": "ÄÄÄBBB"},
                                    headers=origin),  # fmt: skip
        "non-ASCII CSRF token": http.post("/console/logout", data={"csrf_token": "é" * 64}, headers=origin),
        "non-ASCII CSRF header": http.post("/console/logout", headers={**origin, "X-CSRF-Token": "\u00b2".encode("latin-1")}),
    }
    with http.stream("GET", "/console/stream", headers={"Last-Event-ID": "\u00b2".encode("latin-1")}, timeout=10) as stream:
        answers["Last-Event-ID ²"] = stream
        assert stream.status_code == 200  # not a position: the stream starts from now
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert all(200 <= status < 500 for status in statuses.values()), statuses
    assert statuses["non-ASCII pair"] == 422 and statuses["non-ASCII CSRF token"] == 403 and statuses["non-ASCII CSRF header"] == 403


def test_a_signature_made_for_the_console_is_no_api_signature(bridge: Bridge) -> None:
    """Domain separation holds on the bridge's side too: a signed console challenge authenticates no request."""
    challenge = httpx.post(f"{bridge.url}/console/login/challenge", json={"participant": "regulator"}).json()
    signature = "0x" + bytes(bridge.network.keys.account("regulator").sign_message(encode_defunct(text=challenge["message"])).signature).hex()
    answer = httpx.post(f"{bridge.url}/v1/regulator/actions", content=b'{"action":"pause","currency":"THB"}',
                        headers={"Content-Type": "application/json", "X-Corridor-Participant": "regulator", "X-Corridor-Timestamp": str(int(time.time())),
                                 "X-Corridor-Nonce": secrets.token_hex(12), "X-Corridor-Signature": signature})  # fmt: skip
    assert answer.status_code == 401
    assert not bool(bridge.network.token("THB").functions.paused().call())


def test_what_changes_while_a_page_loads_reaches_it_when_its_stream_opens(bridge: Bridge) -> None:
    """No lost update between building a page and opening its stream: an alert raised and a swap journalled
    in that gap (here: deliberately, before the stream is opened) arrive on the stream at once."""
    http, _ = bridge.session("regulator")
    page = http.get("/console/exceptions")
    found = re.search(r'sse-connect="([^"]+)"', page.text)
    assert page.status_code == 200 and found is not None
    stream_url = found.group(1).replace("&amp;", "&")
    assert "since=" in stream_url and "alerts=" in stream_url
    bridge.app.state.alerts.raise_alert("bank_frozen", f"bank_frozen:TEST:{secrets.token_hex(4)}", "raised while the page loaded",
                                        severity="warning")  # fmt: skip
    a, b = bridge.clients["yangtze"], bridge.clients["harbour"]
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=1_00, buy="HKD", rate=rate,
                        deadline=bridge.network.clients["A"].clock() + 900)  # fmt: skip
    events: set[str] = set()
    text = ""
    with http.stream("GET", stream_url, timeout=10) as stream:
        deadline = time.monotonic() + 5
        for line in stream.iter_lines():
            if line.startswith("event: "):
                events.add(line.removeprefix("event: "))
            text += line
            if {"alerts", "transition"} <= events and swap["id"] in text or time.monotonic() > deadline:
                break
    assert {"alerts", "transition"} <= events and swap["id"] in text, events
    a.cancel(swap["id"])


def test_one_session_holds_a_bounded_number_of_live_streams(bridge: Bridge) -> None:
    from apps.console.stream import MAX_STREAMS_PER_SESSION

    http, _ = bridge.session("yangtze")
    with contextlib.ExitStack() as open_streams:
        readers = []  # kept: a dropped line iterator closes its response
        for _ in range(MAX_STREAMS_PER_SESSION):
            stream = open_streams.enter_context(http.stream("GET", "/console/stream", timeout=10))
            assert stream.status_code == 200
            readers.append(stream.iter_lines())
            next(readers[-1])  # running: counted
        with http.stream("GET", "/console/stream", timeout=10) as refused:
            assert refused.status_code == 429
    deadline = time.monotonic() + 10
    while bridge.app.state.console.streams_by_session and time.monotonic() < deadline:  # closed streams are let go
        time.sleep(0.2)
    assert not bridge.app.state.console.streams_by_session, "a stream whose browser went away is still running"
    with http.stream("GET", "/console/stream", timeout=10) as again:
        assert again.status_code == 200
