"""The emulated account's operations and how they evolve with time.

Each operation is a seeded *plan* (when it was created, when it starts and
ends, how many of its sends fail), and its status and stats at any moment are
a pure function of that plan and the clock. That keeps the emulator
deterministic, cheap at 10,000 operations, and exact as ground truth.

Counter semantics (comms-api.md §10 says they overlap): ``sent`` counts every
send Twilio handed to a carrier or push provider, so ``delivered`` and
``undelivered`` are subsets of it, and ``read``/``opened`` subsets of
``delivered``; ``failed`` sends were never sent; ``queued``, ``scheduled`` and
``canceled`` are sends not yet processed, or never to be.
"""

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import random
from typing import Final

from .config import EmulatorConfig

CHANNELS: Final = ("Messages", "PushNotifications", "Emails")

# The resource id prefix of each channel (comms-api.md §2).
RESOURCE_PREFIX: Final = {
    "Messages": "comms_message_",
    "PushNotifications": "comms_pushnotification_",
    "Emails": "comms_email_",
}

# The stats keys each channel's API documents (comms-api.md §10).
STATS_KEYS: Final = {
    "Messages": [
        "total",
        "recipients",
        "attempts",
        "unaddressable",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "read",
        "undelivered",
        "failed",
        "canceled",
    ],
    "PushNotifications": [
        "total",
        "recipients",
        "unaddressable",
        "scheduled",
        "queued",
        "sent",
        "failed",
        "canceled",
    ],
    "Emails": [
        "total",
        "recipients",
        "attempts",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "opened",
        "undelivered",
        "failed",
        "canceled",
    ],
}

# Records exist for 7 days after creation.
RETENTION: Final = timedelta(days=7)

# Lower-case Crockford base32, the alphabet of Comms ids.
ID_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"

# Twilio error codes reported for failed sends, per channel.
FAILURE_CODES: Final = {
    "Messages": (30003, "Unreachable destination handset"),
    "PushNotifications": (52134, "Invalid device token"),
    "Emails": (5002, "Recipient mailbox does not exist"),
}


def make_id(prefix: str, rng: random.Random) -> str:
    """Return a ULID-like Comms id drawn from a seeded generator."""
    return (
        prefix
        + rng.choice("01234567")
        + "".join(rng.choice(ID_ALPHABET) for _ in range(25))
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationPlan:
    """Everything that decides an operation's life, fixed at creation."""

    id: str
    channel: str
    created_at: datetime
    start_at: datetime
    end_at: datetime
    cancel_at: datetime | None
    recipients: int
    unaddressable: int
    failed: int
    undelivered: int
    read: int
    tags: dict[str, str] = field(default_factory=dict)
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationState:
    """An operation as the API shows it at one moment."""

    plan: OperationPlan
    status: str
    stats: dict[str, int]
    updated_at: datetime


def _scaled(part: int, done: int, whole: int) -> int:
    """Return the share of part reached when done of whole are processed."""
    return part * done // whole if whole else 0


def operation_state(plan: OperationPlan, now: datetime) -> OperationState:
    """Return the status and stats of a planned operation at a moment."""
    addressable = plan.recipients - plan.unaddressable
    end = plan.end_at
    canceled = plan.cancel_at is not None and plan.cancel_at <= now
    if canceled and plan.cancel_at is not None:
        end = min(end, plan.cancel_at)
    moment = min(now, end)
    if moment < plan.start_at:
        processed = 0
    elif moment >= plan.end_at:
        processed = addressable
    else:
        span = (plan.end_at - plan.start_at).total_seconds()
        progress = (moment - plan.start_at).total_seconds() / span
        processed = int(addressable * progress)
    failed = _scaled(plan.failed, processed, addressable)
    undelivered = _scaled(plan.undelivered, processed, addressable)
    read = _scaled(plan.read, processed, addressable)
    sent = processed - failed
    pending = addressable - processed
    if canceled:
        status, updated_at = "CANCELED", end
    elif now >= plan.end_at:
        status, updated_at = "COMPLETED", plan.end_at
    elif now >= plan.start_at:
        # Progress moves on every second; whole seconds keep updatedAt stable
        # between two reads in the same second.
        status, updated_at = "PROCESSING", now.replace(microsecond=0)
    else:
        status, updated_at = "SCHEDULED", plan.created_at
    counters = {
        "total": plan.recipients,
        "recipients": plan.recipients,
        "attempts": processed + failed,
        "unaddressable": plan.unaddressable,
        "scheduled": pending if status == "SCHEDULED" else 0,
        "queued": pending if status == "PROCESSING" else 0,
        "sent": sent,
        "delivered": sent - undelivered,
        "read": read,
        "opened": read,
        "undelivered": undelivered,
        "failed": failed,
        "canceled": pending if canceled else 0,
    }
    stats = {key: counters[key] for key in STATS_KEYS[plan.channel]}
    return OperationState(plan=plan, status=status, stats=stats, updated_at=updated_at)


@dataclass(slots=True)
class ChannelLog:
    """One channel's operations, kept sorted by creation time."""

    plans: list[OperationPlan] = field(default_factory=list)
    created: list[datetime] = field(default_factory=list)
    by_id: dict[str, OperationPlan] = field(default_factory=dict)

    def add(self, plan: OperationPlan) -> None:
        """Insert an operation in creation order."""
        index = bisect_right(self.created, plan.created_at)
        self.plans.insert(index, plan)
        self.created.insert(index, plan.created_at)
        self.by_id[plan.id] = plan

    def between(self, start: datetime, end: datetime) -> list[OperationPlan]:
        """Return operations created in [start, end), oldest first."""
        return self.plans[
            bisect_left(self.created, start) : bisect_left(self.created, end)
        ]


class World:
    """All operations of the emulated account, seeded and growing over time."""

    def __init__(self, config: EmulatorConfig, now: datetime) -> None:
        """Seed each channel's history relative to the current time."""
        self.config = config
        self.origin = now
        self.channels = {channel: ChannelLog() for channel in CHANNELS}
        self._sent = 0
        self._live_until: dict[str, int] = dict.fromkeys(CHANNELS, 0)
        # Seconds between operations appearing by themselves; switchable at
        # runtime, so a soak can keep every channel busy.
        self.live_interval = config.new_operation_interval
        for channel in CHANNELS:
            rng = random.Random(f"{config.seed}:{channel}")
            count = config.operations_per_channel
            active = round(count * config.active_fraction)
            for index in range(count):
                if index < active:
                    # In flight now: created within the last minute, long running.
                    created = now - timedelta(seconds=rng.uniform(0, 60))
                    self.channels[channel].add(
                        self._plan(channel, created, rng, min_duration=600)
                    )
                else:
                    created = now - config.span * rng.uniform(0.001, 1)
                    self.channels[channel].add(self._plan(channel, created, rng))

    def _plan(
        self,
        channel: str,
        created: datetime,
        rng: random.Random,
        *,
        recipients: int | None = None,
        send_at: datetime | None = None,
        min_duration: float = 0,
        addresses: tuple[str, ...] = (),
        tags: dict[str, str] | None = None,
    ) -> OperationPlan:
        """Draw one operation's life from the generator."""
        config = self.config
        if recipients is None:
            recipients = max(1, int(rng.lognormvariate(2.5, 1.5)) % 5000)
        unaddressable = int(recipients * rng.uniform(0, 0.02))
        addressable = recipients - unaddressable
        failed = min(
            addressable, round(addressable * rng.uniform(0, 2 * config.failure_rate))
        )
        undelivered = min(
            addressable - failed,
            round(addressable * rng.uniform(0, 2 * config.undelivered_rate)),
        )
        read = round((addressable - failed - undelivered) * config.read_rate)
        if send_at is not None:
            start = max(created, send_at)
        elif rng.random() < config.scheduled_fraction:
            start = created + timedelta(hours=rng.uniform(1, 6))
        else:
            start = created + timedelta(seconds=rng.uniform(1, 30))
        duration = max(min_duration, 20 + recipients * rng.uniform(0.05, 0.5))
        end = start + timedelta(seconds=min(duration, 3600))
        cancel_at = None
        if rng.random() < config.cancel_rate:
            cancel_at = created + (end - created) * rng.uniform(0.1, 0.9)
        return OperationPlan(
            id=make_id("comms_operation_", rng),
            channel=channel,
            created_at=created,
            start_at=start,
            end_at=end,
            cancel_at=cancel_at,
            recipients=recipients,
            unaddressable=unaddressable,
            failed=failed,
            undelivered=undelivered,
            read=read,
            tags=tags or {},
            addresses=addresses,
        )

    def set_live_interval(self, seconds: float, now: datetime) -> None:
        """Make operations appear every so many seconds from now on (0 stops it)."""
        self.advance(now)
        self.live_interval = seconds
        self.origin = now
        self._live_until = dict.fromkeys(CHANNELS, 0)

    def advance(self, now: datetime) -> None:
        """Add the operations that appeared on their own up to now."""
        interval = self.live_interval
        if interval <= 0:
            return
        due = int((now - self.origin).total_seconds() // interval)
        for channel in CHANNELS:
            for index in range(self._live_until[channel] + 1, due + 1):
                rng = random.Random(
                    f"{self.config.seed}:{channel}:live:{self.origin}:{index}"
                )
                created = self.origin + timedelta(seconds=index * interval)
                self.channels[channel].add(self._plan(channel, created, rng))
            self._live_until[channel] = max(self._live_until[channel], due)

    def send(
        self,
        channel: str,
        now: datetime,
        *,
        addresses: tuple[str, ...],
        send_at: datetime | None,
        tags: dict[str, str],
    ) -> OperationPlan:
        """Create the operation of a send request."""
        self._sent += 1
        rng = random.Random(f"{self.config.seed}:{channel}:send:{self._sent}")
        plan = self._plan(
            channel,
            now,
            rng,
            recipients=len(addresses),
            send_at=send_at,
            addresses=addresses,
            tags=tags,
        )
        self.channels[channel].add(plan)
        return plan

    def visible(self, channel: str, now: datetime) -> tuple[datetime, datetime]:
        """Return the creation range the API shows: the retention period, up to now."""
        del channel
        return now - RETENTION, now + timedelta(microseconds=1)

    def find(
        self, channel: str, operation_id: str, now: datetime
    ) -> OperationPlan | None:
        """Return a visible operation by id."""
        plan = self.channels[channel].by_id.get(operation_id)
        start, end = self.visible(channel, now)
        if plan is None or not start <= plan.created_at < end:
            return None
        return plan

    def operations(
        self,
        channel: str,
        now: datetime,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[OperationPlan]:
        """Return visible operations created in [start, end), newest first."""
        low, high = self.visible(channel, now)
        if start is not None:
            low = max(low, start)
        if end is not None:
            high = min(high, end)
        return self.channels[channel].between(low, high)[::-1]
