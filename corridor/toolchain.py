"""Where the offline toolchain lives: the npm-installed native Foundry binaries and the solc shim.

The npm wrappers (``node_modules/.bin/forge``) swallow exit codes, so everything here points at
the native binaries inside ``@foundry-rs/<tool>-linux-amd64``.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

from corridor.errors import ToolchainError

REPO_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO_ROOT / "node_modules"
CONTRACTS_DIR = REPO_ROOT / "contracts"
SOLC_SHIM = REPO_ROOT / "tools" / "solc"
STATE_DIR = Path(os.environ.get("CORRIDOR_STATE_DIR") or REPO_ROOT / ".corridor")
# The compiled-contracts cache is keyed by a hash of sources and settings, so every run may share it
# (a run with its own state directory — a test, a second bridge — need not compile again).
BUILD_CACHE_DIR = Path(os.environ.get("CORRIDOR_BUILD_CACHE") or REPO_ROOT / ".corridor" / "artifacts")


def _platform_suffix() -> str:
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    return f"{platform.system().lower()}-{machine}"


def foundry_binary(tool: str) -> Path:
    """Path of the native ``anvil``/``forge``/``cast`` binary installed by ``npm ci``."""
    path = NODE_MODULES / "@foundry-rs" / f"{tool}-{_platform_suffix()}" / "bin" / tool
    if not path.is_file():
        raise ToolchainError(tool=tool, reason=f"not found at {path}; run `npm ci` (make does this for you)")
    return path


def solc_shim() -> Path:
    """Path of the solc command-line shim over the npm solcjs build."""
    if not SOLC_SHIM.is_file():
        raise ToolchainError(tool="solc", reason=f"shim missing at {SOLC_SHIM}")
    if not (NODE_MODULES / "solc" / "package.json").is_file():
        raise ToolchainError(tool="solc", reason="npm package `solc` is not installed; run `npm ci`")
    return SOLC_SHIM
