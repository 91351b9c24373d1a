"""The full fault soak (scripts/soak): every channel and shape, many polls, a JSON report.

Runs under pytest for Home Assistant's test harness, in simulated time, with
the emulator on loopback, once per stats profile and counter reading (each on
all three channels at once). SOAK_POLLS sets the refreshes per channel of each
shape (default 3,000). Each shape's report goes into docs/soak.json under its
name ("guide+split"), next to the other shapes' reports.
"""

import json
import logging
import os
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import Emulator
from comms_emulator.config import ChannelShape
from tests.common import PROFILE_READING_SHAPES, shape_name
from tests.soak import SoakReport, run_soak, setup_shaped

# Refreshes per channel of each shape's soak: three times the in-suite soak,
# on three channels instead of one (about 4 minutes a shape here).
POLLS = int(os.environ.get("SOAK_POLLS", "3000"))

RESULTS = Path(os.environ.get("SOAK_RESULTS", "docs/soak.json"))

pytest_plugins = ["tests.conftest"]


def record(report: SoakReport) -> None:
    """Write a shape's report into the results, keeping the other shapes'."""
    results: dict[str, Any] = {}
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text())
    # Results from before shapes were one report, without a shape's name.
    if "polls" in results:
        results = {}
    results[report.shape] = report.as_dict()
    ordered = {
        name: results[name]
        for name in [shape_name(shape) for shape in PROFILE_READING_SHAPES]
        if name in results
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(ordered, indent=2) + "\n")


@pytest.mark.parametrize("shape", PROFILE_READING_SHAPES, ids=shape_name)
async def test_full_soak(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    *,
    shape: ChannelShape,
) -> None:
    """Soak every channel in one shape under 25 % faults and report; fail on any loss."""
    caplog.set_level(logging.WARNING)
    entry = await setup_shaped(hass, mock_config_entry, emulator=emulator, shape=shape)
    report = await run_soak(
        hass,
        entry,
        emulator=emulator,
        freezer=freezer,
        records=caplog.records,
        polls=POLLS,
    )
    record(report)
    print(json.dumps(report.as_dict(), indent=2))  # noqa: T201
    assert report.unhandled_exceptions == 0
    assert report.lost_operations == 0
    assert all(not diff for diff in report.totals_difference.values())
