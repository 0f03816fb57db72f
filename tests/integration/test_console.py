"""The supervision console in a real headless Chromium (the npm package's, nothing downloaded), against a
real bridge on the session's anvil ledgers: one bridge, one browser, pages driven in sequence.

What each test proves is in its name; together they cover the issue's bar: signing in by signature
(the command line's one-time link), a swap submitted through the SDK on the overview within 2 s without a
reload (SSE), a breaker trip raising an alert (and its webhook) that the regulator acknowledges and then
resumes the pair from the console, a freeze from the console refusing the next swap with the bank named,
a bank's session seeing only its own swaps and none of the regulator's pages, CSRF and origin checks,
logout and expiry, every page clean (no console error, no failed request, nothing leaving 127.0.0.1) and
free of serious accessibility violations (axe-core), keyboard navigation, and the console's figures
equal to the report's for the same run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.messages import encode_defunct

from apps.console import install_console
from apps.console.pages import FEED_ROWS
from apps.report import render_html
from bridge.api.app import create_app
from bridge.sdk.client import BridgeClient, BridgeRequestError
from bridge.server import ServerThread
from corridor.network import Network
from oracle.feeds import StaticFeed
from oracle.replay import publisher_for
from supervision.model import SupervisionModel
from supervision.units import duration_text
from tests.integration.bridge.conftest import RATES, approve_all, open_clients, publish_rates
from tests.support.browser import BrowserSession, available

pytestmark = pytest.mark.integration
PAGES = ["/console/", "/console/liquidity", "/console/risk", "/console/exceptions", "/console/oracle", "/console/swaps", "/console/health",
         "/console/actions"]  # fmt: skip
SERIOUS = ("serious", "critical")


class Webhook:
    """A local receiver for the alerts webhook (127.0.0.1: nothing leaves the machine)."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class Console:
    url: str
    network: Network
    app: Any
    clients: dict[str, BridgeClient]
    browser: BrowserSession
    webhook: Webhook
    swaps: dict[str, str] = field(default_factory=dict)  # named swaps the tests share

    def link(self, who: str) -> str:
        return self.clients[who].console_link()

    def sign_in(self, who: str, ctx: str) -> dict[str, Any]:
        self.browser.goto(self.link(who), ctx=ctx)
        return self.browser.click("#continue", ctx=ctx, navigate=True)  # type: ignore[return-value]

    def http_session(self, who: str) -> httpx.Client:
        """A second session of ``who`` driven over plain HTTP (the browser would not send what these tests forge)."""
        http = httpx.Client(base_url=self.url, follow_redirects=False)
        page = http.get(self.link(who))
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'name="(challenge|signature)" value="([^"]+)"', page.text))
        answer = http.post("/console/login", data=fields, headers={"Origin": self.url})
        assert answer.status_code == 303, answer.text
        return http


@pytest.fixture(scope="module")
def console(network: Network, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    if not available():
        pytest.fail("headless Chromium missing: run `make setup`")
    snapshots = {name: client.w3.provider.make_request("evm_snapshot", [])["result"] for name, client in network.clients.items()}  # type: ignore[arg-type]
    approve_all(network)
    publish_rates(network)
    webhook = Webhook()
    alerts = network.settings.alerts.model_copy(update={"webhook_url": webhook.url, "interval_seconds": 0.5})
    app = create_app(network, f"sqlite:///{tmp_path_factory.mktemp('console') / 'bridge.db'}", worker_interval=0.05,
                     extensions=[install_console], alert_config=alerts)  # fmt: skip
    try:
        with ServerThread(app) as server, open_clients(server.url, network) as clients, BrowserSession() as browser:
            yield Console(server.url, network, app, clients, browser, webhook)
    finally:
        webhook.close()
        for name, client in network.clients.items():
            client.w3.provider.make_request("evm_revert", [snapshots[name]])  # type: ignore[arg-type]
            client.reset_nonces()


def _now(network: Network, ledger: str = "A") -> int:
    return network.clients[ledger].clock()


def _pvp(c: Console, seller: str, buyer: str, amount: int, *, accept: bool = True, settle: bool = True) -> dict[str, Any]:
    a, b = c.clients[seller], c.clients[buyer]
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    swap = a.submit_pvp(counterparty=b.account.address, sell="CNY", sell_amount=amount, buy="HKD", rate=rate, deadline=_now(c.network) + 900)
    if accept:
        b.accept(swap)
        if settle:
            a.wait_for(swap["id"], {"settled"}, timeout=60)
    return swap


def _problems(report: dict[str, list[Any]], *, allow_status: tuple[int, ...] = ()) -> list[str]:
    failed = [r for r in report["failedRequests"] if r.get("status") not in allow_status]
    expected = tuple(f"status of {status} " for status in allow_status)
    messages = [c for c in report["console"] if not (expected and any(e in c["text"] for e in expected))]
    return ([f"console: {c}" for c in messages] + [f"page error: {e}" for e in report["pageErrors"]]
            + [f"failed: {r}" for r in failed] + [f"left the machine: {u}" for u in report["externalRequests"]])  # fmt: skip


# ─── signing in ──────────────────────────────────────────────────────────────────────────


def test_the_regulator_signs_in_with_the_command_lines_one_time_link(console: Console) -> None:
    done = subprocess.run([sys.executable, "-m", "apps.cli", "console", "login", "--as", "regulator", "--url", console.url],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip().splitlines()[-1]
    assert link.startswith(f"{console.url}/console/login/link?challenge=") and "&signature=0x" in link
    b = console.browser
    shown = b.goto(link, ctx="regulator")
    assert shown["status"] == 200 and "Continue as Regulator" in (b.text("#continue", ctx="regulator") or "")
    landed = b.click("#continue", ctx="regulator", navigate=True)
    assert landed["url"] == f"{console.url}/console/" and landed["title"].startswith("Overview")  # type: ignore[index]
    assert "Signed in as Regulator" in (b.text(".who", ctx="regulator") or "")
    cookie = next(c for c in b.cookies(ctx="regulator") if c["name"] == "corridor_console")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    # the link works once
    again = b.goto(link, ctx="replayer")
    assert again["status"] == 401 and "used already" in (b.text("#error-detail", ctx="replayer") or "")


def test_a_sign_in_with_the_wrong_key_or_a_forged_signature_is_refused(console: Console) -> None:
    http = httpx.Client(base_url=console.url)
    challenge = http.post("/console/login/challenge", json={"participant": "regulator"}).json()
    by_a_bank = "0x" + bytes(console.network.keys.account("yangtze").sign_message(encode_defunct(text=challenge["message"])).signature).hex()
    refused = http.get("/console/login/link", params={"challenge": challenge["id"], "signature": by_a_bank})
    assert refused.status_code == 401 and "does not sign this challenge with Regulator" in refused.text
    link = console.link("regulator")
    forged = link[:-3] + ("0" if link[-3] != "0" else "1") + link[-2:]
    assert http.get(forged.removeprefix(console.url)).status_code == 401
    assert http.post("/console/login/challenge", json={"participant": "pboc"}).status_code == 422  # a central bank: not a console user
    # a sign-in form posted from elsewhere (no binding cookie) is refused even with a good signature
    fields = dict(re.findall(r'name="(challenge|signature)" value="([^"]+)"', http.get(console.link("regulator").removeprefix(console.url)).text))
    stranger = httpx.Client(base_url=console.url)
    assert stranger.post("/console/login", data=fields).status_code == 403


# ─── live ─────────────────────────────────────────────────────────────────────────────────


def test_a_swap_submitted_through_the_sdk_appears_on_the_overview_within_2_seconds(console: Console) -> None:
    b = console.browser
    b.goto(f"{console.url}/console/", ctx="regulator")
    b.wait_for("[data-live-text]", text="live", ctx="regulator")
    started, started_wall_ms = time.monotonic(), int(time.time() * 1000)
    swap = _pvp(console, "yangtze", "harbour", 123_456_00, accept=False)
    b.wait_for(f'#feed tr[data-swap="{swap["id"]}"]', timeout=2.0, ctx="regulator")
    appeared = time.monotonic() - started
    assert appeared <= 2.0, f"the swap appeared {appeared:.2f}s after it was submitted"
    b.wait_for('[data-figure="counts.by_state.proposed"]', ctx="regulator")
    metrics = dict(line.split(" ", 1) for line in httpx.get(f"{console.url}/metrics").text.splitlines() if line.startswith("corridor_console_"))
    assert float(metrics["corridor_console_streams"]) >= 1 and 0 < float(metrics["corridor_console_counts_seconds"]) < 5, metrics
    console.clients["harbour"].accept(swap)
    b.wait_for(f'#feed tr[data-swap="{swap["id"]}"]', text="settled", timeout=10, ctx="regulator")
    lags = b.evaluate("window.corridorConsole.lags", ctx="regulator")
    assert lags and max(lags) <= 1000, f"journal entries reached the page {lags} ms after they were written"  # type: ignore[arg-type]
    assert int(b.attr(f'#feed tr[data-swap="{swap["id"]}"]', "data-committed-after", ctx="regulator") or 0) >= started_wall_ms  # its commit's time
    committed = b.evaluate("window.corridorConsole.committedLags", ctx="regulator")
    assert len(committed) == len(lags) and all(0 <= c <= lag for c, lag in zip(committed, lags)), (committed, lags)  # type: ignore[arg-type]
    assert b.url(ctx="regulator") == f"{console.url}/console/"  # no reload: the same page all along
    console.swaps["first"] = swap["id"]
    assert not _problems(b.report(ctx="regulator", reset=True))


KEEP_EVENT_SOURCES = """(() => {
  const Native = window.EventSource;
  window.__sources = [];
  window.EventSource = class extends Native { constructor(...args) { super(...args); window.__sources.push(this); } };
})();"""


def test_the_live_feed_keeps_its_latest_rows_newest_first_one_per_journal_entry(console: Console) -> None:
    b = console.browser
    # The page's event streams, kept where the test can reach them (the same EventSource, only remembered).
    b.command("onNewDocument", ctx="regulator", script=KEEP_EVENT_SOURCES)
    b.goto(f"{console.url}/console/", ctx="regulator")
    b.wait_for("[data-live-text]", text="live", ctx="regulator")
    swaps = [_pvp(console, "yangtze", "harbour", 1_000_00 + i) for i in range(10)]
    b.wait_for(f'#feed tr[data-swap="{swaps[-1]["id"]}"]', text="settled", timeout=10, ctx="regulator")
    assert int(b.evaluate("window.corridorConsole.transitions", ctx="regulator")) > FEED_ROWS  # type: ignore[call-overload]
    seqs = [int(s) for s in b.attrs("#feed tr", "data-seq", ctx="regulator")]  # type: ignore[arg-type]
    assert len(seqs) == FEED_ROWS and seqs == sorted(set(seqs), reverse=True), seqs
    # The counts fail for a while (the database, say): the feed goes on, and the counts come back after.
    counts = console.app.state.live_counts
    real, failing = counts.current, threading.Event()

    def current() -> Any:
        if failing.is_set():
            raise RuntimeError("database unavailable")
        return real()

    counts.current = current
    try:
        failing.set()
        late = _pvp(console, "yangtze", "harbour", 2_000_00)
        b.wait_for(f'#feed tr[data-swap="{late["id"]}"]', text="settled", timeout=10, ctx="regulator")
        settled = str(real().by_state["settled"])  # the late swap among them
        assert b.text('[data-figure="counts.by_state.settled"]', ctx="regulator") != settled
        failing.clear()
        b.wait_for('[data-figure="counts.by_state.settled"]', text=settled, timeout=10, ctx="regulator")
    finally:
        counts.current = real
    seqs = [int(s) for s in b.attrs("#feed tr", "data-seq", ctx="regulator")]  # type: ignore[arg-type]
    # An entry the page shows already arrives again (journalled while the page loaded): still one row.
    b.evaluate("window.__sources.at(-1).dispatchEvent(new MessageEvent('transition', {data: document.querySelector('#feed tr:nth-child(2)').outerHTML}))",
               ctx="regulator")  # fmt: skip
    assert [int(s) for s in b.attrs("#feed tr", "data-seq", ctx="regulator")] == seqs  # type: ignore[arg-type]
    assert not _problems(b.report(ctx="regulator", reset=True))


def test_state_changes_need_the_csrf_token_and_this_origin(console: Console) -> None:
    http = console.http_session("regulator")
    overview = http.get("/console/actions")
    token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', overview.text).group(1)  # type: ignore[union-attr]
    wanted = {"action": "pause", "currency": "THB"}
    assert http.post("/console/actions/confirm", data=wanted, headers={"Origin": console.url}).status_code == 403  # no token
    assert http.post("/console/actions/confirm", data={**wanted, "csrf_token": "0" * 64}, headers={"Origin": console.url}).status_code == 403
    assert http.post("/console/actions/confirm", data={**wanted, "csrf_token": token}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert http.post("/console/actions/confirm", data={**wanted, "csrf_token": token}).status_code == 403  # no origin at all
    confirm = http.post("/console/actions/confirm", data={**wanted, "csrf_token": token}, headers={"Origin": console.url})
    assert confirm.status_code == 200 and "Pause THB on ledger B" in confirm.text
    # a confirmation is one-time and bound to its session; nothing was sent without it
    assert http.post("/console/actions/execute", data={"csrf_token": token, "confirmation": "made-up"},
                     headers={"Origin": console.url}).status_code == 409  # fmt: skip
    assert not bool(console.network.token("THB").functions.paused().call())
    assert http.post("/console/logout", data={}, headers={"Origin": console.url}).status_code == 403


def _alert_row(console: Console, kind: str, text: str = "", timeout: float = 15.0) -> None:
    console.browser.wait_for(f'tr[data-alert-kind="{kind}"]', text=text or None, timeout=timeout, ctx="regulator")


def test_a_breaker_trip_raises_an_alert_and_the_regulator_resumes_the_pair_from_the_console(console: Console) -> None:
    b, network = console.browser, console.network
    b.goto(f"{console.url}/console/exceptions", ctx="regulator")
    b.wait_for("[data-live-text]", text="live", ctx="regulator")
    now = max(int(c.w3.eth.get_block("latest")["timestamp"]) for c in network.clients.values()) + 1
    network.set_time(now)
    jumped = {**RATES, "CHF": "0.79"}  # EUR/CHF 0.94 → 0.79: a 16 % jump, beyond its 5 % breaker
    publisher = publisher_for(network)
    publisher.publish(publisher.fixings(StaticFeed(jumped, observed_at=datetime.fromtimestamp(now, timezone.utc)),
                                        datetime.now(timezone.utc).date(), list(jumped)))  # fmt: skip
    assert bool(network.contract("A", "oracle").functions.pair(b"EURCHF").call()[4]), "the breaker did not trip"
    started = time.monotonic()
    _alert_row(console, "breaker_tripped", "EUR/CHF is halted")
    seen_after = time.monotonic() - started
    assert seen_after < 10, f"the alert reached the page {seen_after:.1f}s after the trip"
    assert "open alert" in (b.text("#alerts-banner", ctx="regulator") or "")
    # its evidence: the trip's own event
    alerts = console.clients["regulator"].request("GET", "/v1/regulator/alerts?kind=breaker_tripped&open_only=true")["items"]
    trip = next(a for a in alerts if a["key"] == "breaker_tripped:A:EUR/CHF")
    assert trip["evidence"]["jump_bps"] > 500 and trip["evidence"]["tx_hash"].startswith("0x") and trip["first_seen"]
    # the webhook heard of it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(e["alert"]["key"] == trip["key"] for e in console.webhook.received):
        time.sleep(0.1)
    assert any(e["event"] == "raised" and e["alert"]["key"] == trip["key"] for e in console.webhook.received)
    # the regulator acknowledges it from the console
    row = f'#alert-{trip["id"]}'
    b.type(f"{row} input[name=note]", "looking into the CHF move", ctx="regulator")
    b.click(f"{row} button", ctx="regulator")
    b.wait_for(row, text="acknowledged by regulator", ctx="regulator")
    # … and resumes the pair: the oracle page offers it, a confirmation page says exactly what will be sent
    b.goto(f"{console.url}/console/oracle", ctx="regulator")
    b.click('tr[data-pair="A:EUR/CHF"] button.power', ctx="regulator", navigate=True)
    assert "Resume EUR/CHF on ledger A" in (b.text("#confirm-what", ctx="regulator") or "")
    b.type("#reason", "the move is real: the SNB dropped the floor", ctx="regulator")
    result = b.click("#confirm-button", ctx="regulator", navigate=True)
    assert "/console/actions?done=" in result["url"]  # type: ignore[index]
    assert "done" in (b.text("#result h2", ctx="regulator") or "")
    tx_hash = b.text('[data-figure="action.tx"]', ctx="regulator") or ""
    assert re.fullmatch(r"0x[0-9a-f]{64}", tx_hash)
    assert not bool(network.contract("A", "oracle").functions.pair(b"EURCHF").call()[4]), "the pair is still halted"
    receipt = network.clients["A"].w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1 and receipt["from"] == network.keys.address("regulator")
    # the audit trail: who, when, the transaction
    audit = console.clients["regulator"].request("GET", "/v1/regulator/actions")["items"][0]
    assert audit["action"] == "resume" and audit["target"] == "EUR/CHF on ledger A" and audit["tx_hash"] == tx_hash
    assert audit["actor"] == "regulator" and audit["via"].startswith("console session ") and audit["requested_at"] and audit["block"]
    assert audit["reason"] == "the move is real: the SNB dropped the floor"
    b.wait_for(f'#audit tr[data-action="{audit["id"]}"]', text=tx_hash, ctx="regulator")
    # the condition is gone: the alert resolves by itself
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = console.clients["regulator"].request("GET", "/v1/regulator/alerts?kind=breaker_tripped")["items"]
        if next(a for a in found if a["id"] == trip["id"])["resolved_at"]:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the breaker alert did not resolve after the pair was resumed")
    assert not _problems(b.report(ctx="regulator", reset=True))


def test_a_freeze_from_the_console_refuses_the_next_swap_naming_the_bank(console: Console) -> None:
    b = console.browser
    b.goto(f"{console.url}/console/actions", ctx="regulator")
    b.click('td[data-cell="harbour:HKD"] button.power', ctx="regulator", navigate=True)
    assert "Freeze Harbour Bank" in (b.text("#confirm-what", ctx="regulator") or "")
    b.click("#confirm-button", ctx="regulator", navigate=True)
    assert "done" in (b.text("#result h2", ctx="regulator") or "")
    assert bool(console.network.token("HKD").functions.isFrozen(console.network.keys.address("harbour")).call())
    swap = _pvp(console, "yangtze", "harbour", 10_000_00, accept=False)
    with pytest.raises(BridgeRequestError) as refused:  # Harbour pays the HKD leg: its acceptance is refused, naming it
        console.clients["harbour"].accept(swap)
    assert refused.value.status == 409 and "Harbour Bank" in refused.value.detail and "frozen" in refused.value.detail
    assert console.clients["yangtze"].swap(swap["id"])["state"] == "proposed"  # nothing moved
    console.clients["yangtze"].cancel(swap["id"])
    b.goto(f"{console.url}/console/exceptions", ctx="regulator")
    _alert_row(console, "bank_frozen", "Harbour Bank in HKD")
    # lifted from the console too; swaps settle again
    b.goto(f"{console.url}/console/actions", ctx="regulator")
    b.click('td[data-cell="harbour:HKD"] button.power', ctx="regulator", navigate=True)
    assert "Unfreeze Harbour Bank" in (b.text("#confirm-what", ctx="regulator") or "")
    b.click("#confirm-button", ctx="regulator", navigate=True)
    assert "done" in (b.text("#result h2", ctx="regulator") or "")
    assert _pvp(console, "yangtze", "harbour", 10_000_00)["id"]
    actions = [a["action"] for a in console.clients["regulator"].request("GET", "/v1/regulator/actions")["items"]]
    assert actions[:3] == ["unfreeze", "freeze", "resume"]


# ─── a bank's view ────────────────────────────────────────────────────────────────────────


def test_a_bank_sees_only_its_own_swaps_and_none_of_the_regulators_pages(console: Console) -> None:
    b = console.browser
    theirs = _pvp(console, "pearlriver", "harbour", 5_000_00)
    landed = console.sign_in("yangtze", "bank")
    assert landed["url"] == f"{console.url}/console/swaps" and "Signed in as Yangtze Commercial Bank" in (b.text(".who", ctx="bank") or "")
    listed = b.attrs("#swap-list tr[data-swap]", "data-swap", ctx="bank")
    assert console.swaps["first"] in listed and theirs["id"] not in listed
    assert b.count("header nav a", ctx="bank") == 1  # "My swaps" only
    # another bank's swap: refused
    shown = b.goto(f"{console.url}/console/swaps/{theirs['id']}", ctx="bank")
    assert shown["status"] == 403 and "only the swaps it is a party to" in (b.text("#error-detail", ctx="bank") or "")
    # the regulator's pages: refused (the overview sends a bank to its swaps)
    assert b.goto(f"{console.url}/console/", ctx="bank")["url"] == f"{console.url}/console/swaps"
    for page in PAGES:
        if page not in ("/console/", "/console/swaps"):
            assert b.goto(f"{console.url}{page}", ctx="bank")["status"] == 403, page
    # live, its own swaps only
    b.goto(f"{console.url}/console/swaps", ctx="bank")
    b.wait_for("[data-live-text]", text="live", ctx="bank")
    other = _pvp(console, "pearlriver", "harbour", 6_000_00)
    mine = _pvp(console, "yangtze", "harbour", 7_000_00)
    b.wait_for(f'#feed tr[data-swap="{mine["id"]}"]', text="settled", timeout=5, ctx="bank")
    assert b.count(f'#feed tr[data-swap="{other["id"]}"]', ctx="bank") == 0
    # over plain HTTP too: the stream and the regulator's powers
    http = console.http_session("yangtze")
    assert http.get(f"/console/stream?swap={theirs['id']}").status_code == 403
    assert http.get(f"/console/fragments/swaps/{theirs['id']}").status_code == 403
    token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', http.get("/console/swaps").text).group(1)  # type: ignore[union-attr]
    assert http.post("/console/actions/confirm", data={"action": "pause", "currency": "CNY", "csrf_token": token},
                     headers={"Origin": console.url}).status_code == 403  # fmt: skip
    seen: set[str] = set()
    with http.stream("GET", "/console/stream", headers={"Last-Event-ID": "0"}, timeout=10) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: <tr"):
                seen.add(re.search(r'data-swap="(0x[0-9a-f]+)"', line).group(1))  # type: ignore[union-attr]
            if mine["id"] in seen:
                break
    assert mine["id"] in seen and theirs["id"] not in seen and other["id"] not in seen
    assert not _problems(b.report(ctx="bank", reset=True), allow_status=(403,))


# ─── every page ───────────────────────────────────────────────────────────────────────────


def test_every_page_is_clean_offline_and_accessible(console: Console) -> None:
    b = console.browser
    swap_page = f"/console/swaps/{console.swaps['first']}"
    for page in [*PAGES, swap_page]:
        shown = b.goto(f"{console.url}{page}", ctx="regulator")
        assert shown["status"] == 200, page
        b.wait_for("[data-live-text]", text="live", ctx="regulator")
        serious = [v for v in b.axe(ctx="regulator") if v["impact"] in SERIOUS]
        assert not serious, f"{page}: {serious}"
        assert not _problems(b.report(ctx="regulator", reset=True)), page
    for page, ctx in (("/console/login", "anonymous"), ("/console/swaps", "bank")):
        b.goto(f"{console.url}{page}", ctx=ctx)
        assert not [v for v in b.axe(ctx=ctx) if v["impact"] in SERIOUS], page
        assert not _problems(b.report(ctx=ctx, reset=True)), page
    # keyboard: the first Tab reaches the skip link, Enter moves to the content; Tab walks the navigation in order
    b.goto(f"{console.url}/console/", ctx="regulator")
    b.press("Tab", ctx="regulator")
    assert (b.focused(ctx="regulator") or {})["text"] == "Skip to content"
    b.press("Enter", ctx="regulator")
    assert (b.focused(ctx="regulator") or {})["id"] == "main"
    b.goto(f"{console.url}/console/", ctx="regulator")
    reached = []
    for _ in range(15):
        b.press("Tab", ctx="regulator")
        reached.append((b.focused(ctx="regulator") or {}).get("text"))
    assert [label for label in reached if label in {"Overview", "Liquidity", "Risk", "Exceptions", "Oracle", "Swaps", "Health", "Powers"}] == \
        ["Overview", "Liquidity", "Risk", "Exceptions", "Oracle", "Swaps", "Health", "Powers"]


def test_the_api_documentation_is_served_offline(console: Console) -> None:
    b = console.browser
    b.goto(f"{console.url}/docs", ctx="docs")
    b.wait_for(".swagger-ui .info .title", text="Corridor bridge", ctx="docs")
    b.wait_for(".opblock-summary", ctx="docs")
    assert not _problems(b.report(ctx="docs", reset=True))
    b.goto(f"{console.url}/redoc", ctx="docs")
    b.wait_for("h1", text="Corridor bridge", timeout=30, ctx="docs")
    assert not _problems(b.report(ctx="docs", reset=True))


# ─── the console's figures are the report's ───────────────────────────────────────────────


def expected_figures(m: SupervisionModel) -> dict[str, str]:
    """Every figure the console marks (``data-figure``), as the report's model writes it."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else duration_text(value)

    out: dict[str, str] = {}
    out |= {f"counts.by_state.{k}": str(v) for k, v in m.counts.by_state.items()}
    out |= {f"counts.by_model.{k}": str(v) for k, v in m.counts.by_model.items()}
    out |= {f"counts.settled_value.{v.currency}": v.display for v in m.counts.settled_value}
    out |= {f"counts.settled_today.{v.currency}": v.display for v in m.counts.settled_today}
    for model, d in m.finality.by_model.items():
        out |= {f"finality.{model}.count": str(d.count), f"finality.{model}.p50": seconds(d.p50_seconds),
                f"finality.{model}.p90": seconds(d.p90_seconds), f"finality.{model}.max": seconds(d.max_seconds)}  # fmt: skip
    out["finality.within_one_hour"] = f"{m.finality.within_one_hour} of {m.finality.payments}"
    if m.finality.share_within_one_hour is not None:
        out["finality.share"] = f"{100 * m.finality.share_within_one_hour:.1f} %"
    for c in m.cost.corridors:
        out |= {f"cost.{c.corridor}.value": c.value.display, f"cost.{c.corridor}.margin": f"{c.mean_margin_bps:+.2f} bps"}
    for c in m.liquidity.currencies:
        out |= {f"liquidity.{c.currency}.turnover": c.turnover.display, f"liquidity.{c.currency}.gross": c.peak_need_gross.display,
                f"liquidity.{c.currency}.netted": c.peak_need_netted.display,
                f"liquidity.{c.currency}.saving": "-" if c.saving_percent is None else f"{c.saving_percent:.1f} %"}  # fmt: skip
        for bank in c.banks:
            out |= {f"liquidity.{bank.bank}.{bank.currency}.gross": bank.peak_net_debit_gross.display,
                    f"liquidity.{bank.bank}.{bank.currency}.netted": bank.peak_net_debit_netted.display}  # fmt: skip
    for e in m.risk.exposure:
        out |= {f"risk.{e.currency}.open": e.open_now.display, f"risk.{e.currency}.value_hours": e.value_hours}
    for c in m.concentration:
        out[f"concentration.{c.currency}.hhi"] = str(c.hhi)
        out |= {f"concentration.{c.currency}.{s.bank}": f"{s.share_percent:.1f} %" for s in c.banks}
    out |= {f"refusals.{r.rule}": str(r.count) for r in m.refusals_by_rule}
    out |= {f"oracle.{o.ledger}.{o.pair}.mid": o.mid or "-" for o in m.oracle.pairs}
    return out


def test_the_consoles_figures_equal_the_reports_for_the_same_run(console: Console) -> None:
    b, c = console.browser, console.clients
    # a run with every kind of figure: a netted batch, a settled and an open cross-ledger swap, a refusal
    a, h, t = c["yangtze"], c["harbour"], c["chaophraya"]
    rate = int(a.rate("CNY", "HKD")["mid_fixed_8"]) * 10**10
    instructions = [a.pvp_instruction(counterparty=h.account.address, sell="CNY", sell_amount=1_000_00 * (i + 1), buy="HKD", rate=rate,
                                      deadline=_now(console.network) + 900) for i in range(3)]  # fmt: skip
    ids = [item["id"] for item in a.submit_many(instructions)["items"]]
    h.accept_many([BridgeClient.agreed(i, swap_id) for i, swap_id in zip(instructions, ids, strict=True)])
    a.wait_all(ids, {"settled"}, timeout=60)
    for settle in (True, False):
        order = a.htlc_order_at_quote(counterparty=t.account.address, sell="CNY", sell_amount=40_000_00, buy="THB", now=_now(console.network))
        swap = a.submit_htlc(order)
        t.accept(swap)
        a.wait_for(swap["id"], {"locked_b"}, timeout=60)
        if settle:
            a.reveal(order)
            a.wait_for(swap["id"], {"settled"}, timeout=60)
    with pytest.raises(BridgeRequestError):
        a.submit_pvp(counterparty=h.account.address, sell="CNY", sell_amount=1_000_00, buy="HKD", rate=rate * 103 // 100,
                     deadline=_now(console.network) + 900)  # fmt: skip
    time.sleep(0.5)  # the worker's last journal entries
    console.app.state.console.cache.refresh()
    shown: dict[str, str] = {}
    for page in ("/console/", "/console/liquidity", "/console/risk", "/console/exceptions", "/console/oracle"):
        b.goto(f"{console.url}{page}", ctx="regulator")
        names = b.attrs("[data-figure]", "data-figure", ctx="regulator")
        texts = b.texts("[data-figure]", ctx="regulator")
        shown |= {name: text.strip() for name, text in zip(names, texts, strict=True) if name}  # type: ignore[misc]
    report = SupervisionModel.model_validate(c["regulator"].request("GET", "/v1/regulator/report?limit=1000"))
    expected = expected_figures(report)
    compared = {name: (text, expected[name]) for name, text in shown.items() if name in expected}
    different = {name: pair for name, pair in compared.items() if pair[0] != pair[1]}
    assert not different, f"the console and the report differ: {different}"
    for family in ("counts.", "finality.", "cost.", "liquidity.", "risk.", "concentration.", "refusals.", "oracle."):
        assert any(name.startswith(family) for name in compared), f"no {family} figure was compared"
    assert len(compared) >= 40, sorted(compared)
    # and the report's own page prints the same amounts
    html = render_html(report)
    amounts = [name for name in compared if name.startswith(("liquidity.", "counts.settled_value.", "risk.", "cost."))]
    missing = [f"{name}: {compared[name][0]}" for name in amounts if compared[name][0] not in html]
    assert amounts and not missing, f"not on the report's page: {missing}"


# ─── sessions end ─────────────────────────────────────────────────────────────────────────


def test_sessions_end_on_sign_out_and_on_expiry(console: Console) -> None:
    b = console.browser
    console.sign_in("regulator", "leaving")
    b.click(".who button", ctx="leaving", navigate=True)
    assert b.url(ctx="leaving") == f"{console.url}/console/login"
    assert b.goto(f"{console.url}/console/", ctx="leaving")["url"] == f"{console.url}/console/login"
    # an expired session: pages send to sign-in, the open stream says so and ends
    http = console.http_session("regulator")
    token = http.cookies.get("corridor_console")
    assert token and http.get("/console/").status_code == 200
    with http.stream("GET", "/console/stream", timeout=20) as stream:
        console.app.state.console.sessions.expire(token)
        ended = False
        for line in stream.iter_lines():
            if line == "event: session-expired":
                ended = True
                break
    assert ended
    assert http.get("/console/").status_code == 303 and http.get("/console/").headers["location"] == "/console/login"
    assert http.get("/console/fragments/overview").status_code == 401
