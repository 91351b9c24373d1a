"""Tests for the Twilio Comms diagnostics."""

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .common import ACCOUNT_SID, API_KEY_SID, SECRETS


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
    text = str(diagnostics)
    for secret in (*SECRETS, ACCOUNT_SID, API_KEY_SID):
        assert secret not in text
