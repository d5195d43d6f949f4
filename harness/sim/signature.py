"""The simulated bank's request signature: hex HMAC-SHA256 of the raw body bytes.

The key is text (its UTF-8 bytes are the HMAC key): ``--sign-key``, else the environment
variable ``SIMBANK_HMAC_KEY``, else the documented demo key below. The demo key is public
and protects nothing: it exists so that the simulation runs out of the box.
"""

from __future__ import annotations

import hashlib
import hmac
import os

HEADER = "X-Signature"
KEY_ENV = "SIMBANK_HMAC_KEY"
DEMO_KEY = "simbank-demo-key"


def resolve_key(key: str | None = None) -> str:
    """The given key, else $SIMBANK_HMAC_KEY, else the demo key."""
    return key or os.environ.get(KEY_ENV) or DEMO_KEY


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(key: str, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(sign(key, body), signature.strip().lower())
