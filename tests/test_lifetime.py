"""Lifetime counts across reloads, restarts and removal: each recipient counted once.

The long-term figures (tracker invariant 10) are only worth charting if a
reload, or a restart that lost the last moments of counting, neither counts
an operation again nor forgets one; their file goes with the entry.
"""

import copy
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import Emulator
from custom_components.twilio_comms.api import Channel
from custom_components.twilio_comms.const import (
    ACTIVE_UPDATE_INTERVAL,
    CONF_WINDOW_HOURS,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
)
from custom_components.twilio_comms.coordinator import LIFETIME_SAVE_DELAY

from .soak import poll

FIGURES = ("finished", "not_reached", "delivered")


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the entry with a one-hour window, which operations leave within a test."""
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        entry_id=mock_config_entry.entry_id,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        options={**mock_config_entry.options, CONF_WINDOW_HOURS: 1},
    )


def lifetime_states(hass: HomeAssistant) -> dict[str, str]:
    """Return the Messages lifetime sensors' states."""
    return {
        figure: hass.states.get(f"sensor.messages_lifetime_{figure}").state
        for figure in FIGURES
    }


def expected_states(emulator: Emulator, since: Any) -> dict[str, str]:
    """Return what became of every Messages recipient since the first window's start."""
    outcomes = emulator.truth("Messages", since)["outcomes"]
    return {
        "finished": str(outcomes["finished"]),
        "not_reached": str(outcomes["failed"] + outcomes["undelivered"]),
        "delivered": str(outcomes["delivered"]),
    }


def storage_key(entry: MockConfigEntry) -> str:
    """Return the key of the entry's lifetime file."""
    return f"{DOMAIN}.{entry.entry_id}"


async def send_and_progress(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Send to 300 recipients and poll while the send is under way."""
    emulator.world.send(
        "Messages",
        emulator.clock(),
        addresses=tuple(f"+1555123{index:04}" for index in range(300)),
        send_at=None,
        tags={},
    )
    for _ in range(6):
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)


async def finish(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Poll until every operation has ended and been read final."""
    await poll(hass, freezer, timedelta(hours=8))
    for _ in range(3):
        await poll(hass, freezer, IDLE_UPDATE_INTERVAL)


@pytest.mark.parametrize("interruption", ["none", "reload", "restart"])
async def test_interrupted_counting_counts_each_recipient_once(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    interruption: str,
) -> None:
    """A reload, or a restart that lost what was counted after the last write, ends where an uninterrupted run does.

    The first send has left the window by then: it is in the lifetime counts
    only because they were kept.
    """
    entry = init_integration
    since = (
        emulator.clock()
        - entry.runtime_data.coordinators[Channel.MESSAGES].tracker.window
    )
    await send_and_progress(hass, emulator, freezer)
    await finish(hass, freezer)
    await send_and_progress(hass, emulator, freezer)
    # The counts are written shortly after they change.
    await poll(hass, freezer, timedelta(seconds=LIFETIME_SAVE_DELAY))
    written = copy.deepcopy(hass_storage[storage_key(entry)])
    assert written["data"]["messages"]["figures"] == {
        figure: int(value) for figure, value in lifetime_states(hass).items()
    }
    # More counting, then the interruption.
    await send_and_progress(hass, emulator, freezer)
    if interruption == "reload":
        before = lifetime_states(hass)
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert lifetime_states(hass) == before
    elif interruption == "restart":
        await hass.config_entries.async_unload(entry.entry_id)
        # The process ended before the latest counting was written.
        hass_storage[storage_key(entry)] = written
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    await finish(hass, freezer)
    assert lifetime_states(hass) == expected_states(emulator, since)


async def test_lifetime_file_goes_with_the_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Removing the entry deletes its lifetime counts; a new entry starts afresh."""
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert storage_key(init_integration) in hass_storage
    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert storage_key(init_integration) not in hass_storage
