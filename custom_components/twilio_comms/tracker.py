"""Incremental tracking of one channel's operations (no Home Assistant imports).

The tracker keeps every operation created inside the statistics window and
refreshes it as cheaply as the Comms API allows:

- the first refresh lists the whole window;
- later refreshes list only what was created since the newest operation seen
  (one request while idle), plus, while anything is in flight, the scheduled
  and processing operations (two more requests), plus one fetch for each
  operation that left those lists, to read its final state;
- an operation is settled once it is terminal and its stats are complete, and
  is never fetched again;
- an operation this integration sent is followed: while the API does not list
  it yet, it is fetched by id.

A refresh is all-or-nothing: the new state is committed only after every
request succeeded, so a failure in the middle loses nothing.
"""

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Final

from .api import (
    CHANNEL_COUNTERS,
    MAX_PAGE_SIZE,
    Channel,
    Operation,
    OperationStats,
    OperationStatus,
    TwilioCommsClient,
    TwilioCommsNotFoundError,
)

# The statuses a tracked operation can still leave. UNKNOWN is among them: a
# status we cannot read is re-checked rather than trusted as final.
_UNSETTLED_STATUSES: Final = frozenset(
    {OperationStatus.SCHEDULED, OperationStatus.PROCESSING, OperationStatus.UNKNOWN}
)

# The statuses the API can filter on, to find what is still in flight.
_ACTIVE_FILTERS: Final = (OperationStatus.PROCESSING, OperationStatus.SCHEDULED)

# Sort key for an operation whose createdAt could not be read: oldest of all.
_NO_TIME: Final = datetime.min.replace(tzinfo=UTC)

# Overlap between the recent and the in-flight listings' creation ranges.
RANGE_SEAM: Final = timedelta(seconds=1)

# Beyond this many operations to re-read one by one, a single listing over
# their creation range is cheaper than a request each.
MAX_SINGLE_FETCHES: Final = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """An operation observed in a status it was not in before."""

    operation: Operation
    previous_status: OperationStatus | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelData:
    """What one channel's entities show, as of the latest successful refresh."""

    channel: Channel
    operations: Mapping[str, Operation]
    totals: Mapping[str, int]
    active_count: int
    latest: Operation | None
    latest_terminal: Operation | None
    transitions: tuple[Transition, ...]
    refresh_serial: int

    @property
    def failure_rate(self) -> float | None:
        """Return failed / (sent + failed + undelivered) in percent, if defined."""
        failed = self.totals.get("failed", 0)
        attempted = (
            failed + self.totals.get("sent", 0) + self.totals.get("undelivered", 0)
        )
        if attempted == 0:
            return None
        return round(100 * failed / attempted, 2)


def is_settled(operation: Operation, channel: Channel) -> bool:
    """Return whether an observation of an operation is final."""
    if operation.status in _UNSETTLED_STATUSES:
        return False
    stats = operation.stats
    return all(stats.get(key) is not None for key in CHANNEL_COUNTERS[channel])


def _is_older(current: Operation, previous: Operation | None) -> bool:
    """Return whether an observation predates the one already held."""
    return (
        previous is not None
        and previous.updated_at is not None
        and current.updated_at is not None
        and current.updated_at < previous.updated_at
    )


def _merge(previous: Operation | None, current: Operation) -> Operation:
    """Return the current observation, keeping counters it lacks from the previous one.

    The beta API sometimes omits stats keys; a missing counter means "not
    reported this time", not zero.
    """
    if previous is None:
        return current
    missing = {
        key: value
        for key, value in previous.stats.as_dict().items()
        if current.stats.get(key) is None
    }
    if not missing:
        return current
    stats = OperationStats.from_json({**missing, **current.stats.as_dict()})
    return replace(current, stats=stats)


@dataclass(slots=True, kw_only=True)
class ChannelTracker:
    """Keep one channel's operations in the window current, incrementally.

    Besides the operations, it keeps what entities read (totals, creation
    order, the unsettled and in-flight sets) up to date as observations come
    in, so a poll costs time in proportion to what changed, not to the size
    of the window.
    """

    client: TwilioCommsClient
    channel: Channel
    window: timedelta
    overlap: timedelta
    operations: dict[str, Operation] = field(default_factory=dict)
    refresh_serial: int = 0
    _totals: dict[str, int] = field(init=False)
    # (createdAt, id) of every tracked operation, oldest first.
    _order: list[tuple[datetime, str]] = field(default_factory=list)
    _unsettled: set[str] = field(default_factory=set)
    _in_flight: set[str] = field(default_factory=set)
    # Operations we sent that are not settled yet: id -> (from, until) when
    # they deserve a close watch.
    _followed: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Start every counter of the channel at zero."""
        self._totals = dict.fromkeys(CHANNEL_COUNTERS[self.channel], 0)

    @property
    def has_active(self) -> bool:
        """Return whether any tracked operation can still change."""
        return bool(self._unsettled)

    def follow(self, operation_id: str, start: datetime, until: datetime) -> None:
        """Follow an operation we sent from its send time until it settles (or until)."""
        self._followed[operation_id] = (start, until)

    def is_following(self, now: datetime) -> bool:
        """Return whether a send of ours is due, unsettled, and worth a close watch."""
        self._followed = {
            op_id: span for op_id, span in self._followed.items() if span[1] > now
        }
        return any(start <= now for start, _until in self._followed.values())

    async def async_refresh(self, now: datetime) -> ChannelData:
        """Bring the tracked operations up to date and return the channel's data."""
        window_start = now - self.window
        baseline = self.refresh_serial == 0
        gone: set[str] = set()
        if baseline:
            observed = await self._list(start_date=window_start)
        else:
            observed = await self._async_incremental(window_start, gone)
        return self._commit(observed, gone, window_start, baseline=baseline)

    async def _async_incremental(
        self, window_start: datetime, gone: set[str]
    ) -> list[Operation]:
        """Return what changed since the last refresh, at the fewest requests.

        Operations the API no longer knows (past retention) are added to gone.
        """
        newest = self._order[-1][0] if self._order else window_start
        recent_start = max(window_start, newest - self.overlap)
        observed = await self._list(start_date=recent_start)
        # A send the API does not list yet may still be readable by id.
        listed = {operation.id for operation in observed}
        for op_id in self._followed.keys() - self.operations.keys() - listed:
            try:
                observed.append(await self.client.get_operation(self.channel, op_id))
            except TwilioCommsNotFoundError:
                continue
        unsettled = set(self._unsettled)
        if not unsettled:
            return observed
        # The in-flight listings stop where the recent one starts, so no
        # operation is read twice; the ranges share a second because whether
        # the API's bounds are inclusive is undocumented.
        if recent_start > window_start:
            for status in _ACTIVE_FILTERS:
                observed.extend(
                    await self._list(
                        start_date=window_start,
                        end_date=recent_start + RANGE_SEAM,
                        status=status,
                    )
                )
        # An operation that left the in-flight lists reached a final status;
        # one seen with an unreadable status or partial stats needs a re-read.
        seen = {
            operation.id
            for operation in observed
            if operation.status in _ACTIVE_FILTERS
            or is_settled(operation, self.channel)
        }
        left = [self.operations[op_id] for op_id in unsettled - seen]
        if len(left) > MAX_SINGLE_FETCHES:
            oldest = min(
                (op.created_at or _NO_TIME for op in left), default=window_start
            )
            observed.extend(await self._list(start_date=max(window_start, oldest)))
        else:
            for operation in left:
                try:
                    observed.append(
                        await self.client.get_operation(self.channel, operation.id)
                    )
                except TwilioCommsNotFoundError:
                    gone.add(operation.id)
        return observed

    async def _list(
        self,
        *,
        start_date: datetime,
        end_date: datetime | None = None,
        status: OperationStatus | None = None,
    ) -> list[Operation]:
        """Return every operation created in [start_date, end_date), all pages."""
        return [
            operation
            async for operation in self.client.iter_operations(
                self.channel,
                page_size=MAX_PAGE_SIZE,
                start_date=start_date,
                end_date=end_date,
                status=status,
            )
        ]

    def _commit(
        self,
        observed: Iterable[Operation],
        gone: set[str],
        window_start: datetime,
        *,
        baseline: bool,
    ) -> ChannelData:
        """Fold observations into the tracked state and derive the channel's data."""
        transitions: list[Transition] = []
        for operation in observed:
            previous = self.operations.get(operation.id)
            if _is_older(operation, previous):
                # Listings answered a moment apart can disagree; the newer
                # observation stands.
                continue
            merged = _merge(previous, operation)
            previous_status = previous.status if previous else None
            if not baseline and merged.status not in {
                previous_status,
                OperationStatus.UNKNOWN,
            }:
                transitions.append(
                    Transition(operation=merged, previous_status=previous_status)
                )
            # Settled is judged on what the API said, not on the merge: a
            # final status with counters missing is no final observation.
            self._store(previous, merged, settled=is_settled(operation, self.channel))
        for op_id in gone:
            self._drop(op_id)
        # The order list is oldest first, so what left the window is a prefix.
        while self._order and self._order[0][0] < window_start:
            self._drop(self._order[0][1])
        self.refresh_serial += 1
        return self._snapshot(tuple(transitions))

    def _store(
        self, previous: Operation | None, operation: Operation, *, settled: bool
    ) -> None:
        """Hold a new observation, keeping totals, order and sets in step."""
        if previous is None:
            insort(self._order, (operation.created_at or _NO_TIME, operation.id))
        else:
            self._count(previous, -1)
        self._count(operation, 1)
        self.operations[operation.id] = operation
        if settled:
            self._followed.pop(operation.id, None)
        for members, belongs in (
            (self._unsettled, not settled),
            (self._in_flight, operation.status in _ACTIVE_FILTERS),
        ):
            if belongs:
                members.add(operation.id)
            else:
                members.discard(operation.id)

    def _drop(self, op_id: str) -> None:
        """Forget an operation, and its share of the totals."""
        operation = self.operations.pop(op_id, None)
        if operation is None:
            return
        self._count(operation, -1)
        self._order.pop(
            bisect_left(self._order, (operation.created_at or _NO_TIME, op_id))
        )
        self._unsettled.discard(op_id)
        self._in_flight.discard(op_id)

    def _count(self, operation: Operation, sign: int) -> None:
        """Add (sign 1) or remove (sign -1) an operation's counters from the totals."""
        stats = operation.stats
        for key in self._totals:
            self._totals[key] += sign * (stats.get(key) or 0)

    def _snapshot(self, transitions: tuple[Transition, ...]) -> ChannelData:
        """Return the immutable data entities read."""
        latest = self.operations[self._order[-1][1]] if self._order else None
        latest_terminal = next(
            (
                self.operations[op_id]
                for _created, op_id in reversed(self._order)
                if self.operations[op_id].status.is_terminal
            ),
            None,
        )
        return ChannelData(
            channel=self.channel,
            operations=MappingProxyType(dict(self.operations)),
            totals=MappingProxyType(dict(self._totals)),
            active_count=len(self._in_flight),
            latest=latest,
            latest_terminal=latest_terminal,
            transitions=transitions,
            refresh_serial=self.refresh_serial,
        )
