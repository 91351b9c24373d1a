"""Property tests: whatever the API sends, the client raises only its own errors."""

from collections.abc import Callable
import contextlib
from datetime import UTC, datetime
import json
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from yarl import URL

from custom_components.twilio_comms.api import (
    DEFAULT_BASE_URL,
    Channel,
    CloudEvent,
    EventType,
    Message,
    Operation,
    Sink,
    Subscription,
    TwilioCommsError,
    TwilioCommsEventError,
    check_basic_auth,
    check_signature,
    inbound_event_of,
    message_event_of,
    operation_event_of,
    parse_deliveries,
    test_id_of as read_test_id,
)
from custom_components.twilio_comms.api.client import _parse_page as parse_page
from custom_components.twilio_comms.api.exceptions import parse_retry_after
from custom_components.twilio_comms.api.models import (
    CommsResource,
    OperationStats,
    error_details,
)
from custom_components.twilio_comms.api.sends import send_result

# Each example must finish well inside this (milliseconds): a parser that
# loops or backtracks on hostile input fails the property.
DEADLINE_MS = 200

# Any JSON value, nested a few levels, with the keys the API actually uses
# mixed in so the parsers get past their first checks.
API_KEYS = st.sampled_from(
    [
        "id", "status", "stats", "createdAt", "updatedAt", "operations", "messages",
        "notifications", "pushNotifications", "emails", "data", "pagination", "next",
        "self", "nextPageToken", "errors", "code", "message", "operationId",
        "operationLocation", "related", "to", "tags", "sent", "failed",
        "sid", "sink_sid", "sink_configuration", "destination", "type", "time",
        "content", "text", "from", "address", "message_id", "operation_id",
        "error_code", "test_id",
    ]
)  # fmt: skip
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "COMPLETED",
            "processing",
            "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
            "2024-04-05T06:20:00Z",
            "DG0123456789abcdef0123456789abcdef",
            "comms_message_01h9krwprkeee8fzqspvwy6nq8",
            "com.twilio.comms-api.message.delivered",
            "com.twilio.comms-api.operation.completed",
            "com.twilio.eventstreams.test-event",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(API_KEYS | st.text(max_size=10), children, max_size=6)
    ),
    max_leaves=30,
)

FUZZ = settings(
    database=None,
    max_examples=300,
    deadline=DEADLINE_MS,
    suppress_health_check=[HealthCheck.too_slow],
)

PARSERS: list[Callable[[Any], object]] = [
    Operation.from_json,
    OperationStats.from_json,
    *(lambda data, c=channel: CommsResource.from_json(data, c) for channel in Channel),
    lambda data: parse_page(data, ("operations", "data"), Operation.from_json),
    Sink.from_json,
    Subscription.from_json,
    EventType.from_json,
    Message.from_json,
]


def only_own_errors(call: Callable[..., object], *args: object) -> None:
    """Run a call; any exception it raises must be one of the client's."""
    with contextlib.suppress(TwilioCommsError):
        call(*args)


@FUZZ
@given(JSON)
def test_model_parsers_raise_only_client_errors(data: Any) -> None:
    """Arbitrary JSON never escapes a parser as anything but a client error."""
    for parser in PARSERS:
        only_own_errors(parser, data)


@FUZZ
@given(JSON, st.dictionaries(st.text(max_size=20), st.text(max_size=80), max_size=5))
def test_accepted_parser_raises_only_client_errors(
    body: Any, headers: dict[str, str]
) -> None:
    """Any 202 body and headers give a send result or a client error."""
    only_own_errors(send_result, body, headers, URL(DEFAULT_BASE_URL))


@FUZZ
@given(st.binary(max_size=300))
def test_error_bodies_never_raise(body: bytes) -> None:
    """Any error body, JSON, HTML or bytes, yields a code and a message or nothing."""
    code, message = error_details(body)
    assert code is None or isinstance(code, int)
    assert message is None or isinstance(message, str)


@FUZZ
@given(st.one_of(st.none(), st.text(max_size=60)))
def test_retry_after_is_bounded(value: str | None) -> None:
    """Any Retry-After header gives no wait or a wait inside the cap."""
    seconds = parse_retry_after(value, now=datetime(2026, 11, 23, tzinfo=UTC))
    assert seconds is None or 0 <= seconds <= 3600


# Event readers: each takes any event and names what it says, or None.
EVENT_READERS: list[Callable[[CloudEvent], object]] = [
    read_test_id,
    operation_event_of,
    message_event_of,
    inbound_event_of,
]


@FUZZ
@given(st.lists(JSON, max_size=4) | JSON)
def test_any_delivery_reads_or_is_refused(body: Any) -> None:
    """Any JSON delivery gives events every reader can take, or one clear refusal."""
    try:
        events = parse_deliveries(json.dumps(body).encode(), max_events=3)
    except TwilioCommsEventError:
        return
    for event in events:
        for reader in EVENT_READERS:
            reader(event)


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_read_or_are_refused(body: bytes) -> None:
    """Any bytes at all give events or the delivery error, nothing else."""
    with contextlib.suppress(TwilioCommsEventError):
        parse_deliveries(body, max_events=3)


@FUZZ
@given(
    st.none()
    | st.text(max_size=60)
    | st.builds("Basic {}".format, st.text(max_size=40)),
    st.text(max_size=10),
    st.text(max_size=10),
)
def test_basic_auth_never_raises(header: str | None, user: str, password: str) -> None:
    """Any header and any expected pair give an answer, never an error."""
    assert check_basic_auth(header, user, password) in {True, False}


@FUZZ
@given(
    st.text(max_size=10),
    st.text(max_size=80) | st.builds("https://{}?bodySHA256={}".format, st.text(max_size=30), st.text(max_size=70)),
    st.binary(max_size=50),
    st.none() | st.text(max_size=40),
)  # fmt: skip
def test_signature_check_never_raises(
    token: str, url: str, body: bytes, signature: str | None
) -> None:
    """Any URL, body and header give an answer, never an error."""
    assert check_signature(token, url, body, signature) in {True, False}
