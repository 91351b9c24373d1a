"""Tests of the operation tracker, one per invariant of its docstring.

The tracker runs against an in-memory API (tests/fake_api.py) that serves
exactly the JSON a test gives it: the seed pages' payloads verbatim, and the
shapes the documents disagree on.
"""

import copy
from datetime import UTC, datetime, timedelta
import json
from typing import Any

import pytest

from custom_components.twilio_comms.api import (
    Channel,
    ChannelTracker,
    OperationStatus,
    TwilioCommsNotFoundError,
    TwilioCommsServerError,
    tracker as tracker_module,
)

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
    created_at: datetime | str | None,
    stats: dict[str, int] | None = None,
    updated_at: datetime | str | None = None,
) -> dict[str, Any]:
    """Return an operation as the API renders it (stats: by default a total of 1).

    Timestamps may be datetimes or verbatim created; None leaves one out.
    """
    body: dict[str, Any] = {
        "id": op_id,
        "status": status,
        "stats": stats or {"total": 1},
    }
    for key, moment in (("createdAt", created_at), ("updatedAt", updated_at)):
        if isinstance(moment, datetime):
            moment = f"{moment:%Y-%m-%dT%H:%M:%SZ}"
        if moment is not None:
            body[key] = moment
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
    api.put(operation(OPERATION_ID, "ARCHIVED", "2024-04-05T06:20:00Z"), SEED_CREATED)
    # A newer operation keeps it out of the "created since" listing.
    api.put(operation(op_id(1), "COMPLETED", "2024-04-05T07:00:00Z"), SEED_NOW)
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
        (load_fixture("push_operation_seed000.json"), Channel.PUSH_NOTIFICATIONS, 6.67),
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
        api.put(operation(op, "PROCESSING", created), created)
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
    api.put(operation(newest, "COMPLETED", now), now)
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


# ------------------------------------------------------ invariants, one by one


async def test_terminal_observation_lacking_counters_is_read_once_more() -> None:
    """Invariant 3: one re-read when counters went missing, then settled regardless."""
    now = SEED_NOW
    api = FakeOperationsApi()
    created = now - timedelta(hours=1)
    api.put(
        operation(
            op_id(1), "PROCESSING", created, {"total": 4, "sent": 2, "failed": 0}
        ),
        created,
    )
    newest = now - timedelta(minutes=1)
    api.put(operation(op_id(2), "COMPLETED", newest), newest)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    # It completes, but this answer lacks "sent", and so do all later ones.
    done = operation(op_id(1), "COMPLETED", created, {"total": 4, "failed": 1})
    api.put(done, created)
    requests = []
    for poll in range(1, 5):
        api.requests = 0
        data = await tracker.async_refresh(now + poll * timedelta(seconds=20))
        requests.append(api.requests)
    # Each time: the listing, the two in-flight listings and a fetch (the
    # second fetch is the one re-read); then idle.
    assert requests == [4, 4, 1, 1]
    assert not tracker.has_active
    # What the API no longer reports keeps its last reported value.
    assert data.operations[op_id(1)].stats.sent == 2
    assert data.operations[op_id(1)].stats.failed == 1


async def test_never_backward_and_each_status_announced_once() -> None:
    """Invariants 5 and 6: an older or less advanced answer never wins, nor fires again."""
    now = SEED_NOW
    api = FakeOperationsApi()
    created = now - timedelta(minutes=1)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    answers = [
        ("SCHEDULED", "12:00:00"),
        ("PROCESSING", "12:01:00"),
        ("COMPLETED", "12:02:00"),
        # A stale replica: processing again, with the completion's updatedAt.
        ("PROCESSING", "12:02:00"),
        # Or with no updatedAt at all.
        ("PROCESSING", None),
        # A status this version does not know, then completed again.
        ("ARCHIVED", "12:03:00"),
        ("COMPLETED", "12:04:00"),
    ]
    shown, announced = [], []
    for poll, (status, updated) in enumerate(answers, start=1):
        body = operation(
            OPERATION_ID,
            status,
            created,
            {"total": 1},
            updated_at=f"2024-04-05T{updated}Z" if updated else None,
        )
        api.put(body, created)
        data = await tracker.async_refresh(now + poll * timedelta(seconds=20))
        shown.append(data.operations[OPERATION_ID].status.value)
        announced += [t.operation.status.value for t in data.transitions]
    assert shown == [
        "scheduled",
        "processing",
        "completed",
        "completed",
        "completed",
        "unknown",
        "completed",
    ]
    assert announced == ["scheduled", "processing", "completed"]


@pytest.mark.parametrize(
    "created_at", ["2024-04-05T09:00:00Z", "not a time", None], ids=str
)
async def test_untrusted_created_at_is_placed_at_first_sight(
    created_at: str | None,
) -> None:
    """Invariant 7: a future or unreadable createdAt never moves "created since"."""
    now = SEED_NOW
    api = FakeOperationsApi()
    api.put(operation(op_id(1), "COMPLETED", created_at), now)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    # A send made a minute later is still found by the "created since" listing.
    later = now + timedelta(minutes=1)
    api.put(operation(op_id(2), "COMPLETED", later, {"total": 2}), later)
    data = await tracker.async_refresh(later)
    assert [t.operation.id for t in data.transitions] == [op_id(2)]
    assert data.latest is not None
    assert data.latest.id == op_id(2)
    # The first one stays one window from when it was first seen, no longer.
    data = await tracker.async_refresh(now + WINDOW - timedelta(seconds=1))
    assert set(data.operations) == {op_id(1), op_id(2)}
    data = await tracker.async_refresh(now + WINDOW + timedelta(seconds=1))
    assert set(data.operations) == {op_id(2)}


async def test_operation_older_than_the_window_is_not_tracked() -> None:
    """An answer outside the window (an inclusive bound, a lax filter) is left out."""
    api = FakeOperationsApi()
    old = SEED_NOW - WINDOW - timedelta(minutes=5)
    # Filed as created now, so the listing returns it, but it says otherwise.
    api.put(operation(op_id(1), "COMPLETED", old), SEED_NOW)
    data = await make_tracker(api, Channel.MESSAGES).async_refresh(SEED_NOW)
    assert not data.operations
    assert "total" not in data.totals


async def test_window_beyond_the_page_cap_is_truncated_not_failed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Invariant 8: the newest operations are kept, truncated is said once, polls go on."""
    now = SEED_NOW
    api = FakeOperationsApi(page_size=2)
    for number in range(7):
        created = now - timedelta(hours=number + 1)
        api.put(operation(op_id(number), "COMPLETED", created), created)
    tracker = ChannelTracker(
        client=api,  # type: ignore[arg-type]
        channel=Channel.MESSAGES,
        window=WINDOW,
        overlap=OVERLAP,
        max_pages=2,
    )
    data = await tracker.async_refresh(now)
    assert data.truncated
    assert set(data.operations) == {op_id(number) for number in range(4)}
    api.requests = 0
    data = await tracker.async_refresh(now + IDLE)
    assert data.truncated
    assert api.requests == 1
    assert sum("left out of the totals" in r.getMessage() for r in caplog.records) == 1
    # Once the window has slid past the oldest operation read, it is whole again.
    data = await tracker.async_refresh(now + WINDOW - timedelta(hours=3))
    assert not data.truncated
    assert set(data.operations) == {op_id(0), op_id(1), op_id(2)}


async def test_refresh_failing_in_its_commit_leaves_the_state_untouched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Invariant 2, past the requests: an error while folding changes nothing."""
    now = SEED_NOW
    api = FakeOperationsApi()
    older, newer = in_flight_pair(api, now)
    tracker = make_tracker(api, Channel.MESSAGES)
    before = await tracker.async_refresh(now)
    api.remove(newer)

    def broken(*args: Any) -> None:
        raise RuntimeError("a bug half-way through")

    with monkeypatch.context() as patched:
        patched.setattr(tracker_module, "_forget", broken)
        with pytest.raises(RuntimeError):
            await tracker.async_refresh(now + timedelta(seconds=20))
    assert tracker.has_active
    data = await tracker.async_refresh(now + timedelta(seconds=40))
    assert set(before.operations) == {older, newer}
    assert set(data.operations) == {older}
    assert data.refresh_serial == before.refresh_serial + 1


async def test_unknown_status_without_updated_at_leaves_flight() -> None:
    """A fetch showing an unknown status, without updatedAt, ends the fast polling.

    Found by tests/test_shapes.py: the operation had left the scheduled list,
    yet the answer never replaced the SCHEDULED one, so it was fetched every
    20 s for ever.
    """
    now = SEED_NOW
    api = FakeOperationsApi()
    created = now - timedelta(hours=1)
    api.put(operation(OPERATION_ID, "SCHEDULED", created, updated_at=created), created)
    newest = now - timedelta(minutes=1)
    api.put(operation(op_id(1), "COMPLETED", newest), newest)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    assert tracker.has_active
    api.put(
        operation(OPERATION_ID, "ARCHIVED", created, {"total": 1, "sent": 1}), created
    )
    data = await tracker.async_refresh(now + timedelta(seconds=20))
    assert not tracker.has_active
    assert data.operations[OPERATION_ID].status.value == "unknown"
    assert data.totals["sent"] == 1
    assert not data.transitions


async def test_first_answer_lacking_a_counter_the_channel_reports_is_read_again() -> (
    None
):
    """Invariant 3: a counter other operations report, missing from one answer, is waited for once."""
    now = SEED_NOW
    api = FakeOperationsApi()
    earlier = now - timedelta(hours=2)
    api.put(operation(op_id(1), "COMPLETED", earlier, {"total": 3, "sent": 3}), earlier)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(now)
    # A short send, first seen already completed, in an answer without "sent".
    created = now + timedelta(seconds=10)
    api.put(operation(op_id(2), "COMPLETED", created, {"total": 2}), created)
    await tracker.async_refresh(now + timedelta(seconds=20))
    assert tracker.has_active
    api.put(operation(op_id(2), "COMPLETED", created, {"total": 2, "sent": 2}), created)
    data = await tracker.async_refresh(now + timedelta(seconds=40))
    assert not tracker.has_active
    assert data.totals["sent"] == 5


# ------------------------------------------------------------ our own sends


async def followed_reads(
    api: FakeOperationsApi, tracker: ChannelTracker, refreshes: list[datetime]
) -> int:
    """Return the by-id reads a series of refreshes made: all but one listing each."""
    api.requests = 0
    for now in refreshes:
        await tracker.async_refresh(now)
    return api.requests - len(refreshes)


async def test_reads_of_followed_sends_are_capped_per_refresh() -> None:
    """However many sends are followed and not listed yet, a refresh reads a few."""
    api = FakeOperationsApi()
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)
    for number in range(3 * tracker_module.MAX_FOLLOW_FETCHES):
        tracker.follow(op_id(number), SEED_NOW, SEED_NOW + timedelta(minutes=15))
    reads = await followed_reads(api, tracker, [SEED_NOW + timedelta(seconds=5)])
    assert reads == tracker_module.MAX_FOLLOW_FETCHES


async def test_followed_send_the_api_does_not_know_is_read_on_a_backoff() -> None:
    """A followed id that answers 404 is read again later and later, not every poll."""
    api = FakeOperationsApi()
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)
    tracker.follow(OPERATION_ID, SEED_NOW, SEED_NOW + timedelta(minutes=15))
    # Every 5 s for the 15 minutes a send is followed: 180 refreshes.
    polls = [SEED_NOW + timedelta(seconds=5 * n) for n in range(1, 181)]
    reads = await followed_reads(api, tracker, polls[:90])
    assert reads <= 8
    # It shows up at last, by id only (no listing shows it yet): the next
    # due read finds it.
    api.put(
        operation(OPERATION_ID, "PROCESSING", "2024-04-05T06:59:00Z"),
        SEED_NOW - 2 * WINDOW,
    )
    data = await tracker.async_refresh(polls[90] + tracker_module.MAX_FOLLOW_RETRY)
    assert OPERATION_ID in data.operations


# ------------------------------------------------------- lifetime counting


@pytest.mark.parametrize(
    ("payload", "channel", "figures"),
    [
        (load_fixture("message_operation_seed004.json"), Channel.MESSAGES, (1, 0, 1)),
        (
            load_fixture("push_operation_seed002.json"),
            Channel.PUSH_NOTIFICATIONS,
            (1, 0, 1),
        ),
        # 75 finished: 150 less scheduled, queued, unaddressable and canceled.
        (
            load_fixture("push_operation_seed000.json"),
            Channel.PUSH_NOTIFICATIONS,
            (75, 5, None),
        ),
        # Split by state: the read ones left delivered, and count as reached.
        (
            completed(SPLIT_99_DELIVERED_1_FAILED | {"delivered": 90, "read": 9}),
            Channel.MESSAGES,
            (100, 1, 99),
        ),
        # The reference's cumulative sample (comms-api.md §10): delivered
        # holds the one read.
        (
            completed(
                {
                    "total": 10,
                    "queued": 5,
                    "sent": 3,
                    "scheduled": 2,
                    "delivered": 3,
                    "read": 1,
                    "undelivered": 1,
                    "attempts": 12,
                }
            ),
            Channel.MESSAGES,
            (3, 1, 3),
        ),
        # The Email guide: two delivered, one of them opened.
        (
            completed(
                {"total": 2, "sent": 0, "delivered": 2, "opened": 1, "failed": 0}
            ),
            Channel.EMAILS,
            (2, 0, 2),
        ),
        (completed({"sent": 3}), Channel.MESSAGES, (None, None, None)),
    ],
    ids=[
        "seed004",
        "seed002",
        "seed000",
        "split-read",
        "cumulative",
        "email-guide",
        "no-total",
    ],
)
async def test_lifetime_figures_under_both_readings(
    payload: dict[str, Any], channel: Channel, figures: tuple[int | None, ...]
) -> None:
    """The first sight of an operation counts its figures; unreported ones stay absent."""
    api = FakeOperationsApi()
    api.put(payload, SEED_CREATED)
    data = await make_tracker(api, channel).async_refresh(SEED_NOW)
    expected = {
        name: figure
        for name, figure in zip(tracker_module.LIFETIME_FIGURES, figures, strict=True)
        if figure is not None
    }
    assert dict(data.lifetime) == expected


def progress(
    sent: int, delivered: int, read: int, *, status: str, minute: int
) -> dict[str, Any]:
    """Return OPERATION_ID, total 10, split by state, updated at 06:20 + minute."""
    return operation(
        OPERATION_ID,
        status,
        SEED_CREATED,
        {
            "total": 10,
            "queued": 10 - sent - delivered - read,
            "sent": sent,
            "delivered": delivered,
            "read": read,
            "failed": 0,
        },
        updated_at=SEED_CREATED + timedelta(minutes=minute),
    )


async def test_lifetime_counts_each_operation_once_and_never_shrinks() -> None:
    """Polls of a moving operation add its rise, not each observation; a dip keeps the count."""
    api = FakeOperationsApi()
    tracker = make_tracker(api, Channel.MESSAGES)
    steps = [
        (progress(4, 0, 0, status="PROCESSING", minute=1), 4, 0),
        (progress(2, 4, 0, status="PROCESSING", minute=2), 6, 4),
        # Delivered ones were read: they leave delivered, and stay reached.
        (progress(2, 2, 4, status="PROCESSING", minute=3), 8, 6),
        # A newer answer with fewer finished: the count stands.
        (progress(1, 2, 4, status="PROCESSING", minute=4), 8, 6),
        (progress(0, 5, 5, status="COMPLETED", minute=5), 10, 10),
    ]
    now = SEED_NOW
    for payload, finished, delivered in steps:
        api.put(payload, SEED_CREATED)
        now += timedelta(seconds=20)
        data = await tracker.async_refresh(now)
        assert data.lifetime == {
            "finished": finished,
            "not_reached": 0,
            "delivered": delivered,
        }
    # Settled: more polls count nothing more.
    for _ in range(3):
        now += IDLE
        data = await tracker.async_refresh(now)
    assert data.lifetime["finished"] == 10


def restarted(
    tracker: ChannelTracker, now: datetime, window: timedelta = WINDOW
) -> ChannelTracker:
    """Return a new tracker restored from what the old one would have stored, as JSON."""
    record = json.loads(json.dumps(tracker.lifetime_record(now)))
    new = ChannelTracker(
        client=tracker.client, channel=tracker.channel, window=window, overlap=OVERLAP
    )
    new.restore_lifetime(record)
    return new


async def test_lifetime_survives_a_restart_without_counting_twice() -> None:
    """After a restart the same operations add only what they rose since."""
    api = FakeOperationsApi()
    api.put(progress(4, 0, 0, status="PROCESSING", minute=1), SEED_CREATED)
    api.put(
        operation(
            op_id(2),
            "COMPLETED",
            SEED_CREATED,
            {"total": 3, "failed": 1, "delivered": 2},
        ),
        SEED_CREATED,
    )
    tracker = make_tracker(api, Channel.MESSAGES)
    data = await tracker.async_refresh(SEED_NOW)
    assert data.lifetime == {"finished": 7, "not_reached": 1, "delivered": 2}

    tracker = restarted(tracker, SEED_NOW)
    api.put(progress(0, 10, 0, status="COMPLETED", minute=2), SEED_CREATED)
    data = await tracker.async_refresh(SEED_NOW + IDLE)
    assert data.lifetime == {"finished": 13, "not_reached": 1, "delivered": 12}
    # And again, with nothing new: the same figures.
    tracker = restarted(tracker, SEED_NOW + IDLE)
    data = await tracker.async_refresh(SEED_NOW + 2 * IDLE)
    assert data.lifetime == {"finished": 13, "not_reached": 1, "delivered": 12}


async def test_longer_window_after_a_restart_does_not_count_older_operations() -> None:
    """An operation from before the earlier window's start is not counted when it comes into view."""
    api = FakeOperationsApi()
    old = SEED_NOW - WINDOW - timedelta(hours=1)
    api.put(operation(op_id(1), "COMPLETED", old, {"total": 5, "failed": 5}), old)
    api.put(operation(op_id(2), "COMPLETED", SEED_CREATED, {"total": 2}), SEED_CREATED)
    tracker = make_tracker(api, Channel.MESSAGES)
    data = await tracker.async_refresh(SEED_NOW)
    assert data.lifetime == {"finished": 2}

    tracker = restarted(tracker, SEED_NOW, window=2 * WINDOW)
    data = await tracker.async_refresh(SEED_NOW + IDLE)
    assert op_id(1) in data.operations
    assert data.lifetime == {"finished": 2}


async def test_operation_missing_after_a_restart_keeps_its_mark() -> None:
    """One the first listing after a restart misses still counts from its mark when it is back."""
    api = FakeOperationsApi()
    api.put(
        operation(op_id(1), "PROCESSING", SEED_CREATED, {"total": 4, "queued": 2}),
        SEED_CREATED,
    )
    api.put(operation(op_id(2), "COMPLETED", SEED_CREATED), SEED_CREATED)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)

    tracker = restarted(tracker, SEED_NOW)
    api.remove(op_id(1))
    api.remove(op_id(2))
    data = await tracker.async_refresh(SEED_NOW + IDLE)
    assert data.lifetime == {"finished": 3}
    api.put(operation(op_id(1), "COMPLETED", SEED_CREATED, {"total": 4}), SEED_CREATED)
    data = await tracker.async_refresh(SEED_NOW + 2 * IDLE)
    assert data.lifetime == {"finished": 5}
    # Marks of operations that left the window, or never came back, are not
    # kept for ever.
    data = await tracker.async_refresh(SEED_NOW + WINDOW + timedelta(hours=1))
    assert tracker.lifetime_record(SEED_NOW + WINDOW)["marks"] == {}


@pytest.mark.parametrize(
    "record",
    [
        None,
        [],
        {"figures": {}},
        {"figures": {"finished": -1}, "marks": {}},
        {"figures": {"finished": True}, "marks": {}},
        {"figures": {"sent": 3}, "marks": {}},
        {"figures": {}, "marks": {op_id(1): [1, 2]}},
        {"figures": {}, "marks": {}, "counted_from": "yesterday"},
        {"figures": {}, "marks": {}, "counted_from": "2024-04-05T06:00:00"},
        {"figures": {}, "marks": {}, "marks_until": 3},
    ],
    ids=[
        "none",
        "list",
        "no-marks",
        "negative",
        "bool",
        "unknown-figure",
        "short-mark",
        "bad-time",
        "naive-time",
        "number-time",
    ],
)
async def test_damaged_lifetime_record_starts_afresh(
    record: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A record that cannot be read is logged and ignored; counting goes on from zero."""
    api = FakeOperationsApi()
    api.put(operation(op_id(1), "COMPLETED", SEED_CREATED, {"total": 2}), SEED_CREATED)
    tracker = make_tracker(api, Channel.MESSAGES)
    tracker.restore_lifetime(record)
    assert "could not be read" in caplog.text
    data = await tracker.async_refresh(SEED_NOW)
    assert data.lifetime == {"finished": 2}


# ------------------------------------------------------- reads by event


async def test_read_by_event_announces_once_and_the_poll_after_it_nothing() -> None:
    """An operation an event names is read on its own; the next poll repeats nothing."""
    api = FakeOperationsApi()
    older, newer = in_flight_pair(api, SEED_NOW)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)
    completed_now = copy.deepcopy(api.listed[newer]) | {"status": "COMPLETED"}
    api.put(completed_now, api.created[newer])
    api.requests = 0
    data = await tracker.async_read(newer, SEED_NOW + timedelta(seconds=1))
    assert api.requests == 1
    assert [(t.operation.id, t.operation.status.value) for t in data.transitions] == [
        (newer, "completed")
    ]
    assert data.active_count == 1
    data = await tracker.async_refresh(SEED_NOW + timedelta(seconds=20))
    assert data.transitions == ()
    assert older in data.operations


async def test_read_by_event_does_not_move_created_since() -> None:
    """An operation read first through an event still lets the listing find one created before it."""
    api = FakeOperationsApi()
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)
    earlier, later = op_id(1), op_id(2)
    api.put(operation(later, "PROCESSING", SEED_NOW), SEED_NOW)
    await tracker.async_read(later, SEED_NOW + timedelta(seconds=1))
    # Created 10 minutes before, listed only now (a late write), and already
    # finished, so no in-flight listing shows it.
    created = SEED_NOW - timedelta(minutes=10)
    api.put(operation(earlier, "COMPLETED", created), created)
    data = await tracker.async_refresh(SEED_NOW + timedelta(seconds=20))
    assert {earlier, later} <= set(data.operations)


async def test_what_an_operation_is_shown_in_spares_an_events_read() -> None:
    """Invariant 11: only a known status shown at or beyond the one asked about counts."""
    api = FakeOperationsApi()
    older, _newer = in_flight_pair(api, SEED_NOW)
    tracker = make_tracker(api, Channel.MESSAGES)
    await tracker.async_refresh(SEED_NOW)
    known = [
        OperationStatus.SCHEDULED,
        OperationStatus.PROCESSING,
        OperationStatus.COMPLETED,
        OperationStatus.CANCELED,
    ]
    assert [tracker.shows_at_least(older, status) for status in known] == [
        True,
        True,
        False,
        False,
    ]
    # Nothing is known of an operation not tracked, nor of an unknown status.
    assert not tracker.shows_at_least(op_id(9), OperationStatus.SCHEDULED)
    assert not tracker.shows_at_least(older, OperationStatus.UNKNOWN)
    archived = op_id(3)
    api.put(operation(archived, "ARCHIVED", SEED_NOW), SEED_NOW)
    data = await tracker.async_read(archived, SEED_NOW + timedelta(seconds=1))
    # Tracked, in a status this version does not know.
    assert data.operations[archived].status is OperationStatus.UNKNOWN
    assert not tracker.shows_at_least(archived, OperationStatus.SCHEDULED)
    api.put(
        copy.deepcopy(api.listed[older]) | {"status": "CANCELED"}, api.created[older]
    )
    await tracker.async_read(older, SEED_NOW + timedelta(seconds=2))
    assert all(tracker.shows_at_least(older, status) for status in known)


async def test_failed_read_by_event_changes_nothing() -> None:
    """A read that fails, or finds no such operation, leaves the state as it was."""
    api = FakeOperationsApi()
    older, _newer = in_flight_pair(api, SEED_NOW)
    tracker = make_tracker(api, Channel.MESSAGES)
    before = await tracker.async_refresh(SEED_NOW)
    api.fail_at = api.requests + 1
    with pytest.raises(TwilioCommsServerError):
        await tracker.async_read(older, SEED_NOW)
    with pytest.raises(TwilioCommsNotFoundError):
        await tracker.async_read(op_id(9), SEED_NOW)
    data = await tracker.async_refresh(SEED_NOW + timedelta(seconds=20))
    assert data.operations.keys() == before.operations.keys()
    assert data.transitions == ()
