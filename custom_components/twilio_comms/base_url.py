"""Development-only override of the Comms API base URL."""

from ipaddress import ip_address
import os

from yarl import URL

from .api import DEFAULT_BASE_URL
from .const import BASE_URL_ENV, LOGGER

_LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(host: str) -> bool:
    """Return whether a URL host names this machine."""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_base_url() -> str:
    """Return the Comms API base URL, honouring a safe development override.

    Only http(s) is accepted, and plain http only towards loopback, so the
    override can never send credentials in clear text across a network.
    """
    override = os.environ.get(BASE_URL_ENV)
    if not override:
        return DEFAULT_BASE_URL
    try:
        url = URL(override)
    except ValueError:
        url = None
    if (
        url is not None
        and url.host
        and (url.scheme == "https" or (url.scheme == "http" and _is_loopback(url.host)))
    ):
        return str(url).rstrip("/")
    LOGGER.error(
        "Ignoring %s: only https URLs, or http URLs to a loopback address, are "
        "accepted; using %s",
        BASE_URL_ENV,
        DEFAULT_BASE_URL,
    )
    return DEFAULT_BASE_URL
