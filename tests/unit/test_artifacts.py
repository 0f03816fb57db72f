"""The Python build path compiles through py-solc-x and the shim, and caches by content hash."""

from __future__ import annotations

import shutil
from pathlib import Path

from corridor.artifacts import SOURCES_DIR, build, cache_key
from corridor.toolchain import CONTRACTS_DIR, REPO_ROOT


def _small_project(tmp_path: Path) -> Path:
    """A one-contract source tree inside the repository (sources are keyed by repo-relative path)."""
    sources = REPO_ROOT / ".corridor" / "test-sources" / tmp_path.name / "src"
    sources.mkdir(parents=True, exist_ok=True)
    (sources / "Counter.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.30;\n"
        "contract Counter { uint256 public count; function increment() external { ++count; } }\n"
    )
    return sources


def test_second_build_of_unchanged_sources_does_not_recompile(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    sources = _small_project(tmp_path)
    first = build(sources, cache_dir=cache)
    second = build(sources, cache_dir=cache)
    assert first.compiled is True
    assert second.compiled is False
    assert second.cache_key == first.cache_key
    assert second["Counter"].bytecode == first["Counter"].bytecode
    (sources / "Counter.sol").write_text((sources / "Counter.sol").read_text() + "// touched\n")
    assert build(sources, cache_dir=cache).compiled is True


def test_project_build_has_every_contract() -> None:
    result = build()
    assert {"ParticipantRegistry", "SettlementToken", "PvPEscrow", "HashedTimelockEscrow", "FxOracle"} <= set(result.artifacts)
    assert all(result[name].bytecode for name in ("PvPEscrow", "HashedTimelockEscrow", "FxOracle"))


def test_changed_source_changes_the_cache_key(tmp_path: Path) -> None:
    sources = tmp_path / "contracts" / "src"
    shutil.copytree(SOURCES_DIR, sources)
    original = cache_key({p.as_posix(): p.read_text() for p in sorted(sources.rglob("*.sol"))})
    token = sources / "tokens" / "SettlementToken.sol"
    token.write_text(token.read_text() + "\n// touched\n")
    changed = cache_key({p.as_posix(): p.read_text() for p in sorted(sources.rglob("*.sol"))})
    assert changed != original


def test_artifacts_match_forge_settings() -> None:
    """foundry.toml and the Python path must agree, or the two would deploy different bytecode."""
    toml = (CONTRACTS_DIR / "foundry.toml").read_text()
    assert 'evm_version = "cancun"' in toml
    assert "optimizer_runs = 200" in toml
    assert "via_ir = true" in toml
    assert 'bytecode_hash = "none"' in toml
