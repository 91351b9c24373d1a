"""Channel shapes: every stats key set, counter reading and quirk the documents show."""

from collections import Counter
from datetime import datetime, timedelta
from itertools import groupby, product
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp.test_utils import TestClient
import pytest

from comms_emulator import ChannelShape
from comms_emulator.config import (
    CHANNELS,
    COUNTER_READINGS,
    READ_KEYS,
    STATS_PROFILE_KEYS,
    STATS_PROFILES,
)
from comms_emulator.lifecycle import (
    BACKWARD_AFTER,
    BACKWARD_SPAN,
    SCHEDULED_AHEAD,
    OperationPlan,
)
from comms_emulator.rendering import iso

from .conftest import (
    START,
    ClientFactory,
    ManualClock,
    emulator_of,
    get_json,
    list_all,
    list_pages,
    statuses,
)

# The split buckets: each resource is in exactly one of them.
BUCKETS = (
    "scheduled", "queued", "sent", "delivered", "read", "opened", "undelivered",
    "failed", "canceled", "unaddressable",
)  # fmt: skip

# Profiles whose keys hold every bucket a resource can be in (Push's guide
# has no scheduled, unaddressable or canceled; sparse only sent and failed).
COMPLETE_PROFILES = {("reference", channel) for channel in CHANNELS} | {
    ("guide", "Messages"),
    ("guide", "Emails"),
}

# Plenty of operations in flight, some canceled, some scheduled ahead.
BUSY: dict[str, Any] = {
    "operations_per_channel": 150,
    "active_fraction": 0.4,
    "cancel_rate": 0.1,
    "scheduled_fraction": 0.2,
}

# What an operation shows, and the statuses it ends in.
OPERATION_KEYS = ("id", "status", "stats", "createdAt", "updatedAt")
ENDED = {"COMPLETED", "CANCELED"}

# Moments after START at which the tests look.
MOMENTS = [timedelta(seconds=s) for s in (0, 20, 45, 90, 300, 900, 3600, 8 * 3600)]


def _everywhere(**settings: Any) -> dict[str, ChannelShape]:
    """Return the same shape for every channel."""
    return dict.fromkeys(CHANNELS, ChannelShape(**settings))


def _bucket_sum(stats: dict[str, int]) -> int:
    """Return the sum of the bucket keys of some stats."""
    return sum(value for key, value in stats.items() if key in BUCKETS)


def _scheduled_ahead(client: TestClient[Any, Any], channel: str) -> list[OperationPlan]:
    """Return the operations that can take a partial schedule, not canceled."""
    return [
        plan
        for plan in emulator_of(client).world.operations(channel, START)
        if plan.start_at - plan.created_at >= SCHEDULED_AHEAD
        and plan.recipients >= 10
        and plan.cancel_at is None
        and plan.start_at > START
    ]


@pytest.mark.parametrize(
    ("profile", "reading", "channel"),
    list(product(STATS_PROFILES, COUNTER_READINGS, CHANNELS)),
)
async def test_every_profile_and_reading_over_time(
    make_client: ClientFactory,
    clock: ManualClock,
    profile: str,
    reading: str,
    channel: str,
) -> None:
    """Each profile serves its keys in each reading, as truth sums them, at every moment.

    Split buckets add up to total (or less, where the profile lacks some), and
    go down as resources move on; cumulative outcomes never go down, delivered
    and undelivered split sent, read is part of delivered.
    """
    client = await make_client(
        **BUSY,
        shapes=_everywhere(
            stats_profile=profile, counter_reading=reading, partial_schedule_share=0.5
        ),
    )
    keys = STATS_PROFILE_KEYS[profile][channel]
    read = READ_KEYS.get(channel, "")
    previous: dict[str, dict[str, int]] = {}
    went_down = False
    for moment in MOMENTS:
        clock.now = START + moment
        listed = await list_all(client, channel, pageSize="1000")
        truth = emulator_of(client).truth(channel)
        assert truth["operations"] == listed
        assert truth["totals"] == {
            key: sum(op["stats"][key] for op in listed) for key in keys
        }
        for op in listed:
            stats = op["stats"]
            assert (tuple(op), tuple(stats)) == (OPERATION_KEYS, keys)
            assert op["createdAt"] <= op["updatedAt"] <= iso(clock.now)
            if reading == "split" and (profile, channel) in COMPLETE_PROFILES:
                assert _bucket_sum(stats) == stats["total"], op
            elif reading == "split":
                assert _bucket_sum(stats) <= stats["total"], op
            elif "delivered" in stats:
                assert stats["delivered"] + stats["undelivered"] == stats["sent"]
                assert stats.get(read, 0) <= stats["delivered"]
            if reading == "cumulative" and {"unaddressable", "scheduled"} <= set(stats):
                pending = stats["scheduled"] + stats["queued"] + stats["canceled"]
                addressable = stats["total"] - stats["unaddressable"]
                assert stats["sent"] + stats["failed"] + pending == addressable
            # Split: a sent one waits for its receipt, all are in at the end.
            if reading == "split" and "delivered" in stats and op["status"] in ENDED:
                assert stats["sent"] == 0
            before = previous.get(op["id"], stats)
            fell = {key for key in stats if stats[key] < before[key]}
            if reading == "cumulative":
                assert not fell & {"sent", "failed", "delivered", read, "undelivered"}
            went_down |= bool(fell)
            previous[op["id"]] = stats
    fetched = await get_json(client, f"/v1/{channel}/Operations/{listed[0]['id']}")
    assert tuple(fetched["stats"]) == keys
    # Sparse keys only what never goes back: sent (receipts fold in) and failed.
    assert went_down == (profile != "sparse")


def test_profile_key_sets() -> None:
    """The key sets are the documents': seed 002, the Email guide, seed 004, sparse."""
    guide = STATS_PROFILE_KEYS["guide"]
    reference = STATS_PROFILE_KEYS["reference"]
    assert set(guide["Emails"]) == set(reference["Emails"]) - {"recipients", "attempts"}
    assert set(guide["Messages"]) == set(reference["Messages"])
    assert guide["Messages"] != reference["Messages"]
    assert set(STATS_PROFILE_KEYS["sparse"].values()) == {("total", "sent", "failed")}


# Emails count no unaddressable, which their resources still show as FAILED.
@pytest.mark.parametrize("reading", COUNTER_READINGS)
@pytest.mark.parametrize("channel", ["Messages", "PushNotifications"])
async def test_resources_count_as_the_stats_say(
    make_client: ClientFactory, clock: ManualClock, reading: str, channel: str
) -> None:
    """An operation's resources by status give its stats, under either reading."""
    client = await make_client(**BUSY, shapes=_everywhere(counter_reading=reading))
    clock.tick(timedelta(minutes=3))
    truth = emulator_of(client).truth(channel)["operations"]
    in_flight = [op for op in truth if op["status"] == "PROCESSING"]
    operation = max(in_flight, key=lambda op: op["stats"]["total"])
    stats = operation["stats"]
    counted = await statuses(client, channel, operation["id"])
    assert stats["sent"] > 0
    # Unaddressable resources show FAILED.
    expected = {key.upper(): stats.get(key, 0) for key in BUCKETS[:-1]} | {
        "FAILED": stats["failed"] + stats["unaddressable"]
    }
    if reading == "cumulative":  # sent holds delivered and undelivered, delivered read
        expected["DELIVERED"] -= stats.get(READ_KEYS.get(channel, ""), 0)
        expected["SENT"] -= stats.get("delivered", 0) + stats.get("undelivered", 0)
    assert counted == +Counter(expected)
    assert counted.total() == stats["total"]


async def test_outcomes_do_not_depend_on_the_shape(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """Truth outcomes are the same under every reading and profile of the same seed."""
    shapes = [
        _everywhere(),
        _everywhere(counter_reading="split"),
        _everywhere(stats_profile="sparse", counter_reading="split"),
        _everywhere(stats_profile="guide", unknown_status_share=0.5),
    ]
    clients = [await make_client(**BUSY, shapes=shape) for shape in shapes]
    for moment in MOMENTS:
        clock.now = START + moment
        for channel in CHANNELS:
            outcomes = [emulator_of(c).truth(channel)["outcomes"] for c in clients]
            assert all(outcome == outcomes[0] for outcome in outcomes), channel
            totals = emulator_of(clients[0]).truth(channel)["totals"]
            assert outcomes[0]["finished"] == totals["sent"] + totals["failed"]
            assert outcomes[0]["failed"] == totals["failed"]
    # Early on some are in flight, at the end none.
    assert outcomes[0]["in_flight"] == 0
    clock.now = START
    assert emulator_of(clients[0]).truth("Messages")["outcomes"]["in_flight"] > 0


async def test_partial_schedule_is_seed_000(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """A partly sent SCHEDULED operation: some sent, failed, canceled; total != recipients."""
    client = await make_client(
        **BUSY | {"failure_rate": 0.2, "scheduled_fraction": 0.5},
        shapes={"PushNotifications": ChannelShape(partial_schedule_share=1.0)},
    )
    plan = max(
        _scheduled_ahead(client, "PushNotifications"), key=lambda p: p.recipients
    )
    path = f"/v1/PushNotifications/Operations/{plan.id}"
    clock.now = plan.created_at + (plan.start_at - plan.created_at) / 4
    operation = await get_json(client, path)
    stats = operation["stats"]
    assert operation["status"] == "SCHEDULED"
    assert tuple(stats) == tuple(STATS_PROFILE_KEYS["reference"]["PushNotifications"])
    for key in ("scheduled", "queued", "sent", "failed", "canceled"):
        assert stats[key] > 0, key
    assert stats["recipients"] < stats["total"]
    assert _bucket_sum(stats) == stats["total"]
    assert operation["createdAt"] < operation["updatedAt"] <= iso(clock.now)
    counted = await statuses(client, "PushNotifications", plan.id)
    for key in ("scheduled", "queued", "sent", "canceled"):
        assert counted[key.upper()] == stats[key], key
    # It completes with its withdrawn recipients still canceled.
    clock.now = plan.end_at
    completed = await get_json(client, path)
    assert completed["status"] == "COMPLETED"
    assert completed["stats"]["canceled"] == stats["canceled"]
    assert _bucket_sum(completed["stats"]) == stats["total"]


async def test_timestamp_quirks_only_on_fetch_and_only_when_opted_in(
    make_client: ClientFactory,
) -> None:
    """A fetch by id spells each operation's timestamps unlike its listing, when on."""
    client = await make_client(operations_per_channel=60)
    listed = await list_all(client, pageSize="1000")
    for op in listed[:5]:
        assert await get_json(client, f"/v1/Messages/Operations/{op['id']}") == op
    emulator_of(client).set_shape("Messages", timestamp_quirks=True)
    assert await list_all(client, pageSize="1000") == listed
    kinds = set()
    for op in listed:
        fetched = await get_json(client, f"/v1/Messages/Operations/{op['id']}")
        assert fetched != op
        assert fetched["stats"] == op["stats"]
        if "updatedAt" not in fetched:
            kinds.add("no updatedAt")
            assert fetched["createdAt"] == op["createdAt"]
            continue
        for key in ("createdAt", "updatedAt"):
            assert datetime.fromisoformat(fetched[key]) == datetime.fromisoformat(
                op[key]
            )
        kinds.add("fractional" if fetched["createdAt"].endswith(".000Z") else "offset")
        assert fetched["createdAt"].endswith((".000Z", "+00:00"))
    assert kinds == {"no updatedAt", "fractional", "offset"}


async def test_unknown_status_stays(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """A share of operations ends in a status no client knows, for good."""
    client = await make_client(
        **BUSY, shapes={"Emails": ChannelShape(unknown_status_share=0.3)}
    )
    emulator = emulator_of(client)
    before = {op["id"]: op["status"] for op in emulator.truth("Emails")["operations"]}
    clock.tick(timedelta(hours=8))
    after = {op["id"]: op["status"] for op in await list_all(client, "Emails")}
    archived = {key for key, status in after.items() if status == "ARCHIVED"}
    assert 0.15 < len(archived) / len(after) < 0.45
    assert set(after.values()) == {"ARCHIVED", "COMPLETED", "CANCELED"}
    # In flight, they showed known statuses; once ended, they stay archived.
    assert {before[key] for key in archived} >= {"PROCESSING", "ARCHIVED"}
    clock.tick(timedelta(days=5))
    assert {op["id"] for op in await list_all(client, "Emails", status="completed")}
    assert archived == {
        op["id"]
        for op in await list_all(client, "Emails")
        if op["status"] == "ARCHIVED"
    }


async def test_backward_status_flips_once(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """COMPLETED, then PROCESSING once for a short span with the same updatedAt, then COMPLETED."""
    client = await make_client(
        **BUSY, shapes={"Messages": ChannelShape(backward_status_share=1.0)}
    )
    plan = next(
        plan
        for plan in emulator_of(client).world.operations("Messages", START)
        if plan.start_at <= START < plan.end_at and plan.cancel_at is None
    )
    seen = []
    clock.now = plan.end_at - timedelta(seconds=30)
    while clock.now < plan.end_at + BACKWARD_AFTER + BACKWARD_SPAN + timedelta(hours=1):
        operation = await get_json(client, f"/v1/Messages/Operations/{plan.id}")
        if clock.now >= plan.end_at:
            assert operation["updatedAt"] == iso(plan.end_at)
        seen.append(operation["status"])
        clock.tick(timedelta(seconds=10))
    assert [status for status, _ in groupby(seen)] == [
        "PROCESSING",
        "COMPLETED",
        "PROCESSING",
        "COMPLETED",
    ]
    assert seen.count("PROCESSING") > 3


async def test_guide_listing(make_client: ClientFactory) -> None:
    """Push resources come under notifications, self is a URL holding the token."""
    client = await make_client(
        operations_per_channel=20,
        shapes={"PushNotifications": ChannelShape(guide_listing=True)},
    )
    path = "/v1/PushNotifications"
    first = await get_json(client, path, pageSize="5")
    assert set(first) == {"notifications", "pagination"}
    url = urlsplit(first["pagination"]["self"])
    assert (url.scheme, url.path) == ("http", path)
    token = parse_qs(url.query)["pageToken"][0]
    assert await get_json(client, path, pageSize="5", pageToken=token) == first
    pages = await list_pages(client, path, "notifications", pageSize="5")
    assert pages[0] == first["notifications"]
    truth = emulator_of(client).truth("PushNotifications")
    assert sum(map(len, pages)) == truth["totals"]["total"]
    assert "messages" in await get_json(client, "/v1/Messages", pageSize="1")


async def test_shapes_control_plane(make_client: ClientFactory) -> None:
    """GET and POST /_emulator/shapes read and change every channel's shape."""
    client = await make_client()
    default = ChannelShape().as_dict()
    response = await client.get("/_emulator/shapes")
    assert await response.json() == dict.fromkeys(CHANNELS, default)
    change = {
        "Messages": {"stats_profile": "guide", "counter_reading": "split"},
        "PushNotifications": {"guide_listing": True, "unknown_status_share": 1},
    }
    report = await (await client.post("/_emulator/shapes", json=change)).json()
    assert report == {
        "Messages": default | change["Messages"],
        "PushNotifications": default | change["PushNotifications"],
        "Emails": default,
    }
    assert emulator_of(client).shapes["PushNotifications"].guide_listing
    assert await (await client.get("/_emulator/shapes")).json() == report
