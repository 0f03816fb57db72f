"""Shared fixtures: real anvil ledgers started once per session, the default network deployed on
them once, and a per-test chain snapshot so every test starts from the same deployed state."""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.config import Settings, load_settings
from corridor.network import Network, open_network

_PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture(scope="session", autouse=True)
def bank_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The banks' SDK stores (every order, acceptance and secret they sign) of the whole run, kept in
    a temporary folder rather than the repository's state directory."""
    root = tmp_path_factory.mktemp("bank-stores")
    previous = os.environ.get("CORRIDOR_BANK_STORE")
    os.environ["CORRIDOR_BANK_STORE"] = str(root)
    yield root
    if previous is None:
        os.environ.pop("CORRIDOR_BANK_STORE", None)
    else:
        os.environ["CORRIDOR_BANK_STORE"] = previous


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def network(settings: Settings) -> Iterator[Network]:
    """Two real anvil ledgers with the default deployment; stopped when the session ends."""
    with open_network(settings) as net:
        net.deploy()
        yield net


@pytest.fixture()
def chain(network: Network) -> Iterator[Network]:
    """The deployed network, rolled back to its deployed state after the test."""
    snapshots = {name: client.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
                 for name, client in network.clients.items()}  # fmt: skip
    yield network
    for name, client in network.clients.items():
        client.w3.provider.make_request("evm_revert", [snapshots[name]])  # type: ignore[arg-type]
        client.reset_nonces()


@pytest.fixture()
def reaper() -> Iterator[None]:
    """Makes this process the subreaper of orphans, so detached ledgers that outlive their
    `corridor ledgers up` are reaped here instead of lingering as zombies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    try:
        yield
    finally:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 0)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG) != (0, 0):
                pass


@pytest.fixture()
def repo(tmp_path: Path):  # noqa: ANN201 - bridge.store.swaps.SwapRepository
    """A bridge repository on a fresh, migrated SQLite file."""
    # Imported here: importing ``bridge`` at module level would shadow the test package of the same
    # name (tests/integration/bridge) when pytest loads its conftest.
    from bridge.store.db import make_engine, migrate, session_factory
    from bridge.store.swaps import SwapRepository

    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    migrate(url)
    return SwapRepository(session_factory(make_engine(url)))


@pytest.fixture(scope="session")
def headless_browser():  # noqa: ANN201 - tests.support.browser.render
    """Renders a page (file path or URL) in the project's offline headless Chromium; see tests/support/browser.py."""
    from tests.support.browser import available, render

    if not available():
        pytest.fail("headless Chromium missing: run `make setup` (npm ci installs @sparticuz/chromium and puppeteer-core)")
    return render
