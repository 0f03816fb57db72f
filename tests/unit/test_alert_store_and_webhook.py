"""The alerts store's acknowledgement, evidence and listeners, the webhook that pushes them, and the
console's model cache cadence: no ledger needed."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from apps.console.model_cache import ModelCache
from bridge.engine.notify import WebhookNotifier
from bridge.store.alerts import AlertRepository
from bridge.store.db import make_engine, migrate, session_factory


@pytest.fixture()
def alerts(tmp_path: Path) -> AlertRepository:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    migrate(url)
    return AlertRepository(session_factory(make_engine(url)))


def test_an_alert_keeps_its_first_seen_time_evidence_and_first_acknowledgement(alerts: AlertRepository) -> None:
    heard: list[tuple[str, str]] = []
    alerts.listen(lambda event, alert: heard.append((event, alert.key)))
    assert alerts.raise_alert("bank_frozen", "bank_frozen:HKD:harbour", "frozen", severity="warning", evidence={"bank": "harbour"})
    assert not alerts.raise_alert("bank_frozen", "bank_frozen:HKD:harbour", "frozen, still", severity="warning")  # another occurrence
    alert = alerts.list()[0]
    assert alert.occurrences == 2 and alert.evidence == {"bank": "harbour"} and alert.first_seen == alert.raised_at
    first = alerts.acknowledge(alert.id, "regulator", "seen")
    again = alerts.acknowledge(alert.id, "regulator", "seen twice")
    assert first is not None and again is not None and again.acknowledgement == "seen" and again.acknowledged_at == first.acknowledged_at
    assert alerts.open_by_kind(unacknowledged=True) == {} and alerts.open_by_kind() == {("bank_frozen", "warning"): 1}
    assert alerts.acknowledge(999, "regulator") is None
    assert alerts.resolve("bank_frozen:HKD:harbour", "unfrozen")
    assert alerts.open_keys("bank_frozen") == set()
    assert heard == [("raised", "bank_frozen:HKD:harbour"), ("acknowledged", "bank_frozen:HKD:harbour"), ("resolved", "bank_frozen:HKD:harbour")]
    assert alerts.version == 3


class _Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(503)
                else:
                    outer.received.append(body)
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_the_webhook_receives_every_alert_event_and_retries_a_failed_delivery(alerts: AlertRepository) -> None:
    receiver = _Receiver(fail_first=1)
    notifier = WebhookNotifier(receiver.url, timeout=2)
    alerts.listen(notifier)
    notifier.start()
    try:
        alerts.raise_alert("swap_stuck", "swap_stuck:0x01", "stuck", severity="warning", swap_id="0x01", evidence={"age_seconds": 200})
        alerts.resolve("swap_stuck:0x01", "moved")
        deadline = time.monotonic() + 10
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        notifier.stop()
        receiver.server.shutdown()
    assert [(r["event"], r["alert"]["key"]) for r in receiver.received] == [("raised", "swap_stuck:0x01"), ("resolved", "swap_stuck:0x01")]
    assert receiver.received[0]["alert"]["evidence"] == {"age_seconds": 200} and receiver.received[0]["alert"]["first_seen"]
    assert notifier.delivered == 2 and notifier.failed == 0


def test_a_page_does_not_wait_for_a_slow_first_build() -> None:
    """After a restart on a long journal the first build takes minutes: a page asks for it, waits at most
    its ``wait``, and shows its figures as being built; the build goes on and is there afterwards."""
    release = threading.Event()

    def build() -> Any:
        release.wait(10)
        return object()

    cache = ModelCache(build, lambda: 1, min_interval=0.01, cpu_share=1.0)
    cache.start()
    try:
        started = time.monotonic()
        assert cache.get(wait=0.3) is None
        assert 0.3 <= time.monotonic() - started < 2.0
        release.set()
        built = cache.get(wait=5.0)
        assert built is not None and built.version == 1 and cache.get() is built
    finally:
        cache.stop()


def test_the_console_model_is_rebuilt_within_its_share_of_the_time() -> None:
    seq = [1]
    builds: list[float] = []

    def build() -> Any:
        builds.append(time.monotonic())
        time.sleep(0.05)
        return object()

    cache = ModelCache(build, lambda: seq[0], min_interval=0.2, cpu_share=0.1)  # a 0.05 s build waits ≥ 0.5 s
    first = cache.refresh()
    assert first.version == 1 and first.journal_seq == 1 and cache.get() is first  # nothing moved: the same model
    cache.start()
    try:
        for _ in range(10):  # changes keep coming
            seq[0] += 1
            cache.want()
            time.sleep(0.1)
        deadline = time.monotonic() + 3
        while (cache.latest is None or cache.latest.journal_seq != seq[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        cache.stop()
    gaps = [b - a for a, b in zip(builds, builds[1:])]
    assert cache.latest is not None and cache.latest.journal_seq == seq[0]  # it caught up with the last change
    assert gaps and min(gaps) >= 0.45, gaps  # never more than its share: 10 changes, few builds
    assert len(builds) <= 4


@pytest.mark.parametrize("section", ["_overview_model", "_liquidity", "_risk", "_exceptions"])
def test_a_model_section_before_the_first_build_says_its_figures_are_being_built(section: str) -> None:
    from apps.console.access import ENV

    html = ENV.get_template(f"{section}.html.j2").render(built=None, refresh_seconds=2.0)
    assert "data-model-pending" in html and "being built" in html and "data-figure" not in html and "data-model-error" not in html
    failed = ENV.get_template(f"{section}.html.j2").render(built=None, refresh_seconds=2.0, model_error="ConnectionError: ledger A <down>")
    assert "ConnectionError: ledger A &lt;down&gt;" in failed  # said, and escaped



def test_a_failing_journal_read_does_not_stop_the_rebuilds() -> None:
    """The background loop reads the journal's position before each build: a database error there (a
    PostgreSQL restart, a busy SQLite) is counted and retried, not the end of the loop's thread."""
    calls = [0]

    def journal_seq() -> int:
        calls[0] += 1
        if calls[0] == 2:
            raise RuntimeError("database restarting")
        return calls[0]

    cache = ModelCache(lambda: object(), journal_seq, min_interval=0.01, cpu_share=1.0)
    cache.start()
    try:
        first = cache.get(wait=5.0)
        assert first is not None
        deadline = time.monotonic() + 5
        while (cache.failures == 0 or cache.builds < 2) and time.monotonic() < deadline:
            cache.want()
            time.sleep(0.05)
    finally:
        cache.stop()
    assert cache.failures == 1 and "database restarting" in (cache.last_error or "") and cache.builds >= 2
