"""The seed pages' sample payloads, served verbatim, end to end: what a user sees.

A small server on loopback answers with the documented samples exactly as
printed (tests/fixtures/*seed*), honouring only the filters the integration
sends, so no emulator model stands between Twilio's documents and the
entities.
"""

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.twilio_comms.const import (
    BASE_URL_ENV,
    CONF_FAILURE_THRESHOLD,
    CONF_WINDOW_HOURS,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
)

from .common import DEFAULT_OPTIONS, load_fixture
from .soak import poll

SEED_004 = load_fixture("message_operation_seed004.json")
SEED_002 = load_fixture("push_operation_seed002.json")
SEED_000 = load_fixture("push_operation_seed000.json")
SEED_001 = load_fixture("push_operations_list_seed001.json")
SEED_002_NOTIFICATIONS = load_fixture("push_notifications_list_seed002.json")

CHANNELS = ("Messages", "PushNotifications", "Emails")


def created(operation: Mapping[str, Any]) -> datetime:
    """Return an operation's createdAt as the server files it."""
    return datetime.fromisoformat(operation["createdAt"])


@dataclass(slots=True)
class SeedServer:
    """Serves documented samples: listings, fetches by id, resource listings."""

    # channel -> operations as listed; a listing page may be given verbatim.
    listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    first_pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    def app(self) -> web.Application:
        """Return the server's routes."""
        app = web.Application()
        app.router.add_get("/v1/{channel}/Operations", self.list_operations)
        app.router.add_get("/v1/{channel}/Operations/{operation_id}", self.fetch)
        app.router.add_get("/v1/{channel}", self.list_resources)
        return app

    def _count(self, request: web.Request) -> str:
        channel = request.match_info["channel"]
        self.requests[channel] = self.requests.get(channel, 0) + 1
        return channel

    async def list_operations(self, request: web.Request) -> web.Response:
        """Answer a listing: the verbatim page when unfiltered, else what matches."""
        channel = self._count(request)
        query = request.query
        if "pageToken" in query:
            return web.json_response(
                {"operations": [], "pagination": {"next": None, "self": "end"}}
            )
        start = datetime.fromisoformat(query["startDate"])
        end = datetime.fromisoformat(query["endDate"]) if "endDate" in query else None
        status = query.get("status", "").upper()
        matching = [
            operation
            for operation in self.listed.get(channel, [])
            if created(operation) >= start
            and (end is None or created(operation) < end)
            and (not status or operation["status"] == status)
        ]
        page = self.first_pages.get(channel)
        if page is not None and matching == page["operations"]:
            return web.json_response(page)
        return web.json_response(
            {"operations": matching, "pagination": {"next": None, "self": "page"}}
        )

    async def fetch(self, request: web.Request) -> web.Response:
        """Answer a fetch by id with its sample, or the listed copy."""
        channel = self._count(request)
        operation_id = request.match_info["operation_id"]
        if operation_id in self.fetched:
            return web.json_response(self.fetched[operation_id])
        for operation in self.listed.get(channel, []):
            if operation["id"] == operation_id:
                return web.json_response(operation)
        return web.json_response({"errors": [{"code": 20404}]}, status=404)

    async def list_resources(self, request: web.Request) -> web.Response:
        """Answer an operation's resources with the sample listing."""
        channel = self._count(request)
        return web.json_response(self.resources[channel])


@pytest.fixture
async def seed_server(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SeedServer]:
    """Serve the samples on loopback and point the integration at them."""
    seeds = SeedServer()
    monkeypatch.setattr(logging.getLogger("aiohttp.access"), "disabled", True)
    server = TestServer(seeds.app(), host="127.0.0.1")
    await server.start_server()
    monkeypatch.setenv(BASE_URL_ENV, str(server.make_url("/v1")))
    yield seeds
    await server.close()


async def set_up(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    now: str,
    **options: Any,
) -> None:
    """Set the entry up at a moment of the samples' days."""
    freezer.move_to(now)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, **options}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def idle_requests(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seeds: SeedServer
) -> dict[str, int]:
    """Return the requests per channel over 10 minutes of idle polling."""
    seeds.requests.clear()
    for _ in range(5):
        await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    return dict(seeds.requests)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_seed_004_and_002_completed_sends(
    hass: HomeAssistant,
    seed_server: SeedServer,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Seed 004 (a message) and seed 002 (a push): delivered, 0 % failures, idle."""
    seed_server.listed = {"Messages": [SEED_004], "PushNotifications": [SEED_002]}
    await set_up(hass, mock_config_entry, freezer, "2024-04-05T07:00:00Z")
    for channel in ("messages", "push_notifications"):
        assert state(hass, f"sensor.{channel}_delivered") == "1"
        assert state(hass, f"sensor.{channel}_sent") == "0"
        assert state(hass, f"sensor.{channel}_failure_rate") == "0.0"
        assert state(hass, f"binary_sensor.{channel}_delivery_problem") == "off"
        assert state(hass, f"sensor.{channel}_latest_operation_status") == "completed"
        assert state(hass, f"sensor.{channel}_active_operations") == "0"
    # Seed 002 reports attempts and undelivered, and nothing of scheduled.
    assert state(hass, "sensor.push_notifications_attempts") == "1"
    assert state(hass, "sensor.push_notifications_undelivered") == "0"
    assert state(hass, "sensor.push_notifications_scheduled") == "unknown"
    assert state(hass, "sensor.push_notifications_canceled") == "unknown"
    # No emails at all: nothing is reported, and no rate can be computed.
    assert state(hass, "sensor.emails_sent") == "unknown"
    assert state(hass, "sensor.emails_failure_rate") == "unknown"
    # Both are final: one request per channel per idle poll, every 2 minutes.
    assert await idle_requests(hass, freezer, seed_server) == dict.fromkeys(CHANNELS, 5)


async def test_seed_002_resources_as_the_guide_lists_them(
    hass: HomeAssistant,
    seed_server: SeedServer,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """get_operation answers seed 002's operation with the guide's notification."""
    seed_server.listed = {"PushNotifications": [SEED_002]}
    seed_server.resources = {"PushNotifications": SEED_002_NOTIFICATIONS}
    await set_up(hass, mock_config_entry, freezer, "2024-04-05T07:00:00Z")
    response = await hass.services.async_call(
        DOMAIN,
        "get_operation",
        {
            ATTR_CONFIG_ENTRY_ID: mock_config_entry.entry_id,
            "channel": "push_notifications",
            "operation_id": SEED_002["id"],
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["status"] == "completed"
    assert response["stats"]["delivered"] == 1
    assert response["failure_rate"] == 0.0
    # A push goes to a device or a user: no address.
    assert response["resources"] == [
        {
            "id": "comms_notification_01h2xcejqtf2nbrexx3vqjhp41",
            "status": "SENT",
            "to": None,
            "updated_at": "2023-08-24T14:15:22+00:00",
        }
    ]
    assert response["more_resources"] is False


async def test_seed_000_partly_sent_schedule(
    hass: HomeAssistant,
    seed_server: SeedServer,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Seed 000: 5 failed of the 75 recipients Twilio finished with, 6.67 %."""
    seed_server.listed = {"PushNotifications": [SEED_000]}
    await set_up(
        hass,
        mock_config_entry,
        freezer,
        "2024-04-20T16:00:00Z",
        **{CONF_FAILURE_THRESHOLD: 10.0},
    )
    assert state(hass, "sensor.push_notifications_failure_rate") == "6.67"
    assert state(hass, "sensor.push_notifications_sent") == "70"
    assert state(hass, "sensor.push_notifications_latest_operation_status") == (
        "scheduled"
    )
    assert state(hass, "sensor.push_notifications_active_operations") == "1"
    # Below the 10 % threshold the problem sensor stays off; above 5 % it is on.
    assert state(hass, "binary_sensor.push_notifications_delivery_problem") == "off"
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={**mock_config_entry.options, CONF_FAILURE_THRESHOLD: 5.0},
    )
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, "binary_sensor.push_notifications_delivery_problem") == "on"


async def test_seed_001_listing_and_seed_000_fetch(
    hass: HomeAssistant,
    seed_server: SeedServer,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Seed 001's page, verbatim with its next token; seed 000 fetched for the same id.

    The two samples give the same operation other createdAt and updatedAt
    values: what the listing showed stays on the sensors, and a look-up
    shows what the fetch says.
    """
    seed_server.listed = {"PushNotifications": SEED_001["operations"]}
    seed_server.first_pages = {"PushNotifications": SEED_001}
    seed_server.fetched = {SEED_000["id"]: SEED_000}
    seed_server.resources = {
        "PushNotifications": {"notifications": [], "pagination": {"next": None}}
    }
    await set_up(
        hass,
        mock_config_entry,
        freezer,
        "2024-04-20T16:00:00Z",
        **{CONF_WINDOW_HOURS: 72},
    )
    # The first page's next token was followed to the (empty) second page.
    assert seed_server.requests["PushNotifications"] == 2
    assert state(hass, "sensor.push_notifications_operations_in_window") == "2"
    # (5 + 5) failed of 75 + 300 finished.
    assert state(hass, "sensor.push_notifications_failure_rate") == "2.67"
    assert state(hass, "sensor.push_notifications_sent") == "365"
    # The scheduled one stays in flight, polled at the active rate.
    for _ in range(3):
        await poll(hass, freezer, timedelta(seconds=20))
    assert state(hass, "sensor.push_notifications_sent") == "365"
    latest = hass.states.get("sensor.push_notifications_latest_operation_status")
    assert latest is not None
    assert latest.state == "scheduled"
    assert state(hass, "sensor.push_notifications_latest_operation") == (
        "2024-04-20T14:22:00+00:00"
    )
    assert latest.attributes["updated_at"] == "2024-04-20T15:45:00+00:00"
    response = await hass.services.async_call(
        DOMAIN,
        "get_operation",
        {
            ATTR_CONFIG_ENTRY_ID: mock_config_entry.entry_id,
            "channel": "push_notifications",
            "operation_id": SEED_000["id"],
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["created_at"] == "2024-04-20T14:45:00+00:00"
    assert response["failure_rate"] == 6.67
