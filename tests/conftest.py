"""Shared fixtures for the Twilio Comms tests."""

import pytest

# Importing the package here, from the repository root on sys.path, makes
# Home Assistant's loader find our integration instead of the empty
# custom_components package that pytest-homeassistant-custom-component ships.
import custom_components.twilio_comms  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let Home Assistant load integrations from custom_components/."""
