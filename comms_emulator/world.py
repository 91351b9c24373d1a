"""The emulated account's operations (ids, deterministic plans and their log), and the messages it receives.

Ids are ULID-like, lower-case base32 without i, l, o, u (comms-api.md §2).
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
import random
from typing import Any, Final

from .config import (
    CHANNELS,
    DEFAULT_SENDERS,
    OPERATION_PREFIX,
    RESOURCE_PREFIX,
    RETENTION,
    EmulatorConfig,
    check_live_interval,
)
from .lifecycle import OperationPlan

# The documented id alphabet, [a-hjkmnpqrstv-z0-9].
ID_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"

# Ids start with 0-7: a ULID's 48-bit time leaves the first character's top bit 0.
FIRST_CHARACTERS: Final = "01234567"

# Characters after the prefix of an operation id (26, a ULID's length).
OPERATION_BODY_LENGTH: Final = 26

# Characters a resource id appends to its operation's body for the recipient
# index: 32**5 is far more than the 10,000 recipients a send may have, and
# 26 + 5 stays inside the documented 26–35 characters.
INDEX_LENGTH: Final = 5


def make_id(prefix: str, rng: random.Random) -> str:
    """Return a ULID-like Comms id drawn from a seeded generator."""
    return (
        prefix
        + rng.choice(FIRST_CHARACTERS)
        + "".join(rng.choice(ID_ALPHABET) for _ in range(OPERATION_BODY_LENGTH - 1))
    )


def resource_id(prefix: str, operation_id: str, index: int) -> str:
    """Return the id of an operation's resource for one recipient."""
    # The id embeds the operation's id and the index, so a fetch by id finds
    # its resource without an index of every resource ever created.
    digits = ""
    for _ in range(INDEX_LENGTH):
        index, digit = divmod(index, len(ID_ALPHABET))
        digits = ID_ALPHABET[digit] + digits
    return prefix + operation_id.removeprefix(OPERATION_PREFIX) + digits


def parse_resource_id(prefix: str, value: str) -> tuple[str, int] | None:
    """Return the operation id and recipient index a resource id embeds, if well formed."""
    body = value.removeprefix(prefix)
    if (
        body == value
        or len(body) != OPERATION_BODY_LENGTH + INDEX_LENGTH
        or body[0] not in FIRST_CHARACTERS
        or any(character not in ID_ALPHABET for character in body)
    ):
        return None
    index = 0
    for character in body[OPERATION_BODY_LENGTH:]:
        index = index * len(ID_ALPHABET) + ID_ALPHABET.index(character)
    return OPERATION_PREFIX + body[:OPERATION_BODY_LENGTH], index


# Deterministic operation plans: seeded history, live arrivals and sends.

# Every plan comes from its own generator, seeded by a string naming the
# channel and the plan's place (history, the n-th live arrival, the n-th
# send), so one plan never shifts another and the same seed always gives the
# same account.


# Recipients per send follow a long-tailed (log-normal) distribution: most
# sends reach a handful of people, a few reach thousands.
RECIPIENTS_MU: Final = 2.5
RECIPIENTS_SIGMA: Final = 1.5

# Sends reach at most this many recipients (the API allows 10,000; keeping
# seeded ones smaller keeps resource listings cheap).
MAX_SEEDED_RECIPIENTS: Final = 5000

# Up to this share of a send's recipients have no usable address.
MAX_UNADDRESSABLE_SHARE: Final = 0.02

# A send starts within this many seconds of its creation.
START_DELAY_SECONDS: Final = (1.0, 30.0)

# A send scheduled ahead starts this many hours after its creation.
SCHEDULED_AHEAD_HOURS: Final = (1.0, 6.0)

# Processing takes a fixed part plus a part per recipient, at most an hour.
BASE_DURATION_SECONDS: Final = 20.0
SECONDS_PER_RECIPIENT: Final = (0.05, 0.5)
MAX_DURATION_SECONDS: Final = 3600.0

# Seeded operations in flight at start were created in the last minute and
# run at least ten minutes, so tests and demos see them move.
ACTIVE_CREATED_WITHIN_SECONDS: Final = 60.0
ACTIVE_MIN_DURATION_SECONDS: Final = 600.0

# Seeded history starts just before now (not at now: those are the active ones).
HISTORY_NEWEST_SHARE: Final = 0.001

# A canceled operation stops between these shares of its life.
CANCEL_POINT: Final = (0.1, 0.9)


def draw_plan(
    config: EmulatorConfig,
    channel: str,
    created: datetime,
    rng: random.Random,
    *,
    recipients: int | None = None,
    send_at: datetime | None = None,
    starts_soon: bool = False,
    pace: float = 1.0,
    min_duration: float = 0.0,
    addresses: tuple[str, ...] = (),
    tags: dict[str, str] | None = None,
    submitted: Mapping[str, Any] | None = None,
) -> OperationPlan:
    """Draw one operation's life from a seeded generator."""
    # The order of draws is part of the seeded data: changing it changes
    # every seeded account (and the integration's snapshots).
    if recipients is None:
        drawn = int(rng.lognormvariate(RECIPIENTS_MU, RECIPIENTS_SIGMA))
        recipients = max(1, drawn % MAX_SEEDED_RECIPIENTS)
    unaddressable = int(recipients * rng.uniform(0, MAX_UNADDRESSABLE_SHARE))
    addressable = recipients - unaddressable
    # Each rate is the mean of a uniform draw, so operations differ.
    failed = min(
        addressable, round(addressable * rng.uniform(0, 2 * config.failure_rate))
    )
    undelivered = min(
        addressable - failed,
        round(addressable * rng.uniform(0, 2 * config.undelivered_rate)),
    )
    read = round((addressable - failed - undelivered) * config.read_rate)
    if send_at is not None and send_at > created:
        start = send_at
    elif not starts_soon and rng.random() < config.scheduled_fraction:
        start = created + timedelta(hours=rng.uniform(*SCHEDULED_AHEAD_HOURS))
    else:
        start = created + timedelta(seconds=pace * rng.uniform(*START_DELAY_SECONDS))
    duration = max(
        min_duration,
        pace
        * (BASE_DURATION_SECONDS + recipients * rng.uniform(*SECONDS_PER_RECIPIENT)),
    )
    end = start + timedelta(seconds=min(duration, MAX_DURATION_SECONDS))
    cancel_at = None
    if rng.random() < config.cancel_rate:
        cancel_at = created + (end - created) * rng.uniform(*CANCEL_POINT)
    return OperationPlan(
        id=make_id(OPERATION_PREFIX, rng),
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
        submitted=submitted,
        send_at=send_at,
    )


def seed_history(
    config: EmulatorConfig, channel: str, now: datetime
) -> list[OperationPlan]:
    """Return a channel's seeded operations, relative to now."""
    rng = random.Random(f"{config.seed}:{channel}")
    count = config.operations_per_channel
    active = round(count * config.active_fraction)
    plans = []
    for index in range(count):
        if index < active:
            created = now - timedelta(
                seconds=rng.uniform(0, ACTIVE_CREATED_WITHIN_SECONDS)
            )
            plans.append(
                draw_plan(
                    config,
                    channel,
                    created,
                    rng,
                    min_duration=ACTIVE_MIN_DURATION_SECONDS,
                )
            )
        else:
            created = now - config.span * rng.uniform(HISTORY_NEWEST_SHARE, 1)
            plans.append(draw_plan(config, channel, created, rng))
    return plans


def live_plan(
    config: EmulatorConfig, channel: str, origin: datetime, interval: float, index: int
) -> OperationPlan:
    """Return the index-th operation that appears on its own after origin."""
    rng = random.Random(f"{config.seed}:{channel}:live:{origin}:{index}")
    created = origin + timedelta(seconds=index * interval)
    return draw_plan(config, channel, created, rng)


def send_plan(
    config: EmulatorConfig,
    channel: str,
    created: datetime,
    number: int,
    *,
    addresses: tuple[str, ...],
    send_at: datetime | None,
    tags: dict[str, str],
    submitted: Mapping[str, Any] | None,
) -> OperationPlan:
    """Return the plan of the number-th send request."""
    rng = random.Random(f"{config.seed}:{channel}:send:{number}")
    return draw_plan(
        config,
        channel,
        created,
        rng,
        recipients=len(addresses),
        send_at=send_at,
        # A send without a schedule goes out at once.
        starts_soon=True,
        pace=config.send_pace,
        addresses=addresses,
        tags=tags,
        submitted=submitted,
    )


# The emulated account's operations: kept in creation order, growing over time, expiring.


# Operations that appear on their own in one catch-up, at most per channel.
MAX_ARRIVALS: Final = 10_000


# A position in newest-first order: the (created_at, id) of an operation.
type Position = tuple[datetime, str]


@dataclass(slots=True)
class ChannelLog:
    """One channel's operations, sorted by (created_at, id)."""

    # The parallel list of creation times lets date filters, retention and
    # page tokens find their place by bisection instead of by scanning.

    plans: list[OperationPlan] = field(default_factory=list)
    created: list[datetime] = field(default_factory=list)
    by_id: dict[str, OperationPlan] = field(default_factory=dict)

    def position(self, created_at: datetime, operation_id: str) -> int:
        """Return how many operations sort before (created_at, operation_id)."""
        low = bisect_left(self.created, created_at)
        high = bisect_right(self.created, created_at)
        # Equal creation times are rare (sends at one frozen instant), so the
        # tie range is scanned rather than indexed.
        return low + sum(1 for plan in self.plans[low:high] if plan.id < operation_id)

    def add(self, plan: OperationPlan) -> None:
        """Insert an operation in order."""
        index = self.position(plan.created_at, plan.id)
        self.plans.insert(index, plan)
        self.created.insert(index, plan.created_at)
        self.by_id[plan.id] = plan

    def extend(self, plans: Iterable[OperationPlan]) -> None:
        """Add many operations at once: one sort instead of an insertion each."""
        self.plans = sorted(
            [*self.plans, *plans], key=lambda plan: (plan.created_at, plan.id)
        )
        self.created = [plan.created_at for plan in self.plans]
        self.by_id = {plan.id: plan for plan in self.plans}

    def drop_before(self, moment: datetime) -> None:
        """Forget the operations created before a moment."""
        count = bisect_left(self.created, moment)
        if count:
            for plan in self.plans[:count]:
                self.by_id.pop(plan.id, None)
            del self.plans[:count], self.created[:count]

    def newest_first(
        self, low: datetime, high: datetime, before: Position | None = None
    ) -> Iterator[OperationPlan]:
        """Yield operations created in [low, high) newest first, after a position."""
        start = bisect_left(self.created, low)
        stop = bisect_left(self.created, high)
        if before is not None:
            stop = min(stop, self.position(*before))
        for index in range(stop - 1, start - 1, -1):
            yield self.plans[index]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedMessage:
    """A message someone sent to one of the account's senders: no operation of ours."""

    id: str
    received_at: datetime
    from_address: str
    to_address: str
    text: str
    # The message's own channel (SMS, WHATSAPP, …), not the API's Messages.
    channel: str


def _ceil_second(moment: datetime) -> datetime:
    """Return a moment rounded up to a whole second."""
    # The API shows creation times to the second, so a bound compares with
    # the time a client sees: the operation created at 12:00:00.4 shows
    # 12:00:00Z and is not "created before 12:00:00Z".
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


class World:
    """All operations of the emulated account, seeded and growing over time, and the messages it received."""

    def __init__(self, config: EmulatorConfig, now: datetime) -> None:
        """Seed each channel's history relative to the current time."""
        self.config = config
        self.channels = {channel: ChannelLog() for channel in CHANNELS}
        for channel, log in self.channels.items():
            log.extend(seed_history(config, channel, now))
        self._sends = 0
        # Operations appear on their own every live_interval seconds after
        # origin; _arrived of them are in the logs. Evaluated lazily against
        # the clock, so simulated time needs no background task.
        self.live_interval = config.new_operation_interval
        self.origin = now
        self._arrived = 0
        # Messages received, oldest first; and the addresses that can receive
        # them: the default sender and every one a send went out from.
        self.received: dict[str, ReceivedMessage] = {}
        self._receipts = 0
        self.senders = {DEFAULT_SENDERS["Messages"]["address"]}

    def set_live_interval(self, seconds: float, now: datetime) -> None:
        """Make operations appear every so many seconds from now on (0 stops it)."""
        check_live_interval(seconds)
        self.advance(now)
        self.live_interval = seconds
        self.origin = now
        self._arrived = 0

    def advance(self, now: datetime) -> None:
        """Add the operations that appeared on their own up to now, forget expired ones."""
        interval = self.live_interval
        if interval > 0:
            due = int((now - self.origin).total_seconds() // interval)
            # Arrivals already past retention would be forgotten at once.
            expired = (now - RETENTION - self.origin).total_seconds() / interval
            # However far the clock jumped, one call adds a bounded number.
            first = max(self._arrived + 1, math.ceil(expired), due - MAX_ARRIVALS + 1)
            for index in range(first, due + 1):
                for channel in CHANNELS:
                    self.channels[channel].add(
                        live_plan(self.config, channel, self.origin, interval, index)
                    )
            self._arrived = max(self._arrived, due)
        for log in self.channels.values():
            log.drop_before(now - RETENTION)
        while self.received:
            oldest = next(iter(self.received.values()))
            if oldest.received_at >= now - RETENTION:
                break
            del self.received[oldest.id]

    def send(
        self,
        channel: str,
        now: datetime,
        *,
        addresses: tuple[str, ...],
        send_at: datetime | None,
        tags: dict[str, str],
        submitted: Mapping[str, Any] | None = None,
    ) -> OperationPlan:
        """Create the operation of a send request: one resource per address."""
        if not addresses:
            raise ValueError("a send needs at least one recipient")
        self._sends += 1
        plan = send_plan(
            self.config,
            channel,
            now,
            self._sends,
            addresses=addresses,
            send_at=send_at,
            tags=tags,
            submitted=submitted,
        )
        self.channels[channel].add(plan)
        sender = (submitted or {}).get("from")
        if channel == "Messages" and isinstance(sender, Mapping):
            address = sender.get("address")
            if isinstance(address, str) and address:
                self.senders.add(address)
        return plan

    def receive(
        self,
        now: datetime,
        *,
        from_address: str,
        to_address: str,
        text: str,
        channel: str,
    ) -> ReceivedMessage:
        """Receive a message at one of the account's senders (ValueError otherwise)."""
        if to_address not in self.senders:
            known = ", ".join(sorted(self.senders))
            raise ValueError(f"{to_address!r} is not a sender of the account ({known})")
        if not from_address or not channel:
            raise ValueError("a message received needs a sender and a channel")
        # An id of its own generator, as sends have, and shorter than a sent
        # message's (no recipient index): it can never name a sent one.
        self._receipts += 1
        rng = random.Random(f"{self.config.seed}:Messages:received:{self._receipts}")
        message = ReceivedMessage(
            id=make_id(RESOURCE_PREFIX["Messages"], rng),
            received_at=now,
            from_address=from_address,
            to_address=to_address,
            text=text,
            channel=channel,
        )
        self.received[message.id] = message
        return message

    @staticmethod
    def _bounds(
        now: datetime, start: datetime | None, end: datetime | None
    ) -> tuple[datetime, datetime]:
        """Return the creation times [low, high) visible now and inside [start, end)."""
        low = now - RETENTION
        if start is not None:
            low = max(low, _ceil_second(start))
        high = now + timedelta(microseconds=1)
        if end is not None:
            high = min(high, _ceil_second(end))
        return low, high

    def find(
        self,
        channel: str,
        operation_id: str,
        now: datetime,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> OperationPlan | None:
        """Return a visible operation by id, if created in [start, end)."""
        plan = self.channels[channel].by_id.get(operation_id)
        low, high = self._bounds(now, start, end)
        if plan is None or not low <= plan.created_at < high:
            return None
        return plan

    def newest_first(
        self,
        channel: str,
        now: datetime,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        before: Position | None = None,
    ) -> Iterator[OperationPlan]:
        """Yield operations visible now (retention) created in [start, end), newest first, after a position."""
        low, high = self._bounds(now, start, end)
        return self.channels[channel].newest_first(low, high, before)

    def operations(
        self,
        channel: str,
        now: datetime,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[OperationPlan]:
        """Return visible operations created in [start, end), newest first."""
        return list(self.newest_first(channel, now, start=start, end=end))
