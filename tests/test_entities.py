"""Snapshot and behaviour tests of the Twilio Comms entities."""

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from comms_emulator import Emulator
from custom_components.twilio_comms.const import CONF_FAILURE_THRESHOLD

from .common import DEFAULT_OPTIONS, SECRETS


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "emulator")
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.EVENT]
)
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity, all enabled, in its registry entry and state."""
    with patch("custom_components.twilio_comms.PLATFORMS", [platform]):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)
    for state in hass.states.async_all():
        for secret in SECRETS:
            assert secret not in str(state.as_dict())


@pytest.mark.usefixtures("init_integration")
async def test_counters_follow_each_channel_api(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    """A counter a channel's API does not report has no entity; rare ones start disabled."""
    assert entity_registry.async_get_entity_id(
        "sensor", "twilio_comms", "AC0123456789abcdef0123456789abcdef_messages_read"
    )
    assert not entity_registry.async_get_entity_id(
        "sensor",
        "twilio_comms",
        "AC0123456789abcdef0123456789abcdef_push_notifications_read",
    )
    assert hass.states.get("sensor.messages_sent") is not None
    assert hass.states.get("sensor.messages_read") is None  # disabled by default


@pytest.mark.usefixtures("init_integration")
async def test_window_totals_equal_ground_truth(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The dashboard shows what Twilio knows about the window."""
    truth = emulator.truth("Messages")
    assert int(hass.states.get("sensor.messages_sent").state) == truth["totals"]["sent"]
    assert (
        int(hass.states.get("sensor.messages_failed").state)
        == truth["totals"]["failed"]
    )
    assert int(hass.states.get("sensor.messages_operations_in_window").state) == len(
        truth["operations"]
    )
    latest = truth["operations"][0]
    status = hass.states.get("sensor.messages_latest_operation_status")
    assert status.state == latest["status"].lower()
    assert status.attributes["operation_id"] == latest["id"]


async def test_problem_sensor_threshold(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """The delivery problem turns on above the threshold and says why."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**DEFAULT_OPTIONS, CONF_FAILURE_THRESHOLD: 0.0}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    problem = hass.states.get("binary_sensor.messages_delivery_problem")
    assert problem.state == "on"
    assert problem.attributes["failure_rate_exceeded"] is True
    assert problem.attributes["failure_threshold"] == 0.0

    hass.config_entries.async_update_entry(
        mock_config_entry, options={**DEFAULT_OPTIONS, CONF_FAILURE_THRESHOLD: 100.0}
    )
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    problem = hass.states.get("binary_sensor.messages_delivery_problem")
    assert problem.attributes["failure_rate_exceeded"] is False
    assert problem.state == (
        "on" if problem.attributes["latest_operation_failed"] else "off"
    )
