"""Listing filters: creation dates, status, retention."""

from datetime import timedelta

from comms_emulator.rendering import iso

from .conftest import START, ClientFactory, ManualClock, emulator_of, get_json, list_all


async def test_date_filters_on_creation_time(make_client: ClientFactory) -> None:
    """The startDate bound is inclusive, endDate exclusive, both on createdAt as shown."""
    client = await make_client(operations_per_channel=200)
    everything = await list_all(client, pageSize="1000")
    # A boundary exactly at an operation's shown creation time.
    boundary = everything[40]["createdAt"]
    since = await list_all(client, pageSize="1000", startDate=boundary)
    before = await list_all(client, pageSize="1000", endDate=boundary)
    assert {op["id"] for op in since} == {
        op["id"] for op in everything if op["createdAt"] >= boundary
    }
    assert {op["id"] for op in before} == {
        op["id"] for op in everything if op["createdAt"] < boundary
    }
    assert len(since) + len(before) == len(everything)
    window = await list_all(
        client,
        startDate=everything[150]["createdAt"],
        endDate=everything[50]["createdAt"],
    )
    assert all(
        everything[150]["createdAt"] <= op["createdAt"] < everything[50]["createdAt"]
        for op in window
    )
    assert len(window) == 100


async def test_offsets_are_understood(make_client: ClientFactory) -> None:
    """Date-times with any UTC offset mean the same instant."""
    client = await make_client(operations_per_channel=50)
    since = START - timedelta(hours=6)
    utc = await list_all(client, startDate=iso(since))
    offset = await list_all(client, startDate=since.isoformat())
    shifted = await list_all(client, startDate="2026-11-23T08:00:00+02:00")
    assert utc == offset == shifted
    assert utc


async def test_status_filter_ignores_case_and_follows_time(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """The status filter matches whatever the case, in the state at request time."""
    client = await make_client(operations_per_channel=100, active_fraction=0.3)
    everything = await list_all(client, pageSize="1000")
    processing = [op for op in everything if op["status"] == "PROCESSING"]
    assert processing
    for spelling in ("PROCESSING", "processing", "Processing"):
        assert await list_all(client, pageSize="7", status=spelling) == processing
    clock.tick(timedelta(hours=8))
    assert await list_all(client, status="PROCESSING") == []
    completed = await list_all(client, status="completed", pageSize="1000")
    canceled = await list_all(client, status="CANCELED", pageSize="1000")
    assert len(completed) + len(canceled) == 100


async def test_retention_cutoff(make_client: ClientFactory, clock: ManualClock) -> None:
    """Operations created more than 7 days ago are neither listed nor fetched."""
    client = await make_client(operations_per_channel=100)
    everything = await list_all(client, pageSize="1000")
    oldest = everything[-1]
    clock.now = START + timedelta(days=7) - timedelta(hours=12)
    still = await list_all(client, pageSize="1000")
    gone = [op for op in everything if op["id"] not in {s["id"] for s in still}]
    cutoff = iso(clock.now - timedelta(days=7))
    assert gone
    assert all(op["createdAt"] < cutoff for op in gone)
    assert all(op["createdAt"] >= cutoff for op in still)
    await get_json(client, f"/v1/Messages/Operations/{oldest['id']}", 404)
    body = await get_json(client, f"/v1/Messages/Operations/{still[-1]['id']}")
    assert body["id"] == still[-1]["id"]
    clock.tick(timedelta(days=1))
    assert await list_all(client) == []
    # Expired operations are forgotten, not just hidden.
    assert emulator_of(client).world.channels["Messages"].plans == []
