"""Values and helpers shared by the integration tests."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import json
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event

from comms_emulator.config import COUNTER_READINGS, STATS_PROFILES, ChannelShape
from custom_components.twilio_comms.api import Channel, Operation
from custom_components.twilio_comms.api.client import Page
from custom_components.twilio_comms.const import (
    CONF_ACCOUNT_SID,
    CONF_ADDRESS,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_CHANNELS,
    CONF_CREDENTIAL_KIND,
    CONF_FAILURE_THRESHOLD,
    CONF_RECIPIENT_CHANNEL,
    CONF_SENDER,
    CONF_WINDOW_HOURS,
    SUBENTRY_RECIPIENT,
    CredentialKind,
)

FIXTURES: Final = Path(__file__).parent / "fixtures"

ACCOUNT_SID: Final = "AC0123456789abcdef0123456789abcdef"
OTHER_ACCOUNT_SID: Final = "ACfedcba9876543210fedcba9876543210"
AUTH_TOKEN: Final = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
API_KEY_SID: Final = "SK0123456789abcdef0123456789abcdef"
API_KEY_SECRET: Final = "kS3cr3tVa1ue0fTheApiKey0123456789"

# Every secret a test hands the integration; none may ever show up in logs,
# diagnostics, state attributes or error messages.
SECRETS: Final = (AUTH_TOKEN, API_KEY_SECRET)

AUTH_TOKEN_DATA: Final = {
    CONF_CREDENTIAL_KIND: CredentialKind.AUTH_TOKEN,
    CONF_ACCOUNT_SID: ACCOUNT_SID,
    CONF_AUTH_TOKEN: AUTH_TOKEN,
}

API_KEY_DATA: Final = {
    CONF_CREDENTIAL_KIND: CredentialKind.API_KEY,
    CONF_ACCOUNT_SID: ACCOUNT_SID,
    CONF_API_KEY_SID: API_KEY_SID,
    CONF_API_KEY_SECRET: API_KEY_SECRET,
}

DEFAULT_OPTIONS: Final = {
    CONF_CHANNELS: ["messages", "push_notifications", "emails"],
    CONF_WINDOW_HOURS: 24,
    CONF_FAILURE_THRESHOLD: 5.0,
}


# A recipient subentry; its phone numbers are personal data, never in
# diagnostics. It holds the API's PHONE, as recipients added before the select
# options were lower case do: they must keep working.
ALICE_SUBENTRY = ConfigSubentryDataWithId(
    subentry_id="01KTWC0MMSTESTRECIPIENT001",
    data={
        CONF_ADDRESS: "+15558675310",
        CONF_RECIPIENT_CHANNEL: "PHONE",
        CONF_SENDER: "+15550001111",
    },
    subentry_type=SUBENTRY_RECIPIENT,
    title="Alice",
    unique_id="PHONE:+15558675310",
)


def load_fixture(name: str) -> Any:
    """Return a JSON fixture, parsed."""
    return json.loads((FIXTURES / name).read_text())


def operations_page(name: str = "push_operations_list_seed001.json") -> Page[Operation]:
    """Return a page of operations parsed from a documented sample."""
    data = load_fixture(name)
    return Page(
        items=tuple(Operation.from_json(item) for item in data["operations"]),
        next_token=None,
        self_token=None,
    )


ALL_CHANNELS: Final = tuple(Channel)

# Every stats profile under both counter readings: the six shapes the
# documents show (comms-api.md §10), each served on every channel at once.
PROFILE_READING_SHAPES: Final = tuple(
    ChannelShape(stats_profile=profile, counter_reading=reading)
    for profile in STATS_PROFILES
    for reading in COUNTER_READINGS
)


def shape_name(shape: ChannelShape) -> str:
    """Return a shape's profile and reading, as tests and results name it."""
    return f"{shape.stats_profile}+{shape.counter_reading}"


def record_events(
    hass: HomeAssistant, entity_id: str, attribute: str = "operation_id"
) -> list[tuple[str, str]]:
    """Return a list that fills with (event type, an attribute) as an entity fires."""
    fired: list[tuple[str, str]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and new_state.state != STATE_UNAVAILABLE:
            fired.append(
                (
                    new_state.attributes["event_type"],
                    new_state.attributes[attribute],
                )
            )

    async_track_state_change_event(hass, entity_id, _changed)
    return fired


@asynccontextmanager
async def served_webhooks(hass: HomeAssistant) -> AsyncIterator[str]:
    """Serve Home Assistant's webhooks on loopback, as its internal URL; yield it.

    Home Assistant's own handler answers (webhook.async_handle_webhook), on a
    server of the caller's: the test harness never serves the HTTP app itself.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        return await webhook.async_handle_webhook(
            hass, request.match_info["webhook_id"], request
        )

    app = web.Application()
    app.router.add_route("*", "/api/webhook/{webhook_id}", handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/")).rstrip("/")
    await hass.config.async_update(internal_url=base)
    try:
        yield base
    finally:
        await server.close()
