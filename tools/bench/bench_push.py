"""Benchmark of Instant updates: latency, requests per hour, and faulty deliveries.

Run through scripts/bench, after the polling benchmark, under pytest so Home
Assistant's test harness provides a real `hass`. The emulator serves from a
thread of its own (tools/bench/bench_polling.py's EmulatorThread) and
delivers its events over loopback to the entry's webhook, which Home
Assistant's own webhook handler answers.

- Latency: real time, the emulator's ticker looking for transitions every
  0.25 s, sends made straight at the emulator (not followed by the
  integration, so only events can bring them): from the moment the emulator
  emits an operation event to the moment the operations event entity fires.
- Requests per hour: one simulated hour (the clock moved 5 s a step, every
  channel refreshed whenever its own interval has passed, events emitted
  and delivered at each step), the same sends, polling only against push.
- Faults: the push hour again with a share of deliveries duplicated,
  reordered and dropped; every operation's final state against the
  emulator's, and every transition announced at most once.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
import json
import os
from pathlib import Path
import statistics
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import Emulator, EmulatorConfig, StreamsConfig
from custom_components.twilio_comms.api import Channel
from custom_components.twilio_comms.const import (
    BASE_URL_ENV,
    CONF_CHANNELS,
    CONF_INSTANT_UPDATES,
    DOMAIN,
)
from custom_components.twilio_comms.coordinator import ChannelCoordinator
from tests.common import (
    ACCOUNT_SID,
    ALICE_SUBENTRY,
    AUTH_TOKEN,
    AUTH_TOKEN_DATA,
    DEFAULT_OPTIONS,
    served_webhooks,
)
from tools.bench.bench_polling import (
    EmulatorThread,
    MovableClock,
    bench_config,
    shifted_time,
)
from tools.bench.report import machine

RESULTS = Path(os.environ.get("BENCH_PUSH_RESULTS", "docs/push.json"))

# Sends of the latency run; each makes two or three operation events.
LATENCY_SENDS = int(os.environ.get("BENCH_LATENCY_SENDS", "60"))

# How long the latency run waits for every send to complete, in real time.
LATENCY_TIMEOUT = 240.0

# The simulated hour: the clock's step, and, in the busy hour, a send of each
# kind this often (every 30 minutes in the light hour): a text from Home Assistant (which it follows), and a bulk
# send of BULK_RECIPIENTS from another app of the account (minutes of
# processing).
HOUR = timedelta(hours=1)
STEP = timedelta(seconds=5)
SEND_EVERY = timedelta(minutes=10)
BULK_RECIPIENTS = 300
# After the hour, time for the last sends to end and a reconcile poll to run.
TAIL = timedelta(minutes=20)

# The faulty hour's share of deliveries duplicated, reordered and dropped.
FAULT_RATE = float(os.environ.get("BENCH_PUSH_FAULT_RATE", "0.25"))

# Operations in the seeded window, few of them in flight.
SEEDED = 100

EVENT_ENTITY = "event.messages_operations"
SEND_ROUTE = "POST /v1/{channel}"
# The emulator's events, by the event entity's type.
EVENT_TYPES = {
    "com.twilio.comms-api.operation.scheduled": "operation_scheduled",
    "com.twilio.comms-api.operation.processing": "operation_processing",
    "com.twilio.comms-api.operation.completed": "operation_completed",
}


@dataclass
class Fired:
    """What the operations event entity fired, and when (the benchmark's clock)."""

    clock: MovableClock
    events: list[tuple[str, str, datetime]] = field(default_factory=list)

    def listen(self, hass: HomeAssistant) -> None:
        """Record every event the entity fires from now on."""

        @callback
        def _changed(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            if state is not None and "operation_id" in state.attributes:
                self.events.append(
                    (
                        state.attributes["operation_id"],
                        state.attributes["event_type"],
                        self.clock(),
                    )
                )

        async_track_state_change_event(hass, EVENT_ENTITY, _changed)

    def announced_twice(self) -> int:
        """Return how many (operation, event type) pairs fired more than once."""
        pairs = [(operation_id, kind) for operation_id, kind, _ in self.events]
        return len(pairs) - len(set(pairs))


def config(tick_seconds: float, **faults: float) -> EmulatorConfig:
    """Return the benchmark's account, its Event Streams looking every tick_seconds."""
    base = bench_config(SEEDED)
    return replace(
        base,
        streams=StreamsConfig(
            tick_seconds=tick_seconds,
            retry_initial_seconds=0.05,
            retry_max_seconds=0.5,
            delay_seconds=0.2,
            **faults,
        ),
    )


@asynccontextmanager
async def served(
    hass: HomeAssistant,
    emulator_config: EmulatorConfig,
    clock: MovableClock,
    *,
    instant: bool,
) -> AsyncIterator[tuple[EmulatorThread, MockConfigEntry]]:
    """Serve the account and set up an entry on it, Instant updates on or off."""
    server = EmulatorThread(emulator_config, clock)
    server.start()
    os.environ[BASE_URL_ENV] = server.url
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCOUNT_SID,
        data=dict(AUTH_TOKEN_DATA),
        options={
            **DEFAULT_OPTIONS,
            CONF_CHANNELS: [Channel.MESSAGES.value],
            CONF_INSTANT_UPDATES: instant,
        },
        subentries_data=[ALICE_SUBENTRY],
    )
    async with served_webhooks(hass):
        entry.add_to_hass(hass)
        try:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            stream = entry.runtime_data.instant_updates
            assert (stream is not None and stream.running) is instant
            yield server, entry
        finally:
            await hass.config_entries.async_remove(entry.entry_id)
            server.stop()


def emulator_of(server: EmulatorThread) -> Emulator:
    """Return the served emulator."""
    assert server.emulator is not None
    return server.emulator


async def deliver(server: EmulatorThread) -> None:
    """Have the emulator emit what changed, and wait until it is delivered."""
    emulator = emulator_of(server)

    async def emit_and_settle() -> None:
        emulator.emit_events()
        await emulator.delivery.settle()

    await server.call(emit_and_settle)


async def send_elsewhere(
    session: aiohttp.ClientSession, server: EmulatorThread, recipients: int = 1
) -> None:
    """Send a message as another app of the account would, straight to Twilio."""
    body = {
        "from": {"address": "+15550001111"},
        "to": [{"address": f"+1555{index:07d}"} for index in range(recipients)],
        "content": {"text": "From another app"},
    }
    async with session.post(
        f"{server.url}/Messages",
        json=body,
        auth=aiohttp.BasicAuth(ACCOUNT_SID, AUTH_TOKEN),
    ) as response:
        assert response.status == 202, await response.text()


async def send_from_home_assistant(hass: HomeAssistant) -> None:
    """Text Alice through her notify entity, as an automation would."""
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alice", "message": "From Home Assistant"},
        blocking=True,
    )


def p95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def bench_latency(hass: HomeAssistant) -> dict[str, Any]:
    """Return the latency from an operation event's emission to Home Assistant's event."""
    clock = MovableClock()
    async with (
        served(hass, config(tick_seconds=0.25), clock, instant=True) as (server, entry),
        aiohttp.ClientSession() as session,
    ):
        fired = Fired(clock)
        fired.listen(hass)
        with shifted_time(clock):
            for _ in range(LATENCY_SENDS):
                await send_elsewhere(session, server)
            emulator = emulator_of(server)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + LATENCY_TIMEOUT
            while loop.time() < deadline:
                await asyncio.sleep(1)
                report = await server.call(lambda: _async(emulator.event_report))
                completed = report["emitted_by_type"].get(
                    "com.twilio.comms-api.operation.completed", 0
                )
                if completed >= LATENCY_SENDS and _all_fired(report, fired):
                    break
        report = await server.call(lambda: _async(emulator.event_report))
        coordinator = entry.runtime_data.coordinators[Channel.MESSAGES]
        latencies = _latencies(report, fired)
        return {
            "sends": LATENCY_SENDS,
            "events": len(latencies),
            "median_s": statistics.median(latencies),
            "p95_s": p95(latencies),
            "max_s": max(latencies),
            "announced_twice": fired.announced_twice(),
            "polls_while_events_flow": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
        }


async def _async[T](function: Callable[[], T]) -> T:
    """Return what a function returns, from a coroutine (for EmulatorThread.call)."""
    return function()


def _emitted(report: dict[str, Any]) -> dict[tuple[str, str], datetime]:
    """Return when each operation event was first emitted, by (operation, event type)."""
    emitted: dict[tuple[str, str], datetime] = {}
    for logged in report["log"]:
        kind = EVENT_TYPES.get(logged["type"])
        if kind is None or logged["operation_id"] is None:
            continue
        moment = dt_util.parse_datetime(logged["emitted_at"])
        assert moment is not None
        emitted.setdefault((logged["operation_id"], kind), moment)
    return emitted


def _all_fired(report: dict[str, Any], fired: Fired) -> bool:
    """Return whether every operation event the emulator emitted has fired."""
    seen = {(operation_id, kind) for operation_id, kind, _ in fired.events}
    return set(_emitted(report)) <= seen


def _latencies(report: dict[str, Any], fired: Fired) -> list[float]:
    """Return, per operation event that fired, the seconds from emission to firing.

    A transition both emitted and fired; when one read of an operation finds
    it further on than the event said, the event it fired is matched instead.
    """
    emitted = _emitted(report)
    return [
        (moment - emitted[operation_id, kind]).total_seconds()
        for operation_id, kind, moment in fired.events
        if (operation_id, kind) in emitted
    ]


@contextmanager
def refreshed_by_the_benchmark() -> Iterator[None]:
    """Keep coordinators off their own timers: the benchmark's loop refreshes them."""
    with patch.object(ChannelCoordinator, "_schedule_refresh", lambda self: None):
        yield


# How often a send of each kind is made, per workload (None: never).
WORKLOADS: dict[str, timedelta | None] = {
    "idle": None,
    "light": timedelta(minutes=30),
    "busy": SEND_EVERY,
}


async def simulate_hour(
    hass: HomeAssistant,
    *,
    instant: bool,
    workload: str = "busy",
    faults: float = 0.0,
) -> dict[str, Any]:
    """Run the simulated hour of a workload; return what it cost and whether it stayed right."""
    send_every = WORKLOADS[workload]
    clock = MovableClock()
    fault_rates = dict.fromkeys(("duplicate", "reorder", "drop"), faults)
    async with (
        served(hass, config(3600, **fault_rates), clock, instant=instant) as (
            server,
            entry,
        ),
        aiohttp.ClientSession() as session,
    ):
        emulator = emulator_of(server)
        coordinator = entry.runtime_data.coordinators[Channel.MESSAGES]
        fired = Fired(clock)
        fired.listen(hass)
        with shifted_time(clock), refreshed_by_the_benchmark():
            await deliver(server)
            await server.call(lambda: _async(emulator.reset_requests))
            elapsed = timedelta()
            polled = timedelta()
            while elapsed < HOUR + TAIL:
                if (
                    send_every is not None
                    and elapsed < HOUR
                    and elapsed % send_every == timedelta()
                ):
                    await send_from_home_assistant(hass)
                    await send_elsewhere(session, server, BULK_RECIPIENTS)
                elapsed += STEP
                clock.offset += STEP
                await deliver(server)
                await hass.async_block_till_done(wait_background_tasks=True)
                interval = coordinator.update_interval or timedelta(minutes=2)
                if elapsed - polled >= interval:
                    polled = elapsed
                    await coordinator.async_refresh()
                    await hass.async_block_till_done(wait_background_tasks=True)
            requests = await server.call(lambda: _async(emulator.requests.report))
            events = await server.call(lambda: _async(emulator.event_report))
            since = clock() - timedelta(hours=24)
            truth = await server.call(
                lambda: _async(lambda: emulator.truth(Channel.MESSAGES.path, since))
            )
        shown = coordinator.data.operations
        wrong = [
            operation["id"]
            for operation in truth["operations"]
            if operation["id"] not in shown
            or shown[operation["id"]].raw_status != operation["status"]
        ]
        messages = requests["channels"].get("Messages", 0)
        sends = requests["routes"].get(SEND_ROUTE, 0)
        stream = entry.runtime_data.instant_updates
        return {
            "instant_updates": instant,
            "workload": workload,
            "fault_rate": faults,
            "simulated_minutes": (HOUR + TAIL).total_seconds() / 60,
            "sends": sends,
            # Requests to the Comms API for the Messages channel, sends aside.
            "messages_requests": messages - sends,
            "requests_by_route": requests["routes"],
            "operations_in_window": len(truth["operations"]),
            "operations_wrong": len(wrong),
            "announced": len(fired.events),
            "announced_twice": fired.announced_twice(),
            "events_emitted": events["emitted"],
            "deliveries": events["deliveries"],
            "faults_injected": events["faults"],
            "received": stream.counts.received if stream else 0,
            "duplicates_dropped": stream.counts.duplicates if stream else 0,
        }


@pytest.mark.usefixtures("socket_enabled", "enable_custom_integrations")
async def test_bench_push(hass: HomeAssistant) -> None:
    """Measure Instant updates and write the results for tools/bench/report.py."""
    # As in the polling benchmark: asyncio debug mode is the harness's, not
    # Home Assistant's.
    hass.loop.set_debug(False)
    hours = {
        f"{workload}_{mode}": await simulate_hour(
            hass, instant=mode == "push", workload=workload
        )
        for workload in WORKLOADS
        for mode in ("polling", "push")
    }
    hours["busy_push_faulty"] = await simulate_hour(
        hass, instant=True, faults=FAULT_RATE
    )
    results = {
        "latency": await bench_latency(hass),
        "hour": hours,
        "ratios": {
            workload: hours[f"{workload}_polling"]["messages_requests"]
            / max(hours[f"{workload}_push"]["messages_requests"], 1)
            for workload in WORKLOADS
        },
        "load_average": os.getloadavg(),
        "machine": machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    await hass.async_block_till_done()
