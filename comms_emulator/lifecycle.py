"""How an operation evolves: its plan, fixed at creation, and its state at any moment.

An operation's status, stats and resources at a moment are a pure function of
its plan, its channel's shape (config.ChannelShape) and that moment. That keeps
the emulator deterministic under any clock, cheap at 10,000 operations
(nothing runs in the background), and exact as ground truth.

What happens to the recipients: ``total`` counts the resources of a send,
``recipients`` the recipients targeted (the same, unless a shape makes some
reach two resources), ``unaddressable`` the ones no attempt was made for. The
others are ``scheduled`` before the operation starts, ``queued`` while it
processes and ``canceled`` once it is canceled; the ``processed`` so far either
``failed`` (inside Twilio, never sent) or were ``sent``. A sent one's receipt
says ``delivered`` (some of which are then ``read``; emails: ``opened``) or
``undelivered``. ``attempts`` counts a retry for each failure, so it can exceed
``total``.

Receipts come at once under the cumulative reading (as they always did), and
RECEIPT_DELAY after the send under the split one, so that its ``sent`` bucket
is seen filled; either way all are in when the operation ends, so a terminal
status stays final (comms-api.md §10). Receipts do not move ``updatedAt``:
seeds 002 and 004 show ``updatedAt == createdAt`` with ``delivered 1``.

How the stats read (§10 says the documents disagree), per the shape:
``cumulative`` counts ``sent`` including ``delivered`` and ``undelivered``, and
``delivered`` including ``read``; no counter ever goes down. ``split`` counts
each resource once, under the key of its current state, so the keys add up to
``total`` and a counter goes down as its resources move on (sent → delivered).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
from typing import Any, Final, NamedTuple

from .config import READ_KEYS, STATS_PROFILE_KEYS, ChannelShape

# The documented operation statuses (§10).
SCHEDULED: Final = "SCHEDULED"
PROCESSING: Final = "PROCESSING"
COMPLETED: Final = "COMPLETED"
CANCELED: Final = "CANCELED"
OPERATION_STATUSES: Final = (SCHEDULED, PROCESSING, COMPLETED, CANCELED)

# What an operation with an unknown status shows once it ends, for good.
UNKNOWN_STATUS: Final = "ARCHIVED"

# What a delivered resource that was also read is called, per channel.
READ_STATUS: Final = {channel: key.upper() for channel, key in READ_KEYS.items()}

# How long a receipt takes after its send, under the split reading.
RECEIPT_DELAY: Final = timedelta(seconds=30)

# A backward status: COMPLETED for BACKWARD_AFTER, then PROCESSING for
# BACKWARD_SPAN (same stats and updatedAt), then COMPLETED for good.
BACKWARD_AFTER: Final = timedelta(seconds=60)
BACKWARD_SPAN: Final = timedelta(seconds=60)

# A partial schedule (seed 000) needs an operation that waits at least this
# long and has this many recipients, so every bucket can hold some.
SCHEDULED_AHEAD: Final = timedelta(minutes=10)
MIN_PARTIAL_RECIPIENTS: Final = 10
# Of its addressable recipients, this share is canceled at creation; of the
# rest, this share is due at once (their local send time has come, §8), sent
# over the first half of the wait; recipients falls this share short of total
# (some reach two resources). Seed 000: 2 canceled, 125 due, 150 vs 145.
WITHDRAWN_SHARE: Final = 0.015
EARLY_SHARE: Final = 0.85
EXTRA_RESOURCES_SHARE: Final = 1 / 30

# Where a split bucket goes when the profile lacks its key: into the state
# its resources passed through (read ones were delivered, delivered and
# undelivered ones sent); unaddressable resources show FAILED.
BUCKET_FOLDS: Final = (
    ("read", "delivered"),
    ("delivered", "sent"),
    ("undelivered", "sent"),
    ("unaddressable", "failed"),
)

# The shape of a plan rendered without one: the reference's.
DEFAULT_SHAPE: Final = ChannelShape()


def pick(operation_id: str, purpose: str) -> float:
    """Return a number in [0, 1) fixed by an operation's id and a purpose."""
    # A hash of the id, not a seeded draw: shapes change at runtime, and
    # drawing would shift every seeded plan (and the integration's snapshots).
    digest = hashlib.blake2b(f"{purpose}:{operation_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest()) / 2**64


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


@dataclass(frozen=True, slots=True)
class Batch:
    """Recipients processed evenly from start to end, in index order."""

    start: datetime
    end: datetime
    count: int

    def done(self, moment: datetime) -> int:
        """Return how many are processed at a moment."""
        if moment < self.start:
            return 0
        if moment >= self.end:
            return self.count
        return int(self.count * ((moment - self.start) / (self.end - self.start)))

    def done_at(self, count: int) -> datetime:
        """Return when the count-th of the batch is processed."""
        if count <= 0 or not self.count:
            return self.start
        return self.start + (self.end - self.start) * count / self.count


class Fates(NamedTuple):
    """What became of the first so many processed recipients."""

    failed: int
    sent: int
    undelivered: int
    delivered: int
    read: int


def _scaled(part: int, done: int, whole: int) -> int:
    """Return the share of part reached when done of whole are processed."""
    return part * done // whole if whole else 0


def _fates(plan: OperationPlan, processed: int) -> Fates:
    """Return the outcomes among the first processed recipients."""
    # Each outcome is spread evenly over the stream it comes out of (failures
    # over the processed, undelivered over the sent, reads over the
    # delivered), so none goes down while processing goes on.
    addressable = plan.addressable
    failed = _scaled(plan.failed, processed, addressable)
    sent = processed - failed
    undelivered = _scaled(plan.undelivered, sent, addressable - plan.failed)
    delivered = sent - undelivered
    read = _scaled(plan.read, delivered, addressable - plan.failed - plan.undelivered)
    return Fates(failed, sent, undelivered, delivered, read)


def _is_partial(plan: OperationPlan, shape: ChannelShape) -> bool:
    """Return whether a shape makes an operation partly sent while SCHEDULED."""
    return (
        shape.partial_schedule_share > 0
        and plan.start_at - plan.created_at >= SCHEDULED_AHEAD
        and plan.recipients >= MIN_PARTIAL_RECIPIENTS
        and pick(plan.id, "partial") < shape.partial_schedule_share
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """When an operation's recipients are processed, and which never are."""

    batches: tuple[Batch, ...]
    # Recipients due before start_at (queued while SCHEDULED), and ones
    # canceled at creation (the last addressable indices).
    early: int = 0
    withdrawn: int = 0
    # Resources beyond the recipients targeted.
    extra: int = 0

    @classmethod
    def of(cls, plan: OperationPlan, shape: ChannelShape) -> Schedule:
        """Return an operation's schedule under its channel's shape."""
        addressable = plan.addressable
        if not _is_partial(plan, shape):
            return cls(batches=(Batch(plan.start_at, plan.end_at, addressable),))
        withdrawn = max(1, round(addressable * WITHDRAWN_SHARE))
        early = round((addressable - withdrawn) * EARLY_SHARE)
        due = plan.created_at + (plan.start_at - plan.created_at) / 2
        return cls(
            batches=(
                Batch(plan.created_at, due, early),
                Batch(plan.start_at, plan.end_at, addressable - withdrawn - early),
            ),
            early=early,
            withdrawn=withdrawn,
            extra=max(1, round(plan.recipients * EXTRA_RESOURCES_SHARE)),
        )

    def processed(self, moment: datetime) -> int:
        """Return how many recipients are processed at a moment."""
        return sum(batch.done(moment) for batch in self.batches)

    def processed_at(self, count: int) -> datetime:
        """Return when the count-th recipient is processed."""
        for batch in self.batches:
            if count <= batch.count:
                return batch.done_at(count)
            count -= batch.count
        return self.batches[-1].end


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationState:
    """An operation as the API shows it at one moment."""

    plan: OperationPlan
    shape: ChannelShape
    schedule: Schedule
    # The status the API shows, and the one its life is in (they differ
    # only for the unknown and backward statuses of a shape).
    status: str
    phase: str
    # Every counter, cumulative, whichever channel; stats serves the shape's.
    counters: dict[str, int]
    updated_at: datetime
    processed: int
    # What became of the processed, receipts pending or not.
    fates: Fates

    @property
    def in_flight(self) -> bool:
        """Return whether Twilio is still working on the operation."""
        return self.phase in {SCHEDULED, PROCESSING}

    @property
    def stats(self) -> dict[str, int]:
        """Return the stats the shape serves, in its profile's keys and reading."""
        keys = STATS_PROFILE_KEYS[self.shape.stats_profile][self.plan.channel]
        counters = self.counters
        if self.shape.counter_reading == "split":
            counters = _buckets(counters, self.plan.channel, keys)
        return {key: counters[key] for key in keys}


def _buckets(
    counters: Mapping[str, int], channel: str, keys: tuple[str, ...]
) -> dict[str, int]:
    """Return the counters split: each resource under the key of its state."""
    read_key = READ_KEYS.get(channel)
    buckets = {
        **counters,
        "delivered": counters["delivered"] - counters["read"],
        "sent": counters["sent"] - counters["delivered"] - counters["undelivered"],
    }
    for child, parent in BUCKET_FOLDS:
        served = read_key if child == "read" else child
        if served not in keys:
            buckets[parent] += buckets.pop(child)
    return buckets


def _status(plan: OperationPlan, shape: ChannelShape, phase: str, now: datetime) -> str:
    """Return the status shown: the phase, unless the shape picks a quirk for it."""
    if phase not in {COMPLETED, CANCELED}:
        return phase
    if shape.unknown_status_share and (
        pick(plan.id, "unknown") < shape.unknown_status_share
    ):
        return UNKNOWN_STATUS
    flip = plan.end_at + BACKWARD_AFTER
    if (
        phase == COMPLETED
        and flip <= now < flip + BACKWARD_SPAN
        and shape.backward_status_share
        and pick(plan.id, "backward") < shape.backward_status_share
    ):
        return PROCESSING
    return phase


def operation_state(
    plan: OperationPlan, now: datetime, shape: ChannelShape = DEFAULT_SHAPE
) -> OperationState:
    """Return the status and stats of a planned operation at a moment."""
    schedule = Schedule.of(plan, shape)
    canceled = plan.cancel_at is not None and plan.cancel_at <= now
    stop = plan.cancel_at if canceled and plan.cancel_at is not None else plan.end_at
    processed = schedule.processed(min(now, stop))
    fates = _fates(plan, processed)
    pending = plan.addressable - schedule.withdrawn - processed
    if canceled:
        phase, updated_at = CANCELED, stop
    elif now >= plan.end_at:
        phase, updated_at = COMPLETED, plan.end_at
    elif now >= plan.start_at:
        # The last change: processing started, or the latest recipient done.
        phase = PROCESSING
        updated_at = max(plan.start_at, schedule.processed_at(processed))
    else:
        # Only a partial schedule processes anything before it starts.
        phase = SCHEDULED
        updated_at = schedule.processed_at(processed) if processed else plan.created_at
    receipts = fates
    if shape.counter_reading == "split" and phase in {SCHEDULED, PROCESSING}:
        receipts = _fates(plan, schedule.processed(now - RECEIPT_DELAY))
    queued = pending if phase == PROCESSING else 0
    scheduled = 0
    if phase == SCHEDULED:
        # The recipients due before the start wait in the queue.
        queued = max(0, schedule.early - processed)
        scheduled = pending - queued
    counters = {
        "total": plan.recipients,
        "recipients": plan.recipients - schedule.extra,
        "attempts": processed + fates.failed,
        "unaddressable": plan.unaddressable,
        "scheduled": scheduled,
        "queued": queued,
        "sent": fates.sent,
        "delivered": receipts.delivered,
        "read": receipts.read,
        "opened": receipts.read,
        "undelivered": receipts.undelivered,
        "failed": fates.failed,
        "canceled": schedule.withdrawn + (pending if phase == CANCELED else 0),
    }
    return OperationState(
        plan=plan,
        shape=shape,
        schedule=schedule,
        status=_status(plan, shape, phase, now),
        phase=phase,
        counters=counters,
        updated_at=updated_at,
        processed=processed,
        fates=fates,
    )


def resource_status(state: OperationState, index: int) -> str:
    """Return the status of an operation's resource for one recipient."""
    # Recipients are processed in index order; among the processed, outcomes
    # are laid out failed, undelivered, read, delivered, awaiting a receipt,
    # so that counting the resources by status gives the operation's split
    # stats. Withdrawn recipients come after the rest; unaddressable ones are
    # the last indices, and failed: nothing could be sent.
    plan, counters = state.plan, state.counters
    if index >= plan.addressable:
        return "FAILED"
    if index >= state.processed:
        if (
            state.phase == CANCELED
            or index >= plan.addressable - state.schedule.withdrawn
        ):
            return "CANCELED"
        if state.phase == PROCESSING or index < state.schedule.early:
            return "QUEUED"
        return "SCHEDULED"
    if index < counters["failed"]:
        return "FAILED"
    if plan.channel not in READ_STATUS:
        # Push documents no delivery receipts: a push is sent or failed.
        return "SENT"
    index -= counters["failed"]
    if index < counters["undelivered"]:
        return "UNDELIVERED"
    index -= counters["undelivered"]
    if index < counters["read"]:
        return READ_STATUS[plan.channel]
    if index < counters["delivered"]:
        return "DELIVERED"
    return "SENT"


def resource_updated_at(state: OperationState, index: int) -> datetime:
    """Return when a resource last changed: processed, queued, canceled or created."""
    plan = state.plan
    if index < state.processed:
        return state.schedule.processed_at(index + 1)
    if index >= plan.addressable - state.schedule.withdrawn or state.phase == SCHEDULED:
        return plan.created_at
    if state.phase == CANCELED and plan.cancel_at is not None:
        return plan.cancel_at
    return plan.start_at


def is_attempted(state: OperationState, index: int) -> bool:
    """Return whether a send was attempted for a recipient yet."""
    return index < state.processed
