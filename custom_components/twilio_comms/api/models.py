"""Typed, immutable models of what the Comms API returns, parsed tolerantly."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .const import CHANNEL_COUNTERS, MAX_RECIPIENTS, Channel, OperationStatus
from .exceptions import TwilioCommsInvalidResponseError
from .ids import (
    EMAIL_ID_PREFIXES,
    MESSAGE_ID_PREFIXES,
    PUSH_NOTIFICATION_ID_PREFIXES,
    is_operation_id,
    is_valid_id,
)
from .wire import as_count, as_object, as_text, frozen, parse_timestamp

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

# The id prefixes of each channel's resources.
RESOURCE_ID_PREFIXES: Final[Mapping[Channel, tuple[str, ...]]] = {
    Channel.MESSAGES: MESSAGE_ID_PREFIXES,
    Channel.PUSH_NOTIFICATIONS: PUSH_NOTIFICATION_ID_PREFIXES,
    Channel.EMAILS: EMAIL_ID_PREFIXES,
}

# The keys a listing of each channel's resources may hold its items under,
# most likely first. Messages list under `messages` (REF-msg/list); the push
# reference key is not visible and a guide sample uses `notifications`; the
# email guide sample lists under `data`, the resource name suggests `emails`.
# `data`, a guide's generic key, is accepted everywhere.
RESOURCE_LIST_KEYS: Final[Mapping[Channel, tuple[str, ...]]] = {
    Channel.MESSAGES: ("messages", "data"),
    Channel.PUSH_NOTIFICATIONS: ("pushNotifications", "notifications", "data"),
    Channel.EMAILS: ("emails", "data"),
}


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
    """One message, push notification or email to one recipient, made by an operation."""

    id: str
    # Upper case, since samples disagree on the case; UNKNOWN when missing.
    status: str

    @classmethod
    def from_json(cls, data: object, channel: Channel) -> CommsResource:
        """Return a resource of a channel, or raise if the value has no valid id."""
        obj = as_object(data)
        if obj is None or not is_valid_id(obj.get("id"), RESOURCE_ID_PREFIXES[channel]):
            raise TwilioCommsInvalidResponseError(
                f"An item of {channel.title} has no valid id"
            )
        status = obj.get("status")
        return cls(
            id=obj["id"],
            status=status.strip().upper()
            if isinstance(status, str) and status.strip()
            else UNKNOWN_RESOURCE_STATUS,
        )
