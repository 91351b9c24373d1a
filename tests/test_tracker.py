"""Tests of the operation tracker, one per invariant of its docstring.

The tracker runs against an in-memory API (tests/fake_api.py) that serves
exactly the JSON a test gives it: the seed pages' payloads verbatim, and the
shapes the documents disagree on.
"""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.twilio_comms.api import Channel, TwilioCommsServerError
from custom_components.twilio_comms.tracker import ChannelTracker

from .common import load_fixture
from .fake_api import FakeOperationsApi

# The seed samples were created at 06:20 on this day; the tests look from 07:00.
SEED_NOW = datetime(2024, 4, 5, 7, 0, tzinfo=UTC)
SEED_CREATED = datetime(2024, 4, 5, 6, 20, tzinfo=UTC)
WINDOW = timedelta(hours=24)
OVERLAP = timedelta(minutes=2)
IDLE = timedelta(minutes=2)

OPERATION_ID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"


def make_tracker(api: FakeOperationsApi, channel: Channel) -> ChannelTracker:
    """Return a tracker of one channel reading the fake API."""
    return ChannelTracker(client=api, channel=channel, window=WINDOW, overlap=OVERLAP)  # type: ignore[arg-type]


def operation(
    op_id: str,
    status: str,
    created_at: str | None,
    stats: dict[str, int],
    updated_at: str | None = None,
) -> dict[str, Any]:
    """Return an operation as the API renders it; None leaves a timestamp out."""
    body: dict[str, Any] = {"id": op_id, "status": status, "stats": stats}
    if created_at is not None:
        body["createdAt"] = created_at
    if updated_at is not None:
        body["updatedAt"] = updated_at
    return body


def op_id(number: int) -> str:
    """Return a well-formed operation id."""
    return f"comms_operation_01h9krwprkeee8fzqspvwy{number:05d}"


# ---------------------------------------------------------------- settling


@pytest.mark.parametrize(
    ("fixture", "channel"),
    [
        ("push_operation_seed002.json", Channel.PUSH_NOTIFICATIONS),
        ("message_operation_seed004.json", Channel.MESSAGES),
    ],
)
async def test_seed_operation_settles_and_polling_goes_idle(
    fixture: str, channel: Channel
) -> None:
    """A COMPLETED seed operation is final whatever keys its stats have: 1 request a poll."""
    api = FakeOperationsApi()
    api.put(load_fixture(fixture), SEED_CREATED)
    tracker = make_tracker(api, channel)
    await tracker.async_refresh(SEED_NOW)
    assert not tracker.has_active
    api.requests = 0
    await tracker.async_refresh(SEED_NOW + IDLE)
    assert api.requests == 1


async def test_email_guide_stats_settle() -> None:
    """The Email guide's stats have no recipients or attempts; the operation is final."""
    api = FakeOperationsApi()
    stats = {
        "total": 2,
        "scheduled": 0,
        "queued": 0,
        "sent": 0,
        "delivered": 2,
        "opened": 1,
        "undelivered": 0,
        "failed": 0,
        "canceled": 0,
    }
    api.put(
        operation(OPERATION_ID, "COMPLETED", "2024-04-05T06:20:00Z", stats),
        SEED_CREATED,
    )
    tracker = make_tracker(api, Channel.EMAILS)
    data = await tracker.async_refresh(SEED_NOW)
    assert not tracker.has_active
    assert data.totals["delivered"] == 2
    assert "recipients" not in data.totals


async def test_push_guide_counters_are_counted() -> None:
    """Seed 002 reports delivered, undelivered and attempts for push; they count."""
    api = FakeOperationsApi()
    api.put(load_fixture("push_operation_seed002.json"), SEED_CREATED)
    data = await make_tracker(api, Channel.PUSH_NOTIFICATIONS).async_refresh(SEED_NOW)
    assert data.totals["delivered"] == 1
    assert data.totals["undelivered"] == 0
    assert data.totals["attempts"] == 1
    # Keys seed 002 does not have are not reported as 0.
    assert "scheduled" not in data.totals
    assert "canceled" not in data.totals


async def test_unknown_status_is_not_active_and_rechecked_with_backoff() -> None:
    """An unknown status neither keeps polling fast nor is re-read every poll."""
    api = FakeOperationsApi()
    api.put(
        operation(OPERATION_ID, "ARCHIVED", "2024-04-05T06:20:00Z", {"total": 1}),
        SEED_CREATED,
    )
    # A newer operation keeps it out of the "created since" listing.
    api.put(
        operation(op_id(1), "COMPLETED", "2024-04-05T07:00:00Z", {"total": 1}),
        SEED_NOW,
    )
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)
    assert not tracker.has_active
    api.requests = 0
    polls = 30
    for poll in range(1, polls + 1):
        await tracker.async_refresh(SEED_NOW + poll * IDLE)
    # One listing per poll, and a handful of re-reads as the backoff grows.
    assert polls < api.requests <= polls + 5


# ----------------------------------------------------------- failure rate


def completed(stats: dict[str, int]) -> dict[str, Any]:
    """Return a completed operation with the given stats."""
    return operation(OPERATION_ID, "COMPLETED", "2024-04-05T06:20:00Z", stats)


SPLIT_99_DELIVERED_1_FAILED = {
    "total": 100,
    "recipients": 100,
    "scheduled": 0,
    "queued": 0,
    "sent": 0,
    "delivered": 99,
    "read": 0,
    "undelivered": 0,
    "unaddressable": 0,
    "failed": 1,
    "canceled": 0,
}


@pytest.mark.parametrize(
    ("payload", "channel", "rate"),
    [
        (load_fixture("message_operation_seed004.json"), Channel.MESSAGES, 0.0),
        (
            load_fixture("push_operation_seed000.json"),
            Channel.PUSH_NOTIFICATIONS,
            6.67,
        ),
        (completed(SPLIT_99_DELIVERED_1_FAILED), Channel.MESSAGES, 1.0),
        (
            completed(
                SPLIT_99_DELIVERED_1_FAILED | {"delivered": 98, "undelivered": 1}
            ),
            Channel.MESSAGES,
            2.0,
        ),
        # The cumulative reading (comms-api.md §10): sent includes delivered.
        (
            completed(
                {
                    "total": 100,
                    "scheduled": 0,
                    "queued": 0,
                    "sent": 98,
                    "delivered": 95,
                    "undelivered": 3,
                    "failed": 2,
                }
            ),
            Channel.MESSAGES,
            5.0,
        ),
    ],
    ids=["seed004", "seed000", "99-delivered-1-failed", "1-undelivered", "cumulative"],
)
async def test_failure_rate_under_both_readings(
    payload: dict[str, Any], channel: Channel, rate: float
) -> None:
    """Failed and undelivered among the recipients Twilio finished with."""
    api = FakeOperationsApi()
    api.put(payload, SEED_CREATED)
    data = await make_tracker(api, channel).async_refresh(SEED_NOW)
    assert data.failure_rate == rate


# ------------------------------------------------ order and consistency


def in_flight_pair(api: FakeOperationsApi, now: datetime) -> tuple[str, str]:
    """Serve two processing operations a second apart; return their ids, older first."""
    older, newer = op_id(1), op_id(2)
    for number, op in enumerate((older, newer)):
        created = now - timedelta(hours=1) + timedelta(seconds=number)
        api.put(
            operation(op, "PROCESSING", f"{created:%Y-%m-%dT%H:%M:%SZ}", {"total": 1}),
            created,
        )
    return older, newer


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "reformat",
    [
        lambda text: text.replace("Z", ".500Z"),
        lambda text: text.replace("Z", "+00:00"),
        lambda text: None,
    ],
    ids=["fractional", "offset", "missing"],
)
async def test_created_at_in_another_form_keeps_the_order(reformat: Any) -> None:
    """A fetch that spells createdAt differently never moves or loses an operation."""
    now = SEED_NOW
    api = FakeOperationsApi()
    older, newer = in_flight_pair(api, now)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    # Both finish; their fetches spell createdAt another way.
    for op in (older, newer):
        listed = copy.deepcopy(api.listed[op])
        listed["status"] = "COMPLETED"
        fetched = copy.deepcopy(listed)
        if (spelled := reformat(listed["createdAt"])) is None:
            del fetched["createdAt"]
        else:
            fetched["createdAt"] = spelled
        api.put(listed, api.created[op], fetched=fetched)
    # A newer operation moves "created since" past them, so they are fetched.
    newest = op_id(3)
    api.put(
        operation(newest, "COMPLETED", f"{now:%Y-%m-%dT%H:%M:%SZ}", {"total": 1}), now
    )
    data = await tracker.async_refresh(now + timedelta(seconds=20))
    assert set(data.operations) == {older, newer, newest}
    assert data.latest is not None
    assert data.latest.id == newest
    # The window slides past the first two; both leave, the newest stays.
    data = await tracker.async_refresh(now + WINDOW - timedelta(minutes=30))
    assert set(data.operations) == {newest}
    assert data.totals["total"] == 1


async def test_failed_refresh_loses_nothing_and_the_next_one_works() -> None:
    """A request failing part-way leaves the state as it was; the next refresh works."""
    now = SEED_NOW
    api = FakeOperationsApi()
    older, newer = in_flight_pair(api, now)
    tracker = make_tracker(api, Channel.MESSAGES)
    before = await tracker.async_refresh(now)
    # The newer one is gone from the API (its fetch answers 404)...
    api.remove(newer)
    # ...and a later request of the refresh fails.
    api.requests = 0
    api.fail_at = 3
    with pytest.raises(TwilioCommsServerError):
        await tracker.async_refresh(now + timedelta(seconds=20))
    api.fail_at = None
    data = await tracker.async_refresh(now + timedelta(seconds=40))
    assert set(before.operations) == {older, newer}
    assert set(data.operations) == {older}
    assert data.totals["total"] == 1


async def test_gone_operation_whose_created_at_changed_is_dropped_cleanly() -> None:
    """An operation listed with a new createdAt spelling, then gone, leaves no trace."""
    now = SEED_NOW
    api = FakeOperationsApi()
    older, newer = in_flight_pair(api, now)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    listed = api.listed[newer]
    api.put(
        listed | {"createdAt": listed["createdAt"].replace("Z", ".500Z")},
        api.created[newer],
    )
    await tracker.async_refresh(now + timedelta(seconds=20))
    api.remove(newer)
    data = await tracker.async_refresh(now + timedelta(seconds=40))
    assert set(data.operations) == {older}
    data = await tracker.async_refresh(now + timedelta(seconds=60))
    assert set(data.operations) == {older}
    assert data.active_count == 1
