"""Tests of what the recorder keeps: no bulky or fast-changing attributes."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from comms_emulator import Emulator

from .common import record_events
from .soak import poll

# An operation's stats, its last update and what follows from its stats
# change with every poll while it runs: history would store them again and
# again.
UNRECORDED = frozenset({"stats", "updated_at", "failed", "failure_rate"})

LATEST_STATUS = "sensor.messages_latest_operation_status"
OPERATIONS = "event.messages_operations"
DELIVERY_PROBLEM = "binary_sensor.messages_delivery_problem"
LIFETIME_DELIVERED = "sensor.messages_lifetime_delivered"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant, as it must be, then enable ours."""


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_bulky_attributes_are_not_recorded(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """History keeps each entity's state and ids, not the stats that move each poll.

    The live states still carry them, for automations and dashboards.
    """
    start = dt_util.utcnow() - timedelta(hours=1)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    fired = record_events(hass, OPERATIONS)
    # The seeded operations in flight finish within hours, firing events.
    for _ in range(30):
        await poll(hass, freezer, timedelta(minutes=20))
    assert fired
    await async_wait_recording_done(hass)

    live = {
        entity_id: hass.states.get(entity_id)
        for entity_id in (LATEST_STATUS, OPERATIONS, DELIVERY_PROBLEM)
    }
    assert set(live[LATEST_STATUS].attributes) >= UNRECORDED
    assert set(live[OPERATIONS].attributes) >= UNRECORDED
    assert "latest_operation_failure_rate" in live[DELIVERY_PROBLEM].attributes

    entity_ids = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
    ]
    history = await hass.async_add_executor_job(
        get_significant_states, hass, start, None, entity_ids, None, True, False
    )
    assert set(history) == set(entity_ids)
    for entity_id, states in history.items():
        for state in states:
            recorded = set(state.attributes)
            assert not recorded & UNRECORDED, entity_id
            assert "latest_operation_failure_rate" not in recorded, entity_id
    # What identifies the operation, and the state's own context, stay.
    assert "operation_id" in history[LATEST_STATUS][-1].attributes
    assert "operation_id" in history[OPERATIONS][-1].attributes
    assert "event_type" in history[OPERATIONS][-1].attributes
    assert "failure_threshold" in history[DELIVERY_PROBLEM][-1].attributes


async def test_no_attribute_repeats_another_state(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """No attribute repeats the entity's own state or another entity's.

    The latest status is the sensor's state and its time the latest operation
    sensor's; the window's failure rate is the failure rate sensor's.
    """
    latest = hass.states.get(LATEST_STATUS)
    assert latest.state != "unknown"
    assert "status" not in latest.attributes
    assert "created_at" not in latest.attributes
    assert "failure_rate" not in hass.states.get(DELIVERY_PROBLEM).attributes


async def test_lifetime_counts_make_long_term_statistics(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A statistics graph's bars of a lifetime count add up to what it grew by."""
    start = dt_util.utcnow()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    first = int(hass.states.get(LIFETIME_DELIVERED).state)
    emulator.world.send(
        "Messages",
        emulator.clock(),
        addresses=tuple(f"+1555123{index:04}" for index in range(300)),
        send_at=None,
        tags={},
    )
    periods = 4
    for _ in range(periods):
        await poll(hass, freezer, timedelta(minutes=5))
    last = int(hass.states.get(LIFETIME_DELIVERED).state)
    assert last > first
    await async_wait_recording_done(hass)
    for period in range(periods):
        do_adhoc_statistics(hass, start=start + period * timedelta(minutes=5))
    await async_wait_recording_done(hass)

    rows = await hass.async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        None,
        {LIFETIME_DELIVERED},
        "5minute",
        None,
        {"change", "sum"},
    )
    bars = rows[LIFETIME_DELIVERED]
    assert len(bars) == periods
    assert sum(bar["change"] for bar in bars) == last - first
