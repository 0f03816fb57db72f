"""What a participant's key agrees to sign when it signs in to the console.

The sign-in challenge is text the bridge writes, signed as an EIP-191 message by the same key that signs
API requests. A key must therefore never sign whatever a server sends: a hostile or mistyped ``--url``
could send the canonical text of an API request (``CORRIDOR-REQUEST…``) and replay the signature as the
regulator's, or relay a genuine challenge of the real bridge and take the session. The text is signed
only when it is exactly the console's sign-in challenge, naming the bridge this client was pointed at,
this participant's own address, and a short expiry (EIP-4361's domain binding)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}  # what a connection to this machine can be named
MAX_CHALLENGE_LIFETIME = timedelta(hours=1)
CHALLENGE = re.compile(
    r"(?P<host>[^\s/]+) wants you to sign in with your Ethereum account:\n(?P<address>0x[0-9a-fA-F]{40})\n\n"
    r"Sign in to the Corridor supervision console as [^\n]+ This opens a browser session of at most \d+ hours; it authorises no "
    r"transaction and moves no funds\.\n\n"
    r"URI: (?P<uri>https?://[^\s/]+)/console/\nVersion: 1\nChain ID: \d+\nNonce: [0-9a-f]+\n"
    r"Issued At: (?P<issued>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\nExpiration Time: (?P<expires>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\n"
    r"Request ID: [0-9a-f]+"
)


class ChallengeRefused(ValueError):
    """The bridge's "challenge" is not one this key may sign."""


def _endpoint(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url if "://" in url else f"//{url}")
    scheme = parts.scheme or "http"
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, "loopback" if host in LOOPBACK else host, port


def check_challenge(message: str, bridge_url: str, address: str, *, now: datetime | None = None) -> None:
    """Raises :class:`ChallengeRefused` unless ``message`` is the console's sign-in challenge for the bridge
    at ``bridge_url`` (same scheme, host and port; any loopback name stands for another) and ``address``."""
    found = CHALLENGE.fullmatch(message)
    if found is None:
        raise ChallengeRefused("the bridge's text is not a console sign-in challenge: not signed")
    expected = _endpoint(bridge_url)
    if _endpoint(found["uri"]) != expected or _endpoint(found["host"])[1:] != expected[1:]:
        raise ChallengeRefused(f"the challenge names {found['uri']}, not the bridge asked ({bridge_url}): not signed")
    if found["address"].lower() != address.lower():
        raise ChallengeRefused(f"the challenge names the account {found['address']}, not this key's {address}: not signed")
    moment = now or datetime.now(timezone.utc)
    expires = datetime.strptime(found["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    if not moment < expires <= moment + MAX_CHALLENGE_LIFETIME:
        raise ChallengeRefused(f"the challenge expires at {found['expires']}: expired, or valid too long; not signed")
