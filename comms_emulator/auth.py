"""Who may call the emulated APIs (HTTP Basic), and the classic error shape they share."""

import base64
import binascii
from collections.abc import Mapping
import hmac
from typing import Final

from aiohttp import web

from .config import Credential

# The realm a 401 challenges for, as Twilio's API does.
AUTH_CHALLENGE: Final = {"WWW-Authenticate": 'Basic realm="Twilio API"'}


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


def classic_error(status: int, code: int, message: str) -> web.Response:
    """Return an error in the classic REST API's shape."""
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
        headers=AUTH_CHALLENGE if status == 401 else None,
    )
