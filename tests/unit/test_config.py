"""corridor.toml loading: defaults, environment overrides, and refusals that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from corridor.config import DEFAULT_CONFIG_PATH, EMERGING_LIMITS, G10_LIMITS, PairLimits, load_settings
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
        ("interpreter_switch_ms = 5.0", "interpreter_switch_ms = 0", "bridge.interpreter_switch_ms", "greater than or equal"),
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


# ─── oracle pairs and their limits ───────────────────────────────────────────────────────


def test_shipped_oracle_pairs_and_tier_defaults() -> None:
    oracle = load_settings().oracle
    assert oracle.pairs == ["CNY", "HKD", "THB", "CHF"]  # CHF: an oracle pair, not a settlement currency
    assert oracle.limits_for("CHF") == G10_LIMITS == PairLimits(max_age_hours=26, dispersion_bps=50, breaker_bps=500)
    assert oracle.limits_for("cny") == EMERGING_LIMITS == PairLimits(max_age_hours=26, dispersion_bps=100, breaker_bps=1000)
    assert oracle.limits_for("HKD") == EMERGING_LIMITS
    assert oracle.pair_id("CHF") == "EURCHF"


@pytest.mark.parametrize("value", ["CNY,HKD,THB,GBP", " cny , hkd,THB ,gbp ", '["CNY","HKD","THB","GBP"]', '["cny", "hkd", "thb", "gbp"]'])
def test_pair_list_from_the_environment_as_csv_or_json(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CORRIDOR_ORACLE__PAIRS", value)
    assert load_settings().oracle.pairs == ["CNY", "HKD", "THB", "GBP"]


@pytest.mark.parametrize(("value", "key", "reason"), [
    ("CNY,HKD,THB,CNY", "oracle.pairs", "listed more than once: CNY"),
    ('["CNY", "HKD",', "oracle.pairs", "not a JSON list"),
    ("CNY,HKD,THB,EURO", "oracle.pairs.3", "ISO 4217"),
    ("CNY;HKD;THB", "oracle.pairs.0", "ISO 4217"),
    ("CNY,HKD", "oracle.pairs", "THB is a configured currency but EUR/THB is not published"),
    ("CNY,HKD,THB,EUR", "oracle.pairs", "EUR is the base currency"),
    ('{"CNY": 1}', "oracle.pairs.0", "ISO 4217"),
])  # fmt: skip
def test_bad_pair_list_names_the_key(monkeypatch: pytest.MonkeyPatch, value: str, key: str, reason: str) -> None:
    monkeypatch.setenv("CORRIDOR_ORACLE__PAIRS", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert key in caught.value.problems, caught.value.problems
    assert reason in caught.value.problems[key]


def test_per_pair_limits_in_the_file_over_the_tier(tmp_path: Path) -> None:
    path = _default_with(tmp_path, 'pairs = ["CNY", "HKD", "THB", "CHF"]', 'pairs = ["CNY", "HKD", "THB", "CHF", "TRY", "GBP"]')
    text = path.read_text().replace("# [oracle.limits.EURCHF]", "[oracle.limits.eurchf]\nbreaker_bps = 300\n\n[oracle.limits.EURTRY]\n"
                                    "breaker_bps = 2000\nmax_age_hours = 50\n#")  # fmt: skip
    path.write_text(text)
    oracle = load_settings(path).oracle
    assert oracle.limits_for("CHF") == PairLimits(max_age_hours=26, dispersion_bps=50, breaker_bps=300)
    assert oracle.limits_for("TRY") == PairLimits(max_age_hours=50, dispersion_bps=100, breaker_bps=2000)
    assert oracle.limits_for("GBP") == G10_LIMITS


def test_per_pair_limits_and_tiers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_ORACLE__PAIRS", "CNY,HKD,THB,GBP")
    monkeypatch.setenv("CORRIDOR_ORACLE__LIMITS__EURGBP__BREAKER_BPS", "250")
    monkeypatch.setenv("CORRIDOR_ORACLE__EMERGING__DISPERSION_BPS", "150")
    oracle = load_settings().oracle
    assert oracle.limits_for("GBP") == PairLimits(max_age_hours=26, dispersion_bps=50, breaker_bps=250)
    assert oracle.limits_for("THB") == PairLimits(max_age_hours=26, dispersion_bps=150, breaker_bps=1000)


@pytest.mark.parametrize(("env", "value", "key", "reason"), [
    ("CORRIDOR_ORACLE__LIMITS__EURCHF__BREAKER_BPS", "0", "oracle.limits.EURCHF.breaker_bps", "greater than or equal to 1"),
    ("CORRIDOR_ORACLE__LIMITS__EURCHF__BREAKER_BPS", "lots", "oracle.limits.EURCHF.breaker_bps", "valid integer"),
    ("CORRIDOR_ORACLE__LIMITS__EURCHF__MAXAGE", "3", "oracle.limits.EURCHF.maxage", "unknown key"),
    ("CORRIDOR_ORACLE__LIMITS__EURGBP__BREAKER_BPS", "300", "oracle.limits.EURGBP", "GBP is not in oracle.pairs"),
    ("CORRIDOR_ORACLE__LIMITS__USDCHF__BREAKER_BPS", "300", "oracle.limits.USDCHF", "quoted against the base currency EUR"),
    ("CORRIDOR_ORACLE__LIMITS__CHF__BREAKER_BPS", "300", "oracle.limits.CHF", "e.g. EURCHF"),
    ("CORRIDOR_ORACLE__G10__MAX_AGE_HOURS", "0", "oracle.g10.max_age_hours", "greater than or equal to 1"),
    ("CORRIDOR_ORACLE__G10", "wide", "oracle.g10", "PairLimits"),
    ("CORRIDOR_ORACLE__LIMITS", "[1, 2]", "oracle.limits", "valid dictionary"),
    ("CORRIDOR_ORACLE__BREAKER_BPS", "300", "oracle.breaker_bps", "[oracle.limits.<PAIR>]"),
    ("CORRIDOR_ORACLE__HOLIDAY_YEARS", "[2014, 2027]", "oracle.holiday_years", "computed"),
    ("CORRIDOR_PARTICIPANTS__YANGTZE__OPENING_BALANCES", "lots", "participants.yangtze.opening_balances", "valid dictionary"),
])  # fmt: skip
def test_bad_oracle_override_names_the_key(monkeypatch: pytest.MonkeyPatch, env: str, value: str, key: str, reason: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert key in caught.value.problems, caught.value.problems
    assert reason in caught.value.problems[key]


def test_bad_pair_list_from_the_command_line_is_one_clean_message() -> None:
    import os
    import subprocess
    import sys

    from corridor.toolchain import REPO_ROOT

    result = subprocess.run([sys.executable, "-m", "apps.cli", "oracle", "replay", "--from", "2015-01-12", "--to", "2015-01-12"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CORRIDOR_ORACLE__PAIRS": "CNY,HKD,THB,GBP,GBP"})  # fmt: skip
    assert result.returncode == 2
    assert "oracle.pairs: listed more than once: GBP" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


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
