"""Compiles the Solidity sources with py-solc-x through the solc shim, and caches the result.

The cache key is a hash of every source file under ``contracts/src``, the compiler settings, the
compiler version and the pinned library versions, so a second build of unchanged sources reads
JSON from disk instead of running solc.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

from corridor.errors import CompilationError, ToolchainError
from corridor.toolchain import BUILD_CACHE_DIR, CONTRACTS_DIR, NODE_MODULES, REPO_ROOT, solc_shim

logger = logging.getLogger(__name__)

SOURCES_DIR = CONTRACTS_DIR / "src"
CACHE_DIR = BUILD_CACHE_DIR
# Kept in step with contracts/foundry.toml so both compile paths produce the same bytecode.
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "viaIR": True,
    "metadata": {"bytecodeHash": "none"},
    "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}
_LIBRARIES = ("@openzeppelin/contracts", "solc")


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@dataclass(frozen=True)
class BuildResult:
    """Every contract under ``contracts/src`` by name, and whether solc actually ran."""

    artifacts: dict[str, Artifact]
    cache_key: str
    compiled: bool

    def __getitem__(self, name: str) -> Artifact:
        return self.artifacts[name]

    def all_abis(self) -> list[list[dict[str, Any]]]:
        return [artifact.abi for artifact in self.artifacts.values()]


MOCKS_DIR = CONTRACTS_DIR / "test" / "mocks"


def _sources(*sources_dirs: Path) -> dict[str, str]:
    return {
        path.relative_to(REPO_ROOT).as_posix(): path.read_text(encoding="utf-8")
        for sources_dir in sources_dirs
        for path in sorted(sources_dir.rglob("*.sol"))
    }


def _library_versions() -> dict[str, str]:
    versions = {}
    for package in _LIBRARIES:
        manifest = NODE_MODULES / package / "package.json"
        if not manifest.is_file():
            raise ToolchainError(tool=package, reason="not installed; run `npm ci`")
        versions[package] = json.loads(manifest.read_text())["version"]
    return versions


def cache_key(sources: dict[str, str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(COMPILER_SETTINGS, sort_keys=True).encode())
    digest.update(json.dumps(_library_versions(), sort_keys=True).encode())
    for path, text in sources.items():
        digest.update(path.encode() + b"\0" + hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()[:32]


def build(
    sources_dir: Path = SOURCES_DIR, cache_dir: Path = CACHE_DIR, *, extra_dirs: tuple[Path, ...] = ()
) -> BuildResult:
    """Compiles the contracts (plus ``extra_dirs``, e.g. the test mocks a benchmark deploys), or
    returns the cached artifacts when nothing changed."""
    sources = _sources(sources_dir, *extra_dirs)
    key = cache_key(sources)
    cached = cache_dir / f"{key}.json"
    if cached.is_file():
        logger.debug("artifacts cache hit key=%s", key)
        return BuildResult(artifacts=_load(cached), cache_key=key, compiled=False)
    artifacts = _compile(sources)
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(".tmp")
    temporary.write_text(json.dumps({name: vars(a) for name, a in artifacts.items()}))
    temporary.replace(cached)  # atomic: a concurrent reader sees the whole file or none
    logger.info("compiled %d contracts key=%s", len(artifacts), key)
    return BuildResult(artifacts=artifacts, cache_key=key, compiled=True)


def _compile(sources: dict[str, str]) -> dict[str, Artifact]:
    standard_input = {
        "language": "Solidity",
        "sources": {path: {"content": text} for path, text in sources.items()},
        "settings": COMPILER_SETTINGS,
    }
    try:
        output = solcx.compile_standard(
            standard_input, solc_binary=solc_shim(), base_path=str(REPO_ROOT), allow_paths=[str(REPO_ROOT)]
        )
    except solcx.exceptions.SolcError as exc:
        raise CompilationError(messages=[str(exc)]) from exc
    errors = [e["formattedMessage"] for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise CompilationError(messages=errors)
    artifacts: dict[str, Artifact] = {}
    for path, contracts in output["contracts"].items():
        if path not in sources:  # libraries pulled in by import (OpenZeppelin) are not ours to deploy
            continue
        for name, compiled in contracts.items():
            bytecode = compiled["evm"]["bytecode"]["object"]
            artifacts[name] = Artifact(name=name, abi=compiled["abi"], bytecode=bytecode)
    return artifacts


def _load(path: Path) -> dict[str, Artifact]:
    return {name: Artifact(**fields) for name, fields in json.loads(path.read_text()).items()}
