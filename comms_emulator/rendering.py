"""The JSON the API answers with: operations, resources and operation errors."""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Final
import zlib

from .config import (
    DEFAULT_SENDERS,
    FAILURE_ERRORS,
    RESOURCE_PREFIX,
    UNADDRESSABLE_ERRORS,
)
from .inputs import INFO_URL
from .lifecycle import (
    OperationState,
    is_attempted,
    pick,
    resource_status,
    resource_updated_at,
)
from .world import ReceivedMessage, resource_id

# What a resource shows as content when no send request gave one.
DEFAULT_CONTENT: Final[dict[str, dict[str, str]]] = {
    "Messages": {"text": "Your appointment is tomorrow at 10:00."},
    "PushNotifications": {"title": "Door", "body": "Front door opened"},
    "Emails": {"subject": "Weekly report", "html": "<p>All systems normal.</p>"},
}

# Made-up recipients are numbered within a range this big, per operation.
SYNTHETIC_RANGE: Final = 10_000_000

# Push providers, alternated between made-up recipients (§9).
PROVIDERS: Final = ("FCM", "APN")

# Where the Console shows one send attempt (each attempt has an infoUrl).
CONSOLE_LOG_URL: Final = "https://console.twilio.com/us1/monitor/logs/comms/{id}"


def iso(moment: datetime) -> str:
    """Return an RFC 3339 UTC timestamp to the second, as the API writes them."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fractional(body: dict[str, Any]) -> None:
    """Write the timestamps with milliseconds: 2026-11-23T12:00:00.000Z."""
    for key in ("createdAt", "updatedAt"):
        body[key] = body[key].removesuffix("Z") + ".000Z"


def _offset(body: dict[str, Any]) -> None:
    """Write the timestamps with an offset: 2026-11-23T12:00:00+00:00."""
    for key in ("createdAt", "updatedAt"):
        body[key] = body[key].removesuffix("Z") + "+00:00"


def _no_updated_at(body: dict[str, Any]) -> None:
    """Leave updatedAt out, though the reference calls it required."""
    del body["updatedAt"]


# The ways a fetched operation may spell its timestamps unlike a listing
# (all RFC 3339 but the last), one per operation, picked by its id.
TIMESTAMP_QUIRKS: Final = (_fractional, _offset, _no_updated_at)


def operation_json(state: OperationState, *, fetched: bool = False) -> dict[str, Any]:
    """Return an operation as the API renders it (§10), listed or fetched by id."""
    body = {
        "id": state.plan.id,
        "status": state.status,
        "stats": state.stats,
        "createdAt": iso(state.plan.created_at),
        "updatedAt": iso(state.updated_at),
    }
    if fetched and state.shape.timestamp_quirks:
        quirk = int(pick(state.plan.id, "timestamps") * len(TIMESTAMP_QUIRKS))
        TIMESTAMP_QUIRKS[quirk](body)
    return body


def recipient_json(state: OperationState, index: int) -> dict[str, Any]:
    """Return one recipient as its send listed it, or made up for seeded operations."""
    plan = state.plan
    if plan.submitted is not None:
        recipients = plan.submitted.get("to")
        if (
            isinstance(recipients, list)
            and index < len(recipients)
            and isinstance(recipients[index], Mapping)
        ):
            return dict(recipients[index])
    number = (zlib.crc32(plan.id.encode()) + index) % SYNTHETIC_RANGE
    address = plan.addresses[index] if index < len(plan.addresses) else ""
    if plan.channel == "PushNotifications":
        return {
            "token": address or f"device-token-{number:07d}",
            "provider": PROVIDERS[index % len(PROVIDERS)],
        }
    if plan.channel == "Emails":
        return {"address": address or f"user{number:07d}@example.com"}
    return {"address": address or f"+1555{number:07d}", "channel": "PHONE"}


def submitted_field(state: OperationState, key: str, default: Any) -> Any:
    """Return a field of the operation's send request, or a default."""
    submitted = state.plan.submitted or {}
    value = submitted.get(key)
    return default if value is None else value


def failure(state: OperationState, index: int) -> tuple[int, str]:
    """Return the error code and message of a failed resource."""
    plan = state.plan
    if index >= plan.addressable:
        return UNADDRESSABLE_ERRORS[plan.channel]
    return FAILURE_ERRORS[plan.channel]


def _attempts(
    state: OperationState, index: int, status: str, sender: Any, to: Any
) -> list[dict[str, Any]]:
    """Return a message's send attempts (§8): one, once it was processed."""
    if not is_attempted(state, index):
        return []
    attempt: dict[str, Any] = {
        "from": sender,
        "to": [to],
        "status": status,
        "attemptedAt": iso(state.schedule.processed_at(index + 1)),
        "infoUrl": CONSOLE_LOG_URL.format(id=f"{state.plan.id}-{index}"),
    }
    if status in {"FAILED", "UNDELIVERED"}:
        code, message = failure(state, index)
        attempt["error"] = {
            "code": code,
            "message": message,
            "infoUrl": INFO_URL.format(code=code),
        }
    return [attempt]


def resource_json(
    state: OperationState, index: int, *, detail: bool = False
) -> dict[str, Any]:
    """Return an operation's resource for one recipient, as listed or fetched (detail)."""
    plan = state.plan
    channel = plan.channel
    status = resource_status(state, index)
    sender = submitted_field(state, "from", DEFAULT_SENDERS[channel])
    to = recipient_json(state, index)
    body: dict[str, Any] = {
        "id": resource_id(RESOURCE_PREFIX[channel], plan.id, index),
        "from": sender,
        # A fetched push notification shows `to` as one object, as the
        # reference's sample does; listings show an array, as the guide's (§9).
        "to": to if detail and channel == "PushNotifications" else [to],
        "status": status,
        "related": [
            {
                "name": "OPERATION",
                "id": plan.id,
                "uri": f"/v1/{channel}/Operations/{plan.id}",
            }
        ],
        "tags": dict(plan.tags),
        "createdAt": iso(plan.created_at),
        "updatedAt": iso(resource_updated_at(state, index)),
        "deletedAt": None,
    }
    if channel == "Messages":
        body["scheduledFor"] = iso(plan.send_at) if plan.send_at else None
    if channel == "PushNotifications":
        body["priority"] = submitted_field(state, "priority", "HIGH")
        body["sound"] = submitted_field(state, "sound", None)
    if detail:
        body["content"] = submitted_field(state, "content", DEFAULT_CONTENT[channel])
        if channel == "Messages":
            body["attempts"] = _attempts(state, index, status, sender, to)
    return body


def received_json(message: ReceivedMessage) -> dict[str, Any]:
    """Return a message received, as a fetch by id shows it.

    Undocumented: no Twilio text read shows a received message's resource.
    It takes a sent message's shape (what a fetch by id reads: from, to as
    an array, content.text), with status INBOUND (a message status the
    client knows, and reads as no delivery), no operation in related and no
    attempts of ours. The sender and the text are what 3P-rs's inbound event
    leaves to this fetch (docs/event-streams.md §9).
    """
    at = iso(message.received_at)
    return {
        "id": message.id,
        "from": {"address": message.from_address, "channel": message.channel},
        "to": [{"address": message.to_address, "channel": message.channel}],
        "status": "INBOUND",
        "related": [],
        "tags": {},
        "createdAt": at,
        "updatedAt": at,
        "deletedAt": None,
        "scheduledFor": None,
        "content": {"text": message.text},
        "attempts": [],
    }


def failed_indices(state: OperationState) -> Iterator[int]:
    """Yield the indices of an operation's failed resources, in order."""
    plan = state.plan
    return chain(
        range(state.counters["failed"]), range(plan.addressable, plan.recipients)
    )


def error_json(state: OperationState, index: int) -> dict[str, Any]:
    """Return the Errors entry of a failed resource (the real shape is undocumented)."""
    code, message = failure(state, index)
    return {
        "code": code,
        "message": message,
        "infoUrl": INFO_URL.format(code=code),
        "resourceId": resource_id(
            RESOURCE_PREFIX[state.plan.channel], state.plan.id, index
        ),
    }
