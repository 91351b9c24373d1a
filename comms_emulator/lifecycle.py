"""How an operation evolves: its plan, fixed at creation, and its state at any moment.

An operation's status, stats and resources at a moment are a pure function of
its plan and that moment. That keeps the emulator deterministic under any
clock, cheap at 10,000 operations (nothing runs in the background), and exact
as ground truth.

Counter semantics (comms-api.md §10 says the counters overlap): ``total`` and
``recipients`` are the recipients of the send, ``unaddressable`` the ones no
attempt was made for. Of the others, ``processed`` so far were either
``failed`` (inside Twilio, never sent) or ``sent``; ``delivered`` and
``undelivered`` split ``sent``; ``read`` (emails: ``opened``) is part of
``delivered``. The rest are ``scheduled`` before the operation starts,
``queued`` while it processes and ``canceled`` once it is canceled.
``attempts`` counts a retry for each failure, so it can exceed ``total``.
No counter ever goes down.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from .channels import STATS_KEYS

# The documented operation statuses (§10).
SCHEDULED: Final = "SCHEDULED"
PROCESSING: Final = "PROCESSING"
COMPLETED: Final = "COMPLETED"
CANCELED: Final = "CANCELED"
OPERATION_STATUSES: Final = (SCHEDULED, PROCESSING, COMPLETED, CANCELED)

# What a delivered resource that was also read is called, per channel.
READ_STATUS: Final = {"Messages": "READ", "Emails": "OPENED"}


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationPlan:
    """Everything that decides an operation's life, fixed at creation."""

    id: str
    channel: str
    created_at: datetime
    # Processing runs from start_at to end_at unless canceled at cancel_at.
    start_at: datetime
    end_at: datetime
    cancel_at: datetime | None
    recipients: int
    unaddressable: int
    # How many of the addressable recipients end failed, undelivered, read.
    failed: int
    undelivered: int
    read: int
    tags: dict[str, str] = field(default_factory=dict)
    # Recipient addresses of a send; seeded operations make theirs up.
    addresses: tuple[str, ...] = ()
    # The send request's body, echoed by resources (None when seeded).
    submitted: Mapping[str, Any] | None = None
    # The time a send asked for (schedule.sendAt), shown as scheduledFor.
    send_at: datetime | None = None

    @property
    def addressable(self) -> int:
        """Return how many recipients a send is attempted for."""
        return self.recipients - self.unaddressable

    def processed_at(self, count: int) -> datetime:
        """Return when the count-th addressable recipient is processed."""
        if count <= 0 or not self.addressable:
            return self.start_at
        return self.start_at + (self.end_at - self.start_at) * count / self.addressable


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationState:
    """An operation as the API shows it at one moment."""

    plan: OperationPlan
    status: str
    # Every counter, whichever channel; stats keeps the channel's documented ones.
    counters: dict[str, int]
    updated_at: datetime
    processed: int

    @property
    def stats(self) -> dict[str, int]:
        """Return the stats the operation's channel documents."""
        return {key: self.counters[key] for key in STATS_KEYS[self.plan.channel]}


def _scaled(part: int, done: int, whole: int) -> int:
    """Return the share of part reached when done of whole are processed."""
    return part * done // whole if whole else 0


def _processed(plan: OperationPlan, moment: datetime) -> int:
    """Return how many addressable recipients are processed at a moment."""
    if moment < plan.start_at:
        return 0
    if moment >= plan.end_at:
        return plan.addressable
    progress = (moment - plan.start_at) / (plan.end_at - plan.start_at)
    return int(plan.addressable * progress)


def operation_state(plan: OperationPlan, now: datetime) -> OperationState:
    """Return the status and stats of a planned operation at a moment."""
    addressable = plan.addressable
    canceled = plan.cancel_at is not None and plan.cancel_at <= now
    stop = plan.cancel_at if canceled and plan.cancel_at is not None else plan.end_at
    processed = _processed(plan, min(now, stop))
    # Each outcome is spread evenly over the stream it comes out of (failures
    # over the processed, undelivered over the sent, reads over the
    # delivered), so no counter ever goes down while processing goes on.
    failed = _scaled(plan.failed, processed, addressable)
    sent = processed - failed
    undelivered = _scaled(plan.undelivered, sent, addressable - plan.failed)
    delivered = sent - undelivered
    read = _scaled(plan.read, delivered, addressable - plan.failed - plan.undelivered)
    pending = addressable - processed
    if canceled:
        status, updated_at = CANCELED, stop
    elif now >= plan.end_at:
        status, updated_at = COMPLETED, plan.end_at
    elif now >= plan.start_at:
        # The last change: processing started, or the latest recipient done.
        status, updated_at = PROCESSING, plan.processed_at(processed)
    else:
        status, updated_at = SCHEDULED, plan.created_at
    counters = {
        "total": plan.recipients,
        "recipients": plan.recipients,
        "attempts": processed + failed,
        "unaddressable": plan.unaddressable,
        "scheduled": pending if status == SCHEDULED else 0,
        "queued": pending if status == PROCESSING else 0,
        "sent": sent,
        "delivered": delivered,
        "read": read,
        "opened": read,
        "undelivered": undelivered,
        "failed": failed,
        "canceled": pending if status == CANCELED else 0,
    }
    return OperationState(
        plan=plan,
        status=status,
        counters=counters,
        updated_at=updated_at,
        processed=processed,
    )


def resource_status(state: OperationState, index: int) -> str:
    """Return the status of an operation's resource for one recipient."""
    # Recipients are processed in index order; among the processed, outcomes
    # are laid out failed, undelivered, read, delivered, so that counting the
    # resources by status gives the operation's stats. Unaddressable
    # recipients are the last indices, and failed: nothing could be sent.
    plan, counters = state.plan, state.counters
    if index >= plan.addressable:
        return "FAILED"
    if index >= state.processed:
        return {CANCELED: "CANCELED", PROCESSING: "QUEUED"}.get(
            state.status, "SCHEDULED"
        )
    if index < counters["failed"]:
        return "FAILED"
    if plan.channel not in READ_STATUS:
        # Push documents no delivery receipts: a push is sent or failed.
        return "SENT"
    index -= counters["failed"]
    if index < counters["undelivered"]:
        return "UNDELIVERED"
    if index - counters["undelivered"] < counters["read"]:
        return READ_STATUS[plan.channel]
    return "DELIVERED"


def resource_updated_at(state: OperationState, index: int) -> datetime:
    """Return when a resource last changed: processed, queued, canceled or created."""
    plan = state.plan
    if index < state.processed:
        return plan.processed_at(index + 1)
    if index >= plan.addressable or state.status == SCHEDULED:
        return plan.created_at
    if state.status == CANCELED and plan.cancel_at is not None:
        return plan.cancel_at
    return plan.start_at


def is_attempted(state: OperationState, index: int) -> bool:
    """Return whether a send was attempted for a recipient yet."""
    return index < state.processed
