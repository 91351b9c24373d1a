"""Fixtures for the emulator tests: the emulator on loopback, with a hand-driven clock."""

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
import pytest

from comms_emulator import EMULATOR_KEY, Emulator, EmulatorConfig, create_app
from comms_emulator.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

AUTH = {
    "Authorization": "Basic "
    + base64.b64encode(f"{DEV_ACCOUNT_SID}:{DEV_AUTH_TOKEN}".encode()).decode()
}


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
    """Allow sockets: Home Assistant's test plugin still limits them to loopback."""


@pytest.fixture
def clock() -> ManualClock:
    """Return the emulator's clock."""
    return ManualClock()


@pytest.fixture
async def make_client(
    clock: ManualClock,
) -> AsyncIterator[Callable[..., Awaitable[TestClient]]]:
    """Return a factory of test clients on configured emulators, closed afterwards."""
    clients: list[TestClient] = []

    async def make(**config: Any) -> TestClient:
        app = create_app(EmulatorConfig(**config), clock=clock)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def emulator_of(client: TestClient) -> Emulator:
    """Return the emulator behind a test client."""
    return client.app[EMULATOR_KEY]
