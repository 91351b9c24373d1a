"""What the Comms API deals in: channels, credentials, ids, operations, resources.

The models are typed and immutable, and read from the wire tolerantly: the
API is a beta whose pages disagree on names, cases and shapes.
"""

from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import json
import re
from types import MappingProxyType
from typing import Any, Final, TypeIs

from .exceptions import (
    TwilioCommsInvalidIdError,
    TwilioCommsInvalidResponseError,
    TwilioCommsValidationError,
)


class Channel(StrEnum):
    """A Comms channel.

    The value is the key Home Assistant stores and translates it by (options,
    unique ids, translation keys); the URL segment and the product name are
    the same words, joined and capitalised.
    """

    MESSAGES = "messages"
    PUSH_NOTIFICATIONS = "push_notifications"
    EMAILS = "emails"

    @property
    def path(self) -> str:
        """Return the channel's URL path segment ("PushNotifications")."""
        return "".join(word.capitalize() for word in self.value.split("_"))

    @property
    def product_name(self) -> str:
        """Return the channel's product name ("Push Notifications").

        Not `title`: that is str's own method, which a StrEnum member keeps.
        """
        return " ".join(word.capitalize() for word in self.value.split("_"))


# Every counter any page documents (comms-api.md §10), in lifecycle order.
_COUNTERS: Final = (
    "total",
    "recipients",
    "attempts",
    "unaddressable",
    "scheduled",
    "queued",
    "sent",
    "delivered",
    "read",
    "opened",
    "undelivered",
    "failed",
    "canceled",
)

# What no page documents for a channel: reads are a messaging receipt, opens
# an email one, and emails have no unaddressable recipients. Push has
# attempts, delivered and undelivered only in the guide's sample (seed 002).
_UNDOCUMENTED: Final[Mapping[Channel, frozenset[str]]] = {
    Channel.MESSAGES: frozenset({"opened"}),
    Channel.PUSH_NOTIFICATIONS: frozenset({"read", "opened"}),
    Channel.EMAILS: frozenset({"unaddressable", "read"}),
}

# The counters any page documents for each channel: the reference pages and
# the guides disagree, so this is their union, and an operation may report
# any subset of it, for one response or for good.
CHANNEL_COUNTERS: Final[Mapping[Channel, tuple[str, ...]]] = {
    channel: tuple(name for name in _COUNTERS if name not in _UNDOCUMENTED[channel])
    for channel in Channel
}


class OperationStatus(StrEnum):
    """The status of an Operation, read case-insensitively."""

    SCHEDULED = "scheduled"
    PROCESSING = "processing"
    COMPLETED = "completed"
    CANCELED = "canceled"
    # Anything the API may add later; kept as the raw value on the Operation.
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """Return whether an operation in this status can no longer change."""
        return self in _TERMINAL_STATUSES

    @classmethod
    def parse(cls, value: object) -> OperationStatus:
        """Return the status a wire value names, or UNKNOWN; never raise."""
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        return cls.UNKNOWN


# Statuses an operation never leaves (comms-api.md §10).
_TERMINAL_STATUSES: Final = frozenset(
    {OperationStatus.COMPLETED, OperationStatus.CANCELED}
)

# What a secret is replaced with wherever server text might echo it.
REDACTED: Final = "**REDACTED**"


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """An Account SID and the username/password pair the API authenticates."""

    account_sid: str
    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        """Reject pairs HTTP Basic cannot carry, without echoing the secret."""
        for name in ("account_sid", "username", "password"):
            if not getattr(self, name).strip():
                raise TwilioCommsValidationError(f"Credentials need a {name}")
        # Basic authentication splits user and password at the first colon.
        if ":" in self.username:
            raise TwilioCommsValidationError("The username cannot contain ':'")

    @classmethod
    def from_auth_token(cls, account_sid: str, auth_token: str) -> Credentials:
        """Return credentials for an Account SID and its Auth Token."""
        return cls(account_sid=account_sid, username=account_sid, password=auth_token)

    @classmethod
    def from_api_key(
        cls, account_sid: str, api_key_sid: str, api_key_secret: str
    ) -> Credentials:
        """Return credentials for an API key pair of an account."""
        return cls(
            account_sid=account_sid, username=api_key_sid, password=api_key_secret
        )

    @property
    def authorization(self) -> str:
        """Return the value of the Authorization header."""
        token = b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"

    def redact(self, text: str) -> str:
        """Return text with the secret and the Authorization value blanked out."""
        for secret in (self.authorization.removeprefix("Basic "), self.password):
            text = text.replace(secret, REDACTED)
        return text


# Ids are validated before any becomes part of a URL. The prefix of every
# operation id, whichever channel it belongs to:
OPERATION_ID_PREFIX: Final = "comms_operation_"

# The prefix of push user ids, a kind of push recipient.
PUSH_USER_ID_PREFIXES: Final = ("comms_pushnotificationuser_",)

# The id prefixes of each channel's resources. The reference spells push
# notification ids `comms_pushnotification_`, a guide sample
# `comms_notification_` (comms-api.md §2); both are accepted.
RESOURCE_ID_PREFIXES: Final[Mapping[Channel, tuple[str, ...]]] = {
    Channel.MESSAGES: ("comms_message_",),
    Channel.PUSH_NOTIFICATIONS: ("comms_pushnotification_", "comms_notification_"),
    Channel.EMAILS: ("comms_email_",),
}

# The part after the prefix: lowercase base32-like characters only, so no id
# can carry a path separator, a query, an escape, a dot or whitespace. The
# documented patterns are not end-anchored and a seed sample is shorter than
# they say, so only a generous length bound is enforced (comms-api.md §2).
_SUFFIX: Final = re.compile(r"[0-9a-z]{1,64}")


def is_valid_id(value: object, prefixes: tuple[str, ...]) -> TypeIs[str]:
    """Return whether a value is an id with one of the given prefixes."""
    return isinstance(value, str) and any(
        value.startswith(prefix) and _SUFFIX.fullmatch(value, len(prefix))
        for prefix in prefixes
    )


def is_operation_id(value: object) -> TypeIs[str]:
    """Return whether a value is a well-formed operation id."""
    return is_valid_id(value, (OPERATION_ID_PREFIX,))


def validate_operation_id(value: str) -> str:
    """Return a well-formed operation id, or raise TwilioCommsInvalidIdError."""
    if is_operation_id(value):
        return value
    raise invalid_id_error(
        f"{OPERATION_ID_PREFIX}… with lowercase letters and digits", value
    )


def validate_message_id(value: str) -> str:
    """Return a well-formed message id, or raise TwilioCommsInvalidIdError."""
    prefix = RESOURCE_ID_PREFIXES[Channel.MESSAGES][0]
    if is_valid_id(value, (prefix,)):
        return value
    raise invalid_id_error(f"{prefix}… with lowercase letters and digits", value)


def invalid_id_error(expected: str, value: str) -> TwilioCommsInvalidIdError:
    """Return the error for an id that is not what was expected."""
    # The rejected value is the caller's own input, but it is summarised, not
    # echoed: it may be long or contain control characters.
    shown = (
        f"a {len(value)}-character string"
        if len(value) > 80 or not value.isprintable()
        else repr(value)
    )
    return TwilioCommsInvalidIdError(f"Invalid id (expected {expected}): {shown}")


# Every counter any channel documents (comms-api.md §10). Channels and pages
# disagree on which ones appear, so each one is optional.
STATS_KEYS: Final = tuple(
    dict.fromkeys(key for keys in CHANNEL_COUNTERS.values() for key in keys)
)

# Counters the API may add that one operation keeps, and the longest name
# kept: a response cannot make an operation (or the state attributes that
# show its stats) grow without bound.
MAX_EXTRA_COUNTERS: Final = 20
MAX_COUNTER_NAME_LENGTH: Final = 64

# The largest counter believed. A send reaches at most 10,000 recipients
# (MAX_RECIPIENTS, comms-api.md §1), each with up to 10 connected addresses,
# so even attempts stay far below this; a larger value is treated as not
# reported, and the tracker keeps what an earlier observation said.
MAX_COUNTER: Final = 10_000_000

# The longest raw status kept, to show what an unknown status was.
MAX_RAW_STATUS_LENGTH: Final = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationStats:
    """An operation's counters, each optional; whether they overlap is undocumented."""

    total: int | None = None
    recipients: int | None = None
    attempts: int | None = None
    unaddressable: int | None = None
    scheduled: int | None = None
    queued: int | None = None
    sent: int | None = None
    delivered: int | None = None
    read: int | None = None
    opened: int | None = None
    undelivered: int | None = None
    failed: int | None = None
    canceled: int | None = None
    # Counters the API may add later, kept rather than dropped.
    extra: Mapping[str, int] = field(default_factory=lambda: _frozen({}))

    @classmethod
    def from_json(cls, data: object) -> OperationStats:
        """Return the counters of a stats object; anything else gives no counters."""
        known: dict[str, Any] = {}
        extra: dict[str, int] = {}
        for key, value in (as_object(data) or {}).items():
            if (count := _as_count(value)) is None or count > MAX_COUNTER:
                continue
            if key in STATS_KEYS:
                known[key] = count
            elif (
                len(extra) < MAX_EXTRA_COUNTERS
                and len(key) <= MAX_COUNTER_NAME_LENGTH
                and key.isprintable()
            ):
                extra[key] = count
        return cls(**known, extra=_frozen(extra))

    def get(self, key: str) -> int | None:
        """Return one counter by its wire name, or None when it was not reported."""
        if key in STATS_KEYS:
            value: int | None = getattr(self, key)
            return value
        return self.extra.get(key)

    def as_dict(self) -> dict[str, int]:
        """Return the reported counters by wire name, unknown ones included."""
        known = {key: self.get(key) for key in STATS_KEYS}
        present = {key: value for key, value in known.items() if value is not None}
        return present | dict(self.extra)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One send request, tracked as it is processed."""

    id: str
    status: OperationStatus
    # The status exactly as sent, to show what an UNKNOWN status was.
    raw_status: str | None
    stats: OperationStats
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_json(cls, data: object) -> Operation:
        """Return an operation, or raise if the value has no valid id."""
        obj = as_object(data)
        if obj is None or not is_operation_id(obj.get("id")):
            raise TwilioCommsInvalidResponseError("An operation has no valid id")
        return cls(
            id=obj["id"],
            status=OperationStatus.parse(obj.get("status")),
            raw_status=_raw_status(obj.get("status")),
            stats=OperationStats.from_json(obj.get("stats")),
            created_at=parse_timestamp(obj.get("createdAt")),
            updated_at=parse_timestamp(obj.get("updatedAt")),
        )


def _raw_status(value: object) -> str | None:
    """Return a status as sent, cut to MAX_RAW_STATUS_LENGTH characters."""
    text = as_text(value)
    if text is None or len(text) <= MAX_RAW_STATUS_LENGTH:
        return text
    return text[: MAX_RAW_STATUS_LENGTH - 1] + "…"


# The keys a listing of each channel's resources may hold its items under,
# most likely first. Messages list under `messages` (REF-msg/list); the push
# reference key is not visible and a guide sample uses `notifications`; the
# email guide sample lists under `data`, the resource name suggests `emails`.
RESOURCE_LIST_KEYS: Final[Mapping[Channel, tuple[str, ...]]] = {
    Channel.MESSAGES: ("messages", "data"),
    Channel.PUSH_NOTIFICATIONS: ("pushNotifications", "notifications", "data"),
    Channel.EMAILS: ("emails", "data"),
}

# The status of a resource whose status is missing or not a string.
UNKNOWN_RESOURCE_STATUS: Final = "UNKNOWN"

# The longest recipient address a resource keeps: an email address is at
# most 254 characters, a phone number far less.
MAX_ADDRESS_LENGTH: Final = 320


@dataclass(frozen=True, slots=True, kw_only=True)
class CommsResource:
    """One message, push notification or email to one recipient, made by an operation."""

    id: str
    # Upper case, since samples disagree on the case; UNKNOWN when missing.
    status: str
    # The address it went to (a push's device token or user has none), and
    # when it last changed; None when the answer lacks them.
    to: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_json(cls, data: object, channel: Channel) -> CommsResource:
        """Return a resource of a channel, or raise if the value has no valid id."""
        obj = as_object(data)
        if obj is None or not is_valid_id(obj.get("id"), RESOURCE_ID_PREFIXES[channel]):
            raise TwilioCommsInvalidResponseError(
                f"An item of {channel.product_name} has no valid id"
            )
        status = obj.get("status")
        return cls(
            id=obj["id"],
            status=status.strip().upper()
            if isinstance(status, str) and status.strip()
            else UNKNOWN_RESOURCE_STATUS,
            to=_recipient(obj.get("to")),
            updated_at=parse_timestamp(obj.get("updatedAt")),
        )


def _address(value: object) -> str | None:
    """Return the address of a party given as an address object or as a string."""
    if isinstance(value, dict):
        value = value.get("address")
    return as_text(value)


def _recipient(value: object) -> str | None:
    """Return the address of a `to`: an array, an object or a plain address.

    Listings show an array and a fetched push an object (comms-api.md §9);
    only group messages have more than one, and the first stands for them
    all (§8). A push goes to a token or a user: no address.
    """
    if isinstance(value, list):
        value = value[0] if value else None
    address = _address(value)
    if address is None or len(address) > MAX_ADDRESS_LENGTH:
        return None
    return address.strip() or None


class MessageStatus(StrEnum):
    """The delivery status of one message or email of ours, in lifecycle order.

    Read once a recipient read it (an email's receipt says opened); failed,
    undelivered and canceled are outcomes too: a final status never changes.
    """

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        """Return whether the message can no longer change."""
        return self in _FINAL_MESSAGE_STATUSES

    def advances(self, held: MessageStatus) -> bool:
        """Return whether this status moves a message on from the one held."""
        if held.is_final:
            return False
        return self.is_final or _MESSAGE_RANK[self] > _MESSAGE_RANK[held]

    @classmethod
    def parse(cls, value: object) -> MessageStatus | None:
        """Return the status a resource or an event names, in any case, or None.

        None for what says nothing of a delivery: a message waiting for its
        send time (SCHEDULED), GROUP, INBOUND, and anything the API adds.
        """
        if not isinstance(value, str):
            return None
        text = value.strip().lower()
        if text == _OPENED:
            return cls.READ
        try:
            return cls(text)
        except ValueError:
            return None


# An email's read receipt.
_OPENED: Final = "opened"

# How far along a message is; final statuses end it wherever it was.
_MESSAGE_RANK: Final = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
}
_FINAL_MESSAGE_STATUSES: Final = frozenset(
    {
        MessageStatus.READ,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One message as fetched: who sent it, to whom, and its text (when it has one)."""

    id: str
    from_address: str | None
    to_address: str | None
    text: str | None

    @classmethod
    def from_json(cls, data: object) -> Message:
        """Return a message, or raise if the value has no valid message id.

        `to` is an array of one recipient except in group messaging, where
        the first stands for them all (comms-api.md §8); a single object or
        a plain address is read too.
        """
        obj = as_object(data)
        prefixes = RESOURCE_ID_PREFIXES[Channel.MESSAGES]
        if obj is None or not is_valid_id(obj.get("id"), prefixes):
            raise TwilioCommsInvalidResponseError("A message has no valid id")
        return cls(
            id=obj["id"],
            from_address=_address(obj.get("from")),
            to_address=_recipient(obj.get("to")),
            text=as_text((as_object(obj.get("content")) or {}).get("text")),
        )


# Tolerant readers and writers of the JSON values the API exchanges.

# RFC 3339 date-time (a space for the "T" is tolerated, as RFC 3339 allows).
# The offset is optional because every documented timestamp is UTC; a value
# without one is read as UTC rather than thrown away.
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)

# The most digits a Twilio error code given as a string may have.
_MAX_CODE_DIGITS: Final = 10

# One shared read-only empty mapping, for the many stats without extra counters.
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def parse_json(body: bytes) -> Any:
    """Return a parsed JSON body; None when empty, malformed or absurdly nested."""
    try:
        return json.loads(body)
    except ValueError, RecursionError:
        # ValueError covers bad JSON and bad UTF-8; RecursionError a body
        # nested deeply enough to exhaust the stack, which must not crash us.
        return None


def parse_timestamp(value: object) -> datetime | None:
    """Return an RFC 3339 timestamp as an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if not _RFC3339.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except ValueError, OverflowError:
        # Well-formed but impossible (month 13), or out of range once in UTC.
        return None


def format_timestamp(value: datetime) -> str:
    """Return an aware datetime as RFC 3339 UTC with a Z, to whole seconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_details(body: bytes) -> tuple[int | None, str | None]:
    """Return the Twilio error code and message of an error body, if any.

    Comms puts them in `errors[0]`, the classic REST API at the top level;
    an HTML page or an empty body from a gateway yields neither.
    """
    if (obj := as_object(parse_json(body))) is None:
        return None, None
    sources = [*_as_objects(obj.get("errors"))[:1], obj]
    code = next((c for s in sources if (c := as_code(s.get("code"))) is not None), None)
    message = next((m for s in sources if (m := as_text(s.get("message")))), None)
    return code, message


def as_text(value: object) -> str | None:
    """Return a non-empty string, or None for anything else."""
    return value if isinstance(value, str) and value else None


def as_object(value: object) -> Mapping[str, Any] | None:
    """Return a JSON object, or None for any other JSON value."""
    return value if isinstance(value, dict) else None


def _as_count(value: object) -> int | None:
    """Return a counter: a non-negative int, never a bool, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def as_code(value: object) -> int | None:
    """Return a Twilio error code given as an int or a string of digits."""
    if isinstance(value, str):
        text = value.strip()
        # Codes have five digits; a longer string is no code, and one past
        # Python's 4,300-digit limit would make int() raise.
        if text.isdecimal() and text.isascii() and len(text) <= _MAX_CODE_DIGITS:
            return int(text)
        return None
    return _as_count(value)


def _as_objects(value: object) -> tuple[Mapping[str, Any], ...]:
    """Return the objects of a value that may be one object or an array of them."""
    if isinstance(value, dict):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, dict))
    return ()


def _frozen[V](items: Mapping[str, V]) -> Mapping[str, V]:
    """Return a read-only copy of a mapping, sharing one instance when empty."""
    if not items:
        return _EMPTY
    return MappingProxyType(dict(items))
