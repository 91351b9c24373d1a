"""Tests of parsing the API's JSON, seed samples first, then every tolerance rule."""

from datetime import UTC, datetime

import pytest

from custom_components.twilio_comms.api import (
    Channel,
    Operation,
    OperationStatus,
    TwilioCommsInvalidResponseError,
)
from custom_components.twilio_comms.api.models import (
    MAX_COUNTER,
    MAX_COUNTER_NAME_LENGTH,
    MAX_EXTRA_COUNTERS,
    MAX_RAW_STATUS_LENGTH,
    CommsResource,
    OperationStats,
    parse_timestamp,
)

from .conftest import load_fixture

OPERATION_ID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"


def test_seed000_push_operation() -> None:
    """The push reference's Fetch Operation sample parses completely."""
    operation = Operation.from_json(load_fixture("push_operation_seed000.json"))
    assert operation.id == OPERATION_ID
    assert operation.status is OperationStatus.SCHEDULED
    assert operation.raw_status == "SCHEDULED"
    assert not operation.status.is_terminal
    assert operation.stats.as_dict() == {
        "total": 150,
        "recipients": 145,
        "unaddressable": 3,
        "scheduled": 20,
        "queued": 50,
        "sent": 70,
        "failed": 5,
        "canceled": 2,
    }
    assert operation.stats.delivered is None
    assert operation.created_at == datetime(2024, 4, 20, 14, 45, tzinfo=UTC)
    assert operation.updated_at == datetime(2024, 4, 20, 15, 10, tzinfo=UTC)


def test_seed001_push_operations_list() -> None:
    """Both operations of the List sample parse, the short seed id included."""
    payload = load_fixture("push_operations_list_seed001.json")
    operations = [Operation.from_json(item) for item in payload["operations"]]
    assert [op.id for op in operations] == [
        OPERATION_ID,
        "comms_operation_01h9ksxq9v7b2m4r5t6y7z8a9",
    ]
    assert operations[1].status is OperationStatus.COMPLETED
    assert operations[1].status.is_terminal
    assert operations[1].stats.sent == 295


def test_seed002_push_guide_operation() -> None:
    """The guide's operation has keys the reference lacks, and lacks some it has."""
    operation = Operation.from_json(load_fixture("push_operation_seed002.json"))
    assert operation.id == "comms_operation_01h2xcejqtf2nbrexx3vqjhp41"
    assert operation.stats.attempts == 1
    assert operation.stats.delivered == 1
    assert operation.stats.undelivered == 0
    assert operation.stats.scheduled is None
    assert operation.stats.unaddressable is None
    assert operation.stats.canceled is None


def test_seed004_message_operation() -> None:
    """The Messages reference's Fetch Operation sample has every counter."""
    operation = Operation.from_json(load_fixture("message_operation_seed004.json"))
    assert operation.status is OperationStatus.COMPLETED
    assert operation.stats.as_dict() == {
        "total": 1,
        "recipients": 1,
        "attempts": 1,
        "unaddressable": 0,
        "scheduled": 0,
        "queued": 0,
        "sent": 0,
        "delivered": 1,
        "read": 0,
        "undelivered": 0,
        "failed": 0,
        "canceled": 0,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("COMPLETED", OperationStatus.COMPLETED),
        ("completed", OperationStatus.COMPLETED),
        (" Processing ", OperationStatus.PROCESSING),
        ("scheduled", OperationStatus.SCHEDULED),
        ("CANCELED", OperationStatus.CANCELED),
        ("CANCELLED", OperationStatus.UNKNOWN),
        ("PAUSED", OperationStatus.UNKNOWN),
        ("", OperationStatus.UNKNOWN),
        (None, OperationStatus.UNKNOWN),
        (3, OperationStatus.UNKNOWN),
    ],
)
def test_operation_status_parse(value: object, expected: OperationStatus) -> None:
    """Statuses compare case-insensitively; anything else is UNKNOWN, never an error."""
    assert OperationStatus.parse(value) is expected


def test_unknown_status_keeps_raw_value() -> None:
    """An unknown status is kept as sent, so it can be shown and reported."""
    operation = Operation.from_json(
        {"id": OPERATION_ID, "status": "PAUSED", "stats": "n/a", "createdAt": 5}
    )
    assert operation.status is OperationStatus.UNKNOWN
    assert not operation.status.is_terminal
    assert operation.raw_status == "PAUSED"
    assert operation.stats == OperationStats()
    assert operation.stats.as_dict() == {}
    assert operation.created_at is None
    assert operation.updated_at is None


@pytest.mark.parametrize(
    "data",
    [None, [], "comms_operation_x", {}, {"id": "op_1"}, {"id": "comms_operation_X"}],
)
def test_operation_without_valid_id_is_invalid(data: object) -> None:
    """An operation without a usable id cannot be tracked, so it is invalid."""
    with pytest.raises(TwilioCommsInvalidResponseError):
        Operation.from_json(data)


def test_stats_are_tolerant() -> None:
    """Unknown counters are kept, bad values dropped, and nothing is summed."""
    stats = OperationStats.from_json(
        {
            "total": 10,
            "queued": 5,
            "sent": 3,
            "scheduled": 2,
            "delivered": 3,
            "read": 1,
            "undelivered": 1,
            "attempts": 12,
            "failed": True,
            "canceled": "2",
            "opened": -1,
            "clicked": 4,
            "bounced": 1.5,
        }
    )
    assert stats.total == 10
    assert stats.attempts == 12
    assert stats.failed is None
    assert stats.canceled is None
    assert stats.opened is None
    assert stats.extra == {"clicked": 4}
    assert stats.get("clicked") == 4
    assert stats.get("bounced") is None
    assert stats.get("sent") == 3
    assert stats.as_dict()["clicked"] == 4
    assert "failed" not in stats.as_dict()


def test_stats_are_bounded() -> None:
    """Unknown counters are bounded in number and name; absurd counts are not reported."""
    stats = OperationStats.from_json(
        {
            "total": 10**12,
            "sent": MAX_COUNTER,
            "x" * (MAX_COUNTER_NAME_LENGTH + 1): 1,
            "bad\nname": 1,
            **{f"extra{n:03d}": n for n in range(3 * MAX_EXTRA_COUNTERS)},
        }
    )
    assert stats.total is None
    assert stats.sent == MAX_COUNTER
    assert len(stats.extra) == MAX_EXTRA_COUNTERS
    assert all(key.startswith("extra") for key in stats.extra)


def test_raw_status_is_bounded() -> None:
    """A status as long as a page is kept only as far as it can be shown."""
    operation = Operation.from_json({"id": OPERATION_ID, "status": "P" * 100_000})
    assert operation.status is OperationStatus.UNKNOWN
    assert operation.raw_status is not None
    assert len(operation.raw_status) == MAX_RAW_STATUS_LENGTH


def test_stats_are_immutable() -> None:
    """Models are frozen, and so are the mappings they hold."""
    stats = OperationStats.from_json({"clicked": 1})
    with pytest.raises(AttributeError):
        stats.total = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        stats.extra["clicked"] = 2  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-04-05T06:20:00Z", datetime(2024, 4, 5, 6, 20, tzinfo=UTC)),
        ("2024-04-05t06:20:00z", datetime(2024, 4, 5, 6, 20, tzinfo=UTC)),
        ("2024-04-05T08:20:00+02:00", datetime(2024, 4, 5, 6, 20, tzinfo=UTC)),
        (
            "2024-04-05T06:20:00.123456789Z",
            datetime(2024, 4, 5, 6, 20, 0, 123456, tzinfo=UTC),
        ),
        ("2024-04-05 06:20:00Z", datetime(2024, 4, 5, 6, 20, tzinfo=UTC)),
        ("2024-04-05T06:20:00", datetime(2024, 4, 5, 6, 20, tzinfo=UTC)),
        ("2024-04-05", None),
        ("2024-13-05T06:20:00Z", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("yesterday", None),
        ("", None),
        (1712298000, None),
        (None, None),
    ],
    ids=[
        "utc z",
        "lower case",
        "offset",
        "nanoseconds",
        "space separator",
        "no offset means utc",
        "date only",
        "month 13",
        "out of range in utc",
        "words",
        "empty",
        "epoch number",
        "null",
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    """RFC 3339 timestamps become aware UTC datetimes; anything else None."""
    parsed = parse_timestamp(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("channel", "data", "status"),
    [
        (
            Channel.MESSAGES,
            {"id": "comms_message_01h9", "status": "UNDELIVERED"},
            "UNDELIVERED",
        ),
        (
            Channel.PUSH_NOTIFICATIONS,
            load_fixture("push_notifications_list_seed002.json")["notifications"][0],
            "SENT",
        ),
        (
            Channel.PUSH_NOTIFICATIONS,
            {"id": "comms_pushnotification_01h9", "status": " sent "},
            "SENT",
        ),
        (Channel.EMAILS, {"id": "comms_email_01h9", "status": 5}, "UNKNOWN"),
    ],
    ids=["message", "guide-style push id", "push, any case", "email, no status"],
)
def test_resource(channel: Channel, data: dict[str, object], status: str) -> None:
    """A resource keeps its id and an upper-case status, UNKNOWN when unreadable."""
    resource = CommsResource.from_json(data, channel)
    assert (resource.id, resource.status) == (data["id"], status)


@pytest.mark.parametrize(
    ("channel", "data"),
    [
        (Channel.MESSAGES, {"id": "comms_email_01h9"}),
        (Channel.PUSH_NOTIFICATIONS, {"id": "comms_pushnotificationuser_01h9"}),
        (Channel.EMAILS, {"status": "SENT"}),
        (Channel.MESSAGES, "comms_message_01h9"),
    ],
)
def test_resource_without_valid_id_is_invalid(channel: Channel, data: object) -> None:
    """A resource must carry an id of its own channel."""
    with pytest.raises(TwilioCommsInvalidResponseError):
        CommsResource.from_json(data, channel)
