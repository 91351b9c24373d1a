"""The emulated account's operations: kept in creation order, growing over time, expiring."""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
from typing import Any, Final

from .channels import CHANNELS
from .config import RETENTION, EmulatorConfig, check_live_interval
from .lifecycle import OperationPlan
from .seeding import live_plan, seed_history, send_plan

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


def _ceil_second(moment: datetime) -> datetime:
    """Return a moment rounded up to a whole second."""
    # The API shows creation times to the second, so a bound compares with
    # the time a client sees: the operation created at 12:00:00.4 shows
    # 12:00:00Z and is not "created before 12:00:00Z".
    if moment.microsecond:
        return moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


class World:
    """All operations of the emulated account, seeded and growing over time."""

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
        return plan

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
