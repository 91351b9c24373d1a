"""Operations evolve with simulated time, deterministically from the seed."""

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
import pytest

from comms_emulator import EMULATOR_KEY, ChannelShape, EmulatorConfig, create_app
from comms_emulator.config import CHANNELS, MIN_LIVE_INTERVAL, STATS_KEYS
from comms_emulator.lifecycle import OperationPlan
from comms_emulator.rendering import iso
from comms_emulator.world import MAX_ARRIVALS

from .conftest import START, ClientFactory, ManualClock, emulator_of, get_json, list_all


def _pick(
    client: TestClient[Any, Any], *, canceled: bool = False, scheduled: bool = False
) -> OperationPlan:
    """Return a seeded Messages operation that has not started yet."""
    return next(
        plan
        for plan in emulator_of(client).world.operations("Messages", START)
        if plan.start_at > START
        and (plan.cancel_at is not None) == canceled
        and (plan.start_at - plan.created_at > timedelta(hours=1)) == scheduled
    )


async def _operation(client: TestClient[Any, Any], plan: OperationPlan) -> Any:
    """Return an operation as the API shows it now."""
    return await get_json(client, f"/v1/Messages/Operations/{plan.id}")


@pytest.mark.parametrize(
    ("ahead", "canceled"),
    [(False, False), (True, False), (False, True)],
    ids=["soon", "hours-ahead", "canceled"],
)
async def test_scheduled_processing_then_completed_or_canceled(
    make_client: ClientFactory, clock: ManualClock, ahead: bool, canceled: bool
) -> None:
    """SCHEDULED until it starts, PROCESSING, then COMPLETED (or CANCELED, the rest canceled)."""
    client = await make_client(
        operations_per_channel=400,
        active_fraction=0.5,
        scheduled_fraction=0.3,
        cancel_rate=0.2,
    )
    plan = _pick(client, scheduled=ahead, canceled=canceled)
    end = plan.cancel_at or plan.end_at
    clock.now = max(START, plan.start_at - timedelta(minutes=1))
    scheduled = await _operation(client, plan)
    assert scheduled["status"] == "SCHEDULED"
    assert scheduled["updatedAt"] == scheduled["createdAt"] == iso(plan.created_at)
    stats = scheduled["stats"]
    assert stats["scheduled"] == plan.recipients - plan.unaddressable
    assert stats["sent"] == stats["queued"] == 0
    clock.now = plan.start_at
    assert (await _operation(client, plan))["status"] == "PROCESSING"

    clock.now = plan.start_at + (end - plan.start_at) / 2
    processing = await _operation(client, plan)
    assert processing["status"] == "PROCESSING"
    assert processing["stats"]["scheduled"] == 0
    assert processing["stats"]["queued"] > 0
    assert processing["stats"]["sent"] > 0
    assert iso(plan.start_at) <= processing["updatedAt"] <= iso(clock.now)
    # updatedAt is the last change, so it does not move while nothing changes.
    clock.tick(timedelta(microseconds=1))
    assert (await _operation(client, plan))["updatedAt"] == processing["updatedAt"]

    clock.now = end
    ended = await _operation(client, plan)
    assert ended["status"] == ("CANCELED" if canceled else "COMPLETED")
    assert ended["updatedAt"] == iso(end)
    final = ended["stats"]
    assert final["queued"] == final["scheduled"] == 0
    assert (final["canceled"] > 0) == canceled
    assert (
        final["sent"] + final["failed"] + final["canceled"]
        == plan.recipients - plan.unaddressable
    )
    clock.tick(timedelta(days=1))
    assert await _operation(client, plan) == ended


async def test_outcomes_follow_the_seeded_rates(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """Once done, failed, undelivered and read come out near the configured rates."""
    # Cumulative (the default) reading: sent includes delivered and undelivered.
    client = await make_client(
        operations_per_channel=1000,
        cancel_rate=0.0,
        shapes={"Messages": ChannelShape(counter_reading="cumulative")},
    )
    clock.tick(timedelta(hours=7))
    operations = await list_all(client, pageSize="1000")
    assert {op["status"] for op in operations} == {"COMPLETED"}
    totals = {
        key: sum(op["stats"][key] for op in operations)
        for key in STATS_KEYS["Messages"]
    }
    addressable = totals["total"] - totals["unaddressable"]
    assert 0.03 < totals["failed"] / addressable < 0.05
    assert 0.02 < totals["undelivered"] / addressable < 0.04
    assert 0.45 < totals["read"] / totals["delivered"] < 0.55
    assert totals["delivered"] + totals["undelivered"] == totals["sent"]
    assert totals["attempts"] == totals["sent"] + 2 * totals["failed"]


async def test_same_seed_same_data(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """The same seed gives identical JSON, live arrivals included; another seed not."""
    settings = {"operations_per_channel": 10, "new_operation_interval": 60}
    first = [await make_client(seed=5, **settings) for _ in range(2)]
    other = await make_client(seed=6, **settings)
    clock.tick(timedelta(minutes=10, seconds=30))
    for channel in CHANNELS:
        listed = [await list_all(client, channel, pageSize="1000") for client in first]
        assert listed[0] == listed[1] != await list_all(other, channel, pageSize="1000")
        assert len(listed[0]) == 20
        assert listed[0][0]["createdAt"] == iso(START + timedelta(minutes=10))


async def test_live_arrivals_switch_at_runtime_and_stay_bounded(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """The control plane starts and stops arrivals; long jumps keep what is visible.

    A month's jump hourly keeps the 7 days' arrivals (both ends included), a
    week's at one a second adds a bounded number, not 600,000.
    """
    client = await make_client(operations_per_channel=5)
    emulator = emulator_of(client)
    clock.tick(timedelta(minutes=5))
    assert len(await list_all(client)) == 5
    response = await client.post("/_emulator/live", json={"interval": 30})
    assert await response.json() == {"interval": 30.0}
    clock.tick(timedelta(minutes=5))
    assert len(await list_all(client)) == 15
    await client.post("/_emulator/live", json={"interval": 0})
    clock.tick(timedelta(minutes=5))
    assert len(await list_all(client)) == 15
    emulator.set_live_interval(3600)
    clock.tick(timedelta(days=30))
    assert len(await list_all(client, pageSize="1000")) == 7 * 24 + 1
    assert len(emulator.world.channels["Messages"].plans) == 7 * 24 + 1
    emulator.set_live_interval(MIN_LIVE_INTERVAL)
    jumped_from = clock.now
    clock.tick(timedelta(days=7))
    emulator.now()
    for log in emulator.world.channels.values():
        added = [plan for plan in log.plans if plan.created_at > jumped_from]
        assert len(added) == MAX_ARRIVALS


async def test_default_clock_follows_frozen_time(
    aiohttp_client: Any, freezer: FrozenDateTimeFactory
) -> None:
    """Without a clock, the emulator reads the current time at each use (freezegun moves it)."""
    freezer.move_to(START)
    client = await aiohttp_client(create_app(EmulatorConfig(operations_per_channel=20)))
    emulator = client.app[EMULATOR_KEY]
    assert emulator.clock() == START
    health = await (await client.get("/_emulator/health")).json()
    assert health == {"status": "ok", "now": iso(START)}
    freezer.tick(timedelta(hours=8))
    assert emulator.clock() == START + timedelta(hours=8)
    truth = emulator.truth("Messages")
    assert {op["status"] for op in truth["operations"]} <= {"COMPLETED", "CANCELED"}
