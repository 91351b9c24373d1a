"""Fixtures for the emulator tests: the emulator on loopback, with a hand-driven clock."""

# Plain pytest and pytest-aiohttp: the emulator needs no Home Assistant.

import base64
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import json
from typing import Any, Final

from aiohttp import web
from aiohttp.test_utils import TestClient
import pytest
import pytest_aiohttp.plugin

from comms_emulator import EMULATOR_KEY, Emulator, EmulatorConfig, create_app
from comms_emulator.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, RESOURCE_LIST_KEY
from comms_emulator.control import CONTROL_HEADER

# pytest-aiohttp's client factory, restored for these tests: Home Assistant's
# test plugin, installed alongside, replaces it with one that binds to
# another event loop on older releases.
aiohttp_client = pytest_aiohttp.plugin.aiohttp_client
aiohttp_client_cls = pytest_aiohttp.plugin.aiohttp_client_cls
aiohttp_server = pytest_aiohttp.plugin.aiohttp_server

# The moment every test's world starts; seeded history is relative to it.
START: Final = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def basic(username: str, password: str) -> dict[str, str]:
    """Return a Basic Authorization header."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# The development account's auth token pair.
AUTH: Final = basic(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN)

type ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


class ManualClock:
    """A clock the test moves."""

    def __init__(self) -> None:
        """Start at a fixed moment."""
        self.now = START

    def __call__(self) -> datetime:
        """Return the current moment."""
        return self.now

    def tick(self, delta: timedelta) -> None:
        """Move time forward."""
        self.now += delta


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: these tests need no Home Assistant."""


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: Home Assistant's test plugin, installed alongside, blocks them."""


@pytest.fixture
def clock() -> ManualClock:
    """Return the emulator's clock."""
    return ManualClock()


@pytest.fixture
def make_client(aiohttp_client: Any, clock: ManualClock) -> ClientFactory:
    """Return a factory of test clients of emulators configured by keyword."""

    async def make(**config: Any) -> TestClient[Any, Any]:
        """Serve an emulator on loopback and return a client of it."""
        client: TestClient[Any, Any] = await aiohttp_client(
            create_app(EmulatorConfig(**config), clock=clock),
            headers={CONTROL_HEADER: "1"},
        )
        return client

    return make


def emulator_of(client: TestClient[Any, Any]) -> Emulator:
    """Return the emulator behind a test client."""
    app: web.Application = client.app
    return app[EMULATOR_KEY]


async def get_json(
    client: TestClient[Any, Any], path: str, expected: int = 200, /, **params: str
) -> Any:
    """GET an API path with the development credentials; check the status, return JSON."""
    response = await client.get(path, params=params, headers=AUTH)
    assert response.status == expected, await response.text()
    return await response.json()


async def list_pages(
    client: TestClient[Any, Any],
    path: str = "/v1/Messages/Operations",
    key: str = "operations",
    **params: str,
) -> list[list[dict[str, Any]]]:
    """Return every page of a listing, following next tokens."""
    pages = []
    token = None
    while True:
        query = params | ({"pageToken": token} if token else {})
        body = await get_json(client, path, **query)
        pages.append(body[key])
        token = body["pagination"]["next"]
        if token is None:
            return pages


async def list_all(
    client: TestClient[Any, Any], channel: str = "Messages", **params: str
) -> list[dict[str, Any]]:
    """Return every operation of a channel's listing, all pages."""
    pages = await list_pages(client, f"/v1/{channel}/Operations", **params)
    return [item for page in pages for item in page]


async def statuses(
    client: TestClient[Any, Any], channel: str, operation_id: str
) -> Counter[str]:
    """Return how many of an operation's resources are in each status."""
    pages = await list_pages(
        client,
        f"/v1/{channel}",
        RESOURCE_LIST_KEY[channel],
        operationId=operation_id,
        pageSize="1000",
    )
    return Counter(resource["status"] for page in pages for resource in page)


# Event Streams (docs/event-streams.md): the Comms types, and provisioning.

OPERATION_TYPES: Final = tuple(
    f"com.twilio.comms-api.operation.{stage}"
    for stage in ("scheduled", "processing", "completed")
)
MESSAGE_TYPES: Final = tuple(
    f"com.twilio.comms-api.message.{status}"
    for status in ("queued", "sent", "failed", "delivered", "undelivered", "read")
)


async def post_form(
    client: TestClient[Any, Any],
    path: str,
    data: list[tuple[str, str]] | dict[str, str] | None = None,
    expected: int = 201,
) -> Any:
    """POST a form to an Events path with the development credentials; check, return JSON."""
    response = await client.post(path, data=data or {}, headers=AUTH)
    assert response.status == expected, await response.text()
    return await response.json()


async def create_sink(
    client: TestClient[Any, Any],
    destination: str = "https://user:pass@example.org/hook",
    *,
    batch_events: bool = True,
    expected: int = 201,
) -> Any:
    """Create a webhook sink as the client would."""
    configuration = {
        "destination": destination,
        "method": "POST",
        "batch_events": batch_events,
    }
    return await post_form(
        client,
        "/events/v1/Sinks",
        {
            "Description": "Home Assistant",
            "SinkType": "webhook",
            "SinkConfiguration": json.dumps(configuration),
        },
        expected,
    )


async def subscribe(
    client: TestClient[Any, Any],
    sink_sid: str,
    types: tuple[str, ...] = OPERATION_TYPES + MESSAGE_TYPES,
    expected: int = 201,
) -> Any:
    """Subscribe a sink to types, one Types field each."""
    fields = [("Description", "Home Assistant"), ("SinkSid", sink_sid)]
    fields += [("Types", json.dumps({"type": kind})) for kind in types]
    return await post_form(client, "/events/v1/Subscriptions", fields, expected)
