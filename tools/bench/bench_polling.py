"""Benchmark of polling cost: the real coordinators against the emulator.

Run through scripts/bench, which runs this module under pytest so Home
Assistant's test harness provides a real `hass`. The emulator runs in a thread
of its own with its own event loop, so `time.thread_time()` in the test's
thread measures the integration's CPU only. Both sides read one clock that the
benchmark moves forward, so "8 hours later" takes no time.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import gc
import json
import os
from pathlib import Path
import statistics
import threading
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

from aiohttp import web
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import EMULATOR_KEY, Emulator, EmulatorConfig, create_app
from comms_emulator.config import CHANNELS, ChannelShape
from custom_components.twilio_comms.api import Channel, OperationStatus
from custom_components.twilio_comms.const import (
    BASE_URL_ENV,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
)
from custom_components.twilio_comms.coordinator import ChannelCoordinator, LifetimeStore
from custom_components.twilio_comms.helpers import build_client
from tests.common import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    AUTH_TOKEN_DATA,
    DEFAULT_OPTIONS,
    PROFILE_READING_SHAPES,
    shape_name,
)
from tools.bench.report import machine

# Operations per channel inside the window, the sizes the issue asks for.
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100,1000,10000").split(",")]

# Refreshes measured per steady state, for medians and p95.
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))

# Share of the seeded operations still in flight in the active scenario.
ACTIVE_FRACTION = 0.01

# Operations per channel of the idle row measured on every shape.
SHAPE_SIZE = int(os.environ.get("BENCH_SHAPE_SIZE", "1000"))

# The idle stretch the per-shape row counts requests over.
IDLE_STRETCH = timedelta(minutes=10)

RESULTS = Path(os.environ.get("BENCH_RESULTS", "docs/performance.json"))


class MovableClock:
    """Wall time plus an offset the benchmark moves forward."""

    def __init__(self) -> None:
        """Start at the real time."""
        self.offset = timedelta()

    def __call__(self) -> datetime:
        """Return the shifted time."""
        return datetime.now(UTC) + self.offset


@dataclass
class EmulatorThread:
    """The emulator, served from its own thread and event loop."""

    config: EmulatorConfig
    clock: MovableClock
    url: str = ""
    emulator: Emulator | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        """Start serving on a free loopback port."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(60)

    def _run(self) -> None:
        """Thread body: serve until the loop is stopped."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = create_app(self.config, clock=self.clock)
        self.emulator = app[EMULATOR_KEY]
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
        self.url = f"http://127.0.0.1:{port}/v1"
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    async def call[T](self, function: Callable[[], Awaitable[T]]) -> T:
        """Run a coroutine function on the emulator's loop; return its result."""
        assert self._loop is not None
        return await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(function(), self._loop)
        )

    def stop(self) -> None:
        """Stop serving."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(30)

    def counters(self) -> tuple[int, int]:
        """Return (requests, response bytes) served so far."""
        assert self.emulator is not None
        return self.emulator.requests["total"], self.emulator.response_bytes


@dataclass
class Sample:
    """One refresh of every channel: its cost."""

    requests: int
    response_bytes: int
    wall_ms: float
    cpu_ms: float


def summarise(samples: list[Sample]) -> dict[str, float]:
    """Return medians and p95s of a scenario's samples."""

    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    return {
        "refreshes": len(samples),
        "requests": statistics.median(s.requests for s in samples),
        "response_bytes": statistics.median(s.response_bytes for s in samples),
        "wall_ms_median": statistics.median(s.wall_ms for s in samples),
        "wall_ms_p95": p95([s.wall_ms for s in samples]),
        "cpu_ms_median": statistics.median(s.cpu_ms for s in samples),
        "cpu_ms_p95": p95([s.cpu_ms for s in samples]),
    }


async def measure[*Args](
    server: EmulatorThread,
    refresh: Callable[[*Args], Awaitable[object]],
    *args: *Args,
) -> Sample:
    """Run one refresh and return what it cost."""
    requests, sent = server.counters()
    cpu = time.thread_time()
    wall = time.perf_counter()
    await refresh(*args)
    wall_ms = (time.perf_counter() - wall) * 1000
    cpu_ms = (time.thread_time() - cpu) * 1000
    requests_after, sent_after = server.counters()
    return Sample(requests_after - requests, sent_after - sent, wall_ms, cpu_ms)


@contextmanager
def profiled(path: str) -> Iterator[None]:
    """Profile the block with pyinstrument when BENCH_PROFILE is set.

    Profiling slows the code down, so figures from a profiled run are not
    reported; the profile says where the time goes.
    """
    if not os.environ.get("BENCH_PROFILE"):
        yield
        return
    from pyinstrument import Profiler  # noqa: PLC0415

    profiler = Profiler(async_mode="enabled")
    with profiler:
        yield
    Path(path).write_text(profiler.output_text(unicode=False, color=False))


@contextmanager
def shifted_time(clock: MovableClock) -> Iterator[None]:
    """Make Home Assistant's utcnow follow the benchmark clock."""
    with patch("homeassistant.util.dt.utcnow", clock):
        yield


def coordinators(
    hass: HomeAssistant, entry: MockConfigEntry
) -> list[ChannelCoordinator]:
    """Return fresh coordinators of every channel, on one real client."""
    client = build_client(hass, entry.data)
    lifetime = LifetimeStore(hass, entry)
    return [
        ChannelCoordinator(hass, entry, client, channel, lifetime)
        for channel in Channel
    ]


async def refresh_all(items: list[ChannelCoordinator]) -> None:
    """Refresh every channel side by side, as their timers do, and check success."""
    await asyncio.gather(*(coordinator.async_refresh() for coordinator in items))
    for coordinator in items:
        assert coordinator.last_update_success, coordinator.last_exception


async def naive_refresh(
    items: list[ChannelCoordinator], clock: MovableClock, page_size: int
) -> None:
    """Poll as the naive strategy we compare against: list the whole window."""
    for coordinator in items:
        tracker = coordinator.tracker
        start = clock() - tracker.window
        async for _operation in tracker.client.iter_operations(
            tracker.channel,
            page_size=page_size,
            start_date=start,
            max_pages=NAIVE_MAX_PAGES,
        ):
            pass


# The naive poller at its best (the largest page) and as written from the
# docs' defaults (pageSize 50).
NAIVE_PAGE_SIZES = {"naive": 1000, "naive_default_page": 50}

# Enough pages for 10,000 operations at 50 a page.
NAIVE_MAX_PAGES = 1000


def bench_config(size: int, shape: ChannelShape | None = None) -> EmulatorConfig:
    """Return the benchmark's account: N operations per channel, 1 % in flight."""
    return EmulatorConfig(
        seed=11,
        operations_per_channel=size,
        active_fraction=ACTIVE_FRACTION,
        scheduled_fraction=0.0,
        # Half the 24 h window, so the benchmark's 8 h jump keeps all N inside.
        span=timedelta(hours=12),
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        shapes=dict.fromkeys(CHANNELS, shape or ChannelShape()),
    )


@asynccontextmanager
async def served(
    hass: HomeAssistant, config: EmulatorConfig, clock: MovableClock
) -> AsyncIterator[tuple[EmulatorThread, MockConfigEntry]]:
    """Serve an account from the emulator's thread, with an entry pointing at it."""
    server = EmulatorThread(config, clock)
    server.start()
    os.environ[BASE_URL_ENV] = server.url
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="bench",
        data=dict(AUTH_TOKEN_DATA),
        options=dict(DEFAULT_OPTIONS),
    )
    entry.add_to_hass(hass)
    try:
        yield server, entry
    finally:
        await hass.config_entries.async_remove(entry.entry_id)
        server.stop()


async def bench_size(hass: HomeAssistant, size: int) -> dict[str, Any]:
    """Measure every scenario at one size."""
    clock = MovableClock()
    async with served(hass, bench_config(size), clock) as (server, entry):
        return await _bench_scenarios(hass, server, entry, clock, size)


async def _bench_scenarios(
    hass: HomeAssistant,
    server: EmulatorThread,
    entry: MockConfigEntry,
    clock: MovableClock,
    size: int,
) -> dict[str, Any]:
    """Measure every scenario against a served account of N operations per channel."""
    result: dict[str, Any] = {"size": size}
    with shifted_time(clock):
        first = []
        for _ in range(REPEATS):
            items = coordinators(hass, entry)
            first.append(await measure(server, refresh_all, items))
        result["first"] = summarise(first)
        single = []
        for _ in range(REPEATS):
            items = coordinators(hass, entry)[:1]
            single.append(await measure(server, refresh_all, items))
        result["first_one_channel"] = summarise(single)

        # Memory held by the coordinators' state after a first refresh.
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        items = coordinators(hass, entry)
        await refresh_all(items)
        gc.collect()
        result["state_bytes"] = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()

        active = []
        with profiled(f"docs/profile-active-{size}.txt"):
            for _ in range(REPEATS):
                clock.offset += timedelta(seconds=20)
                active.append(await measure(server, refresh_all, items))
        assert any(
            op.status is OperationStatus.PROCESSING
            for c in items
            for op in c.data.operations.values()
        )
        result["active"] = summarise(active)

        # Everything finishes; one poll reads the final states.
        clock.offset += timedelta(hours=8)
        result["transition"] = summarise([await measure(server, refresh_all, items)])
        assert all(c.data.active_count == 0 for c in items)
        idle = []
        for _ in range(REPEATS):
            clock.offset += timedelta(minutes=2)
            idle.append(await measure(server, refresh_all, items))
        result["idle"] = summarise(idle)

        for name, page_size in NAIVE_PAGE_SIZES.items():
            naive = [
                await measure(server, naive_refresh, items, clock, page_size)
                for _ in range(REPEATS)
            ]
            result[name] = summarise(naive)
        truth = server.emulator.truth(  # type: ignore[union-attr]
            Channel.MESSAGES.path, clock() - timedelta(hours=24)
        )
        messages = next(c for c in items if c.channel is Channel.MESSAGES)
        result["totals_match_truth"] = dict(messages.data.totals) == truth["totals"]
        result["operations_per_channel_in_window"] = len(messages.data.operations)
    return result


async def bench_idle_shape(
    hass: HomeAssistant, shape: ChannelShape, size: int
) -> dict[str, Any]:
    """Measure the idle row on one shape: requests per channel per poll and per 10 minutes.

    Each channel is refreshed whenever its own update interval has passed,
    as its timer would, so a channel that does not go idle shows up as more
    polls and more requests over the stretch.
    """
    clock = MovableClock()
    async with served(hass, bench_config(size, shape), clock) as (server, entry):
        assert server.emulator is not None
        emulator = server.emulator
        with shifted_time(clock):
            items = coordinators(hass, entry)
            await refresh_all(items)
            # Everything finishes; one poll reads the final states.
            clock.offset += timedelta(hours=8)
            await refresh_all(items)
            emulator.reset_requests()
            polls = dict.fromkeys(CHANNELS, 0)
            due = dict.fromkeys(CHANNELS, timedelta())
            elapsed = timedelta()
            step = min(c.update_interval or IDLE_UPDATE_INTERVAL for c in items)
            while elapsed + step <= IDLE_STRETCH:
                elapsed += step
                clock.offset += step
                for coordinator in items:
                    channel = coordinator.channel.path
                    if elapsed >= due[channel] + (
                        coordinator.update_interval or IDLE_UPDATE_INTERVAL
                    ):
                        due[channel] = elapsed
                        polls[channel] += 1
                        await refresh_all([coordinator])
            requests = {
                channel: emulator.channel_requests[channel] for channel in CHANNELS
            }
            window_start = clock() - timedelta(hours=24)
            return {
                "shape": shape_name(shape),
                "size": size,
                "update_interval_s": {
                    c.channel.path: (
                        c.update_interval or IDLE_UPDATE_INTERVAL
                    ).total_seconds()
                    for c in items
                },
                "polls_in_10_minutes": polls,
                "requests_in_10_minutes": requests,
                "requests_per_poll": {
                    channel: requests[channel] / polls[channel] for channel in CHANNELS
                },
                "totals_match_truth": all(
                    dict(c.data.totals)
                    == emulator.truth(c.channel.path, window_start)["totals"]
                    for c in items
                ),
            }


@pytest.mark.usefixtures("socket_enabled")
async def test_bench(hass: HomeAssistant) -> None:
    """Measure every size and write the results for tools/bench/report.py."""
    # Home Assistant's test harness runs the loop in asyncio debug mode, which
    # records a stack trace (with a stat() per frame) for every task and
    # callback: pyinstrument showed two thirds of a poll's CPU there. A real
    # Home Assistant runs without it.
    hass.loop.set_debug(False)
    results = {
        "sizes": [await bench_size(hass, size) for size in SIZES],
        "idle_per_shape": [
            await bench_idle_shape(hass, shape, SHAPE_SIZE)
            for shape in PROFILE_READING_SHAPES
        ],
        # Other work on the machine inflates wall and CPU times (not requests).
        "load_average": os.getloadavg(),
        "machine": machine(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    await hass.async_block_till_done()
