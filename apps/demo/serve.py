"""``corridor demo --serve``: after the scenarios, the network, the bridge and its console stay up on the
demo's final state until Ctrl-C, and the regulator gets a one-time sign-in link."""

from __future__ import annotations

import signal
import threading
from typing import Any, Protocol

from rich.console import Console

from bridge.sdk.client import BridgeClient
from corridor.keys import REGULATOR


class Serving(Protocol):
    port: int

    def __call__(self, network: Any, app: Any, url: str) -> None: ...


class KeepServing:
    def __init__(self, console: Console, *, port: int, stop: threading.Event | None = None) -> None:
        self.console = console
        self.port = port
        self.stop = stop or threading.Event()

    def __call__(self, network: Any, app: Any, url: str) -> None:
        client = BridgeClient(url, REGULATOR, network.keys.account(REGULATOR), store=False)
        try:
            link = client.console_link()
        finally:
            client.close()
        self.console.rule("[bold]The supervision console, on the demo's final state")
        self.console.print(f"console   {url}/console/")
        self.console.print("sign in   open this one-time link (valid five minutes):")
        self.console.print(link, soft_wrap=True, markup=False)
        self.console.print(f"more links: corridor console login --as regulator --url {url}   (a bank: --as harbour …)")
        self.console.print(f"API docs  {url}/docs  ·  {url}/redoc")
        self.console.print("Ctrl-C stops the bridge and the ledgers")
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: self.stop.set())
        self.stop.wait()


def keep_serving(console: Console, *, port: int) -> KeepServing:
    return KeepServing(console, port=port)
