"""Simulated-time polling and the fault soak, shared by the tests and scripts/soak."""

import asyncio
from dataclasses import asdict, dataclass
from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from comms_emulator import Emulator
from comms_emulator.config import CHANNELS, ChannelShape
from custom_components.twilio_comms.api import Channel
from custom_components.twilio_comms.api.client import DEFAULT_REQUEST_TIMEOUT
from custom_components.twilio_comms.const import ACTIVE_UPDATE_INTERVAL

from .common import shape_name

# Past the client's request timeout, to expire a request stuck on a slow answer.
REQUEST_TIMEOUT_MARGIN = timedelta(seconds=DEFAULT_REQUEST_TIMEOUT + 1)

# Seconds between new operations during a soak: always something in flight.
SOAK_NEW_OPERATION_INTERVAL = 30.0

# The share of requests that fail, spread evenly over every fault kind.
SOAK_FAULT_RATE = 0.25

# The coordinator's own log line for a failed poll; anything else at ERROR
# would be an exception that escaped.
UPDATE_FAILED_LOG = "Error fetching %s data: %s"


async def poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    interval: timedelta,
    *,
    emulator: Emulator | None = None,
) -> None:
    """Let one polling interval pass.

    The event loop's clock is frozen too, so a request the emulator answers
    slowly only times out when time moves: given the emulator, each slow
    answer it starts makes time jump past the client's request timeout.
    """
    freezer.tick(interval)
    async_fire_time_changed(hass)
    # Interval refreshes run as background tasks.
    settled = asyncio.ensure_future(
        hass.async_block_till_done(wait_background_tasks=True)
    )
    slow_seen = emulator.faults.counts["slow"] if emulator else 0
    while emulator and not settled.done():
        await asyncio.sleep(0)
        if emulator.faults.counts["slow"] > slow_seen:
            slow_seen = emulator.faults.counts["slow"]
            async_fire_time_changed(hass, dt_util.utcnow() + REQUEST_TIMEOUT_MARGIN)
    await settled


async def setup_shaped(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    emulator: Emulator,
    shape: ChannelShape,
) -> MockConfigEntry:
    """Serve a shape on every channel, then set the entry up.

    The shape is set before the integration's first request: a profile
    changed later would leave operations read earlier in the old one.
    """
    emulator.configure_shapes(dict.fromkeys(CHANNELS, shape.as_dict()))
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@dataclass(frozen=True, slots=True, kw_only=True)
class SoakReport:
    """What a soak measured."""

    # The shape (setup_shaped) every channel served, by shape_name.
    shape: str
    polls: int
    ticks: int
    refreshes: int
    requests: int
    faults: dict[str, int]
    failed_polls: int
    longest_unavailable_polls: int
    polls_to_recover_after_faults: int
    unhandled_exceptions: int
    lost_operations: int
    totals_difference: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-safe data."""
        return asdict(self)


async def run_soak(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    records: list[logging.LogRecord],
    polls: int,
) -> SoakReport:
    """Poll under faults of every kind, then compare with the ground truth."""
    # New operations every half minute keep every channel busy, so each
    # 20-second tick is a refresh of every channel.
    emulator.world.set_live_interval(SOAK_NEW_OPERATION_INTERVAL, emulator.clock())
    refreshes = dict.fromkeys(entry.runtime_data.coordinators, 0)
    for key, coordinator in entry.runtime_data.coordinators.items():

        def count(key: str = key) -> None:
            refreshes[key] += 1

        entry.async_on_unload(coordinator.async_add_listener(count))
    faults = emulator.config.faults
    # Slow answers come after the client's 10 s timeout.
    faults.slow_seconds = DEFAULT_REQUEST_TIMEOUT + 5
    faults.set_all(SOAK_FAULT_RATE / len(faults.KINDS))
    coordinators = entry.runtime_data.coordinators
    failed = longest = stretch = ticks = 0
    # A 429 pushes a channel's next refresh out, so tick until every channel
    # has made the full number of refreshes.
    while min(refreshes.values()) < polls:
        ticks += 1
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL, emulator=emulator)
        down = any(not c.last_update_success for c in coordinators.values())
        failed += down
        stretch = stretch + 1 if down else 0
        longest = max(longest, stretch)
    injected = dict(emulator.faults.counts)
    faults.set_all(0.0)
    recovery = 0
    while any(not c.last_update_success for c in coordinators.values()):
        recovery += 1
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    # One more poll reads whatever the last faulty answers left incomplete.
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    lost = 0
    differences: dict[str, dict[str, int]] = {}
    for key, coordinator in coordinators.items():
        window_start = emulator.clock() - coordinator.tracker.window
        truth = emulator.truth(Channel(key).path, window_start)
        lost += len(
            {op["id"] for op in truth["operations"]} - set(coordinator.data.operations)
        )
        differences[key] = {
            name: coordinator.data.totals.get(name, 0) - value
            for name, value in truth["totals"].items()
            if coordinator.data.totals.get(name, 0) != value
        }
    unhandled = [
        record
        for record in records
        if record.levelno >= logging.ERROR and record.msg != UPDATE_FAILED_LOG
    ]
    served = {shape_name(emulator.shapes[Channel(key).path]) for key in coordinators}
    return SoakReport(
        shape=", ".join(sorted(served)),
        polls=polls,
        ticks=ticks,
        refreshes=sum(refreshes.values()),
        requests=emulator.requests["total"],
        faults=injected,
        failed_polls=failed,
        longest_unavailable_polls=longest,
        polls_to_recover_after_faults=recovery,
        unhandled_exceptions=len(unhandled),
        lost_operations=lost,
        totals_difference=differences,
    )
