"""Deterministic operation plans: seeded history, live arrivals and sends."""

# Every plan comes from its own generator, seeded by a string naming the
# channel and the plan's place (history, the n-th live arrival, the n-th
# send), so one plan never shifts another and the same seed always gives the
# same account.

from collections.abc import Mapping
from datetime import datetime, timedelta
import random
from typing import Any, Final

from .channels import OPERATION_PREFIX
from .config import EmulatorConfig
from .ids import make_id
from .lifecycle import OperationPlan

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
        start = created + timedelta(seconds=rng.uniform(*START_DELAY_SECONDS))
    duration = max(
        min_duration,
        BASE_DURATION_SECONDS + recipients * rng.uniform(*SECONDS_PER_RECIPIENT),
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
        addresses=addresses,
        tags=tags,
        submitted=submitted,
    )
