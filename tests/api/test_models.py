"""Tests of the models: channels, ids, and the API's JSON read tolerantly."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.twilio_comms.api import (
    Channel,
    Operation,
    OperationStatus,
    TwilioCommsClient,
    TwilioCommsInvalidResponseError,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsInvalidIdError
from custom_components.twilio_comms.api.models import (
    MAX_COUNTER,
    MAX_COUNTER_NAME_LENGTH,
    MAX_EXTRA_COUNTERS,
    MAX_RAW_STATUS_LENGTH,
    CommsResource,
    MessageStatus,
    OperationStats,
    is_operation_id,
    parse_timestamp,
    validate_operation_id,
)

from .conftest import CommsServer, load_fixture

OPERATION_ID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"


def test_channel_names() -> None:
    """One name for a channel: its key, its URL segment and its product name."""
    assert [(c.value, c.path, c.product_name) for c in Channel] == [
        ("messages", "Messages", "Messages"),
        ("push_notifications", "PushNotifications", "Push Notifications"),
        ("emails", "Emails", "Emails"),
    ]


GOOD_OPERATION_IDS = [
    OPERATION_ID,
    # A seed sample only 25 characters after the prefix (comms-api.md §2).
    "comms_operation_01h9ksxq9v7b2m4r5t6y7z8a9",
    "comms_operation_x",
    "comms_operation_" + "a" * 64,
]

EVIL_IDS = [
    "",
    "comms_operation_",
    "comms_operation_x/../../Accounts",
    "comms_operation_abc?pageSize=1",
    "comms_operation_%2e%2e",
    "comms_operation_abc%2F..",
    "comms_operation_..",
    "comms_operation_abc.json",
    "comms_operation_abc#fragment",
    "comms_operation_abc def",
    "comms_operation_abc\n",
    "comms_operation_abc\t",
    " comms_operation_abc",
    "comms_operation_ABC",
    "COMMS_OPERATION_abc",
    "comms_operation_a_b",
    "comms_operation_a-b",
    "comms_operation_abc\\..",
    "comms_operation_ａｂｃ",  # full-width letters
    "comms_operation_١٢٣",  # Arabic-Indic digits
    "comms_operation_é",
    "comms_operation_abc\u200b",  # zero-width space
    "comms_operation_abc\x00",
    "comms_operation_" + "a" * 65,
    "comms_message_01h9krwprkeee8fzqspvwy6nq8",
    "../comms_operation_abc",
]

# Characters that would change a URL's meaning or hide in it.
FORBIDDEN = set("/?#%.\\ \t\r\n&=+;:@") | {chr(c) for c in range(32)}


@pytest.mark.parametrize(
    ("operation_id", "valid"),
    [*((i, True) for i in GOOD_OPERATION_IDS), *((i, False) for i in EVIL_IDS)],
)
def test_operation_ids(operation_id: str, valid: bool) -> None:
    """Documented ids are taken unchanged; anything that could escape its segment is not."""
    assert is_operation_id(operation_id) is valid
    if valid:
        assert validate_operation_id(operation_id) == operation_id
        return
    with pytest.raises(TwilioCommsInvalidIdError) as info:
        validate_operation_id(operation_id)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("operation_id", "shown"),
    [
        ("x" * 200, "a 200-character string"),
        ("comms_operation_\r\n", "a 18-character string"),
        ("comms_operation_A", "'comms_operation_A'"),
    ],
)
def test_rejected_id_is_summarised(operation_id: str, shown: str) -> None:
    """A long or unprintable rejected id is described, not echoed."""
    with pytest.raises(TwilioCommsInvalidIdError, match=shown):
        validate_operation_id(operation_id)


@settings(database=None, max_examples=500)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("0123456789abcdefghjkmnpqrstvwxyz"), st.characters()
        )
    )
)
def test_no_valid_id_needs_quoting(value: str) -> None:
    """Whatever text comes in, an id that passes is a plain, safe path segment."""
    candidate = "comms_operation_" + value
    if is_operation_id(candidate):
        assert not set(candidate) & FORBIDDEN
        assert quote(candidate, safe="") == candidate
        assert candidate.isascii()
        assert candidate == candidate.lower()


type Call = Callable[[TwilioCommsClient, str], Awaitable[object]]


@pytest.mark.parametrize(
    "evil_id",
    [*EVIL_IDS[2:5], "comms_message_x/../../Accounts", "comms_notification_ä"],
)
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, i: c.get_operation(Channel.MESSAGES, i), id="get_operation"),
        pytest.param(lambda c, i: anext(c.iter_resources(Channel.EMAILS, i)), id="iter_resources"),
    ],
)  # fmt: skip
async def test_evil_ids_never_reach_the_server(
    client: TwilioCommsClient, comms_server: CommsServer, call: Call, evil_id: str
) -> None:
    """Every method taking an id validates it before building a URL."""
    with pytest.raises(TwilioCommsInvalidIdError):
        await call(client, evil_id)
    assert comms_server.requests == []


@pytest.mark.parametrize(
    ("data", "status", "stats"),
    [
        pytest.param(
            load_fixture("push_operation_seed000.json"),
            "SCHEDULED",
            {"total": 150, "recipients": 145, "unaddressable": 3, "scheduled": 20, "queued": 50, "sent": 70, "failed": 5, "canceled": 2},
            id="the push reference's Fetch Operation",
        ),
        pytest.param(
            load_fixture("push_operations_list_seed001.json")["operations"][1],
            "COMPLETED",
            {"total": 300, "recipients": 300, "unaddressable": 0, "scheduled": 0, "queued": 0, "sent": 295, "failed": 5, "canceled": 0},
            id="the List sample's short seed id",
        ),
        pytest.param(
            load_fixture("push_operation_seed002.json"),
            "COMPLETED",
            {"total": 1, "recipients": 1, "attempts": 1, "queued": 0, "sent": 0, "delivered": 1, "undelivered": 0, "failed": 0},
            id="the push guide's, with keys the reference lacks and without some it has",
        ),
        pytest.param(
            load_fixture("message_operation_seed004.json"),
            "COMPLETED",
            {"total": 1, "recipients": 1, "attempts": 1, "unaddressable": 0, "scheduled": 0, "queued": 0, "sent": 0, "delivered": 1, "read": 0, "undelivered": 0, "failed": 0, "canceled": 0},
            id="the Messages reference's, with every counter",
        ),
    ],
)  # fmt: skip
def test_seed_operations(
    data: dict[str, Any], status: str, stats: dict[str, int]
) -> None:
    """The documents' operations parse completely: id, status, counters and times."""
    operation = Operation.from_json(data)
    assert operation.id == data["id"]
    assert (operation.raw_status, operation.status) == (
        status,
        OperationStatus(status.lower()),
    )
    assert operation.status.is_terminal is (status == "COMPLETED")
    assert operation.stats.as_dict() == stats
    assert operation.created_at == datetime.fromisoformat(data["createdAt"])
    assert operation.updated_at == datetime.fromisoformat(data["updatedAt"])


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
    """An unknown status is kept as sent, within bounds, so it can be shown and reported."""
    operation = Operation.from_json(
        {"id": OPERATION_ID, "status": "PAUSED", "stats": "n/a", "createdAt": 5}
    )
    assert (operation.status, operation.raw_status) == (
        OperationStatus.UNKNOWN,
        "PAUSED",
    )
    assert not operation.status.is_terminal
    assert operation.stats == OperationStats()
    assert operation.stats.as_dict() == {}
    assert operation.created_at is None
    assert operation.updated_at is None
    long = Operation.from_json({"id": OPERATION_ID, "status": "P" * 100_000})
    assert long.raw_status is not None
    assert len(long.raw_status) == MAX_RAW_STATUS_LENGTH


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
            "sent": 3,
            "attempts": 12,
            "failed": True,
            "canceled": "2",
            "opened": -1,
            "clicked": 4,
            "bounced": 1.5,
        }
    )
    assert (stats.total, stats.attempts, stats.failed, stats.canceled) == (
        10,
        12,
        None,
        None,
    )
    assert stats.opened is None
    assert stats.extra == {"clicked": 4}
    assert (stats.get("clicked"), stats.get("bounced"), stats.get("sent")) == (
        4,
        None,
        3,
    )
    assert stats.as_dict() == {"total": 10, "attempts": 12, "sent": 3, "clicked": 4}
    # Frozen, and so are the mappings held.
    with pytest.raises(AttributeError):
        stats.total = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        stats.extra["clicked"] = 2  # type: ignore[index]


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2024-04-05T06:20:00Z", datetime(2024, 4, 5, 6, 20, tzinfo=UTC), id="utc z"),
        pytest.param("2024-04-05t06:20:00z", datetime(2024, 4, 5, 6, 20, tzinfo=UTC), id="lower case"),
        pytest.param("2024-04-05T08:20:00+02:00", datetime(2024, 4, 5, 6, 20, tzinfo=UTC), id="offset"),
        pytest.param("2024-04-05T06:20:00.123456789Z", datetime(2024, 4, 5, 6, 20, 0, 123456, tzinfo=UTC), id="nanoseconds"),
        pytest.param("2024-04-05 06:20:00Z", datetime(2024, 4, 5, 6, 20, tzinfo=UTC), id="space separator"),
        pytest.param("2024-04-05T06:20:00", datetime(2024, 4, 5, 6, 20, tzinfo=UTC), id="no offset means utc"),
        pytest.param("2024-04-05", None, id="date only"),
        pytest.param("2024-13-05T06:20:00Z", None, id="month 13"),
        pytest.param("0001-01-01T00:00:00+01:00", None, id="out of range in utc"),
        pytest.param("yesterday", None, id="words"),
        pytest.param("", None, id="empty"),
        pytest.param(1712298000, None, id="epoch number"),
        pytest.param(None, None, id="null"),
    ],
)  # fmt: skip
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    """RFC 3339 timestamps become aware UTC datetimes; anything else None."""
    parsed = parse_timestamp(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("channel", "data", "status"),
    [
        pytest.param(Channel.MESSAGES, {"id": "comms_message_01h9", "status": "UNDELIVERED"}, "UNDELIVERED", id="message"),
        pytest.param(Channel.PUSH_NOTIFICATIONS, load_fixture("push_notifications_list_seed002.json")["notifications"][0], "SENT", id="guide-style push id"),
        pytest.param(Channel.PUSH_NOTIFICATIONS, {"id": "comms_pushnotification_01h9", "status": " sent "}, "SENT", id="push, any case"),
        pytest.param(Channel.EMAILS, {"id": "comms_email_01h9", "status": 5}, "UNKNOWN", id="email, no status"),
    ],
)  # fmt: skip
def test_resource(channel: Channel, data: dict[str, object], status: str) -> None:
    """A resource keeps its id and an upper-case status, UNKNOWN when unreadable."""
    resource = CommsResource.from_json(data, channel)
    assert (resource.id, resource.status) == (data["id"], status)


@pytest.mark.parametrize(
    ("channel", "data"),
    [
        (Channel.MESSAGES, {"id": "comms_email_01h9"}),
        (Channel.PUSH_NOTIFICATIONS, {"id": "comms_pushnotificationuser_01h9"}),
        (
            Channel.PUSH_NOTIFICATIONS,
            {"id": "comms_operation_01h2xcejqtf2nbrexx3vqjhp41"},
        ),
        (Channel.EMAILS, {"id": "comms_email_01H9KRWPRKEEE8FZQSPVWY6NQ8"}),
        (Channel.EMAILS, {"status": "SENT"}),
        (Channel.MESSAGES, "comms_message_01h9"),
    ],
)
def test_resource_without_valid_id_is_invalid(channel: Channel, data: object) -> None:
    """A resource must carry an id of its own channel."""
    with pytest.raises(TwilioCommsInvalidResponseError):
        CommsResource.from_json(data, channel)


@pytest.mark.parametrize(
    ("to", "address"),
    [
        pytest.param([{"address": " +15558675310 ", "channel": "PHONE"}], "+15558675310", id="listed array"),
        pytest.param({"address": "ann@example.com"}, "ann@example.com", id="fetched object"),
        pytest.param([{"address": "+15558675310"}, {"address": "+15558675311"}], "+15558675310", id="group: the first"),
        pytest.param([{"token": "fcm-token", "provider": "FCM"}], None, id="push token"),
        pytest.param([], None, id="empty"),
        pytest.param("+15558675310", "+15558675310", id="a plain address"),
        pytest.param([5], None, id="not an address"),
        pytest.param([{"address": "x" * 321}], None, id="too long"),
        pytest.param(None, None, id="missing"),
    ],
)  # fmt: skip
def test_resource_recipient(to: object, address: str | None) -> None:
    """A resource's recipient is the address of its first `to`, None when unreadable."""
    data = {"id": "comms_message_01h9", "status": "SENT", "to": to}
    assert CommsResource.from_json(data, Channel.MESSAGES).to == address


def test_resource_update_time() -> None:
    """A resource's updatedAt is read as a timestamp, None when unreadable."""
    data = {"id": "comms_message_01h9", "updatedAt": "2026-11-23T12:00:05Z"}
    resource = CommsResource.from_json(data, Channel.MESSAGES)
    assert resource.updated_at == datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)
    data["updatedAt"] = "yesterday"
    assert CommsResource.from_json(data, Channel.MESSAGES).updated_at is None


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("QUEUED", MessageStatus.QUEUED),
        (" Sent ", MessageStatus.SENT),
        ("delivered", MessageStatus.DELIVERED),
        ("READ", MessageStatus.READ),
        # An email's read receipt.
        ("OPENED", MessageStatus.READ),
        ("UNDELIVERED", MessageStatus.UNDELIVERED),
        ("failed", MessageStatus.FAILED),
        ("CANCELED", MessageStatus.CANCELED),
        # Nothing said of a delivery: waiting for its time, or not a send.
        ("SCHEDULED", None),
        ("GROUP", None),
        ("INBOUND", None),
        ("UNKNOWN", None),
        ("bounced", None),
        ("", None),
        (5, None),
        (None, None),
    ],
)
def test_message_status_parse(value: object, status: MessageStatus | None) -> None:
    """A resource or event status is read in any case; what is no delivery is None."""
    assert MessageStatus.parse(value) is status


def test_message_status_only_moves_forward() -> None:
    """Queued, sent, delivered in turn; a final status ends it wherever it was."""
    queued, sent, delivered, read, undelivered, failed, canceled = MessageStatus
    assert sent.advances(queued)
    assert delivered.advances(sent)
    assert delivered.advances(queued)
    assert read.advances(delivered)
    assert failed.advances(queued)
    assert undelivered.advances(sent)
    assert not queued.advances(sent)
    assert not sent.advances(delivered)
    assert not delivered.advances(delivered)
    for final in (read, undelivered, failed, canceled):
        assert final.is_final
        assert not any(status.advances(final) for status in MessageStatus)
    assert not any(status.is_final for status in (queued, sent, delivered))
