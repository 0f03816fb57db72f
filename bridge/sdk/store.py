"""The bank's own record of every instruction its SDK signs, kept on the bank's machine.

Enough to finish or refund every swap with the bridge gone (``corridor swap recover``), using only
this store and the chains:

- an initiator's order: the terms, its signatures, its lock nonce, and the **secret** (until the
  bank reveals it, nobody else has it);
- a counterparty's acceptance: the terms it agreed to, its signatures and its lock nonce (the secret
  it needs is read from ledger B once the initiator claims there);
- the network description (chain ids, RPC URLs, contracts) the bank signed against.

One JSON file per swap (``swaps/<swap id>.json``), written before the instruction is sent, atomically
(a temporary file, flushed and renamed) and readable by the bank's user only (files 0600 in folders
0700): the secret is as sensitive as a key. Default folder: ``$CORRIDOR_BANK_STORE/<bank>``, else
``<state dir>/banks/<bank>``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from corridor.toolchain import STATE_DIR

_FILE_MODE = 0o600
_DIR_MODE = 0o700


def default_root() -> Path:
    return Path(os.environ.get("CORRIDOR_BANK_STORE") or STATE_DIR / "banks")


class OrderStore:
    """Swap records of one bank in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._guard = threading.Lock()
        self._folders: set[Path] = set()

    @classmethod
    def for_bank(cls, participant: str, root: Path | None = None) -> OrderStore:
        return cls((root or default_root()) / participant)

    @property
    def swaps_folder(self) -> Path:
        return self.folder / "swaps"

    # ─── swaps ───────────────────────────────────────────────────────────────────────────

    def keep(self, record: dict[str, Any]) -> Path:
        """Stores ``record`` (it has a ``swap_id``), merged over what is kept for that swap already."""
        swap_id = str(record["swap_id"])
        with self._guard:
            current = self._read(self._path(swap_id)) or {}
            return self._write(self._path(swap_id), {**current, **record})

    def get(self, swap_id: str) -> dict[str, Any] | None:
        return self._read(self._path(swap_id))

    def update(self, swap_id: str, **fields: Any) -> None:
        with self._guard:
            current = self._read(self._path(swap_id))
            if current is not None:
                self._write(self._path(swap_id), {**current, **fields})

    def all(self) -> list[dict[str, Any]]:
        if not self.swaps_folder.is_dir():
            return []
        records = [self._read(path) for path in sorted(self.swaps_folder.glob("0x*.json"))]
        return [record for record in records if record is not None]

    def path_of(self, swap_id: str) -> Path:
        return self._path(swap_id)

    # ─── the network signed against ──────────────────────────────────────────────────────

    def keep_network(self, info: dict[str, Any]) -> None:
        path = self.folder / "network.json"
        with self._guard:
            if self._read(path) != info:
                self._write(path, info)

    def network(self) -> dict[str, Any] | None:
        return self._read(self.folder / "network.json")

    # ─── files ───────────────────────────────────────────────────────────────────────────

    def _path(self, swap_id: str) -> Path:
        if not swap_id.startswith("0x") or not all(c in "0123456789abcdefABCDEF" for c in swap_id[2:]):
            raise ValueError(f"not a swap id: {swap_id!r}")
        return self.swaps_folder / f"{swap_id.lower()}.json"

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_text())  # type: ignore[no-any-return]
        except FileNotFoundError:
            return None

    def _write(self, path: Path, data: dict[str, Any]) -> Path:
        if path.parent not in self._folders:  # made private once per store
            for folder in (self.folder, path.parent):
                folder.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
                os.chmod(folder, _DIR_MODE)
            self._folders.add(path.parent)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # created 0600
        try:
            with os.fdopen(handle, "w") as file:
                json.dump(data, file, separators=(",", ":"))
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path


class MemoryStore(OrderStore):
    """The same records kept in memory only (a client created with ``store=False``): retries still
    reuse one acceptance, but nothing survives the process."""

    def __init__(self) -> None:
        super().__init__(Path("(memory)"))
        self._records: dict[str, dict[str, Any]] = {}
        self._network: dict[str, Any] | None = None

    def keep(self, record: dict[str, Any]) -> Path:
        swap_id = str(record["swap_id"]).lower()
        with self._guard:
            self._records[swap_id] = {**self._records.get(swap_id, {}), **record}
        return Path("(memory)") / swap_id

    def get(self, swap_id: str) -> dict[str, Any] | None:
        return self._records.get(swap_id.lower())

    def update(self, swap_id: str, **fields: Any) -> None:
        with self._guard:
            if swap_id.lower() in self._records:
                self._records[swap_id.lower()].update(fields)

    def all(self) -> list[dict[str, Any]]:
        return list(self._records.values())

    def keep_network(self, info: dict[str, Any]) -> None:
        self._network = info

    def network(self) -> dict[str, Any] | None:
        return self._network
