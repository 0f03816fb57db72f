"""Signing in from a browser without a shared secret, and the cookie sessions that follow.

A participant (a bank, or ``regulator``) asks for a one-time challenge, an EIP-4361 ("Sign-In with
Ethereum") style text naming this bridge, its account, a nonce and an expiry; it signs the text with
its own key as an EIP-191 ``personal_sign`` message — the same signer the SDK signs requests with
(:meth:`bridge.sdk.client.BridgeClient.console_link` does it, and ``corridor console login`` prints
the result as a one-time link) — and the bridge answers a valid signature of an unused, unexpired
challenge with a session:

- the cookie ``corridor_console``: a random 256-bit token, ``HttpOnly`` (no script reads it),
  ``SameSite=Strict`` (no other site's page sends it), ``Path=/console`` (the API never takes it:
  ``/v1`` requests are signed one by one), ``Secure`` when served over HTTPS, and as long-lived as
  the session (``console.session_max_hours``; it also ends after ``console.session_minutes`` idle);
- a CSRF token bound to the session, which every state-changing request must carry (the
  ``X-CSRF-Token`` header, or the form field ``csrf_token``) along with an ``Origin`` (or
  ``Referer``) of this bridge.

A bank's session sees only its own swaps; only the regulator's sees the supervisory pages.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import Request

from bridge.api.auth import REGULATOR, canonical_signature
from bridge.errors import Forbidden, Unauthenticated
from bridge.store.web_sessions import WebSession

COOKIE = "corridor_console"
LOGIN_COOKIE = "corridor_login"  # binds a sign-in form to the browser that asked for its challenge
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/console"


@dataclass(frozen=True)
class Signer:
    """Who may sign in: the participant's name, the name people read, its address."""

    participant: str
    display_name: str
    address: str

    @property
    def is_regulator(self) -> bool:
        return self.participant == REGULATOR


def challenge_message(*, host: str, base_url: str, signer: Signer, chain_id: int, challenge_id: str, nonce: str, issued: datetime,
                      expires: datetime, max_hours: int) -> str:  # fmt: skip
    """The text to sign (EIP-4361 layout)."""
    return (f"{host} wants you to sign in with your Ethereum account:\n{signer.address}\n\n"
            f"Sign in to the Corridor supervision console as {signer.display_name} ({signer.participant}). This opens a browser "
            f"session of at most {max_hours} hours; it authorises no transaction and moves no funds.\n\n"
            f"URI: {base_url}/console/\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n"
            f"Issued At: {_iso(issued)}\nExpiration Time: {_iso(expires)}\nRequest ID: {challenge_id}")  # fmt: skip


def bridge_origin(request: Request, public_url: str | None) -> tuple[str, str]:
    """(host, base URL) a challenge names: the configured public URL, else the address this bridge
    accepted the connection on. Never the request's ``Host`` header, which the caller writes: a server in
    the middle could otherwise fetch a challenge naming itself and relay the signature (EIP-4361's
    domain binding)."""
    if public_url:
        parts = urlsplit(public_url)
        return parts.netloc, f"{parts.scheme}://{parts.netloc}"
    server = request.scope.get("server") or (request.url.hostname or "127.0.0.1", request.url.port)
    host, port = str(server[0]), server[1]
    host = f"[{host}]" if ":" in host else host
    default = 443 if request.url.scheme == "https" else 80
    netloc = host if port in (None, default) else f"{host}:{port}"
    return netloc, f"{request.url.scheme}://{netloc}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def verify_signature(message: str, signature: str, address: str) -> None:
    """Raises :class:`Unauthenticated` unless ``signature`` (canonical, as request signatures are) is
    ``address``'s EIP-191 signature of ``message``."""
    raw = canonical_signature(signature.strip())
    try:
        signer = Account.recover_message(encode_defunct(text=message), signature=raw)
    except Exception as exc:  # r or s out of range, no point on the curve
        raise Unauthenticated("malformed signature", field="signature") from exc
    if signer.lower() != address.lower():
        raise Unauthenticated(f"not signed by {address}", field="signature")


def csrf_ok(session: WebSession, presented: str | None) -> bool:
    # compare_digest takes ASCII text only: anything else cannot be the (hex) token anyway.
    return bool(presented) and presented.isascii() and hmac.compare_digest(session.csrf_token, presented)


def same_origin(request: Request) -> bool:
    """The request comes from a page of this bridge: its ``Origin`` (or, without one, its ``Referer``)
    names this scheme, host and port. A request naming neither is refused too: browsers send one with
    every state-changing request."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return False
    origin = urlsplit(claimed)
    return f"{origin.scheme}://{origin.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def check_state_change(request: Request, session: WebSession, presented: str | None) -> None:
    """What every state-changing console request must pass: same origin, and the session's CSRF token."""
    if not same_origin(request):
        raise Forbidden("this request does not come from a page of this bridge (Origin)", field="Origin")
    if not csrf_ok(session, presented):
        raise Forbidden("missing or wrong CSRF token", field=CSRF_HEADER)
