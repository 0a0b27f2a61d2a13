"""Signed widget identities: the host site vouches for a visitor with an HMAC only it can make.

The host signs the identity object as canonical JSON — keys sorted, no spaces, UTF-8 (non-ASCII
characters as they are, not escaped) — with HMAC-SHA256 and the shared secret, and sends the
hex digest as ``signature``. In Python::

    hmac.new(secret, json.dumps(identity, sort_keys=True, separators=(",", ":"),
             ensure_ascii=False).encode(), "sha256").hexdigest()

In JavaScript, ``JSON.stringify`` of the object with its keys in sorted order gives the same text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


class IdentityNotEnabled(ValueError):
    """An identity was sent but no identity secret is configured (a 400)."""


class IdentityRejected(PermissionError):
    """The identity's signature is missing or wrong (a 403)."""


def canonical_json(identity: dict[str, Any]) -> bytes:
    """The identity as the bytes that are signed."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def sign(identity: dict[str, Any], secret: str) -> str:
    """The hex HMAC-SHA256 of the identity's canonical JSON (what the host site computes)."""
    return hmac.new(secret.encode(), canonical_json(identity), hashlib.sha256).hexdigest()


def verify(identity: dict[str, Any], signature: str | None, secret: str) -> None:
    """Raise unless ``signature`` proves the host site signed exactly this identity."""
    if not secret:
        raise IdentityNotEnabled(
            "Signed identity is not enabled on this site: set TIER0_IDENTITY_SECRET, or start "
            "the chat without 'identity'."
        )
    if not signature:
        raise IdentityRejected("The identity is not signed: send its HMAC in 'signature'.")
    if not hmac.compare_digest(sign(identity, secret), signature.lower()):
        raise IdentityRejected(
            "The identity's signature does not match: sign the identity's canonical JSON "
            "(keys sorted, no spaces) with HMAC-SHA256 and the shared secret."
        )
