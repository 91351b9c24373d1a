"""Credentials for HTTP Basic authentication, which never show their secret."""

from base64 import b64encode
from dataclasses import dataclass, field
from typing import Final

from .exceptions import TwilioCommsValidationError

# What a secret is replaced with wherever server text might echo it.
REDACTED: Final = "**REDACTED**"


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """An Account SID and the username/password pair the API authenticates."""

    account_sid: str
    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        """Reject pairs HTTP Basic cannot carry, without echoing the secret."""
        for name in ("account_sid", "username", "password"):
            if not getattr(self, name).strip():
                raise TwilioCommsValidationError(f"Credentials need a {name}")
        # Basic authentication splits user and password at the first colon.
        if ":" in self.username:
            raise TwilioCommsValidationError("The username cannot contain ':'")

    @classmethod
    def from_auth_token(cls, account_sid: str, auth_token: str) -> Credentials:
        """Return credentials for an Account SID and its Auth Token."""
        return cls(
            account_sid=account_sid,
            username=account_sid,
            password=auth_token,
        )

    @classmethod
    def from_api_key(
        cls, account_sid: str, api_key_sid: str, api_key_secret: str
    ) -> Credentials:
        """Return credentials for an API key pair of an account."""
        return cls(
            account_sid=account_sid,
            username=api_key_sid,
            password=api_key_secret,
        )

    @property
    def authorization(self) -> str:
        """Return the value of the Authorization header."""
        token = b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"

    def redact(self, text: str) -> str:
        """Return text with the secret and the Authorization value blanked out."""
        for secret in (self.authorization.removeprefix("Basic "), self.password):
            text = text.replace(secret, REDACTED)
        return text
