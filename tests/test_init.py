"""Tests for setting up, unloading and failing the Twilio Comms integration."""

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from comms_emulator import Emulator
from comms_emulator.config import Credential
from custom_components import twilio_comms
from custom_components.twilio_comms.const import (
    ACTIVE_UPDATE_INTERVAL,
    CONF_ACCOUNT_SID,
    CONF_AUTH_TOKEN,
    CONF_CHANNELS,
    CONF_WINDOW_HOURS,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
)

from .common import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    AUTH_TOKEN_DATA,
    DEFAULT_OPTIONS,
    OTHER_ACCOUNT_SID,
)
from .soak import poll


async def test_setup_and_unload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The entry loads with one service device per channel, and unloads."""
    assert init_integration.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert sorted(device.name for device in devices) == [
        "Emails",
        "Messages",
        "Push notifications",
    ]
    assert all(device.entry_type is dr.DeviceEntryType.SERVICE for device in devices)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED


async def test_rejected_credentials_start_reauth(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """When Twilio refuses the stored secret, setup stops and asks to re-authenticate."""
    emulator.credentials.clear()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_api_down_retries_setup(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """When every channel fails, setup is retried later."""
    emulator.config.faults.server_error = 1.0
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_channel_not_entitled_raises_and_clears_a_repair(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A channel the account cannot use is explained in a repair; the rest works."""
    emulator.entitled.discard("Emails")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    issue_id = f"{mock_config_entry.entry_id}_emails_not_entitled"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "channel": "Emails",
        "title": mock_config_entry.title,
    }
    assert hass.states.get("sensor.emails_sent").state == "unavailable"
    assert hass.states.get("sensor.messages_sent").state != "unavailable"

    # Once Twilio enables the channel, the next poll clears the repair.
    emulator.entitled.add("Emails")
    freezer.tick(IDLE_UPDATE_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get("sensor.emails_sent").state != "unavailable"

    # A channel that stops working raises it again...
    emulator.entitled.discard("Emails")
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    # ...and deselecting the channel removes the repair, and its device.
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={**DEFAULT_OPTIONS, CONF_CHANNELS: ["messages", "push_notifications"]},
    )
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert hass.states.get("sensor.emails_sent") is None
    device_registry = dr.async_get(hass)
    names = {
        device.name
        for device in dr.async_entries_for_config_entry(
            device_registry, mock_config_entry.entry_id
        )
    }
    assert "Emails" not in names


async def test_options_change_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Saving options reloads the entry with them."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**DEFAULT_OPTIONS, CONF_CHANNELS: ["messages"], CONF_WINDOW_HOURS: 24.0},
    )
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert list(init_integration.runtime_data.coordinators) == ["messages"]


async def _reauth(hass: HomeAssistant, entry: MockConfigEntry, auth_token: str) -> None:
    """Complete a reauth flow of the entry with an Auth Token."""
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_SID: ACCOUNT_SID, CONF_AUTH_TOKEN: auth_token}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()


def _rotate(emulator: Emulator) -> str:
    """Give the account a new Auth Token at Twilio; return it."""
    rotated = "11112222333344445555666677778888"
    emulator.credentials[ACCOUNT_SID] = Credential(
        username=ACCOUNT_SID, password=rotated, account_sid=ACCOUNT_SID
    )
    return rotated


async def test_reauth_reloads_once_and_the_same_token_resumes_polling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new token reloads the running entry once; the same one again only resumes polling.

    No reload helper runs beside the update listener, which 2026.12 refuses.
    """
    rotated = _rotate(emulator)
    with patch(
        "custom_components.twilio_comms.async_setup_entry",
        wraps=twilio_comms.async_setup_entry,
    ) as setups:
        await _reauth(hass, init_integration, rotated)
        assert setups.call_count == 1
        assert init_integration.state is ConfigEntryState.LOADED
        assert init_integration.data[CONF_AUTH_TOKEN] == rotated
        # Twilio refuses the token for a while: polling stops, reauth starts.
        emulator.credentials.clear()
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
        assert hass.states.get("sensor.messages_sent").state == "unavailable"
        _rotate(emulator)
        emulator.reset_requests()
        await _reauth(hass, init_integration, rotated)
        assert setups.call_count == 1
    assert emulator.requests["total"] >= 1
    assert hass.states.get("sensor.messages_sent").state != "unavailable"
    assert "update listener" not in caplog.text


async def test_reauth_of_an_entry_that_failed_setup_sets_it_up(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An entry refused at setup has no listener: the flow itself reloads it."""
    rotated = _rotate(emulator)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    await _reauth(hass, mock_config_entry, rotated)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert "update listener" not in caplog.text


async def test_removing_the_entry_removes_its_repairs(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Deleting the entry leaves no repair issue of it behind."""
    emulator.set_entitled("Emails", False)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert len(issue_registry.issues) == 1
    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert not issue_registry.issues


async def test_two_accounts_are_told_apart(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A second account's devices and entity ids carry its name, not a _2."""
    emulator.credentials[OTHER_ACCOUNT_SID] = Credential(
        username=OTHER_ACCOUNT_SID, password=AUTH_TOKEN, account_sid=OTHER_ACCOUNT_SID
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Twilio Comms …3210",
        unique_id=OTHER_ACCOUNT_SID,
        data={**AUTH_TOKEN_DATA, CONF_ACCOUNT_SID: OTHER_ACCOUNT_SID},
        options=dict(DEFAULT_OPTIONS),
    )
    other.add_to_hass(hass)
    await hass.config_entries.async_setup(other.entry_id)
    await hass.async_block_till_done()
    # The first account keeps its entity ids; the second's say whose they are.
    assert hass.states.get("sensor.messages_sent") is not None
    assert hass.states.get("sensor.messages_twilio_comms_3210_sent") is not None
    assert hass.states.get("sensor.messages_sent_2") is None
    # Reloaded with two accounts, the first account's devices are named too.
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    names = {
        device.name
        for entry in (mock_config_entry, other)
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    }
    assert {"Messages Twilio Comms …cdef", "Messages Twilio Comms …3210"} <= names
    assert hass.states.get("sensor.messages_sent") is not None
