"""corridor.toml loading: defaults, environment overrides, and refusals that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.config import DEFAULT_CONFIG_PATH, load_settings
from corridor.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corridor.toml"
    path.write_text(text)
    return path


def _default_with(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_CONFIG_PATH.read_text()
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1))


def test_shipped_defaults_match_the_design() -> None:
    settings = load_settings()
    assert set(settings.ledgers) == {"A", "B"}
    assert settings.ledgers["A"].chain_id != settings.ledgers["B"].chain_id
    assert settings.currencies_on("A") == ["CNY", "HKD"]
    assert settings.currencies_on("B") == ["THB"]
    assert len(settings.banks) == 4
    assert (settings.oracle.reporters, settings.oracle.quorum) == (4, 3)
    assert all(ledger.embedded for ledger in settings.ledgers.values())


def test_environment_overrides_a_nested_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_LEDGERS__A__RPC", "http://10.0.0.5:8545")
    monkeypatch.setenv("CORRIDOR_ORACLE__QUORUM", "4")
    settings = load_settings()
    assert settings.ledgers["A"].rpc == "http://10.0.0.5:8545"
    assert not settings.ledgers["A"].embedded
    assert settings.ledgers["A"].chain_id == 48801  # the rest of the section is kept
    assert settings.oracle.quorum == 4


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _default_with(tmp_path, "chain_id = 48801", "chain_id = 777")
    monkeypatch.setenv("CORRIDOR_CONFIG", str(path))
    assert load_settings().ledgers["A"].chain_id == 777


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("chain_id = 48801", 'chain_id = "A"', "ledgers.A.chain_id", "valid integer"),
        ("chain_id = 48802", "chain_id = 48801", "ledgers.B.chain_id", "also ledger A"),
        ('rpc = "embedded"', 'rpc = "ftp://x"', "ledgers.A", "http(s) URL"),
        ("block_time = 0", "block_time = 0\nblocktime = 1", "ledgers.A.blocktime", "unknown key"),
        ('ledger = "B"', 'ledger = "C"', "currencies.THB.ledger", "unknown ledger"),
        ('issuer = "bot"', 'issuer = "yangtze"', "currencies.THB.issuer", "not a central_bank"),
        ('bic = "PBOCCNBJ"', 'bic = "pboc"', "participants.pboc.bic", "not a valid BIC"),
        ('jurisdiction = "HK"', 'jurisdiction = "HKG"', "participants.hkma.jurisdiction", "country code"),
        ("quorum = 3", "quorum = 5", "oracle", "exceeds"),
        ("quorum = 3", "quorum = 2", "oracle", "majority"),
        ("decimals = 2", "decimals = -1", "currencies.CNY.decimals", "greater than or equal"),
        ("CNY = 50_000_000_00, HKD", "XYZ = 1, HKD", "participants.yangtze.opening_balances.XYZ", "unknown currency"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, old: str, new: str, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_default_with(tmp_path, old, new))
    assert key in caught.value.problems, caught.value.problems
    assert reason in caught.value.problems[key]
    assert key in str(caught.value)


def test_syntax_error_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_write(tmp_path, "[ledgers.A\n"))
    assert "(syntax)" in caught.value.problems


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "absent.toml")
    assert caught.value.problems == {"(file)": "not found"}


def test_bad_environment_override_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_LEDGERS__B__CONFIRMATIONS", "zero")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "ledgers.B.confirmations" in caught.value.problems


def test_governance_delay_and_crosses_default_and_bounds(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.governance.delay_seconds == 2 * 86_400
    assert settings.cross_pairs() == [("CNY", "HKD"), ("CNY", "THB"), ("HKD", "THB")]
    for old, new, key, reason in (
        ("delay_seconds = 172800", "delay_seconds = 3600", "governance.delay_seconds", "greater than or equal"),
        ("delay_seconds = 172800", "delay_seconds = 2678400", "governance.delay_seconds", "less than or equal"),
        ("quorum = 3", "quorum = 1", "oracle.quorum", "greater than or equal"),
    ):
        with pytest.raises(ConfigError) as caught:
            load_settings(_default_with(tmp_path, old, new))
        assert reason in caught.value.problems[key], caught.value.problems
