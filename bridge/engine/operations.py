"""The bridge's background machinery, and the one view of it an operator gets (health and metrics).

Supervised loops (:mod:`bridge.engine.supervisor`): the worker's lanes (one per ledger), a probe per
ledger and one of the database (:mod:`bridge.engine.monitor`), and the reconciler. :meth:`health`
reads only what these loops cached, so it answers at once whatever hangs.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from bridge.engine.coordinator import Coordinator
from bridge.engine.monitor import DatabaseMonitor, LedgerMonitor
from bridge.engine.notify import WebhookNotifier
from bridge.engine.reconciler import Reconciler
from bridge.engine.supervisor import Loop, Supervisor
from bridge.engine.watch import AlertWatch
from bridge.engine.worker import Worker
from bridge.store.alerts import AlertRepository
from corridor.config import AlertsConfig


class Operations:
    def __init__(self, coordinator: Coordinator, worker: Worker, alerts: AlertRepository, *, probe_interval: float = 1.0,
                 probe_timeout: float = 1.0, reconcile_interval: float = 30.0, alert_config: AlertsConfig | None = None) -> None:  # fmt: skip
        self.coordinator = coordinator
        self.worker = worker
        self.alerts = alerts
        self.supervisor: Supervisor = worker.supervisor
        margin = coordinator.policy.expiry_margin
        self.ledgers = LedgerMonitor(coordinator.chain, interval=probe_interval, timeout=probe_timeout, margin=margin, alerts=alerts)
        self.database = DatabaseMonitor(coordinator.repo, alerts, stale_after=max(3.0, 3 * probe_interval))
        self.reconciler = Reconciler(coordinator, alerts)
        for ledger in coordinator.network.clients:
            self.supervisor.add(Loop(f"probe-{ledger}", partial(self.ledgers.probe, ledger), interval=probe_interval, max_backoff=probe_interval))
        self.supervisor.add(Loop("probe-database", self.database.probe, interval=probe_interval, max_backoff=probe_interval))
        self.supervisor.add(Loop("reconciler", self.reconciler.run_once, interval=reconcile_interval,
                                 max_backoff=min(reconcile_interval, 10.0), stale_after=3 * reconcile_interval + 30))  # fmt: skip
        config = alert_config or coordinator.network.settings.alerts
        self.watch = AlertWatch(coordinator.chain, coordinator.repo, alerts, self.ledgers, worker, config,
                                lanes_started=lambda: {ledger for ledger, lane in worker.lanes.items() if lane.name in self.supervisor.loops})  # fmt: skip
        self.supervisor.add(Loop("alert-watch", self.watch.run_once, interval=config.interval_seconds,
                                 max_backoff=max(config.interval_seconds, 5.0)))  # fmt: skip
        self.webhook = WebhookNotifier(config.webhook_url, timeout=config.webhook_timeout_seconds) if config.webhook_url else None
        if self.webhook is not None:
            alerts.listen(self.webhook)

    def start(self, *, worker: bool = True) -> None:
        """Starts the probes and the reconciler (its first run at once), and the worker's lanes."""
        if not worker:
            for lane in self.worker.lanes.values():
                self.supervisor.loops.pop(lane.name, None)
        if self.webhook is not None:
            self.webhook.start()
        self.supervisor.start()

    def stop(self) -> None:
        self.supervisor.stop()
        if self.webhook is not None:
            self.webhook.stop()

    # ─── what an operator sees ───────────────────────────────────────────────────────────

    def health(self) -> dict[str, Any]:
        """Ledgers (up or down since when, head, clock), their clock skew, the database (writable?),
        the worker's lanes (alive, last successful pass), the reconciler and open alerts; ``ok`` only
        when all of them are, and ``problems`` naming each that is not."""
        now = time.time()
        ledgers = {name: probe.as_dict(now) for name, probe in self.ledgers.status().items()}
        for name, entry in ledgers.items():
            breaker = self.coordinator.chain.client(name).breaker
            entry["circuit"] = "open" if breaker is not None and breaker.is_open else "closed"
            entry["waiting_swaps"] = self.worker.waiting_by_ledger().get(name, 0)
        database = self.database.status()
        lanes = {ledger: {**status.as_dict(), "step_errors": self.worker.step_errors.get(ledger, 0)}
                 for ledger, status in self.worker.liveness().items()}  # fmt: skip
        loops = self.supervisor.status()
        clocks = self.ledgers.clocks()
        open_alerts = sum(self.database.open_alerts.values())
        problems = [f"ledger {name} down since {entry['down_since']}: {entry['reason']}" for name, entry in ledgers.items() if not entry["up"]]
        if not database["writable"]:
            problems.append(f"database not writable since {database['down_since']}: {database['reason']}")
        problems += [f"worker lane {ledger} {'dead' if not lane['alive'] else 'not progressing'}: {lane['last_error']}"
                     for ledger, lane in lanes.items() if not lane["healthy"]]  # fmt: skip
        if clocks["alert"]:
            problems.append(f"ledger clocks {clocks['skew_seconds']}s apart (alert above {clocks['alert_above_seconds']}s)")
        worker_ok = all(lane["healthy"] for lane in lanes.values())
        last = [lane["last_success"] for lane in lanes.values() if lane["last_success"] is not None]
        return {
            "ok": not problems, "problems": problems, "ledgers": ledgers, "clocks": clocks, "database": database,
            "worker": {"alive": all(lane["alive"] for lane in lanes.values()), "healthy": worker_ok,
                       "last_success": _iso(min(last)) if len(last) == len(lanes) and last else None,
                       "restarts": sum(lane["restarts"] for lane in lanes.values()), "lanes": lanes},
            "reconciler": {**self.reconciler.status(), "alive": loops["reconciler"].alive if "reconciler" in loops else False},
            "alerts": {"open": open_alerts, "by_kind": {f"{kind}/{severity}": n for (kind, severity), n in self.database.open_alerts.items()},
                       "unacknowledged": sum(self.database.unacknowledged_alerts.values()),
                       "checked_at": _iso(self.watch.last_run) if self.watch.last_run is not None else None},
            "time": int(now),
        }  # fmt: skip


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))
