"""Corridor's exception tree. Every error carries its context as keyword-only attributes.

::

    CorridorError
    ├── ConfigError          a configuration file or override is invalid (names the key)
    ├── ToolchainError       a required tool (anvil, forge, node, solc shim) is missing or failed
    ├── CompilationError     solc reported errors
    ├── LedgerError          a local ledger could not be started, reached or stopped
    └── ChainError           a JSON-RPC call or transaction failed
        ├── ChainRejected    a contract refused the call with a custom error (named, with its arguments)
        └── LedgerUnavailable  the ledger does not answer (refused, timed out, or its circuit is open)
"""

from __future__ import annotations

from typing import Any


class CorridorError(Exception):
    """Root of every error Corridor raises on purpose."""


class ConfigError(CorridorError):
    """The configuration is invalid; ``problems`` maps each dotted key to its reason."""

    def __init__(self, *, source: str, problems: dict[str, str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {key}: {reason}" for key, reason in problems.items())
        super().__init__(f"invalid configuration in {source}:\n{lines}")


class ToolchainError(CorridorError):
    """A tool the project runs is missing or failed."""

    def __init__(self, *, tool: str, reason: str) -> None:
        self.tool = tool
        self.reason = reason
        super().__init__(f"{tool}: {reason}")


class CompilationError(CorridorError):
    """solc reported one or more errors."""

    def __init__(self, *, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("compilation failed:\n" + "\n".join(messages))


class LedgerError(CorridorError):
    """A local ledger could not be started, reached or stopped."""

    def __init__(self, *, ledger: str, reason: str) -> None:
        self.ledger = ledger
        self.reason = reason
        super().__init__(f"ledger {ledger}: {reason}")


class ChainError(CorridorError):
    """A JSON-RPC call or a transaction failed on a ledger."""

    def __init__(self, *, ledger: str, reason: str, tx_hash: str | None = None) -> None:
        self.ledger = ledger
        self.reason = reason
        self.tx_hash = tx_hash
        super().__init__(f"ledger {ledger}: {reason}" + (f" (tx {tx_hash})" if tx_hash else ""))


class ChainRejected(ChainError):
    """A contract refused a call with a custom error, decoded to its name and arguments."""

    def __init__(
        self, *, ledger: str, error: str, args: dict[str, Any] | None = None, tx_hash: str | None = None
    ) -> None:
        self.error = error
        self.args_by_name = args or {}
        rendered = ", ".join(f"{k}={v}" for k, v in self.args_by_name.items())
        super().__init__(ledger=ledger, reason=f"rejected: {error}({rendered})", tx_hash=tx_hash)


class LedgerUnavailable(ChainError):
    """The ledger cannot be reached now: the connection was refused or timed out, or its circuit
    breaker is open after such failures (calls then fail at once instead of waiting). ``since`` is the
    wall-clock time the ledger was first seen down; ``retry_after`` how long a caller should wait."""

    def __init__(self, *, ledger: str, reason: str, since: float | None = None, retry_after: float = 2.0) -> None:
        self.since = since
        self.retry_after = retry_after
        super().__init__(ledger=ledger, reason=f"unavailable: {reason}")
