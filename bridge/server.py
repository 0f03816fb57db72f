"""Running the bridge: in a background thread of this process (tests, `corridor up`), or as its own
`corridor bridge serve` process (crash tests, benchmarks)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from corridor.ledgers import free_port
from corridor.toolchain import REPO_ROOT


# How long the bridge keeps an idle HTTP connection open. Longer than a client keeps an idle pooled one
# (httpx, the SDK's client: 5 s), so the client always drops it first: with both at 5 s (uvicorn's default)
# a request sent on a connection the bridge was closing that instant got a connection reset.
KEEP_ALIVE_SECONDS = 75


class ServerThread:
    """A real uvicorn server for an ASGI app, in a thread, on a free port (or the one given)."""

    def __init__(self, app: object, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=self.port, log_level="warning", lifespan="on",
                                                    timeout_keep_alive=KEEP_ALIVE_SECONDS))  # fmt: skip
        self.thread = threading.Thread(target=self.server.run, name="bridge-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the bridge server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class BridgeProcess:
    """`python -m bridge serve` (as `corridor bridge serve`) as a separate process on a free port, optionally armed to kill itself
    at a fault point (``CORRIDOR_FAULT_KILL_AFTER``, see :mod:`bridge.faults`)."""

    def __init__(self, deployment: Path, database: str, state_dir: Path, fault: str | None = None, *,
                 launcher: list[str] | None = None, settings_env: dict[str, str] | None = None) -> None:  # fmt: skip
        """``launcher``: the command that offers ``serve`` (default ``python -m bridge``; an application's own,
        e.g. ``python -m apps.cli bridge``, serves what it mounts on the bridge too). ``settings_env``: settings
        overridden for this process alone (``CORRIDOR_…`` variables, see :mod:`corridor.config`)."""
        self.port = free_port()
        env = {**os.environ, **(settings_env or {}), "CORRIDOR_STATE_DIR": str(state_dir)}
        env.pop("CORRIDOR_FAULT_KILL_AFTER", None)
        if fault:
            env["CORRIDOR_FAULT_KILL_AFTER"] = fault
        # A file, not a pipe: nobody drains a pipe while the bridge runs, and a full one would stall it.
        self.log_path = state_dir / f"bridge-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [*(launcher or [sys.executable, "-m", "bridge"]), "serve", "--deployment", str(deployment),
             "--database", database, "--port", str(self.port)],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._log,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bridge exited early: {self.log_path.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError("bridge did not start")

    def wait_killed(self, timeout: float = 60) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # graceful: uvicorn lets open event streams run out first
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()
