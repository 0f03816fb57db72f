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


def test_challenges_beyond_the_bound_retire_the_oldest_instead_of_locking_the_participant_out(store: WebSessionRepository) -> None:
    from bridge.store.web_sessions import MAX_OPEN_CHALLENGES

    first = store.new_challenge("regulator", _message)
    flood = [store.new_challenge("regulator", _message) for _ in range(MAX_OPEN_CHALLENGES + 5)]
    assert store.challenge(first.id) is None  # the oldest retired
    assert all(store.challenge(c.id) is not None for c in flood[-(MAX_OPEN_CHALLENGES - 1) :])
    mine = store.new_challenge("regulator", _message)  # never refused
    assert store.use_challenge(mine.id) is True


def test_a_check_that_is_not_the_users_activity_does_not_keep_a_session_alive(store: WebSessionRepository) -> None:
    from datetime import datetime, timezone

    from sqlalchemy import update

    token, session = store.open("regulator", KEY.address, "c3")
    earlier = datetime.now(timezone.utc) - timedelta(minutes=10)
    with store._sessions.begin() as db:
        db.execute(update(WebSessionRow).where(WebSessionRow.id_hash == session.id_hash).values(last_seen_at=earlier))
    assert store.get(token, touch=False) is not None  # an open page's stream checking the session
    with store._sessions() as db:
        assert db.get(WebSessionRow, session.id_hash).last_seen_at.replace(tzinfo=timezone.utc) == earlier
    assert store.get(token) is not None  # a request by the user
    with store._sessions() as db:
        assert db.get(WebSessionRow, session.id_hash).last_seen_at.replace(tzinfo=timezone.utc) > earlier


def _challenge_text(host: str = "127.0.0.1:8600", address: str = KEY.address, minutes: int = 5) -> str:
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    signer = Signer("regulator", "Regulator", address)
    return challenge_message(host=host, base_url=f"http://{host}", signer=signer, chain_id=48801, challenge_id="ab12", nonce="cd34",
                             issued=now, expires=now + timedelta(minutes=minutes), max_hours=8)  # fmt: skip


def test_the_sdk_signs_only_the_console_challenge_for_the_bridge_it_was_pointed_at() -> None:
    from bridge.api.auth import request_message
    from bridge.sdk.sign_in import ChallengeRefused, check_challenge

    check_challenge(_challenge_text(), "http://127.0.0.1:8600", KEY.address)
    check_challenge(_challenge_text(), "http://localhost:8600/", KEY.address)  # loopback names stand for one another
    refused = {
        "an API request": (request_message("POST", "/v1/regulator/actions", b"{}", 1, "n"), "http://127.0.0.1:8600", KEY.address),
        "another bridge's challenge": (_challenge_text("10.0.0.5:8600"), "http://127.0.0.1:8600", KEY.address),
        "another port": (_challenge_text("127.0.0.1:8601"), "http://127.0.0.1:8600", KEY.address),
        "another scheme": (_challenge_text(), "https://127.0.0.1:8600", KEY.address),
        "another account": (_challenge_text(address=OTHER.address), "http://127.0.0.1:8600", KEY.address),
        "valid too long": (_challenge_text(minutes=24 * 60), "http://127.0.0.1:8600", KEY.address),
        "expired": (_challenge_text(minutes=-1), "http://127.0.0.1:8600", KEY.address),
        "text appended": (_challenge_text() + "\nCORRIDOR-REQUEST", "http://127.0.0.1:8600", KEY.address),
    }
    for case, (message, url, address) in refused.items():
        with pytest.raises(ChallengeRefused):
            check_challenge(message, url, address)
            pytest.fail(f"signed {case}")
