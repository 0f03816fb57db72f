"""Corridor configuration: one TOML file (``corridor.toml``) with environment overrides.

Environment variables override any key: ``CORRIDOR_`` + the dotted path joined by ``__``, e.g.
``CORRIDOR_LEDGERS__A__RPC=http://node:8545``. A list takes a JSON array or comma-separated values
(``CORRIDOR_ORACLE__PAIRS=CNY,HKD,THB``). Names of ledgers, currencies, oracle pairs and participants
are case-insensitive (ledgers, currencies and pairs are shown upper-case, participants lower-case).
A bad file or override raises :class:`ConfigError` naming every offending key, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from corridor.errors import ConfigError
from corridor.toolchain import REPO_ROOT

DEFAULT_CONFIG_PATH = REPO_ROOT / "corridor.toml"
EMBEDDED = "embedded"
MAX_ORACLE_CROSSES = 16  # FxOracle.MAX_CROSSES

_BIC = re.compile(r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_HTTP_URL = TypeAdapter(AnyHttpUrl)


def _check(pattern: re.Pattern[str], what: str) -> Any:
    def validate(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"not a valid {what}: {value!r}")
        return value

    return AfterValidator(validate)


Bic = Annotated[str, _check(_BIC, "BIC (8 or 11 characters A-Z0-9)")]
Country = Annotated[str, _check(_COUNTRY, "ISO 3166-1 alpha-2 country code")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LedgerConfig(_Strict):
    """One EVM chain: embedded (an anvil the launcher starts) or external (an RPC URL)."""

    chain_id: Annotated[int, Field(gt=0, lt=2**53)]
    rpc: str = EMBEDDED
    block_time: Annotated[int, Field(ge=0, le=60)] = 0
    confirmations: Annotated[int, Field(ge=1, le=64)] = 1
    port: Annotated[int, Field(ge=0, le=65535)] = 0  # embedded only; 0 = pick a free port

    @model_validator(mode="after")
    def _rpc_is_embedded_or_url(self) -> LedgerConfig:
        if self.rpc != EMBEDDED:
            try:
                _HTTP_URL.validate_python(self.rpc)
            except ValidationError as exc:
                raise ValueError(f"rpc must be {EMBEDDED!r} or an http(s) URL, got {self.rpc!r}") from exc
        return self

    @property
    def embedded(self) -> bool:
        return self.rpc == EMBEDDED


class CurrencyConfig(_Strict):
    """A permissioned settlement token with a home ledger and an issuer."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    decimals: Annotated[int, Field(ge=0, le=18)]
    ledger: str
    issuer: str


class ParticipantConfig(_Strict):
    """A bank or central bank that holds settlement tokens."""

    name: Annotated[str, Field(min_length=1, max_length=128)]
    bic: Bic
    jurisdiction: Country
    kind: Literal["bank", "central_bank"] = "bank"
    opening_balances: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)


CurrencyCode = Annotated[str, _check(_CURRENCY, "ISO 4217 currency code")]

# The G10 currencies (besides the euro) get the narrow default limits; every other currency (the
# emerging markets, and small open economies such as DKK, HKD or SGD) the wider ones.
G10 = frozenset({"USD", "JPY", "GBP", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "EUR"})


def _code_list(value: Any) -> Any:
    """A list of currency codes from a TOML array, a JSON array (``'["GBP","JPY"]'``) or a
    comma-separated string (``GBP,JPY``), upper-cased; anything else is left for the type check."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list of currency codes: {text!r} ({exc.msg})") from exc
        else:
            value = [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        codes = [code.strip().upper() if isinstance(code, str) else code for code in value]
        repeated = sorted({code for code in codes if isinstance(code, str) and codes.count(code) > 1})
        if repeated:
            raise ValueError(f"listed more than once: {', '.join(repeated)}")
        return codes
    return value


CurrencyList = Annotated[list[CurrencyCode], NoDecode, BeforeValidator(_code_list)]


class PairLimits(_Strict):
    """How the oracle guards one pair, on every ledger: how long a fixing stays usable, how far
    reporters may disagree, and what jump halts the pair."""

    max_age_hours: Annotated[int, Field(ge=1, le=24 * 14)]  # open-market hours (weekends, TARGET holidays don't count)
    dispersion_bps: Annotated[int, Field(ge=0, le=10_000)]  # widest accepted spread between reporters
    breaker_bps: Annotated[int, Field(ge=1, le=10_000)]  # a jump beyond this versus the last round halts the pair


class PairOverride(_Strict):
    """``[oracle.limits.<PAIR>]``: any of a pair's limits, over its tier's defaults."""

    max_age_hours: Annotated[int, Field(ge=1, le=24 * 14)] | None = None
    dispersion_bps: Annotated[int, Field(ge=0, le=10_000)] | None = None
    breaker_bps: Annotated[int, Field(ge=1, le=10_000)] | None = None


G10_LIMITS = PairLimits(max_age_hours=26, dispersion_bps=50, breaker_bps=500)
EMERGING_LIMITS = PairLimits(max_age_hours=26, dispersion_bps=100, breaker_bps=1000)
# keys of earlier versions, refused with where their setting lives now
_MOVED_KEYS = {
    **{f"oracle.{key}": "moved: set it per tier in [oracle.g10] / [oracle.emerging], or per pair in "
                        "[oracle.limits.<PAIR>] (e.g. [oracle.limits.EURCHF])" for key in PairLimits.model_fields},
    "oracle.holiday_years": "no longer needed: the TARGET calendar is computed for the years the network needs",
}  # fmt: skip


class OracleConfig(_Strict):
    """FX oracle: reporters and quorum, the pairs published against the base currency and each
    pair's limits (staleness, dispersion, breaker), and the quotes it signs."""

    reporters: Annotated[int, Field(ge=2, le=32)] = 4
    quorum: Annotated[int, Field(ge=2, le=32)] = 3  # the oracle refuses a quorum of 1: no reporter publishes alone
    base_currency: CurrencyCode = "EUR"
    pairs: CurrencyList = Field(default_factory=lambda: ["CNY", "HKD", "THB"])
    g10: PairLimits = G10_LIMITS
    emerging: PairLimits = EMERGING_LIMITS
    limits: dict[str, PairOverride] = Field(default_factory=dict)
    quote_validity_seconds: Annotated[int, Field(ge=5, le=3600)] = 120
    quote_spread_bps: Annotated[int, Field(ge=0, le=1000)] = 5

    @model_validator(mode="before")
    @classmethod
    def _normalise_pair_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("limits"), dict):
            data = {**data, "limits": _merge_by_name(data["limits"], str.upper)}
        return data

    @model_validator(mode="after")
    def _quorum_fits(self) -> OracleConfig:
        if self.quorum > self.reporters:
            raise ValueError(f"quorum ({self.quorum}) exceeds the number of reporters ({self.reporters})")
        if self.quorum * 2 <= self.reporters:
            raise ValueError(f"quorum ({self.quorum}) must be a majority of {self.reporters} reporters")
        return self

    def pair_id(self, code: str) -> str:
        """``EURCHF`` for ``CHF``."""
        return f"{self.base_currency}{code.upper()}"

    def limits_for(self, code: str) -> PairLimits:
        """The limits of ``base/code``: its tier's defaults with its ``[oracle.limits.<PAIR>]`` on top."""
        tier = self.g10 if code.upper() in G10 else self.emerging
        override = self.limits.get(self.pair_id(code))
        if override is None:
            return tier
        return tier.model_copy(update=override.model_dump(exclude_none=True))

    def problems(self) -> dict[str, str]:
        """Pairs that cannot be published, by dotted key."""
        problems: dict[str, str] = {}
        if self.base_currency in self.pairs:
            problems["oracle.pairs"] = f"{self.base_currency} is the base currency; list the currencies quoted against it"
        published = {self.pair_id(code) for code in self.pairs}
        for name in self.limits:
            if not re.fullmatch(r"[A-Z]{6}", name):
                problems[f"oracle.limits.{name}"] = f"name a pair as base and quote, e.g. {self.base_currency}CHF"
            elif not name.startswith(self.base_currency):
                problems[f"oracle.limits.{name}"] = f"pairs are quoted against the base currency {self.base_currency}"
            elif name not in published:
                problems[f"oracle.limits.{name}"] = f"{name[3:]} is not in oracle.pairs"
        return problems


class GovernanceConfig(_Strict):
    """Changes no single party may make alone: the operator proposes changes to the oracle reporter set
    and quorum, and they take effect only after this delay, unless the regulator vetoes them. Fixed at
    deployment (the contracts accept 1 to 30 days); leave the regulator time to react across a weekend."""

    delay_seconds: Annotated[int, Field(ge=86_400, le=30 * 86_400)] = 2 * 86_400


class SettlementConfig(_Strict):
    """Settlement contract parameters."""

    htlc_max_lock_seconds: Annotated[int, Field(ge=60, le=30 * 86400)] = 2 * 86400


class BridgeConfig(_Strict):
    """The bridge service: where it listens and where it persists (SQLite file or PostgreSQL URL)."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8600
    database_url: str = "sqlite:///.corridor/bridge.db"
    max_swap_amount: Annotated[int, Field(gt=0)] = 10**15
    expiry_margin_seconds: Annotated[int, Field(ge=0)] = 600
    max_batch_swaps: Annotated[int, Field(ge=1, le=500)] = 100  # swaps per batch transaction (a 100-swap batch: ~5M gas)
    rpc_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 5.0  # any one ledger call; a timeout opens its circuit
    probe_interval_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0  # ledger and database probes (health, breakers)
    reconcile_interval_seconds: Annotated[float, Field(gt=0, le=86400)] = 30.0  # journal compared with the chains
    # How often a busy thread of the bridge hands Python's interpreter lock to a waiting one (Python's own
    # default: 5 ms). A thread that waits on the database or a ledger gives the lock up, and takes it back
    # only at the next hand-over.
    interpreter_switch_ms: Annotated[float, Field(ge=0.1, le=100)] = 5.0


STUCK_SECONDS = {"proposed": 1800, "accepted": 120, "settling": 120, "locking_a": 120, "locked_a": 300, "locking_b": 120,
                 "locked_b": 1800, "claiming_b": 120, "claiming_a": 120}  # fmt: skip


class AlertsConfig(_Strict):
    """The supervisor's alerts beyond the bridge's own exceptions: what each check watches for, how
    often it looks, and where a new alert is POSTed (optional)."""

    interval_seconds: Annotated[float, Field(gt=0, le=3600)] = 2.0  # how often the conditions are checked
    webhook_url: str | None = None  # each alert raised, resolved or acknowledged is POSTed here as JSON
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 2.0
    # a swap in one state longer than this (seconds) is stuck; a state not named is never judged stuck
    # (``refunding`` waits for an expiry by design; "lock nearing expiry" watches that)
    stuck_seconds: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=lambda: dict(STUCK_SECONDS))
    lock_expiry_warning_seconds: Annotated[int, Field(ge=1)] = 900  # a lock without its counterpart this close to expiry
    ledger_lag_seconds: Annotated[float, Field(gt=0)] = 30.0  # head older than this while blocks are due: lagging
    worker_stall_seconds: Annotated[float, Field(gt=0)] = 10.0  # a lane without a successful pass for this long: stalled
    net_debit_share: Annotated[float, Field(gt=0, le=1)] = 0.5  # a bank's net debit since the day opened, over its opening balance

    @model_validator(mode="after")
    def _known_states(self) -> AlertsConfig:
        unknown = sorted(set(self.stuck_seconds) - set(STUCK_SECONDS) - {"refunding"})
        if unknown:
            raise ValueError(f"stuck_seconds names states that do not wait: {', '.join(unknown)}")
        if self.webhook_url is not None:
            _HTTP_URL.validate_python(self.webhook_url)
        return self


class ConsoleConfig(_Strict):
    """The supervision console served by the bridge at /console: sessions and how fresh its figures are."""

    session_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 30  # a session ends after this long without a request
    session_max_hours: Annotated[int, Field(ge=1, le=24)] = 8  # …and this long after sign-in, whatever
    challenge_seconds: Annotated[int, Field(ge=30, le=3600)] = 300  # a sign-in challenge must be signed within this
    # the origin a sign-in challenge names (scheme://host[:port], as users reach the bridge, e.g. behind a
    # TLS proxy); unset: the address the bridge accepted the connection on (never the request's Host header)
    public_url: Annotated[str | None, Field(pattern=r"^https?://[^/?#\s]+$")] = None
    # the supervision model behind the console's figures is rebuilt after a change at most this often, and
    # never spends more than model_cpu_share of the time rebuilding (a longer build waits longer)
    model_refresh_seconds: Annotated[float, Field(gt=0, le=3600)] = 2.0
    model_cpu_share: Annotated[float, Field(gt=0, le=1)] = 0.05
    model_process: bool = True  # rebuild it in a low-priority process of its own (False: a thread of the bridge's)


class KeysConfig(_Strict):
    """Where role keys come from: a development mnemonic, overridden per role by explicit keys."""

    mnemonic: SecretStr | None = None
    private_keys: dict[str, SecretStr] = Field(default_factory=dict)


class Settings(BaseSettings):
    """The whole network: ledgers, currencies, participants, oracle and keys."""

    model_config = SettingsConfigDict(
        env_prefix="CORRIDOR_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    ledgers: dict[str, LedgerConfig]
    currencies: dict[str, CurrencyConfig]
    participants: dict[str, ParticipantConfig]
    oracle: OracleConfig = OracleConfig()
    governance: GovernanceConfig = GovernanceConfig()
    settlement: SettlementConfig = SettlementConfig()
    bridge: BridgeConfig = BridgeConfig()
    alerts: AlertsConfig = AlertsConfig()
    console: ConsoleConfig = ConsoleConfig()
    keys: KeysConfig = KeysConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init kwargs; environment variables override it.
        return (_EnvSource(settings_cls), init_settings)

    @model_validator(mode="before")
    @classmethod
    def _normalise_names(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for section, case in (("ledgers", str.upper), ("currencies", str.upper), ("participants", str.lower)):
            if isinstance(data.get(section), dict):
                data[section] = _merge_by_name(data[section], case)
        return data

    def cross_reference_problems(self) -> dict[str, str]:
        """Problems between sections (unknown ledger, issuer, currency; shared chain ids), by dotted key."""
        problems: dict[str, str] = {}
        seen_chain_ids: dict[int, str] = {}
        for name, ledger in self.ledgers.items():
            if ledger.chain_id in seen_chain_ids:
                problems[f"ledgers.{name}.chain_id"] = (
                    f"{ledger.chain_id} is also ledger {seen_chain_ids[ledger.chain_id]}'s; "
                    "each ledger needs its own chain id or signatures replay across them"
                )
            seen_chain_ids[ledger.chain_id] = name
        for code, currency in self.currencies.items():
            if not _CURRENCY.fullmatch(code):
                problems[f"currencies.{code}"] = "currency code must be three letters (ISO 4217)"
            if currency.ledger.upper() not in self.ledgers:
                problems[f"currencies.{code}.ledger"] = f"unknown ledger {currency.ledger!r}"
            issuer = self.participants.get(currency.issuer.lower())
            if issuer is None:
                problems[f"currencies.{code}.issuer"] = f"unknown participant {currency.issuer!r}"
            elif issuer.kind != "central_bank":
                problems[f"currencies.{code}.issuer"] = f"{currency.issuer!r} is not a central_bank"
        unpriced = [code for code in self.currencies if code != self.oracle.base_currency and code not in self.oracle.pairs]
        if unpriced:
            one = len(unpriced) == 1
            problems["oracle.pairs"] = (f"{', '.join(unpriced)} {'is a configured currency' if one else 'are configured currencies'} but "
                                        f"{', '.join(f'{self.oracle.base_currency}/{c}' for c in unpriced)} {'is' if one else 'are'} not published")  # fmt: skip
        problems.update(self.oracle.problems())
        crosses = len(self.cross_pairs())
        if crosses > MAX_ORACLE_CROSSES:
            problems["currencies"] = (f"{crosses} cross rates between the settlement currencies; "
                                      f"the oracle judges at most {MAX_ORACLE_CROSSES}")  # fmt: skip
        for name, participant in self.participants.items():
            for code in participant.opening_balances:
                if code.upper() not in self.currencies:
                    problems[f"participants.{name}.opening_balances.{code}"] = f"unknown currency {code!r}"
        return problems

    # ─── lookups ─────────────────────────────────────────────────────────────────────────

    def cross_pairs(self) -> list[tuple[str, str]]:
        """Every pair of settlement currencies other than the oracle's base currency, in configuration
        order: each is configured on every ledger's oracle as a cross with its own circuit breaker."""
        codes = [code for code in self.currencies if code != self.oracle.base_currency]
        return [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]]

    def currency_ledger(self, code: str) -> str:
        return self.currencies[code.upper()].ledger.upper()

    def currencies_on(self, ledger: str) -> list[str]:
        return [code for code, c in self.currencies.items() if c.ledger.upper() == ledger.upper()]

    def issuer_of(self, code: str) -> str:
        return self.currencies[code.upper()].issuer.lower()

    @property
    def banks(self) -> list[str]:
        return [name for name, p in self.participants.items() if p.kind == "bank"]


class _EnvSource(EnvSettingsSource):
    """Environment overrides whose complex values that are not JSON reach the fields' own validators
    (a comma-separated list, or a bad value reported under its dotted key) instead of failing the
    whole source with a traceback."""

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            return value


def _merge_by_name(section: dict[str, Any], case: Any) -> dict[str, Any]:
    """Folds keys that differ only in case (TOML ``A`` and env ``a``) into one, later keys winning."""
    merged: dict[str, Any] = {}
    for key, value in section.items():
        name = case(str(key))
        if isinstance(merged.get(name), dict) and isinstance(value, dict):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return merged


def load_settings(path: Path | str | None = None) -> Settings:
    """Loads ``path`` (default: ``$CORRIDOR_CONFIG`` or the repository's ``corridor.toml``) plus overrides."""
    source = Path(path or os.environ.get("CORRIDOR_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(source=str(source), problems={"(file)": "not found"}) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source=str(source), problems={"(syntax)": str(exc)}) from exc
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise ConfigError(source=str(source), problems=_problems(exc)) from exc
    except SettingsError as exc:  # an environment override the settings sources cannot read at all
        raise ConfigError(source=str(source), problems={"(environment)": str(exc)}) from exc
    problems = settings.cross_reference_problems()
    if problems:
        raise ConfigError(source=str(source), problems=problems)
    return settings


def _problems(exc: ValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(root)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = _MOVED_KEYS.get(key, "unknown key")
        problems[key] = message
    return problems
