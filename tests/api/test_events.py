"""Event Streams deliveries: reading them, telling Twilio's from forged ones, dropping repeats."""

from base64 import b64encode
from datetime import UTC, datetime
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.twilio_comms.api import (
    COMMS_EVENT_TYPES,
    INBOUND_EVENT_TYPE,
    TEST_EVENT_TYPE,
    CloudEvent,
    InboundEvent,
    MessageEvent,
    OperationEvent,
    OperationStatus,
    RecentIds,
    TwilioCommsEventError,
    TwilioCommsValidationError,
    check_basic_auth,
    check_signature,
    inbound_event_of,
    message_event_of,
    operation_event_of,
    parse_deliveries,
    # Aliased: pytest would collect a test_* name as a test.
    test_id_of as read_test_id,
)
from custom_components.twilio_comms.api.events import DEFAULT_RECENT_IDS

from .conftest import OPERATION_ID

DOC = (Path(__file__).parents[2] / "docs" / "event-streams.md").read_text()

# docs/event-streams.md §3: the test event, as Twilio's blog shows it.
TEST_EVENT_SAMPLE = """[{
  "specversion": "1.0",
  "type": "com.twilio.eventstreams.test-event",
  "source": "Sink",
  "id": "AC11111111111111111111111111111111",
  "dataschema": "https://events-schemas.twilio.com/EventStreams.TestSink/1.json",
  "datacontenttype": "application/json",
  "time": "2026-06-10T06:02:54.377Z",
  "data": {"test_id": "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}
}]"""

# docs/event-streams.md §8.2: the worked example of a signed delivery.
SIGNED_BODY = b'[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC00000000000000000000000000000000","dataschema":"https://events-schemas.twilio.com/EventStreams.TestSink/1.json","datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z","data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]'
SIGNED_TOKEN = "12345"
BODY_SHA256 = "5f07a98d27cada68cdf3a7f5d93407959fc2a038ae6511d3121ce70db9bd1571"
SIGNED_URL = f"https://example.org/api/webhook/abc123?bodySHA256={BODY_SHA256}"
PORT_URL = f"https://example.org:443/api/webhook/abc123?bodySHA256={BODY_SHA256}"
SIGNATURE = "kuDfIcLfs9XZV+eMAkbqohwyQ9M="
PORT_SIGNATURE = "7qjB+9F6RFIghHj0hfdPDvcRT4I="

TEST_ID = "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"
MESSAGE_ID = "comms_message_01h9krwprkeee8fzqspvwy6nq8"
MAX_EVENTS = 100


def test_samples_are_the_docs_verbatim() -> None:
    """Guard the guard: the samples below are the research's, byte for byte."""
    assert TEST_EVENT_SAMPLE in DOC
    for text in (
        SIGNED_BODY.decode(),
        BODY_SHA256,
        SIGNED_URL,
        SIGNATURE,
        PORT_SIGNATURE,
    ):
        assert text in DOC


def sign(url: str, token: str = SIGNED_TOKEN) -> str:
    """Return Twilio's signature of a URL, computed here independently."""
    digest = hmac.new(token.encode(), url.encode(), hashlib.sha1).digest()
    return b64encode(digest).decode()


def envelope(event_type: str, data: object, **extra: object) -> dict[str, Any]:
    """Return one CloudEvents envelope as Twilio posts it."""
    return {
        "specversion": "1.0",
        "type": event_type,
        "source": "/v1/Messages",
        "id": "EZ00000000000000000000000000000001",
        "time": "2026-06-10T06:02:54.377Z",
        "data": data,
        **extra,
    }


def one(event_type: str, data: object, **extra: object) -> CloudEvent:
    """Return the one event a single-envelope delivery holds."""
    body = json.dumps([envelope(event_type, data, **extra)]).encode()
    (event,) = parse_deliveries(body, max_events=MAX_EVENTS)
    return event


# ---------------------------------------------------------------- parsing

TEST_EVENT = CloudEvent(
    id="AC11111111111111111111111111111111",
    type=TEST_EVENT_TYPE,
    time=datetime(2026, 6, 10, 6, 2, 54, 377000, tzinfo=UTC),
    data={"test_id": TEST_ID},
)
SINGLE_OBJECT = json.dumps(json.loads(TEST_EVENT_SAMPLE)[0])
DATA_AS_STRING = json.dumps(
    [json.loads(TEST_EVENT_SAMPLE)[0] | {"data": json.dumps({"test_id": TEST_ID})}]
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(TEST_EVENT_SAMPLE, id="array (batch_events)"),
        pytest.param(SINGLE_OBJECT, id="single object"),
        pytest.param(DATA_AS_STRING, id="data as a JSON string (Kinesis sample)"),
    ],
)
def test_the_test_event_in_every_shape(body: str) -> None:
    """The documented test event reads the same as an array, an object, or with string data."""
    events = parse_deliveries(body.encode(), max_events=MAX_EVENTS)
    assert events == [TEST_EVENT]
    assert read_test_id(events[0]) == TEST_ID


def test_the_signed_example_body() -> None:
    """The worked example's exact bytes are a test event too."""
    (event,) = parse_deliveries(SIGNED_BODY, max_events=1)
    assert (event.id, read_test_id(event)) == (
        "AC00000000000000000000000000000000",
        TEST_ID,
    )


def test_event_data_is_read_only() -> None:
    """An event's data cannot be changed by whoever handles it."""
    (event,) = parse_deliveries(TEST_EVENT_SAMPLE.encode(), max_events=1)
    with pytest.raises(TypeError):
        event.data["test_id"] = "other"  # type: ignore[index]


def test_unusable_elements_are_skipped_not_fatal() -> None:
    """One bad envelope in a batch does not lose the events beside it."""
    good = envelope(
        "com.twilio.comms-api.operation.completed", {"operation_id": OPERATION_ID}
    )
    body = json.dumps(
        [
            42,
            "an envelope",
            None,
            [good],
            good | {"id": ""},
            good | {"id": 17},
            good | {"id": "E" * 65},
            good | {"id": "EZ\n1"},
            {k: v for k, v in good.items() if k != "id"},
            {k: v for k, v in good.items() if k != "type"},
            good | {"type": "x" * 129},
            good | {"data": [OPERATION_ID]},
            good | {"data": 7},
            good | {"data": "not json"},
            good | {"data": '["a list"]'},
            good,
            good | {"id": "EZ2", "data": None},
            {k: v for k, v in good.items() if k != "data"} | {"id": "EZ3"},
        ]
    ).encode()
    events = parse_deliveries(body, max_events=MAX_EVENTS)
    assert [(event.id, dict(event.data)) for event in events] == [
        (good["id"], {"operation_id": OPERATION_ID}),
        # No data is no field: acknowledged, and ignored by every reader.
        ("EZ2", {}),
        ("EZ3", {}),
    ]
    assert operation_event_of(events[1]) is None


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("2026-06-10T06:02:54.377Z", datetime(2026, 6, 10, 6, 2, 54, 377000, tzinfo=UTC)),
        ("2026-06-10T06:02:54Z", datetime(2026, 6, 10, 6, 2, 54, tzinfo=UTC)),
        ("2026-06-10T08:02:54+02:00", datetime(2026, 6, 10, 6, 2, 54, tzinfo=UTC)),
        ("2026-06-10T06:02:54", datetime(2026, 6, 10, 6, 2, 54, tzinfo=UTC)),
        ("2026-13-10T06:02:54Z", None),
        ("yesterday", None),
        (1781071374, None),
        (None, None),
    ],
)  # fmt: skip
def test_event_time_is_read_tolerantly(time: object, expected: datetime | None) -> None:
    """Any RFC 3339 time is read as UTC; anything else leaves the event without one."""
    assert one(TEST_EVENT_TYPE, {}, time=time).time == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="not json"),
        pytest.param(b"\xff\xfe[]", id="not utf-8"),
        pytest.param(b"[" * 100_000, id="nested past the stack"),
        pytest.param(b"null", id="null"),
        pytest.param(b"42", id="number"),
        pytest.param(b'"[]"', id="string"),
        pytest.param(b"true", id="boolean"),
        pytest.param(json.dumps([{}] * 3).encode(), id="more than max_events"),
    ],
)
def test_unreadable_deliveries_raise(body: bytes) -> None:
    """A body that is no array or object of envelopes, or too many, is refused as a whole."""
    with pytest.raises(TwilioCommsEventError):
        parse_deliveries(body, max_events=2)


def test_max_events_is_inclusive_and_counts_every_element() -> None:
    """max_events elements are read; skipped elements count toward the cap."""
    event = json.loads(SINGLE_OBJECT)
    assert len(parse_deliveries(json.dumps([event, event]).encode(), max_events=2)) == 2
    assert parse_deliveries(b"[]", max_events=2) == []
    with pytest.raises(TwilioCommsEventError, match="3 events, more than 2"):
        parse_deliveries(json.dumps([event, 1, 2]).encode(), max_events=2)


# ---------------------------------------------------------------- readers


def test_comms_event_types_and_versions() -> None:
    """Every Comms type of docs §9 is subscribed at the schema version it is read as."""
    assert dict(COMMS_EVENT_TYPES) == {
        "com.twilio.comms-api.operation.scheduled": 2,
        "com.twilio.comms-api.operation.processing": 2,
        "com.twilio.comms-api.operation.completed": 2,
        "com.twilio.comms-api.message.queued": 3,
        "com.twilio.comms-api.message.sent": 4,
        "com.twilio.comms-api.message.failed": 4,
        "com.twilio.comms-api.message.delivered": 4,
        "com.twilio.comms-api.message.undelivered": 4,
        "com.twilio.comms-api.message.read": 4,
        "com.twilio.comms-api.message.inbound-received": 2,
    }
    assert INBOUND_EVENT_TYPE in COMMS_EVENT_TYPES
    assert TEST_EVENT_TYPE not in COMMS_EVENT_TYPES


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (TEST_EVENT_TYPE, {"test_id": TEST_ID}, TEST_ID),
        (TEST_EVENT_TYPE, {"test_id": "DG" + "0" * 32}, "DG" + "0" * 32),
        (TEST_EVENT_TYPE, {"test_id": "x" * 65}, None),
        (TEST_EVENT_TYPE, {"test_id": "a\r\nb"}, None),
        (TEST_EVENT_TYPE, {"test_id": 12}, None),
        (TEST_EVENT_TYPE, {}, None),
        ("com.twilio.comms-api.operation.completed", {"test_id": TEST_ID}, None),
    ],
)
def test_test_id_of(event_type: str, data: object, expected: str | None) -> None:
    """Only a Sink Test's event has a test id, and only a short printable one."""
    assert read_test_id(one(event_type, data)) == expected


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        ("scheduled", OperationStatus.SCHEDULED),
        ("processing", OperationStatus.PROCESSING),
        ("completed", OperationStatus.COMPLETED),
        ("COMPLETED", OperationStatus.COMPLETED),
        # A stage the docs do not list yet: still read, as nothing known.
        ("canceled", OperationStatus.CANCELED),
        ("archived", OperationStatus.UNKNOWN),
    ],
)
def test_operation_event_of_each_stage(stage: str, status: OperationStatus) -> None:
    """Every operation event names the operation to read and the status it announces."""
    event = one(
        f"com.twilio.comms-api.operation.{stage}", {"operation_id": OPERATION_ID}
    )
    assert operation_event_of(event) == OperationEvent(
        operation_id=OPERATION_ID, status=status
    )


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("com.twilio.comms-api.operation.completed", {}),
        ("com.twilio.comms-api.operation.completed", {"operation_id": "../../Accounts"}),
        ("com.twilio.comms-api.operation.completed", {"operation_id": "comms_message_01h9krwprkeee8fzqspvwy6nq8"}),
        ("com.twilio.comms-api.operation.completed", {"operation_id": 42}),
        ("com.twilio.comms-api.message.delivered", {"operation_id": OPERATION_ID}),
        (TEST_EVENT_TYPE, {"operation_id": OPERATION_ID}),
    ],
)  # fmt: skip
def test_operation_event_of_ignores_the_rest(event_type: str, data: object) -> None:
    """An operation event without a well-formed id, or another event, names no operation."""
    assert operation_event_of(one(event_type, data)) is None


# A message event as the third-party client reads it (docs §9, §12 item 20).
MESSAGE_DATA = {
    "operation_id": OPERATION_ID,
    "message_id": MESSAGE_ID,
    "account_sid": "AC00000000000000000000000000000000",
    "downstream_id": "SM00000000000000000000000000000000",
    "attempt": "1",
    "error_code": "30008",
    "from": {"id": None, "address": "+15550001111", "channel": "SMS"},
    "to": {"id": None, "address": "+15558675310", "channel": "PHONE"},
    "tags": {"source": "home_assistant"},
}


@pytest.mark.parametrize(
    ("status", "schema_version"),
    [("queued", 3), *((s, 4) for s in ("sent", "failed", "delivered", "undelivered", "read"))],
)  # fmt: skip
def test_message_event_of_each_status(status: str, schema_version: int) -> None:
    """Each message event type gives its status, the ids and the recipient."""
    event_type = f"com.twilio.comms-api.message.{status}"
    assert COMMS_EVENT_TYPES[event_type] == schema_version
    assert message_event_of(one(event_type, MESSAGE_DATA)) == MessageEvent(
        operation_id=OPERATION_ID,
        message_id=MESSAGE_ID,
        to_address="+15558675310",
        status=status,
        time=datetime(2026, 6, 10, 6, 2, 54, 377000, tzinfo=UTC),
        error_code=30008,
    )


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"error_code": 30008}, "error_code", 30008),
        ({"error_code": " 30008 "}, "error_code", 30008),
        ({"error_code": None}, "error_code", None),
        ({"error_code": "none"}, "error_code", None),
        ({"error_code": "9" * 5000}, "error_code", None),
        ({"error_code": -1}, "error_code", None),
        ({"error_code": True}, "error_code", None),
        ({"operation_id": "op"}, "operation_id", None),
        ({"to": "+15558675310"}, "to_address", None),
        ({"to": {"address": "+1" * 200}}, "to_address", None),
        ({"to": {"address": "whatsapp:+15558675310"}}, "to_address", "whatsapp:+15558675310"),
    ],
)  # fmt: skip
def test_message_event_fields_are_tolerant(
    changes: dict[str, object], field: str, expected: object
) -> None:
    """A field that is not what is expected is left out, not a lost event."""
    event = message_event_of(
        one("com.twilio.comms-api.message.sent", MESSAGE_DATA | changes)
    )
    assert event is not None
    assert getattr(event, field) == expected


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("com.twilio.comms-api.message.delivered", {k: v for k, v in MESSAGE_DATA.items() if k != "message_id"}),
        ("com.twilio.comms-api.message.delivered", MESSAGE_DATA | {"message_id": OPERATION_ID}),
        ("com.twilio.comms-api.message.scheduled", MESSAGE_DATA),
        (INBOUND_EVENT_TYPE, MESSAGE_DATA),
        ("com.twilio.comms-api.operation.completed", MESSAGE_DATA),
        ("com.twilio.messaging.message.delivered", MESSAGE_DATA),
        ("delivered", MESSAGE_DATA),
    ],
)  # fmt: skip
def test_message_event_of_ignores_the_rest(event_type: str, data: object) -> None:
    """Only a known message status with a message id is a message event."""
    assert message_event_of(one(event_type, data)) is None


def test_inbound_event_of() -> None:
    """An inbound event gives the ids to read the message by."""
    data = {
        "operation_id": OPERATION_ID,
        "message_id": MESSAGE_ID,
        "downstream_id": "SM00000000000000000000000000000000",
        "session_id": "comms_session_01h9krwprkeee8fzqspvwy6nq8",
        "to": {"address": "+15550001111", "channel": "SMS"},
        "tags": {},
    }
    assert inbound_event_of(one(INBOUND_EVENT_TYPE, data)) == InboundEvent(
        message_id=MESSAGE_ID, operation_id=OPERATION_ID, to_address="+15550001111"
    )
    assert inbound_event_of(one(INBOUND_EVENT_TYPE, {"message_id": MESSAGE_ID})) == (
        InboundEvent(message_id=MESSAGE_ID, operation_id=None, to_address=None)
    )
    assert inbound_event_of(one(INBOUND_EVENT_TYPE, {"to": data["to"]})) is None
    assert inbound_event_of(one("com.twilio.comms-api.message.sent", data)) is None


# ---------------------------------------------------------------- dedupe


def test_recent_ids_drop_a_repeat() -> None:
    """An id is new once; after that, every delivery of it is a repeat."""
    recent = RecentIds()
    assert [recent.seen_before(key) for key in ("EZ1", "EZ2", "EZ1", "EZ1")] == [
        False,
        False,
        True,
        True,
    ]


def test_recent_ids_are_bounded_forgetting_the_least_recent() -> None:
    """Past its size the least recently seen id goes; a repeat counts as seen again."""
    recent = RecentIds(3)
    for key in ("a", "b", "c"):
        recent.seen_before(key)
    assert recent.seen_before("a")  # a is now the most recent
    assert not recent.seen_before("d")  # b goes
    assert len(recent) == 3
    assert recent.seen_before("a")
    assert not recent.seen_before("b")


def test_recent_ids_default_bound() -> None:
    """The default size holds; it never grows past it."""
    recent = RecentIds()
    for number in range(DEFAULT_RECENT_IDS + 50):
        recent.seen_before(f"EZ{number}")
    assert len(recent) == DEFAULT_RECENT_IDS
    assert not recent.seen_before("EZ0")


def test_recent_ids_need_room() -> None:
    """A size of nothing is refused."""
    with pytest.raises(TwilioCommsValidationError):
        RecentIds(0)


def test_two_sink_tests_share_an_id() -> None:
    """Why test events skip dedupe: each test carries the Account SID as its id."""
    first = one(
        TEST_EVENT_TYPE, {"test_id": TEST_ID}, id="AC11111111111111111111111111111111"
    )
    second = one(
        TEST_EVENT_TYPE, {"test_id": "b" * 36}, id="AC11111111111111111111111111111111"
    )
    assert first.id == second.id
    assert read_test_id(first) != read_test_id(second)


# ---------------------------------------------------------------- basic auth


def basic(pair: bytes) -> str:
    """Return an Authorization header carrying a user:password pair."""
    return "Basic " + b64encode(pair).decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(basic(b"hauser:s3cret"), True, id="right"),
        pytest.param("basic " + b64encode(b"hauser:s3cret").decode(), True, id="scheme in lower case"),
        pytest.param("  Basic   " + b64encode(b"hauser:s3cret").decode() + " ", True, id="extra spaces"),
        pytest.param(basic(b"hauser:s3cret2"), False, id="wrong password"),
        pytest.param(basic(b"hauser:s3cre"), False, id="password prefix"),
        pytest.param(basic(b"hauser2:s3cret"), False, id="wrong user"),
        pytest.param(basic(b"s3cret:hauser"), False, id="swapped"),
        pytest.param(basic(b"hauser:s3cret:"), False, id="trailing colon"),
        pytest.param(basic(b"hausers3cret"), False, id="no colon"),
        pytest.param(basic(b":"), False, id="empty pair"),
        pytest.param(None, False, id="missing"),
        pytest.param("", False, id="empty"),
        pytest.param("Basic", False, id="scheme only"),
        pytest.param("Basic !!!!", False, id="not base64"),
        pytest.param("Basic aGF1c2VyOnMzY3JldA", False, id="unpadded"),
        pytest.param("Bearer " + b64encode(b"hauser:s3cret").decode(), False, id="other scheme"),
        pytest.param("Basic " + "é" * 8, False, id="not ascii"),
        pytest.param("Basic \udcff", False, id="lone surrogate"),
        pytest.param(basic("hauser:s3cret".encode("utf-16")), False, id="other encoding"),
    ],
)  # fmt: skip
def test_basic_auth(header: str | None, expected: bool) -> None:
    """Only the exact pair, under the Basic scheme, passes; nothing malformed raises."""
    assert check_basic_auth(header, "hauser", "s3cret") is expected


def test_basic_auth_password_may_hold_a_colon() -> None:
    """The pair splits at the first colon, as HTTP Basic says."""
    assert check_basic_auth(basic(b"u:p:q"), "u", "p:q")
    assert not check_basic_auth(basic(b"u:p:q"), "u:p", "q")


def test_basic_auth_without_credentials_opens_nothing() -> None:
    """Empty expected credentials never match, not even an empty pair."""
    assert not check_basic_auth(basic(b":"), "", "")
    assert not check_basic_auth(basic(b"u:"), "u", "")


# ---------------------------------------------------------------- signature


@pytest.mark.parametrize("url", [SIGNED_URL, PORT_URL], ids=["no port", ":443"])
@pytest.mark.parametrize("signature", [SIGNATURE, PORT_SIGNATURE], ids=["signed without port", "signed with :443"])  # fmt: skip
def test_the_worked_example_either_port(url: str, signature: str) -> None:
    """The worked example (docs §8.2) passes over the URL with or without :443, either way."""
    assert check_signature(SIGNED_TOKEN, url, SIGNED_BODY, signature)


def test_the_worked_example_is_what_hmac_gives() -> None:
    """Guard the guard: the example signatures are HMAC-SHA1 of the two URLs."""
    assert (sign(SIGNED_URL), sign(PORT_URL)) == (SIGNATURE, PORT_SIGNATURE)
    assert hashlib.sha256(SIGNED_BODY).hexdigest() == BODY_SHA256


TAMPERED_HASH = BODY_SHA256[:-1] + "0"
TAMPERED_URL = SIGNED_URL.replace(BODY_SHA256, TAMPERED_HASH)
UPPER_URL = SIGNED_URL.replace(BODY_SHA256, BODY_SHA256.upper())


@pytest.mark.parametrize(
    ("token", "url", "body", "signature"),
    [
        pytest.param("54321", SIGNED_URL, SIGNED_BODY, SIGNATURE, id="wrong token"),
        pytest.param("", SIGNED_URL, SIGNED_BODY, sign(SIGNED_URL, ""), id="no token"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL, SIGNED_BODY, None, id="missing header"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL, SIGNED_BODY, "", id="empty header"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL, SIGNED_BODY, SIGNATURE.lower(), id="signature in another case"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL, SIGNED_BODY.replace(b"Sink", b"Sunk"), SIGNATURE, id="tampered body"),
        # Signed right, over a hash that is not the body's.
        pytest.param(SIGNED_TOKEN, TAMPERED_URL, SIGNED_BODY, sign(TAMPERED_URL), id="wrong body hash"),
        pytest.param(SIGNED_TOKEN, UPPER_URL, SIGNED_BODY, sign(UPPER_URL), id="hash in upper case"),
        pytest.param(SIGNED_TOKEN, "https://example.org/api/webhook/abc123", SIGNED_BODY, sign("https://example.org/api/webhook/abc123"), id="no body hash"),
        pytest.param(SIGNED_TOKEN, f"{SIGNED_URL}&bodySHA256={BODY_SHA256}", SIGNED_BODY, sign(f"{SIGNED_URL}&bodySHA256={BODY_SHA256}"), id="two body hashes"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL.replace("abc123", "abc124"), SIGNED_BODY, SIGNATURE, id="another webhook"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL.replace("https:", "http:"), SIGNED_BODY, SIGNATURE, id="another scheme"),
        pytest.param(SIGNED_TOKEN, f"https://[::1/x?bodySHA256={BODY_SHA256}", SIGNED_BODY, SIGNATURE, id="broken url"),
        pytest.param(SIGNED_TOKEN, SIGNED_URL, SIGNED_BODY, "\udcff", id="lone surrogate"),
    ],
)  # fmt: skip
def test_forged_or_broken_signatures_fail(
    token: str, url: str, body: bytes, signature: str | None
) -> None:
    """A wrong token, URL, body or hash, or no signature, fails, and never raises."""
    assert not check_signature(token, url, body, signature)


HOOK = f"/api/webhook/abc123?bodySHA256={BODY_SHA256}"


@pytest.mark.parametrize(
    ("called", "signed", "expected"),
    [
        # User info (the Basic credentials) left out of the signed URL, or kept.
        pytest.param(f"https://u:p@example.org{HOOK}", f"https://example.org{HOOK}", True, id="signed without user info"),
        pytest.param(f"https://u:p@example.org{HOOK}", f"https://u:p@example.org{HOOK}", True, id="signed with user info"),
        pytest.param(f"https://u:p@example.org{HOOK}", f"https://u:p@example.org:443{HOOK}", True, id="with user info and port"),
        pytest.param(f"http://127.0.0.1{HOOK}", f"http://127.0.0.1:80{HOOK}", True, id="http with :80"),
        pytest.param(f"http://127.0.0.1:80{HOOK}", f"http://127.0.0.1{HOOK}", True, id="http without :80"),
        pytest.param(f"https://[::1]{HOOK}", f"https://[::1]:443{HOOK}", True, id="ipv6 with :443"),
        pytest.param(f"https://[::1]:443{HOOK}", f"https://[::1]{HOOK}", True, id="ipv6 without :443"),
        pytest.param(f"https://example.org:8443{HOOK}", f"https://example.org:8443{HOOK}", True, id="another port as called"),
        # Only a default port may be written or not.
        pytest.param(f"https://example.org:8443{HOOK}", f"https://example.org{HOOK}", False, id="another port left out"),
        pytest.param(f"https://example.org{HOOK}", f"https://example.org:80{HOOK}", False, id="https with :80"),
        pytest.param(f"https://example.org{HOOK}", f"https://u:p@example.org{HOOK}", False, id="user info not called"),
    ],
)  # fmt: skip
def test_signed_url_readings(called: str, signed: str, expected: bool) -> None:
    """Where the sources disagree (docs §8.2, §12 item 17), each reading passes, nothing more."""
    assert check_signature(SIGNED_TOKEN, called, SIGNED_BODY, sign(signed)) is expected
