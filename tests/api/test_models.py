"""Tests of parsing the API's JSON, seed samples first, then every tolerance rule."""

from datetime import UTC, datetime

import pytest

from custom_components.twilio_comms.api import (
    Email,
    Message,
    Operation,
    OperationError,
    OperationStats,
    OperationStatus,
    PushNotification,
    TwilioCommsInvalidResponseError,
)
from custom_components.twilio_comms.api.models import (
    MAX_COUNTER,
    MAX_COUNTER_NAME_LENGTH,
    MAX_EXTRA_COUNTERS,
    MAX_RAW_STATUS_LENGTH,
    parse_operation_errors,
)
from custom_components.twilio_comms.api.wire import parse_timestamp

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


def test_seed002_push_notifications_list() -> None:
    """The guide's notification: comms_notification_ id, lowercase related, to array."""
    payload = load_fixture("push_notifications_list_seed002.json")
    notification = PushNotification.from_json(payload["notifications"][0])
    assert notification.id == "comms_notification_01h2xcejqtf2nbrexx3vqjhp41"
    assert notification.status == "SENT"
    assert notification.operation_id == "comms_operation_01h2xcejqtf2nbrexx3vqjhp41"
    assert notification.providers == ("FCM",)
    assert notification.tags == {}
    assert notification.deleted_at is None
    assert notification.created_at == datetime(2023, 8, 24, 14, 15, 22, tzinfo=UTC)


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


def test_message_fetch() -> None:
    """A fetched message: `to` as an object, status upper-cased, related in any case."""
    message = Message.from_json(load_fixture("message_fetch.json"))
    assert message.status == "UNDELIVERED"
    assert message.to_addresses == ("+15558675310",)
    assert message.operation_id == OPERATION_ID
    assert message.tags == {"campaign": "door"}
    assert message.scheduled_for == datetime(2024, 4, 5, 6, 25, tzinfo=UTC)
    assert message.created_at == datetime(2024, 4, 5, 6, 20, 0, 123000, tzinfo=UTC)
    assert message.updated_at is None


def test_message_in_list() -> None:
    """A listed message links its operation with an upper-case OPERATION."""
    payload = load_fixture("messages_list.json")
    message = Message.from_json(payload["messages"][0])
    assert message.status == "DELIVERED"
    assert message.operation_id == OPERATION_ID
    assert message.tags == {"source": "home_assistant"}


def test_push_notification_with_to_object() -> None:
    """The push fetch sample's `to` is one object, not an array."""
    notification = PushNotification.from_json(
        load_fixture("push_notification_fetch_to_object.json")
    )
    assert notification.providers == ("FCM",)
    assert notification.priority == "HIGH"
    assert notification.operation_id is None


def test_push_notification_lowercase_values() -> None:
    """Lower-case provider, status and priority are normalised to upper case."""
    payload = load_fixture("push_notifications_list_pushnotifications_key.json")
    notification = PushNotification.from_json(payload["pushNotifications"][0])
    assert notification.providers == ("APN",)
    assert notification.status == "SENT"
    assert notification.priority == "HIGH"
    assert notification.operation_id == OPERATION_ID


def test_email() -> None:
    """An email: subject from content, recipients' addresses, OPENED status."""
    email = Email.from_json(load_fixture("emails_list_data_key.json")["data"][0])
    assert email.status == "OPENED"
    assert email.subject == "Front door"
    assert email.to_addresses == ("ann@example.com",)
    assert email.operation_id == OPERATION_ID


@pytest.mark.parametrize(
    ("data", "operation_id"),
    [
        ({"related": [{"name": "SENDER", "id": "comms_sender_01"}]}, None),
        ({"related": {"name": "Operation", "id": OPERATION_ID}}, OPERATION_ID),
        ({"related": [{"name": "OPERATION", "id": "comms_operation_X/.."}]}, None),
        ({"related": [{"name": 1}, "junk"], "operationId": OPERATION_ID}, OPERATION_ID),
        ({"related": None}, None),
    ],
    ids=[
        "other relation",
        "one object",
        "invalid related id",
        "top-level operationId",
        "null",
    ],
)
def test_related_operation(data: dict[str, object], operation_id: str | None) -> None:
    """The owning operation is found in `related`, by name in any case, and validated."""
    message = Message.from_json({"id": "comms_message_01h9", **data})
    assert message.operation_id == operation_id
    assert message.status == "UNKNOWN"


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Message, {"id": "comms_email_01h9"}),
        (PushNotification, {"id": "comms_message_01h9"}),
        (Email, {"status": "SENT"}),
        (Message, "comms_message_01h9"),
    ],
)
def test_resource_without_valid_id_is_invalid(
    model: type[Message | PushNotification | Email], data: object
) -> None:
    """A resource must carry an id of its own family."""
    with pytest.raises(TwilioCommsInvalidResponseError):
        model.from_json(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            load_fixture("operation_errors_list.json"),
            [
                (61337, "Recipient does not have RCS enabled"),
                (None, None),
            ],
        ),
        (load_fixture("operation_errors_wrapped.json"), [(30008, "Unknown error")]),
        ({"data": [{"code": 1}]}, [(1, None)]),
        ({"code": 2, "message": "lone"}, [(2, "lone")]),
        ({"pagination": {}, "failures": [{"message": "x"}]}, [(None, "x")]),
        ({"pagination": {"next": None}}, []),
        ([], []),
        (["plain text", 7], [(None, "plain text"), (None, None)]),
    ],
    ids=[
        "bare list",
        "errors key",
        "data key",
        "lone error",
        "unknown list key",
        "no entries",
        "empty list",
        "scalar entries",
    ],
)
def test_operation_errors_shapes(
    data: object, expected: list[tuple[int | None, str | None]]
) -> None:
    """The undocumented Errors endpoint is read whatever shape it answers with."""
    errors = parse_operation_errors(data)
    assert [(error.code, error.message) for error in errors] == expected


def test_operation_error_keeps_other_fields() -> None:
    """Entries without code or message are kept with their fields."""
    errors = parse_operation_errors(load_fixture("operation_errors_list.json"))
    assert errors[0].raw == {"infoUrl": "https://www.twilio.com/docs/api/errors/61337"}
    assert errors[1].raw == {"recipient": "+15558675310", "reason": "opaque"}
    assert OperationError.from_json(7).raw == {"value": 7}
