"""Snapshot and behaviour tests of the Twilio Comms entities."""

from datetime import timedelta
import re
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
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
from .soak import poll
from .validity import REPO_ROOT


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


async def _problem_at(
    hass: HomeAssistant, entry: MockConfigEntry, threshold: float
) -> tuple[str, dict[str, Any]]:
    """Return the Messages delivery problem's state and attributes at a threshold."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, CONF_FAILURE_THRESHOLD: threshold}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    problem = hass.states.get("binary_sensor.messages_delivery_problem")
    return problem.state, dict(problem.attributes)


async def test_problem_sensor_threshold(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The delivery problem follows the failure rates Twilio's ground truth gives."""
    # Let every seeded send finish, so the truth's outcomes are final.
    freezer.tick(timedelta(hours=8))
    truth = emulator.truth("Messages", emulator.clock() - timedelta(hours=24))
    outcomes = truth["outcomes"]
    assert outcomes["in_flight"] == 0
    window_rate = (
        100 * (outcomes["failed"] + outcomes["undelivered"]) / outcomes["finished"]
    )
    # The default reading is cumulative: sent includes delivered and undelivered.
    latest = next(
        op for op in truth["operations"] if op["status"] in {"COMPLETED", "CANCELED"}
    )
    stats = latest["stats"]
    latest_rate = (
        100
        * (stats["failed"] + stats["undelivered"])
        / (stats["sent"] + stats["failed"])
    )
    state, attributes = await _problem_at(hass, mock_config_entry, 0.0)
    rate = hass.states.get("sensor.messages_failure_rate").state
    assert float(rate) == pytest.approx(window_rate, abs=0.01)
    assert attributes["latest_operation_id"] == latest["id"]
    assert attributes["latest_operation_failure_rate"] == pytest.approx(
        latest_rate, abs=0.01
    )
    assert state == "on"
    assert attributes["failure_threshold"] == 0.0
    # Just above the window's rate, only the latest operation can turn it on.
    threshold = round(window_rate + 0.01, 2)
    state, attributes = await _problem_at(hass, mock_config_entry, threshold)
    assert attributes["failure_rate_exceeded"] is False
    assert state == ("on" if latest_rate > threshold else "off")
    state, attributes = await _problem_at(
        hass, mock_config_entry, max(window_rate, latest_rate) + 0.01
    )
    assert state == "off"


# Attributes README's examples and the blueprint read: of the entity that
# triggered (an Operations event entity), or of a named entity.
_TRIGGER_ATTRIBUTE = re.compile(r"trigger\.to_state\.attributes\.(\w+)")
_BLUEPRINT_EVENT_ATTRIBUTE = re.compile(r"\bevent\.(\w+)")
_STATE_ATTR = re.compile(r"state_attr\(\s*'([\w.]+)',\s*'(\w+)'\s*\)")


async def test_documented_attributes_exist(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every attribute README and the blueprint use is one the entities have."""
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    blueprint = (
        REPO_ROOT / "blueprints/automation/twilio_comms/notify_on_failed_operation.yaml"
    ).read_text("utf-8")
    event_attributes = {
        *_TRIGGER_ATTRIBUTE.findall(readme),
        *_BLUEPRINT_EVENT_ATTRIBUTE.findall(blueprint.split("\nvariables:", 1)[1]),
    } - {"event_type"}
    named = set(_STATE_ATTR.findall(readme + blueprint))
    assert {"failed", "stats", "operation_id"} <= event_attributes
    assert named
    # The seeded operations in flight finish, so the event entity has data.
    for _ in range(30):
        await poll(hass, freezer, timedelta(minutes=20))
    event = hass.states.get("event.messages_operations")
    assert event_attributes <= set(event.attributes)
    for entity_id, attribute in named:
        assert attribute in hass.states.get(entity_id).attributes, entity_id
