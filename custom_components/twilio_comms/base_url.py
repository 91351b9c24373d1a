"""Development-only override of where the client sends its requests.

TWILIO_COMMS_BASE_URL names the Comms API's base URL, for example the
emulator's http://127.0.0.1:8765/v1. A variable left set in a service file
must not send the credentials anywhere else, so only this machine (http or
https) and https hosts of Twilio's own are accepted, never with user info.
"""

from dataclasses import dataclass
import os
from typing import Final

from yarl import URL

from .api import (
    DEFAULT_BASE_URL,
    DEFAULT_REST_BASE_URL,
    TwilioCommsClient,
    is_loopback_host,
)
from .const import BASE_URL_ENV, LOGGER

# Twilio's own domain: itself, or any host under it (never "eviltwilio.com").
_TWILIO_DOMAIN: Final = "twilio.com"

# Where the emulator serves the classic REST API, beside /v1 on one host.
_REST_PATH: Final = "/2010-04-01"


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseUrls:
    """Where the client sends requests: the Comms API and Twilio's REST API."""

    comms: str
    rest: str


def _is_twilio_host(host: str) -> bool:
    """Return whether a host is Twilio's domain or lies under it."""
    return host == _TWILIO_DOMAIN or host.endswith(f".{_TWILIO_DOMAIN}")


def _override(value: str) -> BaseUrls | None:
    """Return the base URLs an override names, or None if it is not safe."""
    try:
        url = URL(value.rstrip("/"))
    except ValueError:
        return None
    if (
        not url.host
        or url.user is not None
        or url.password is not None
        or url.query_string
        or url.fragment
    ):
        return None
    host = url.host.lower()
    if url.scheme in {"http", "https"} and is_loopback_host(host):
        # The emulator serves the REST API's Accounts resource on its host.
        return BaseUrls(comms=str(url), rest=str(url.with_path(_REST_PATH)))
    if url.scheme == "https" and _is_twilio_host(host):
        # Another Comms host or version of Twilio's; the Accounts resource
        # lives on its one REST API whatever the Comms API's address.
        return BaseUrls(comms=str(url.with_host(host)), rest=DEFAULT_REST_BASE_URL)
    return None


def resolve_base_urls() -> BaseUrls:
    """Return the base URLs to use, honouring a safe development override."""
    value = os.environ.get(BASE_URL_ENV)
    if not value:
        return BaseUrls(comms=DEFAULT_BASE_URL, rest=DEFAULT_REST_BASE_URL)
    if (urls := _override(value)) is not None:
        return urls
    # The value is not logged: it may hold a password.
    LOGGER.error(
        "Ignoring %s: only loopback URLs (http or https) and https URLs of "
        "twilio.com hosts, without user info, query or fragment, are accepted; "
        "using %s",
        BASE_URL_ENV,
        DEFAULT_BASE_URL,
    )
    return BaseUrls(comms=DEFAULT_BASE_URL, rest=DEFAULT_REST_BASE_URL)


def override_origin(client: TwilioCommsClient) -> str | None:
    """Return the scheme and host a client uses instead of Twilio's, if any.

    Only the scheme and host: enough to tell where requests go, and nothing
    a path could carry.
    """
    if client.base_url == URL(DEFAULT_BASE_URL):
        return None
    return str(client.base_url.origin().with_port(None))


def warn_if_overridden(client: TwilioCommsClient) -> None:
    """Log a warning while a development override is active."""
    if (origin := override_origin(client)) is not None:
        LOGGER.warning(
            "%s is set: Twilio Comms requests go to %s, not to Twilio's API. "
            "It is meant for development; unset it to use Twilio",
            BASE_URL_ENV,
            origin,
        )
