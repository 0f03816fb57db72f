"""Role keys: who signs what. Development keys derive from the configured mnemonic (as anvil's
accounts do); any role can be given an explicit key instead, which is how real networks run.

Fixed roles come first, then the reporters, then every participant in configuration order, so
a role's development key never changes while the configuration keeps its order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from corridor.config import Settings
from corridor.errors import ConfigError

OPERATOR = "operator"
RELAYER = "relayer"
REGULATOR = "regulator"
FIXED_ROLES = (OPERATOR, RELAYER, REGULATOR)

Account.enable_unaudited_hdwallet_features()


@cache
def _derive(mnemonic: str, index: int) -> LocalAccount:
    return Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")


@cache
def _from_key(private_key: str) -> LocalAccount:
    """Like :func:`_derive`, once per key: every signed request resolves its participant's address."""
    return Account.from_key(private_key)


def reporter_role(index: int) -> str:
    """Name of the ``index``-th oracle reporter role (1-based)."""
    return f"reporter{index}"


@dataclass(frozen=True)
class KeyRing:
    """Resolves role names (``operator``, ``reporter1``, ``yangtze``…) to local signing accounts."""

    settings: Settings

    @property
    def roles(self) -> list[str]:
        reporters = [reporter_role(i) for i in range(1, self.settings.oracle.reporters + 1)]
        return [*FIXED_ROLES, *reporters, *self.settings.participants]

    def account(self, role: str) -> LocalAccount:
        role = role.lower()
        if role not in self.roles:
            raise ConfigError(source="keys", problems={f"keys.{role}": "no such role"})
        explicit = {name.lower(): key for name, key in self.settings.keys.private_keys.items()}
        if role in explicit:
            try:
                return _from_key(explicit[role].get_secret_value())
            except ValueError as exc:
                raise ConfigError(
                    source="keys", problems={f"keys.private_keys.{role}": "not a valid private key"}
                ) from exc
        if self.settings.keys.mnemonic is None:
            raise ConfigError(
                source="keys", problems={f"keys.private_keys.{role}": "no key and no development mnemonic"}
            )
        return _derive(self.settings.keys.mnemonic.get_secret_value(), self.roles.index(role))

    def address(self, role: str) -> str:
        return self.account(role).address

    def reporters(self) -> list[LocalAccount]:
        return [self.account(reporter_role(i)) for i in range(1, self.settings.oracle.reporters + 1)]
