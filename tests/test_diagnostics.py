"""Tests for the Twilio Comms diagnostics."""

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from comms_emulator import Emulator
from custom_components.twilio_comms.const import CONF_ADDRESS, CONF_SENDER

from .common import ACCOUNT_SID, ALICE_SUBENTRY, API_KEY_SID, SECRETS


@pytest.fixture
def mock_config_entry(
    mock_config_entry_with_recipient: MockConfigEntry,
) -> MockConfigEntry:
    """Diagnose an account with a recipient, whose numbers must not show."""
    return mock_config_entry_with_recipient


async def test_diagnostics(
    hass: HomeAssistant,
    # Set up (and freeze time) before the HTTP client mints its access token.
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics summarise each channel and redact every credential and SID."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics == snapshot(
        exclude=props("entry_id", "created_at", "modified_at")
    )
    # The emulator's override shows, as its scheme and host alone.
    assert diagnostics["base_url_override"] == "http://127.0.0.1"
    text = str(diagnostics)
    data = ALICE_SUBENTRY["data"]
    personal = (data[CONF_ADDRESS], data[CONF_SENDER], ALICE_SUBENTRY["title"])
    for secret in (*SECRETS, ACCOUNT_SID, API_KEY_SID, *personal):
        assert secret not in text


async def test_diagnostics_of_an_entry_that_is_not_loaded(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """An entry Twilio refused at setup (or one reloading) still has diagnostics."""
    emulator.credentials.clear()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    assert diagnostics["state"] == "setup_error"
    assert diagnostics["channels"] == {}
    for secret in (*SECRETS, ACCOUNT_SID):
        assert secret not in str(diagnostics)
