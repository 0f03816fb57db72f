"""Signing in to the console and its sessions, on a real (SQLite) store: one-time challenges, sessions
that end on logout, when idle and at their lifetime, cookies stored only as hashes, the signature and
origin checks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy import select

from bridge.api.sessions import Signer, challenge_message, same_origin, verify_signature
from bridge.errors import Unauthenticated
from bridge.store.db import WebSessionRow, make_engine, migrate, session_factory
from bridge.store.web_sessions import WebSessionRepository, token_hash

KEY = Account.from_key("0x" + "11" * 32)
OTHER = Account.from_key("0x" + "22" * 32)
SIGNER = Signer("regulator", "Regulator", KEY.address)


@pytest.fixture()
def store(tmp_path: Path) -> WebSessionRepository:
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    migrate(url)
    return WebSessionRepository(session_factory(make_engine(url)), idle=timedelta(minutes=30), lifetime=timedelta(hours=8),
                                challenge_ttl=timedelta(minutes=5))  # fmt: skip


def _message(challenge_id: str, nonce: str, issued: object, expires: object) -> str:
    return challenge_message(host="127.0.0.1:8600", base_url="http://127.0.0.1:8600", signer=SIGNER, chain_id=48801,
                             challenge_id=challenge_id, nonce=nonce, issued=issued, expires=expires, max_hours=8)  # type: ignore[arg-type]


def _sign(account: object, message: str) -> str:
    return "0x" + bytes(account.sign_message(encode_defunct(text=message)).signature).hex()  # type: ignore[attr-defined]


def test_the_challenge_reads_like_sign_in_with_ethereum_and_names_what_it_allows(store: WebSessionRepository) -> None:
    challenge = store.new_challenge("regulator", _message)
    assert challenge is not None
    lines = challenge.message.splitlines()
    assert lines[0] == "127.0.0.1:8600 wants you to sign in with your Ethereum account:" and lines[1] == KEY.address
    assert "authorises no transaction and moves no funds" in challenge.message
    assert f"Request ID: {challenge.id}" in challenge.message and "Chain ID: 48801" in challenge.message and "Nonce: " in challenge.message


def test_a_challenge_signs_in_once(store: WebSessionRepository) -> None:
    challenge = store.new_challenge("regulator", _message)
    assert challenge is not None
    verify_signature(challenge.message, _sign(KEY, challenge.message), KEY.address)
    assert store.use_challenge(challenge.id) is True
    assert store.use_challenge(challenge.id) is False and store.challenge(challenge.id) is None


def test_a_signature_by_another_key_or_not_canonical_is_refused(store: WebSessionRepository) -> None:
    challenge = store.new_challenge("regulator", _message)
    assert challenge is not None
    with pytest.raises(Unauthenticated):
        verify_signature(challenge.message, _sign(OTHER, challenge.message), KEY.address)
    good = _sign(KEY, challenge.message)
    with pytest.raises(Unauthenticated):
        verify_signature(challenge.message, good[2:], KEY.address)  # no 0x
    with pytest.raises(Unauthenticated):
        verify_signature(challenge.message + " ", good, KEY.address)  # another text


def test_sessions_end_on_logout_when_idle_and_at_their_lifetime(store: WebSessionRepository) -> None:
    token, session = store.open("regulator", KEY.address, "c1")
    assert store.get(token) == session or store.get(token) is not None
    with store._sessions() as db:  # only the hash of the cookie is kept
        assert db.get(WebSessionRow, token_hash(token)) is not None
        assert token not in {row.id_hash for row in db.scalars(select(WebSessionRow))}
    assert store.end(token) is True and store.get(token) is None
    token, _ = store.open("regulator", KEY.address, "c2")
    store.idle = timedelta(seconds=0)
    assert store.get(token) is None  # idle too long
    store.idle = timedelta(minutes=30)
    assert store.get(token) is not None
    store.expire(token)
    assert store.get(token) is None  # past its lifetime
    assert store.get("") is None and store.get("not-a-session") is None


def test_a_state_change_must_come_from_a_page_of_this_bridge() -> None:
    def request(**headers: str) -> object:
        return SimpleNamespace(headers={k.lower(): v for k, v in headers.items()}, url=SimpleNamespace(scheme="http", netloc="127.0.0.1:8600"))

    assert same_origin(request(Origin="http://127.0.0.1:8600"))  # type: ignore[arg-type]
    assert same_origin(request(Referer="http://127.0.0.1:8600/console/actions"))  # type: ignore[arg-type]
    assert not same_origin(request(Origin="http://evil.example"))  # type: ignore[arg-type]
    assert not same_origin(request(Origin="http://127.0.0.1:8601"))  # type: ignore[arg-type]
    assert not same_origin(request(Origin="null"))  # type: ignore[arg-type]
    assert not same_origin(request())  # type: ignore[arg-type]
