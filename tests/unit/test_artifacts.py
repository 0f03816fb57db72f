"""The Python build path compiles through py-solc-x and the shim, and caches by content hash."""

from __future__ import annotations

import shutil
from pathlib import Path

from corridor.artifacts import SOURCES_DIR, build, cache_key
from corridor.toolchain import CONTRACTS_DIR


def test_second_build_of_unchanged_sources_does_not_recompile(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = build(cache_dir=cache)
    second = build(cache_dir=cache)
    assert first.compiled is True
    assert second.compiled is False
    assert second.cache_key == first.cache_key
    assert second["SettlementToken"].bytecode == first["SettlementToken"].bytecode
    assert {"ParticipantRegistry", "SettlementToken"} <= set(first.artifacts)


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
    assert 'bytecode_hash = "none"' in toml
