"""Twilio Event Streams: its resources, the CloudEvents it delivers, and their proof.

What docs/event-streams.md documents, as pure functions and immutable
models: the Sink, Subscription and Event Type resources the client
provisions, the deliveries a webhook Sink receives (read tolerantly: the
sources disagree on their shape), the Comms events inside them, and the
Basic auth and signature that tell Twilio's deliveries from forged ones.
Nothing here does I/O.
"""

from base64 import b64decode, b64encode
import binascii
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import hashlib
import hmac
import json
import re
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit, urlunsplit

from .exceptions import (
    TwilioCommsEventError,
    TwilioCommsInvalidResponseError,
    TwilioCommsValidationError,
)
from .models import (
    RESOURCE_ID_PREFIXES,
    Channel,
    OperationStatus,
    as_code,
    as_object,
    as_text,
    invalid_id_error,
    is_operation_id,
    is_valid_id,
    parse_json,
    parse_timestamp,
)

# ----------------------------------------------------------------- event types

_OPERATION_TYPE_PREFIX: Final = "com.twilio.comms-api.operation."
_MESSAGE_TYPE_PREFIX: Final = "com.twilio.comms-api.message."

# The status each message event type stands for: the type's last segment,
# since message events carry no status field (docs §9).
MESSAGE_STATUSES: Final = (
    "queued",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "read",
)

# A message received by one of the account's senders; the string is only
# third-party (docs §9), so the caller subscribes only if Twilio lists it.
INBOUND_EVENT_TYPE: Final = f"{_MESSAGE_TYPE_PREFIX}inbound-received"

# Every Comms event type subscribed to, with the schema version its data is
# read as (docs §9, §12 item 10).
COMMS_EVENT_TYPES: Final[Mapping[str, int]] = MappingProxyType(
    {
        **{
            f"{_OPERATION_TYPE_PREFIX}{stage}": 2
            for stage in ("scheduled", "processing", "completed")
        },
        **{
            f"{_MESSAGE_TYPE_PREFIX}{status}": 3 if status == "queued" else 4
            for status in MESSAGE_STATUSES
        },
        INBOUND_EVENT_TYPE: 2,
    }
)

# The event a Sink Test delivers (docs §3).
TEST_EVENT_TYPE: Final = "com.twilio.eventstreams.test-event"

# Statuses of event types Twilio refuses new subscriptions to (docs §4, §5).
_UNUSABLE_TYPE_STATUSES: Final = frozenset({"discontinued", "restricted"})

# The longest event id, or test id, kept. Ids are SIDs of 34 characters and
# test ids UUIDs (docs §3, §6), but neither format is promised; a longer one
# is not an event we know.
MAX_ID_LENGTH: Final = 64

# The longest address of an event's party kept (an email address may be 254).
MAX_ADDRESS_LENGTH: Final = 256


def _short_text(value: object, limit: int = MAX_ID_LENGTH) -> str | None:
    """Return a printable, non-empty string of at most limit characters, or None."""
    if isinstance(value, str) and 0 < len(value) <= limit and value.isprintable():
        return value
    return None


# ----------------------------------------------------------------- resources

SINK_SID_PREFIX: Final = "DG"
SUBSCRIPTION_SID_PREFIX: Final = "DF"

# Event Streams SIDs: two letters and 32 hex digits, anchored (docs §1).
_SID_HEX: Final = re.compile(r"[0-9a-fA-F]{32}", re.ASCII)

# An event type as it goes into a URL path: dotted lowercase words.
_EVENT_TYPE: Final = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", re.ASCII)
MAX_EVENT_TYPE_LENGTH: Final = 128

# The status a resource reports when it reports none.
UNKNOWN_STATUS: Final = "unknown"


def is_sid(value: object, prefix: str) -> bool:
    """Return whether a value is an Event Streams SID with the given prefix."""
    return (
        isinstance(value, str)
        and value.startswith(prefix)
        and _SID_HEX.fullmatch(value, len(prefix)) is not None
    )


def validate_sid(value: str, prefix: str) -> str:
    """Return a well-formed SID, or raise TwilioCommsInvalidIdError."""
    if is_sid(value, prefix):
        return value
    raise invalid_id_error(f"{prefix} and 32 hexadecimal digits", value)


def validate_event_type(value: str) -> str:
    """Return a well-formed event type, or raise TwilioCommsInvalidIdError."""
    if len(value) <= MAX_EVENT_TYPE_LENGTH and _EVENT_TYPE.fullmatch(value):
        return value
    raise invalid_id_error("an event type such as com.twilio.x.y", value)


def _status(value: object) -> str:
    """Return a resource status in lower case, or UNKNOWN_STATUS."""
    text = as_text(value)
    return text.strip().lower() if text and text.strip() else UNKNOWN_STATUS


def _resource(data: object, name: str, prefix: str) -> Mapping[str, Any]:
    """Return a resource's object, or raise if it has no SID of its kind."""
    obj = as_object(data)
    if obj is None or not is_sid(obj.get("sid"), prefix):
        raise TwilioCommsInvalidResponseError(f"A {name} has no valid sid")
    return obj


@dataclass(frozen=True, slots=True, kw_only=True)
class Sink:
    """Where Twilio delivers events: for us, a webhook."""

    sid: str
    # initialized, validating, active or failed (docs §2); lower case.
    status: str
    sink_type: str | None
    # The URL events are posted to; it holds the Basic credentials (§8.1),
    # so it never shows in a repr.
    destination: str | None = field(repr=False)

    @property
    def active(self) -> bool:
        """Return whether the sink takes subscriptions and receives events."""
        return self.status == "active"

    @classmethod
    def from_json(cls, data: object) -> Sink:
        """Return a sink, or raise if the value has no valid sid."""
        obj = _resource(data, "sink", SINK_SID_PREFIX)
        # An object in every sample; it went in as a JSON string, so that
        # is read too.
        config = obj.get("sink_configuration")
        if isinstance(config, str):
            config = parse_json(config.encode())
        return cls(
            sid=obj["sid"],
            status=_status(obj.get("status")),
            sink_type=as_text(obj.get("sink_type")),
            destination=as_text((as_object(config) or {}).get("destination")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """Which event types go to which sink."""

    sid: str
    sink_sid: str | None

    @classmethod
    def from_json(cls, data: object) -> Subscription:
        """Return a subscription, or raise if the value has no valid sid."""
        obj = _resource(data, "subscription", SUBSCRIPTION_SID_PREFIX)
        sink_sid = obj.get("sink_sid")
        return cls(
            sid=obj["sid"],
            sink_sid=sink_sid if is_sid(sink_sid, SINK_SID_PREFIX) else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EventType:
    """An event type as Twilio lists it for the account."""

    type: str
    # available, deprecated, restricted or discontinued (docs §5).
    status: str
    schema_id: str | None

    @property
    def usable(self) -> bool:
        """Return whether a subscription to this type can be created.

        Deprecated types are still accepted; a status Twilio may add later
        is tried rather than refused (docs §4).
        """
        return self.status not in _UNUSABLE_TYPE_STATUSES

    @classmethod
    def from_json(cls, data: object) -> EventType:
        """Return an event type, or raise if the value names none."""
        obj = as_object(data)
        if obj is None or (type_ := as_text(obj.get("type"))) is None:
            raise TwilioCommsInvalidResponseError("An event type has no type")
        return cls(
            type=type_,
            status=_status(obj.get("status")),
            schema_id=as_text(obj.get("schema_id")),
        )


def subscribed_type(event_type: str, schema_version: int | None) -> str:
    """Return one `Types` form field: a JSON object string (docs §4)."""
    item: dict[str, object] = {"type": event_type}
    if schema_version is not None:
        item["schema_version"] = schema_version
    return json.dumps(item, separators=(",", ":"))


def sink_configuration(destination: str) -> str:
    """Return a webhook sink's `SinkConfiguration` form field (docs §2).

    batch_events is not on the Sink page but a create without it can be
    refused (error 91000), so it is always sent.
    """
    return json.dumps(
        {"destination": destination, "method": "POST", "batch_events": True},
        separators=(",", ":"),
    )


def validate_test_id(value: str) -> str:
    """Return a test id to post back, or raise TwilioCommsValidationError."""
    if _short_text(value) is None:
        raise TwilioCommsValidationError(
            f"A test id is a printable string of 1 to {MAX_ID_LENGTH} characters"
        )
    return value


# ---------------------------------------------------------------- deliveries


@dataclass(frozen=True, slots=True, kw_only=True)
class CloudEvent:
    """One event of a delivery: its envelope, and its data as a read-only mapping."""

    id: str
    type: str
    time: datetime | None
    data: Mapping[str, Any]


def _event_data(value: object) -> Mapping[str, Any] | None:
    """Return an event's data: an object, or a string encoding one (docs §3, §6).

    Absent or null data is an event with nothing in it (CloudEvents makes
    data optional, and no Comms field is required); any other value is not.
    """
    if value is None:
        return MappingProxyType({})
    if isinstance(value, str):
        value = parse_json(value.encode(errors="surrogatepass"))
    if (obj := as_object(value)) is None:
        return None
    return MappingProxyType(obj)


def _cloud_event(value: object) -> CloudEvent | None:
    """Return the event an envelope holds, or None if it is not a usable one."""
    if (
        (obj := as_object(value)) is None
        or (event_id := _short_text(obj.get("id"))) is None
        or (event_type := _short_text(obj.get("type"), MAX_EVENT_TYPE_LENGTH)) is None
        or (data := _event_data(obj.get("data"))) is None
    ):
        return None
    # specversion, source, dataschema and datacontenttype are not read:
    # datacontenttype even holds a timestamp in Twilio's own samples (§6).
    return CloudEvent(
        id=event_id, type=event_type, time=parse_timestamp(obj.get("time")), data=data
    )


def parse_deliveries(body: bytes, *, max_events: int) -> list[CloudEvent]:
    """Return the events of a delivery body: a JSON array of envelopes, or one.

    Whether a Sink with batch_events posts an array or a single envelope is
    not settled (docs §6), so both are read. An element that is not a usable
    envelope is skipped: the rest of the batch is still Twilio's. Raise
    TwilioCommsEventError for a body that is not JSON, is neither an array
    nor an object, or holds more than max_events elements.
    """
    try:
        # Not parse_json: a body of `null` must not read as no body at all.
        parsed: object = json.loads(body)
    except ValueError, RecursionError:
        # ValueError covers bad JSON and bad UTF-8; RecursionError a body
        # nested deep enough to exhaust the stack.
        raise TwilioCommsEventError("The delivery is not JSON") from None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        raise TwilioCommsEventError("The delivery is neither an array nor an object")
    if len(parsed) > max_events:
        raise TwilioCommsEventError(
            f"The delivery holds {len(parsed)} events, more than {max_events}"
        )
    return [event for item in parsed if (event := _cloud_event(item)) is not None]


def test_id_of(event: CloudEvent) -> str | None:
    """Return the test id of a Sink Test's event, to post back to Validate."""
    if event.type != TEST_EVENT_TYPE:
        return None
    return _short_text(event.data.get("test_id"))


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationEvent:
    """An operation reached a stage; the event names only the operation (docs §9)."""

    operation_id: str
    # The stage the type names (its last segment); UNKNOWN for one the docs
    # do not list.
    status: OperationStatus


def operation_event_of(event: CloudEvent) -> OperationEvent | None:
    """Return what an operation event says, or None.

    None for any other event, and for one without a well-formed id: the
    schema requires nothing, and such an event is acknowledged and ignored
    (docs §9, §12 item 19).
    """
    stage = event.type.removeprefix(_OPERATION_TYPE_PREFIX)
    if stage == event.type or (
        (operation_id := _optional_operation_id(event.data)) is None
    ):
        return None
    return OperationEvent(
        operation_id=operation_id, status=OperationStatus.parse(stage)
    )


def _message_id(value: object) -> str | None:
    """Return a well-formed Comms message id, or None."""
    return value if is_valid_id(value, RESOURCE_ID_PREFIXES[Channel.MESSAGES]) else None


def _optional_operation_id(data: Mapping[str, Any]) -> str | None:
    """Return the operation id a message event's data names, if well formed."""
    operation_id = data.get("operation_id")
    return operation_id if is_operation_id(operation_id) else None


def _to_address(data: Mapping[str, Any]) -> str | None:
    """Return the recipient's address a message event's data names, if any."""
    return _short_text(
        (as_object(data.get("to")) or {}).get("address"), MAX_ADDRESS_LENGTH
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEvent:
    """A message of an operation moved to a status (docs §9; third-party shape)."""

    operation_id: str | None
    message_id: str
    to_address: str | None
    # One of MESSAGE_STATUSES.
    status: str
    time: datetime | None
    error_code: int | None


def message_event_of(event: CloudEvent) -> MessageEvent | None:
    """Return what a message status event says, or None for any other event.

    Also None when it names no well-formed message id: nothing could be
    updated by it. error_code comes as a string or a number (docs §9).
    """
    status = event.type.removeprefix(_MESSAGE_TYPE_PREFIX)
    if (
        status == event.type
        or status not in MESSAGE_STATUSES
        or (message_id := _message_id(event.data.get("message_id"))) is None
    ):
        return None
    return MessageEvent(
        operation_id=_optional_operation_id(event.data),
        message_id=message_id,
        to_address=_to_address(event.data),
        status=status,
        time=event.time,
        error_code=as_code(event.data.get("error_code")),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEvent:
    """A message was received; the event carries ids only (docs §9).

    The sender and the text are read with the client's get_message.
    """

    message_id: str
    operation_id: str | None
    to_address: str | None


def inbound_event_of(event: CloudEvent) -> InboundEvent | None:
    """Return what an inbound message event says, or None for any other event."""
    if event.type != INBOUND_EVENT_TYPE or (
        (message_id := _message_id(event.data.get("message_id"))) is None
    ):
        return None
    return InboundEvent(
        message_id=message_id,
        operation_id=_optional_operation_id(event.data),
        to_address=_to_address(event.data),
    )


# Ids a RecentIds remembers by default. Twilio sends duplicates on retries
# and remediation, within its 4-hour queue (docs §7); 10,000 ids (about a
# megabyte) hold hours of a home's events, or one status of every recipient
# of the largest send.
DEFAULT_RECENT_IDS: Final = 10_000


class RecentIds:
    """The event ids seen most recently, to drop a delivery seen before.

    Memory is bounded: past max_size ids, the least recently seen is
    forgotten. Keys are event ids (CloudEvent.id), which identify an event
    (docs §7), with one exception: a Sink Test's event carries the Account
    SID as its id, the same for every test (docs §3). So test events are
    told apart (test_id_of) before they reach here, and never pass through,
    or a second test would be dropped as a duplicate of the first.
    """

    __slots__ = ("_ids", "_max_size")

    def __init__(self, max_size: int = DEFAULT_RECENT_IDS) -> None:
        """Remember at most max_size ids."""
        if max_size < 1:
            raise TwilioCommsValidationError("RecentIds must hold at least one id")
        self._max_size = max_size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        """Return how many ids are remembered."""
        return len(self._ids)

    def seen_before(self, key: str) -> bool:
        """Return whether key was seen (and not yet forgotten); remember it now."""
        if key in self._ids:
            # A duplicate that keeps coming is kept, not forgotten first.
            self._ids.move_to_end(key)
            return True
        self._ids[key] = None
        if len(self._ids) > self._max_size:
            self._ids.popitem(last=False)
        return False


# ---------------------------------------------------------- authentication


def _utf8(text: str) -> bytes:
    """Return text as UTF-8, lone surrogates (from undecodable headers) included."""
    return text.encode("utf-8", "surrogatepass")


def check_basic_auth(header: str | None, username: str, password: str) -> bool:
    """Return whether an Authorization header carries exactly these credentials.

    Both parts are compared in constant time, and whatever the header
    holds, the answer is False rather than an error.
    """
    if header is None or not username or not password:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = b64decode(_utf8(token.strip()), validate=True)
    except binascii.Error, ValueError:
        return False
    user, colon, secret = decoded.partition(b":")
    # Both comparisons run whatever the first one says: no early exit
    # tells a prober which part was right.
    user_ok = hmac.compare_digest(user, _utf8(username))
    secret_ok = hmac.compare_digest(secret, _utf8(password))
    return bool(colon) and user_ok and secret_ok


# The default port of each scheme Twilio may call, written or not in the
# URL it signs (docs §8.2).
_DEFAULT_PORTS: Final = {"https": "443", "http": "80"}


def _signed_url_readings(url: str) -> set[str]:
    """Return the URLs Twilio may have signed for the URL it called.

    Its SDKs accept the default port written or left out, "since sig
    generation on back end is inconsistent"; and whether user info stays in
    the signed URL is undocumented, so both are read (docs §8.2, §12 item 17).
    """
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, port = hostport, ""
    # A colon after an IPv6 literal's closing bracket starts the port.
    if ":" in hostport.rpartition("]")[2]:
        host, _, port = hostport.rpartition(":")
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    hostports = {hostport}
    if default is not None and port in {"", default}:
        hostports |= {host, f"{host}:{default}"}
    prefixes = {"", f"{userinfo}{at}"}
    return {url} | {
        urlunsplit(parts._replace(netloc=prefix + each))
        for prefix in prefixes
        for each in hostports
    }


def _signature(auth_token: str, url: str) -> bytes:
    """Return Twilio's signature of a URL: Base64 HMAC-SHA1 keyed by the Auth Token."""
    digest = hmac.new(_utf8(auth_token), _utf8(url), hashlib.sha1).digest()
    return b64encode(digest)


def check_signature(
    auth_token: str, url: str, body: bytes, signature: str | None
) -> bool:
    """Return whether a delivery is signed by the account's Auth Token (docs §8.2).

    url is the URL Twilio called, its `bodySHA256` query parameter included:
    that parameter must be the lowercase hex SHA-256 of the body, and the
    X-Twilio-Signature header (signature) the Base64 HMAC-SHA1 of the URL.
    Compared in constant time; False, never an error, for anything malformed.
    """
    if signature is None or not auth_token:
        return False
    try:
        readings = _signed_url_readings(url)
        hashes = parse_qs(urlsplit(url).query, keep_blank_values=True).get(
            "bodySHA256", []
        )
    except ValueError:
        # An unparseable URL (a broken IPv6 literal, a port out of range).
        return False
    if len(hashes) != 1:
        return False
    body_ok = hmac.compare_digest(
        _utf8(hashes[0]), hashlib.sha256(body).hexdigest().encode()
    )
    given = _utf8(signature.strip())
    # Every reading is compared, so the time taken does not tell which one
    # (or none) matched.
    matches = [hmac.compare_digest(_signature(auth_token, u), given) for u in readings]
    return body_ok and any(matches)
