"""Local ledger launcher: starts and stops anvil processes, one per embedded ledger.

Each ledger gets its own chain id (a signature made for one is never valid on another) and a
free port. Processes are tied to their launcher: on Linux they receive SIGTERM if the launcher
dies (``setpriv --pdeathsig``, or prctl where setpriv is missing), so a crashed test run leaves
nothing behind. ``detach=True`` lifts that tie for
``corridor ledgers up --detach``, whose ledgers ``corridor ledgers down`` later stops by pid.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from corridor.errors import LedgerError
from corridor.toolchain import foundry_binary

logger = logging.getLogger(__name__)

DEV_MNEMONIC = "test test test test test test test test test test test junk"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class LedgerSpec:
    """What to start: a named anvil with its own chain id."""

    name: str
    chain_id: int
    port: int = 0  # 0 = pick a free port
    block_time: int = 0  # 0 = automine
    state_file: Path | None = None
    accounts: int = 20
    mnemonic: str = DEV_MNEMONIC
    genesis_timestamp: int | None = None  # start the chain's clock here (history replays)
    fork_url: str | None = None  # a copy of another ledger (its state at ``fork_block``), for simulations
    fork_block: int | None = None


@dataclass(frozen=True)
class RunningLedger:
    """A started anvil: where to reach it and how to stop it."""

    name: str
    chain_id: int
    port: int
    pid: int

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class LedgerLauncher:
    """Starts, tracks and stops anvil ledgers. Use as a context manager to stop them on exit."""

    def __init__(self, *, detach: bool = False, start_timeout: float = 15.0) -> None:
        self._detach = detach
        self._start_timeout = start_timeout
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.running: dict[str, RunningLedger] = {}

    def __enter__(self) -> LedgerLauncher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()

    def start(self, specs: Iterable[LedgerSpec]) -> dict[str, RunningLedger]:
        """Starts every ledger and waits until each answers JSON-RPC with its chain id."""
        specs = list(specs)
        _refuse_duplicates(specs)
        try:
            for spec in specs:
                self.running[spec.name] = self._start_one(spec)
        except BaseException:
            self.stop_all()
            raise
        return dict(self.running)

    def _start_one(self, spec: LedgerSpec, attempts: int = 3) -> RunningLedger:
        if spec.name in self.running:
            raise LedgerError(ledger=spec.name, reason="already running")
        last_error = "never started"
        for _ in range(attempts):  # a free port can be taken between our pick and anvil's bind
            port = spec.port or free_port()
            # stderr goes to a file, not a pipe: a detached anvil outlives our end of any pipe.
            errors = tempfile.TemporaryFile()
            command, preexec = self._command(spec, port), None
            if not self._detach:
                # Tie anvil to this process: setpriv sets the parent-death signal and execs anvil, which
                # avoids running Python between fork and exec (unsafe once threads exist).
                setpriv = shutil.which("setpriv")
                if setpriv:
                    command = [setpriv, "--pdeathsig", "TERM", *command]
                else:
                    preexec = _die_with_parent
            process = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                preexec_fn=preexec,
                start_new_session=self._detach,
            )
            ledger = RunningLedger(name=spec.name, chain_id=spec.chain_id, port=port, pid=process.pid)
            try:
                wait_until_ready(ledger.rpc_url, spec.chain_id, timeout=self._start_timeout, process=process)
            except LedgerError as exc:
                _terminate(process)
                errors.seek(0)
                last_error = f"{exc.reason} {errors.read().decode(errors='replace').strip()[-400:]}".strip()
                errors.close()
                if spec.port:
                    break
                continue
            errors.close()
            self._processes[spec.name] = process
            logger.info("ledger up name=%s chain_id=%s url=%s pid=%s", spec.name, spec.chain_id, ledger.rpc_url, process.pid)
            return ledger
        raise LedgerError(ledger=spec.name, reason=last_error)

    @staticmethod
    def _command(spec: LedgerSpec, port: int) -> list[str]:
        command = [
            str(foundry_binary("anvil")),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(spec.chain_id),
            "--accounts", str(spec.accounts),
            "--mnemonic", spec.mnemonic,
            "--balance", "1000000",
            "--quiet",
        ]  # fmt: skip
        if spec.block_time:
            command += ["--block-time", str(spec.block_time)]
        if spec.genesis_timestamp is not None:
            command += ["--timestamp", str(spec.genesis_timestamp)]
        if spec.fork_url is not None:
            command += ["--fork-url", spec.fork_url, "--no-rate-limit"]
            if spec.fork_block is not None:
                command += ["--fork-block-number", str(spec.fork_block)]
        if spec.state_file is not None:
            spec.state_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--state", str(spec.state_file), "--state-interval", "1"]
        return command

    def stop(self, name: str) -> None:
        """Stops one ledger (SIGINT first so anvil writes its state file, SIGKILL if it hangs)."""
        process = self._processes.pop(name, None)
        self.running.pop(name, None)
        if process is not None:
            _terminate(process)
            logger.info("ledger down name=%s pid=%s", name, process.pid)

    def stop_all(self) -> None:
        for name in list(self._processes):
            self.stop(name)


def _refuse_duplicates(specs: list[LedgerSpec]) -> None:
    for attribute in ("name", "chain_id"):
        values = [getattr(spec, attribute) for spec in specs]
        duplicates = {v for v in values if values.count(v) > 1}
        if duplicates:
            raise LedgerError(ledger=str(sorted(duplicates)[0]), reason=f"two ledgers share the {attribute} {duplicates}")
    ports = [spec.port for spec in specs if spec.port]
    if len(ports) != len(set(ports)):
        raise LedgerError(ledger="(all)", reason=f"two ledgers share a port: {ports}")


def _terminate(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ready(
    url: str, chain_id: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Polls ``eth_chainId`` until the node answers with ``chain_id``; raises :class:`LedgerError` otherwise."""
    deadline = time.monotonic() + timeout
    payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise LedgerError(ledger=url, reason=f"anvil exited with code {process.returncode}")
        try:
            answer = httpx.post(url, json=payload, timeout=1.0).json()
        except (httpx.HTTPError, ValueError):
            time.sleep(0.05)
            continue
        reported = int(answer.get("result", "0x0"), 16)
        if reported != chain_id:
            raise LedgerError(ledger=url, reason=f"answers with chain id {reported}, expected {chain_id}")
        return
    raise LedgerError(ledger=url, reason=f"no JSON-RPC answer within {timeout:.0f}s")


# ─── detached ledgers (corridor ledgers up --detach / down) ──────────────────────────────


def write_pidfile(path: Path, ledgers: dict[str, RunningLedger]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({name: asdict(ledger) for name, ledger in ledgers.items()}, indent=2))


def read_pidfile(path: Path) -> dict[str, RunningLedger]:
    if not path.is_file():
        return {}
    return {name: RunningLedger(**fields) for name, fields in json.loads(path.read_text()).items()}


def stop_detached(path: Path, timeout: float = 5.0) -> list[str]:
    """Stops the anvils listed in ``path`` (only if each pid still runs anvil) and removes the file."""
    stopped = []
    for name, ledger in read_pidfile(path).items():
        if _is_anvil(ledger.pid):
            os.kill(ledger.pid, signal.SIGINT)
            deadline = time.monotonic() + timeout
            while _is_anvil(ledger.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _is_anvil(ledger.pid):
                os.kill(ledger.pid, signal.SIGKILL)
            stopped.append(name)
    path.unlink(missing_ok=True)
    return stopped


def _is_anvil(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return b"anvil" in cmdline.split(b"\0")[0] and status != "Z"


@contextmanager
def embedded_ledgers(specs: Iterable[LedgerSpec]) -> Iterator[dict[str, RunningLedger]]:
    """Starts ``specs`` for the duration of a ``with`` block."""
    with LedgerLauncher() as launcher:
        yield launcher.start(specs)
