"""Build a Comms API client from a config entry's data."""

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import Credentials, TwilioCommsClient
from .base_url import resolve_base_urls
from .const import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_CREDENTIAL_KIND,
    CredentialKind,
)


def credentials_from_data(data: Mapping[str, Any]) -> Credentials:
    """Return the client credentials stored in an entry's (or a form's) data."""
    if data[CONF_CREDENTIAL_KIND] == CredentialKind.API_KEY:
        return Credentials.from_api_key(
            data[CONF_ACCOUNT_SID], data[CONF_API_KEY_SID], data[CONF_API_KEY_SECRET]
        )
    return Credentials.from_auth_token(data[CONF_ACCOUNT_SID], data[CONF_AUTH_TOKEN])


def build_client(hass: HomeAssistant, data: Mapping[str, Any]) -> TwilioCommsClient:
    """Return a client on Home Assistant's shared HTTP session."""
    urls = resolve_base_urls()
    return TwilioCommsClient(
        async_get_clientsession(hass),
        credentials_from_data(data),
        base_url=urls.comms,
        rest_base_url=urls.rest,
    )
