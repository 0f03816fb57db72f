"""Browser sessions of the console: one-time sign-in challenges and the sessions they open. A session's
cookie is a random 256-bit token; only its SHA-256 is stored, so a copy of the database opens no
session. A session ends on logout, after ``idle`` without a request, and ``lifetime`` after sign-in
whatever. Knows SQLAlchemy; knows nothing of HTTP or keys."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import sessionmaker

from bridge.store.db import WebChallengeRow, WebSessionRow

TOUCH_EVERY = timedelta(seconds=15)  # a session's last request is written at most this often
PRUNE_EVERY_SECONDS = 60
# Per participant; a new challenge beyond it retires the oldest waiting one. The table stays bounded, and
# somebody asking for challenges in another's name cannot lock that participant out (a refusal would):
# a challenge is signed moments after it is issued, and only a flood faster than that could retire it.
MAX_OPEN_CHALLENGES = 50


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Challenge:
    id: str
    participant: str
    message: str
    expires_at: datetime


@dataclass(frozen=True)
class WebSession:
    id_hash: str
    participant: str
    address: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime  # the earlier of the idle limit (from the last request) and the lifetime

    @property
    def label(self) -> str:
        """How the audit trail names the session: its hash's first 8 digits (never the cookie)."""
        return f"console session {self.id_hash[:8]}"


class WebSessionRepository:
    def __init__(self, sessions: sessionmaker, *, idle: timedelta, lifetime: timedelta, challenge_ttl: timedelta) -> None:
        self._sessions = sessions
        self.idle, self.lifetime, self.challenge_ttl = idle, lifetime, challenge_ttl
        self._guard = threading.Lock()
        self._pruned = 0.0

    # ─── challenges ──────────────────────────────────────────────────────────────────────

    def new_challenge(self, participant: str, message_for: MessageFor) -> Challenge:
        """A fresh one-time challenge for ``participant``; ``message_for(id, nonce, issued, expires)`` writes
        the text to sign. Beyond MAX_OPEN_CHALLENGES waiting, the oldest waiting ones are retired."""
        self._prune()
        now = _now()
        challenge_id, nonce = secrets.token_hex(16), secrets.token_hex(12)
        expires = now + self.challenge_ttl
        message = message_for(challenge_id, nonce, now, expires)
        with self._guard, self._sessions.begin() as session:
            waiting = list(session.scalars(select(WebChallengeRow.id).where(
                WebChallengeRow.participant == participant, WebChallengeRow.used_at.is_(None), WebChallengeRow.expires_at > now)
                .order_by(WebChallengeRow.created_at.desc(), WebChallengeRow.id)))  # fmt: skip
            retired = waiting[MAX_OPEN_CHALLENGES - 1 :]
            if retired:
                session.execute(delete(WebChallengeRow).where(WebChallengeRow.id.in_(retired)))
            session.add(WebChallengeRow(id=challenge_id, participant=participant, message=message, created_at=now, expires_at=expires))
        return Challenge(challenge_id, participant, message, expires)

    def challenge(self, challenge_id: str) -> Challenge | None:
        """The challenge while it can still be used (unused and unexpired)."""
        with self._sessions() as session:
            row = session.get(WebChallengeRow, challenge_id)
            if row is None or row.used_at is not None or _utc(row.expires_at) <= _now():
                return None
            return Challenge(row.id, row.participant, row.message, _utc(row.expires_at))

    def use_challenge(self, challenge_id: str) -> bool:
        """Marks the challenge used; False when it was used already or has expired (a replayed link)."""
        now = _now()
        with self._guard, self._sessions.begin() as session:
            done = session.execute(update(WebChallengeRow).where(WebChallengeRow.id == challenge_id, WebChallengeRow.used_at.is_(None),
                                                                 WebChallengeRow.expires_at > now).values(used_at=now))  # fmt: skip
            return bool(done.rowcount)  # type: ignore[attr-defined]

    # ─── sessions ────────────────────────────────────────────────────────────────────────

    def open(self, participant: str, address: str, challenge_id: str) -> tuple[str, WebSession]:
        """A new session; the cookie's token (shown once) and the session."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_hex(32)
        now = _now()
        row = WebSessionRow(id_hash=token_hash(token), participant=participant, address=address, csrf_token=csrf, created_at=now,
                            last_seen_at=now, expires_at=now + self.lifetime, challenge_id=challenge_id)  # fmt: skip
        with self._guard, self._sessions.begin() as session:
            session.add(row)
        return token, self._public(row, now)

    def get(self, token: str, *, touch: bool = True) -> WebSession | None:
        """The live session of ``token`` (its last request noted unless ``touch`` is False: a check that is
        not the user's activity), or None: unknown, ended, idle too long, or past its lifetime."""
        if not token:
            return None
        now = _now()
        with self._sessions() as session:
            row = session.get(WebSessionRow, token_hash(token))
            if row is None or row.ended_at is not None:
                return None
            last, ends = _utc(row.last_seen_at), _utc(row.expires_at)
            if now >= ends or now - last >= self.idle:
                return None
            found = self._public(row, now)
        if touch and now - last >= TOUCH_EVERY:
            with self._guard, self._sessions.begin() as session:
                session.execute(update(WebSessionRow).where(WebSessionRow.id_hash == found.id_hash).values(last_seen_at=now))
        return found

    def end(self, token: str) -> bool:
        with self._guard, self._sessions.begin() as session:
            done = session.execute(update(WebSessionRow).where(WebSessionRow.id_hash == token_hash(token), WebSessionRow.ended_at.is_(None))
                                   .values(ended_at=_now()))  # fmt: skip
            return bool(done.rowcount)  # type: ignore[attr-defined]

    def expire(self, token: str) -> None:
        """Ends the session as if its time were up (tests, and an operator ending sessions)."""
        with self._guard, self._sessions.begin() as session:
            session.execute(update(WebSessionRow).where(WebSessionRow.id_hash == token_hash(token)).values(expires_at=_now()))

    def _public(self, row: WebSessionRow, now: datetime) -> WebSession:
        ends = min(_utc(row.expires_at), max(now, _utc(row.last_seen_at)) + self.idle)
        return WebSession(row.id_hash, row.participant, row.address, row.csrf_token, _utc(row.created_at), ends)

    def _prune(self) -> None:
        if time.monotonic() - self._pruned < PRUNE_EVERY_SECONDS:
            return
        self._pruned = time.monotonic()
        cutoff = _now() - timedelta(days=1)
        with self._guard, self._sessions.begin() as session:
            session.execute(delete(WebChallengeRow).where(WebChallengeRow.expires_at < cutoff))
            session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < cutoff))


class MessageFor(Protocol):
    """Writes a challenge's text to sign."""

    def __call__(self, challenge_id: str, nonce: str, issued: datetime, expires: datetime) -> str: ...
