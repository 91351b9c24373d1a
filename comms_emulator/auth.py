"""HTTP Basic authentication against the configured credential pairs (comms-api.md §1)."""

import base64
import binascii
from collections.abc import Mapping
import hmac

from .config import Credential


def authenticate(
    credentials: Mapping[str, Credential], header: str | None
) -> Credential | None:
    """Return the pair a Basic Authorization header names, if it is known and matches."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except binascii.Error, UnicodeDecodeError:
        return None
    username, separator, password = decoded.partition(":")
    credential = credentials.get(username)
    if not separator or credential is None:
        return None
    # A constant-time comparison, as any password check should be.
    if not hmac.compare_digest(credential.password.encode(), password.encode()):
        return None
    return credential
