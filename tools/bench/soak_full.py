"""The full fault soak (scripts/soak): every channel, many polls, a JSON report.

Runs under pytest for Home Assistant's test harness, in simulated time, with
the emulator on loopback. SOAK_POLLS sets the refreshes per channel (default 3,000).
"""

import json
import logging
import os
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import Emulator
from tests.soak import run_soak

# Refreshes per channel of the full soak: three times the in-suite soak, on
# three channels instead of one (about 4 minutes here).
POLLS = int(os.environ.get("SOAK_POLLS", "3000"))

RESULTS = Path(os.environ.get("SOAK_RESULTS", "docs/soak.json"))

pytest_plugins = ["tests.conftest"]


async def test_full_soak(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Soak every channel under 25 % faults and report; fail on any loss."""
    caplog.set_level(logging.WARNING)
    report = await run_soak(
        hass,
        init_integration,
        emulator=emulator,
        freezer=freezer,
        records=caplog.records,
        polls=POLLS,
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    print(json.dumps(report.as_dict(), indent=2))  # noqa: T201
    assert report.unhandled_exceptions == 0
    assert report.lost_operations == 0
    assert all(not diff for diff in report.totals_difference.values())
