"""Alerts pushed to a webhook (``alerts.webhook_url``): every alert raised, resolved or acknowledged is
POSTed as JSON ``{"event": "raised" | "resolved" | "acknowledged", "alert": {…}}`` from a thread of its
own, so a slow or absent receiver never holds the bridge. A delivery that fails is retried with
back-off (three attempts), then logged and dropped: the alert itself is in the database and in
``GET /v1/regulator/alerts`` either way."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import requests

from bridge.store.alerts import Alert
from corridor.statelog import StateLog

logger = logging.getLogger(__name__)

ATTEMPTS = 3
QUEUE_LIMIT = 1_000


class WebhookNotifier:
    def __init__(self, url: str, *, timeout: float = 2.0, source: str = "corridor-bridge") -> None:
        self.url = url
        self.timeout = timeout
        self.source = source
        self.delivered = 0
        self.failed = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._thread: threading.Thread | None = None
        self._session = requests.Session()
        self._log = StateLog(logger)

    def __call__(self, event: str, alert: Alert) -> None:
        """An :class:`~bridge.store.alerts.AlertRepository` listener: queues the delivery."""
        try:
            self._queue.put_nowait({"event": event, "source": self.source, "alert": alert.as_dict()})
        except queue.Full:
            self.failed += 1
            self._log.failing("full", "alert webhook queue full (%d); dropping %s of alert %s", QUEUE_LIMIT, event, alert.key)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="bridge-alert-webhook", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            payload = self._queue.get()
            if payload is None:
                return
            self._deliver(payload)

    def _deliver(self, payload: dict[str, Any]) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._session.post(self.url, json=payload, timeout=self.timeout)
                response.raise_for_status()
            except requests.RequestException as exc:
                if attempt == ATTEMPTS:
                    self.failed += 1
                    self._log.failing("deliver", "alert webhook %s failed after %d attempts: %s", self.url, ATTEMPTS, exc)
                    return
                time.sleep(0.5 * 2 ** (attempt - 1))
                continue
            self.delivered += 1
            self._log.cleared("deliver", "alert webhook %s delivers again", self.url)
            return
