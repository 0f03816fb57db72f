"""``python -m bridge serve …``: the bridge on its own, without the applications' command line (what
:class:`bridge.server.BridgeProcess` and the demo's crash drill start). Configuration from
``$CORRIDOR_CONFIG`` or ``./corridor.toml``, like ``corridor bridge serve``."""

from __future__ import annotations

import logging
import sys

from rich.console import Console

from bridge.cli import bridge_cli
from corridor.config import load_settings


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console = Console(width=None if sys.stdout.isatty() else 120)
    bridge_cli(obj={"config_path": None, "settings": lambda: load_settings(None), "console": console}, prog_name="python -m bridge")


if __name__ == "__main__":
    main()
