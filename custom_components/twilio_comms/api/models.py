"""Typed, immutable models of what the Comms API returns, parsed tolerantly."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .const import CHANNEL_COUNTERS, MAX_RECIPIENTS, OperationStatus
from .exceptions import TwilioCommsInvalidResponseError
from .ids import (
    EMAIL_ID_PREFIXES,
    MESSAGE_ID_PREFIXES,
    PUSH_NOTIFICATION_ID_PREFIXES,
    is_operation_id,
    is_valid_id,
)
from .wire import (
    as_code,
    as_count,
    as_object,
    as_objects,
    as_text,
    frozen,
    parse_timestamp,
    string_map,
)

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
# (comms-api.md §1), each with up to 10 connected addresses, so even
# attempts stay far below this; a larger value is treated as not reported,
# and the tracker keeps what an earlier observation said.
MAX_COUNTER: Final = MAX_RECIPIENTS * 1000

# The longest raw status kept, to show what an unknown status was.
MAX_RAW_STATUS_LENGTH: Final = 64

# The status of a resource whose status is missing or not a string.
UNKNOWN_RESOURCE_STATUS: Final = "UNKNOWN"


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
    extra: Mapping[str, int] = field(default_factory=lambda: frozen({}))

    @classmethod
    def from_json(cls, data: object) -> OperationStats:
        """Return the counters of a stats object; anything else gives no counters."""
        known: dict[str, Any] = {}
        extra: dict[str, int] = {}
        for key, value in (as_object(data) or {}).items():
            if (count := as_count(value)) is None or count > MAX_COUNTER:
                continue
            if key in STATS_KEYS:
                known[key] = count
            elif (
                len(extra) < MAX_EXTRA_COUNTERS
                and len(key) <= MAX_COUNTER_NAME_LENGTH
                and key.isprintable()
            ):
                extra[key] = count
        return cls(**known, extra=frozen(extra))

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


@dataclass(frozen=True, slots=True, kw_only=True)
class CommsResource:
    """What every per-recipient resource (Message, PushNotification, Email) has."""

    id: str
    # Upper case, since samples disagree on the case; UNKNOWN when missing.
    status: str
    operation_id: str | None
    created_at: datetime | None
    updated_at: datetime | None
    deleted_at: datetime | None
    tags: Mapping[str, str]


def _common_fields(
    data: object, prefixes: tuple[str, ...], kind: str
) -> tuple[Mapping[str, Any], dict[str, Any]]:
    """Return a resource object and its CommsResource fields, or raise."""
    obj = as_object(data)
    if obj is None or not is_valid_id(obj.get("id"), prefixes):
        raise TwilioCommsInvalidResponseError(f"A {kind} has no valid id")
    status = obj.get("status")
    return obj, {
        "id": obj["id"],
        "status": status.strip().upper()
        if isinstance(status, str) and status.strip()
        else UNKNOWN_RESOURCE_STATUS,
        "operation_id": _operation_id(obj),
        "created_at": parse_timestamp(obj.get("createdAt")),
        "updated_at": parse_timestamp(obj.get("updatedAt")),
        "deleted_at": parse_timestamp(obj.get("deletedAt")),
        "tags": string_map(obj.get("tags")),
    }


def _operation_id(obj: Mapping[str, Any]) -> str | None:
    """Return the operation a resource belongs to, from `related` (any case)."""
    for related in as_objects(obj.get("related")):
        name = related.get("name")
        if isinstance(name, str) and name.lower() == "operation":
            if is_operation_id(candidate := related.get("id")):
                return str(candidate)
    # Not documented, but cheap to honour if a page puts it at the top level.
    candidate = obj.get("operationId")
    return candidate if is_operation_id(candidate) else None


def _addresses(value: object) -> tuple[str, ...]:
    """Return the addresses of a `to` that may be one object or an array."""
    return tuple(
        address
        for item in as_objects(value)
        if (address := as_text(item.get("address"))) is not None
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(CommsResource):
    """One message to one recipient, created by an operation."""

    to_addresses: tuple[str, ...]
    scheduled_for: datetime | None

    @classmethod
    def from_json(cls, data: object) -> Message:
        """Return a message, or raise if the value has no valid id."""
        obj, common = _common_fields(data, MESSAGE_ID_PREFIXES, "message")
        return cls(
            **common,
            to_addresses=_addresses(obj.get("to")),
            scheduled_for=parse_timestamp(obj.get("scheduledFor")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PushNotification(CommsResource):
    """One push notification to one recipient, created by an operation."""

    # Providers (FCM, APN) of the recipients; device tokens are not kept.
    providers: tuple[str, ...]
    priority: str | None

    @classmethod
    def from_json(cls, data: object) -> PushNotification:
        """Return a push notification, or raise if the value has no valid id."""
        obj, common = _common_fields(
            data, PUSH_NOTIFICATION_ID_PREFIXES, "push notification"
        )
        # `to` is an object in the fetch sample and an array in a guide sample.
        providers = (
            provider.upper()
            for item in as_objects(obj.get("to"))
            if (provider := as_text(item.get("provider"))) is not None
        )
        priority = as_text(obj.get("priority"))
        return cls(
            **common,
            providers=tuple(providers),
            priority=priority.upper() if priority else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Email(CommsResource):
    """One email to one recipient, created by an operation."""

    to_addresses: tuple[str, ...]
    subject: str | None

    @classmethod
    def from_json(cls, data: object) -> Email:
        """Return an email, or raise if the value has no valid id."""
        obj, common = _common_fields(data, EMAIL_ID_PREFIXES, "email")
        content = as_object(obj.get("content")) or {}
        return cls(
            **common,
            to_addresses=_addresses(obj.get("to")),
            subject=as_text(content.get("subject")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationError:
    """One entry of an operation's errors; the shape is undocumented."""

    code: int | None
    message: str | None
    # Every other field of the entry, as sent.
    raw: Mapping[str, object]

    @classmethod
    def from_json(cls, data: object) -> OperationError:
        """Return an error entry from whatever JSON value the API sent."""
        if (obj := as_object(data)) is not None:
            rest = {k: v for k, v in obj.items() if k not in {"code", "message"}}
            return cls(
                code=as_code(obj.get("code")),
                message=as_text(obj.get("message")),
                raw=frozen(rest),
            )
        if isinstance(data, str):
            return cls(code=None, message=data or None, raw=frozen({}))
        return cls(code=None, message=None, raw=frozen({"value": data}))


# Keys that may hold the entries of an operation's errors, most likely first.
_ERROR_LIST_KEYS: Final = ("errors", "data", "operationErrors", "items", "results")


def parse_operation_errors(data: object) -> tuple[OperationError, ...]:
    """Return the entries of an Errors response, whatever its shape.

    The endpoint is undocumented (comms-api.md §5): accept a bare array, an
    array under a known key, a lone error object, or else any array-valued
    key; an object with none of these holds no errors.
    """
    entries: list[Any]
    if isinstance(data, list):
        entries = data
    elif (obj := as_object(data)) is not None:
        # Most likely first: a known key, a lone error, then any array at all.
        lone = [obj] if "code" in obj or "message" in obj else None
        candidates = [*(obj.get(key) for key in _ERROR_LIST_KEYS), lone, *obj.values()]
        entries = next((value for value in candidates if isinstance(value, list)), [])
    else:
        raise TwilioCommsInvalidResponseError("The errors are not a list or an object")
    return tuple(OperationError.from_json(item) for item in entries)
