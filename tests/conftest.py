"""Shared fixtures for the Twilio Comms tests."""

from collections.abc import AsyncIterator, Generator
from datetime import UTC, datetime
from enum import Enum
import logging
from typing import Any, override
from unittest.mock import PropertyMock, patch

from aiohttp.test_utils import TestServer
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from syrupy.assertion import SnapshotAssertion

# Importing the integration here, from the repository root on sys.path, makes
# Home Assistant's loader find it instead of the empty custom_components
# package that pytest-homeassistant-custom-component ships.
from comms_emulator import EMULATOR_KEY, Emulator, EmulatorConfig, create_app
from custom_components.twilio_comms.const import BASE_URL_ENV, DOMAIN

from .common import (
    ACCOUNT_SID,
    ALICE_SUBENTRY,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    AUTH_TOKEN_DATA,
    DEFAULT_OPTIONS,
)

# The moment the tests' world starts: seeded history is relative to it.
FROZEN_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let Home Assistant load integrations from custom_components/."""


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Return the emulated account: a small, seeded history with some sends in flight."""
    return EmulatorConfig(
        seed=3,
        operations_per_channel=30,
        active_fraction=0.1,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        api_key_sid=API_KEY_SID,
        api_key_secret=API_KEY_SECRET,
    )


@pytest.fixture
async def emulator(
    hass: HomeAssistant,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    emulator_config: EmulatorConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Emulator]:
    """Serve the Comms API emulator on loopback and point the integration at it.

    Time is frozen first, so the seeded history, and every snapshot, is the
    same on each run; the emulator reads the frozen clock.
    """
    freezer.move_to(FROZEN_NOW)
    # aiohttp's access log formatter trips over the frozen clock; it says
    # nothing the request counters don't.
    monkeypatch.setattr(logging.getLogger("aiohttp.access"), "disabled", True)
    server = TestServer(create_app(emulator_config), host="127.0.0.1")
    await server.start_server()
    monkeypatch.setenv(BASE_URL_ENV, str(server.make_url("/v1")))
    yield server.app[EMULATOR_KEY]
    await server.close()


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return the config entry of the emulated account."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01KTWC0MMSTESTENTRY0000001",
        title="Twilio Comms …cdef",
        unique_id=ACCOUNT_SID,
        data=dict(AUTH_TOKEN_DATA),
        options=dict(DEFAULT_OPTIONS),
    )


@pytest.fixture
def mock_config_entry_with_recipient(
    mock_config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Return the config entry of the emulated account, with one recipient."""
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        entry_id=mock_config_entry.entry_id,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        options=dict(mock_config_entry.options),
        subentries_data=[ALICE_SUBENTRY],
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up the integration against the emulator."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, including those disabled by default."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


class ReleaseNeutralSerializer(HomeAssistantSnapshotSerializer):
    """Core's serializer, with what differs between releases only in repr made one.

    Newer releases key state attributes and capabilities by StrEnum members
    (<EntityStateAttribute.FRIENDLY_NAME: 'friendly_name'>): keys are written
    as their plain strings. 2026.10 lists an entity's aliases with None for
    its computed name, where older releases keep a set with the name implied:
    an older set is written the newer way.
    """

    @classmethod
    @override
    def _serialize(cls, data: Any, **kwargs: Any) -> str:
        if isinstance(data, dict) and any(isinstance(key, Enum) for key in data):
            data = type(data)(
                {
                    key.value if isinstance(key, Enum) else key: v
                    for key, v in data.items()
                }
            )
        return super()._serialize(data, **kwargs)

    @classmethod
    @override
    def _serializable_entity_registry_entry(cls, data: er.RegistryEntry) -> Any:
        serialized = super()._serializable_entity_registry_entry(data)
        if isinstance(serialized["aliases"], set):
            serialized["aliases"] = [None, *sorted(serialized["aliases"])]
        return serialized


class ReleaseNeutralSnapshotExtension(HomeAssistantSnapshotExtension):
    """Core's snapshot format, one set (tests/snapshots/) for every tested release.

    To update: `$(scripts/setup --print-venv latest)/bin/python -m pytest
    tests/<file> --snapshot-update`, review the diff, then the same without
    --snapshot-update on the minimum leg's venv must pass unchanged.
    Should an entry ever really differ on one release (not only in repr, which
    belongs in the serializer above), name that assertion per release
    (snapshot(name=f"...-{MAJOR_VERSION}.{MINOR_VERSION}")), update it on each
    leg, and add --snapshot-warn-unused to pytest's addopts: each leg then
    leaves the other's entry unused.
    """

    serializer_class = ReleaseNeutralSerializer


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise states and registry entries as core does, volatile ids masked."""
    return snapshot.use_extension(ReleaseNeutralSnapshotExtension)
