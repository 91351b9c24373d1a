"""Incremental tracking of one channel's operations (no Home Assistant imports).

The tracker keeps every operation created inside the statistics window and
refreshes it as cheaply as the Comms API allows:

- the first refresh lists the whole window;
- later refreshes list what was created since the newest trusted creation
  time (one request while idle), plus, while anything is in flight, the
  scheduled and processing operations (two more requests), plus one fetch
  for each operation that left those lists (one listing instead when more
  than MAX_SINGLE_FETCHES left);
- an operation in a status this version does not know is re-read on a
  backoff of its own;
- an operation this integration sent is followed: while the API does not
  list it yet, it is fetched by id, at most MAX_FOLLOW_FETCHES a refresh,
  and one that answers 404 on a backoff of its own (FOLLOW_RETRY doubling
  up to MAX_FOLLOW_RETRY) until its follow ends.

Invariants, each tested in tests/test_tracker.py and all of them together by
the state machine in tests/test_tracker_machine.py:

1. Place: an operation's order key is fixed when it is first seen: its
   createdAt, or the time it was first observed when createdAt is missing,
   unreadable or in the future. No later observation moves or loses it, and
   the order index always holds exactly the tracked ids.
2. All or nothing: a refresh builds the new state apart and swaps it in only
   when complete. An exception at any point leaves the previous state as it
   was, and the next refresh works.
3. Settled means terminal (COMPLETED, CANCELED). Missing counters never keep
   an operation unsettled: a terminal observation lacking counters that an
   earlier observation of it, or another operation of the channel, reported
   is read once more, then settled on what the API gave.
4. An unknown status is re-read at recheck_after, then at doubling intervals
   up to MAX_RECHECK; it does not count as active.
5. Never backward: a newer observation (by updatedAt) wins; with equal or
   missing updatedAt, the more advanced status wins (an unknown status ranks
   lowest, but in a fetch of an operation that left the in-flight listings,
   where it ranks after them and before the final ones).
6. Announced once: a transition is reported only into a known status more
   advanced than any known one the operation was seen in, so no status is
   announced twice.
7. Creation times that cannot be trusted never move the start of the
   incremental listing, and neither does an operation read on its own
   (an event named it): the listing must still see what was created
   before it and not listed yet.
8. A window longer than the page cap keeps what was read (listings are
   newest first), says it is truncated, and goes on incrementally.
9. Pruning removes a prefix of the order index, found by bisection: its work
   is proportional to what it drops, and it ends.
10. Counted once: each lifetime figure grows by what an operation's figure
    rose above the highest it was counted at (its mark), and never shrinks.
    An operation's marks live as long as it is tracked and are restored,
    with the figures, after a restart; an operation older than where an
    earlier run's window started is never counted, so a longer window after
    a restart cannot count it again.
11. Nothing to read for: shows_at_least holds only for a tracked operation
    shown in a known status as far along as the known status asked about.
    An unknown status on either side, or an untracked operation, never
    holds.
"""

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import chain
import logging
from types import MappingProxyType
from typing import Any, Final

from .client import MAX_PAGE_SIZE, TwilioCommsClient
from .exceptions import TwilioCommsNotFoundError, TwilioCommsPageLimitError
from .models import (
    CHANNEL_COUNTERS,
    Channel,
    Operation,
    OperationStats,
    OperationStatus,
)

_LOGGER = logging.getLogger(__package__)

# The statuses the API can filter on, to find what is still in flight.
_ACTIVE_FILTERS: Final = (OperationStatus.PROCESSING, OperationStatus.SCHEDULED)

# How far along its life each known status is.
_RANK: Final = {
    OperationStatus.SCHEDULED: 0,
    OperationStatus.PROCESSING: 1,
    OperationStatus.COMPLETED: 3,
    OperationStatus.CANCELED: 3,
}

# The peak of an operation seen in no status this version knows.
_NO_PEAK: Final = -1


def _rank(status: OperationStatus, *, left_flight: bool) -> int:
    """Return how far along a status is, to compare two answers.

    An unknown status ranks lowest, since nothing says it is further along;
    except in the answer to a fetch of an operation the in-flight listings no
    longer show, which has left scheduled and processing but is not known to
    be final.
    """
    if status is OperationStatus.UNKNOWN:
        return 2 if left_flight else _NO_PEAK
    return _RANK[status]


def _known_rank(status: OperationStatus) -> int:
    """Return a status's rank for announcements; an unknown one announces nothing."""
    return _RANK.get(status, _NO_PEAK)


# Overlap between the recent and the in-flight listings' creation ranges.
RANGE_SEAM: Final = timedelta(seconds=1)

# Beyond this many operations to re-read one by one, a single listing over
# their creation range is cheaper than a request each.
MAX_SINGLE_FETCHES: Final = 10

# Followed sends not listed yet that one refresh reads by id, at most: a burst
# of sends costs a few requests a poll, not one each.
MAX_FOLLOW_FETCHES: Final = 10

# The first wait before a followed send that answered 404 is read again, and
# the longest: over a 15-minute follow, about eight reads instead of 180.
FOLLOW_RETRY: Final = timedelta(seconds=10)
MAX_FOLLOW_RETRY: Final = timedelta(minutes=2)

# A createdAt further ahead of our clock than this is not believed: clocks
# drift by seconds, not minutes.
CLOCK_SKEW: Final = timedelta(minutes=5)

# The longest wait between re-reads of an operation in an unknown status.
MAX_RECHECK: Final = timedelta(hours=1)

# Counters that measure recipients Twilio has not finished with, or never
# attempted; whatever the reading, the rest of total is finished.
_UNFINISHED_COUNTERS: Final = ("scheduled", "queued", "unaddressable", "canceled")

# Counters of recipients the send did not reach: failed inside Twilio, or
# sent but not delivered.
_NOT_REACHED_COUNTERS: Final = ("failed", "undelivered")

# Counters of recipients the send reached; read and opened ones are delivered
# too, whether or not the delivered counter still holds them.
_REACHED_COUNTERS: Final = ("delivered", "read", "opened")

# The counters that place a recipient somewhere in a send's life. When the
# counters split recipients by current state they add up to total at most;
# when they add up to more, they overlap (comms-api.md §10).
_STATE_COUNTERS: Final = (
    *_UNFINISHED_COUNTERS,
    "sent",
    *_REACHED_COUNTERS,
    *_NOT_REACHED_COUNTERS,
)

# The figures lifetime counting follows, in the order of an operation's marks.
LIFETIME_FIGURES: Final = ("finished", "not_reached", "delivered")
_UNCOUNTED: Final = (0, 0, 0)


def failure_rate(counters: Mapping[str, int]) -> float | None:
    """Return the share, in percent, of finished recipients the send did not reach.

    (failed + undelivered) / (total - scheduled - queued - unaddressable -
    canceled): right whether the counters split recipients by current state
    or overlap (comms-api.md §10), since both leave the finished ones as the
    rest of total. A counter not reported counts as 0; without total, or with
    nothing finished, the rate is undefined.
    """
    finished = _finished(counters)
    if not finished:
        return None
    not_reached = sum(counters.get(key, 0) for key in _NOT_REACHED_COUNTERS)
    # Counters from different moments can disagree; a share stays a share.
    return round(100 * min(not_reached, finished) / finished, 2)


def _finished(counters: Mapping[str, int]) -> int | None:
    """Return how many recipients Twilio has finished with, None without total."""
    total = counters.get("total")
    if total is None:
        return None
    return max(0, total - sum(counters.get(key, 0) for key in _UNFINISHED_COUNTERS))


def lifetime_figures(
    counters: Mapping[str, int],
) -> tuple[int | None, int | None, int | None]:
    """Return an operation's figures for lifetime counting (LIFETIME_FIGURES order).

    Each is one that only grows over an operation's life under either
    reading of the counters (comms-api.md §10), None when not reported:
    the recipients Twilio finished with, as the failure rate counts them;
    those it did not reach (failed or undelivered); and those it reached.
    Split by current state, a read or opened recipient has left delivered,
    so reached is their sum; overlapping, delivered holds them already.
    """
    not_reached = None
    if any(key in counters for key in _NOT_REACHED_COUNTERS):
        not_reached = sum(counters.get(key, 0) for key in _NOT_REACHED_COUNTERS)
    reached = None
    if any(key in counters for key in _REACHED_COUNTERS):
        reached_counts = [counters.get(key, 0) for key in _REACHED_COUNTERS]
        placed = sum(counters.get(key, 0) for key in _STATE_COUNTERS)
        overlap = placed > counters.get("total", placed)
        reached = max(reached_counts) if overlap else sum(reached_counts)
    return _finished(counters), not_reached, reached


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
    # Per counter, the sum over the operations that report it; a counter no
    # operation reports is absent, not 0.
    totals: Mapping[str, int]
    active_count: int
    latest: Operation | None
    latest_terminal: Operation | None
    transitions: tuple[Transition, ...]
    refresh_serial: int
    # The window holds more operations than one listing may read; the
    # oldest ones are missing from the totals.
    truncated: bool = False
    # Per lifetime figure, what was counted since the first refresh of the
    # first run (invariant 10); a figure no operation reported is absent.
    lifetime: Mapping[str, int] = field(default_factory=dict)

    @property
    def failure_rate(self) -> float | None:
        """Return the window's failure rate in percent, if defined."""
        return failure_rate(self.totals)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Entry:
    """What the tracker knows of one operation besides its latest observation."""

    # Fixed at first sight (invariant 1).
    order_key: datetime
    # createdAt when it could be trusted: where a listing must start to see it.
    created: datetime | None
    # Rank of the most advanced known status the operation was seen in.
    peak: int
    # Read again at the next refresh: in flight, or a terminal observation
    # that lacked counters (counts as active).
    pending: bool
    # A terminal observation lacking counters was already read once more.
    reread: bool = False
    # Unknown status: when to read it again, and the wait that led there.
    recheck_at: datetime | None = None
    recheck_step: timedelta | None = None
    # The highest of each lifetime figure counted for it (invariant 10).
    counted: tuple[int, int, int] = _UNCOUNTED


@dataclass(slots=True, kw_only=True)
class _State:
    """One channel's tracked state; replaced whole by each refresh (invariant 2)."""

    operations: dict[str, Operation] = field(default_factory=dict)
    entries: dict[str, _Entry] = field(default_factory=dict)
    # (order key, id) of every tracked operation, oldest first.
    order: list[tuple[datetime, str]] = field(default_factory=list)
    # Per counter: the sum, and how many operations report it.
    totals: dict[str, int] = field(default_factory=dict)
    reporters: dict[str, int] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    in_flight: set[str] = field(default_factory=set)
    # The newest trusted createdAt seen: where the incremental listing starts.
    newest_created: datetime | None = None
    # Operations created before this may be missing (invariant 8).
    truncated_before: datetime | None = None
    serial: int = 0
    # Lifetime counting (invariant 10): the figures; operations created
    # before counted_from are not counted; an earlier run's marks of
    # operations not seen again yet, kept until the window passes
    # restored_until.
    lifetime: dict[str, int] = field(default_factory=dict)
    counted_from: datetime | None = None
    restored: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    restored_until: datetime | None = None

    def copy(self) -> _State:
        """Return a copy that can change without touching this one."""
        return replace(
            self,
            operations=dict(self.operations),
            entries=dict(self.entries),
            order=list(self.order),
            totals=dict(self.totals),
            reporters=dict(self.reporters),
            pending=set(self.pending),
            unknown=set(self.unknown),
            in_flight=set(self.in_flight),
            lifetime=dict(self.lifetime),
            restored=dict(self.restored),
        )


def _supersedes(current: Operation, held: Operation, *, left_flight: bool) -> bool:
    """Return whether an observation replaces the one held (invariant 5)."""
    if current.updated_at is not None and held.updated_at is not None:
        if current.updated_at != held.updated_at:
            return current.updated_at > held.updated_at
    return _rank(current.status, left_flight=left_flight) >= _rank(
        held.status, left_flight=left_flight
    )


def _merge(previous: Operation, current: Operation) -> Operation:
    """Return the current observation, keeping counters it lacks from the previous one.

    The beta API sometimes omits stats keys; a missing counter means "not
    reported this time", not zero.
    """
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
    """Keep one channel's operations in the window current, incrementally."""

    client: TwilioCommsClient
    channel: Channel
    window: timedelta
    overlap: timedelta
    # The first wait before an operation in an unknown status is read again.
    recheck_after: timedelta = timedelta(minutes=2)
    max_pages: int = 100
    _state: _State = field(default_factory=_State)
    # Operations we sent that are not settled yet: id -> (from, until) when
    # they deserve a close watch.
    _followed: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    # Followed sends that answered 404: when to read them again, and the wait
    # that led there.
    _follow_retry: dict[str, tuple[datetime, timedelta]] = field(default_factory=dict)

    @property
    def has_active(self) -> bool:
        """Return whether any tracked operation is expected to change soon."""
        return bool(self._state.pending)

    def shows_at_least(self, operation_id: str, status: OperationStatus) -> bool:
        """Return whether the operation is shown in status or further along (invariant 11).

        Never for an unknown status on either side: nothing says how far
        along it is.
        """
        operation = self._state.operations.get(operation_id)
        if operation is None or status is OperationStatus.UNKNOWN:
            return False
        return _known_rank(operation.status) >= _known_rank(status)

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
        state = self._state
        window_start = now - self.window
        baseline = state.serial == 0
        gone: set[str] = set()
        left: set[str] = set()
        unfound: set[str] = set()
        if baseline:
            observed, truncated = await self._list(start_date=window_start)
        else:
            observed, truncated = await self._async_incremental(
                state, now, window_start, gone=gone, left=left, unfound=unfound
            )
        new = state.copy()
        transitions = self._fold(
            new, observed, now, window_start, left, baseline=baseline
        )
        for op_id in gone & new.entries.keys():
            new.order.pop(bisect_left(new.order, (new.entries[op_id].order_key, op_id)))
            _forget(new, op_id, self.channel)
        if truncated is not None:
            self._truncate(new, truncated, now)
        self._prune(new, window_start)
        new.serial += 1
        data = self._snapshot(new, tuple(transitions))
        self._state = new
        # Follows end once the operation settled (or in an unknown status).
        self._followed = {
            op_id: span
            for op_id, span in self._followed.items()
            if op_id not in new.entries or op_id in new.pending
        }
        self._back_off_follows(unfound, now)
        return data

    async def async_read(self, operation_id: str, now: datetime) -> ChannelData:
        """Read one operation an event named and fold it in as a refresh's answer.

        Its transitions are announced as a refresh's are, so the refresh that
        sees the same answer later announces nothing (invariant 6). The
        caller serialises this with async_refresh: each builds on the state
        the other left.
        """
        state = self._state
        operation = await self.client.get_operation(self.channel, operation_id)
        new = state.copy()
        window_start = now - self.window
        transitions = self._fold(
            new, [operation], now, window_start, set(), baseline=state.serial == 0
        )
        new.newest_created = state.newest_created
        self._prune(new, window_start)
        new.serial += 1
        data = self._snapshot(new, tuple(transitions))
        self._state = new
        return data

    def _back_off_follows(self, unfound: set[str], now: datetime) -> None:
        """Put followed sends that answered 404 on their next, longer wait."""
        retry = {
            op_id: self._follow_retry[op_id]
            for op_id in self._followed.keys() & self._follow_retry.keys()
        }
        for op_id in unfound & self._followed.keys():
            step = FOLLOW_RETRY
            if op_id in retry:
                step = min(2 * retry[op_id][1], MAX_FOLLOW_RETRY)
            retry[op_id] = (now + step, step)
        self._follow_retry = retry

    def _follows_due(self, state: _State, listed: set[str], now: datetime) -> list[str]:
        """Return the followed sends to read by id now, oldest follow first, capped."""
        due = [
            op_id
            for op_id in self._followed
            if op_id not in state.entries
            and op_id not in listed
            and (op_id not in self._follow_retry or self._follow_retry[op_id][0] <= now)
        ]
        return due[:MAX_FOLLOW_FETCHES]

    async def _async_incremental(
        self,
        state: _State,
        now: datetime,
        window_start: datetime,
        *,
        gone: set[str],
        left: set[str],
        unfound: set[str],
    ) -> tuple[list[Operation], list[Operation] | None]:
        """Return what changed since the last refresh, at the fewest requests.

        Operations the API no longer knows (past retention) are added to gone,
        those fetched because the in-flight listings no longer show them to
        left, and followed sends it does not know (yet) to unfound.
        """
        recent_start = window_start
        if state.newest_created is not None:
            recent_start = max(window_start, state.newest_created - self.overlap)
        observed, truncated = await self._list(start_date=recent_start)
        # A send the API does not list yet may still be readable by id.
        listed = {operation.id for operation in observed}
        for op_id in self._follows_due(state, listed, now):
            try:
                observed.append(await self.client.get_operation(self.channel, op_id))
            except TwilioCommsNotFoundError:
                unfound.add(op_id)
        # The in-flight listings stop where the recent one starts, so no
        # operation is read twice; the ranges share a second because whether
        # the API's bounds are inclusive is undocumented.
        if state.pending and recent_start > window_start:
            for status in _ACTIVE_FILTERS:
                in_flight, _truncated = await self._list(
                    start_date=window_start,
                    end_date=recent_start + RANGE_SEAM,
                    status=status,
                )
                observed.extend(in_flight)
        # What is pending and was not in those lists reached another status;
        # an unknown status is read again when its wait is over.
        seen = {operation.id for operation in observed}
        due = [
            op_id
            for op_id in state.pending | state.unknown
            if op_id not in seen
            and (op_id in state.pending or _recheck_due(state.entries[op_id], now))
        ]
        if len(due) > MAX_SINGLE_FETCHES:
            starts = (state.entries[op_id].created for op_id in due)
            oldest = min((start or window_start for start in starts), default=now)
            more, _truncated = await self._list(start_date=max(window_start, oldest))
            observed.extend(more)
            return observed, truncated
        for op_id in due:
            try:
                observed.append(await self.client.get_operation(self.channel, op_id))
            except TwilioCommsNotFoundError:
                gone.add(op_id)
            else:
                left.add(op_id)
        return observed, truncated

    async def _list(
        self,
        *,
        start_date: datetime,
        end_date: datetime | None = None,
        status: OperationStatus | None = None,
    ) -> tuple[list[Operation], list[Operation] | None]:
        """Return the operations created in [start_date, end_date), all pages.

        The second value is what was read when the listing ran past the page
        cap (it is then the newest part), else None.
        """
        operations: list[Operation] = []
        try:
            async for operation in self.client.iter_operations(
                self.channel,
                page_size=MAX_PAGE_SIZE,
                start_date=start_date,
                end_date=end_date,
                status=status,
                max_pages=self.max_pages,
            ):
                # A loop, not a comprehension: what was read before the page
                # cap must survive it.
                operations.append(operation)  # noqa: PERF401
        except TwilioCommsPageLimitError:
            return operations, operations
        return operations, None

    def _fold(
        self,
        new: _State,
        observed: list[Operation],
        now: datetime,
        window_start: datetime,
        left: set[str],
        *,
        baseline: bool,
    ) -> list[Transition]:
        """Fold observations into the new state; return the transitions to announce."""
        transitions: list[Transition] = []
        channel = self.channel
        for operation in observed:
            entry = new.entries.get(operation.id)
            previous: Operation | None = None
            if entry is None:
                created = operation.created_at
                if created is not None and created > now + CLOCK_SKEW:
                    created = None
                order_key = created or now
                if order_key < window_start:
                    # The seam or an inclusive bound showed one just outside.
                    continue
                entry = _Entry(
                    order_key=order_key,
                    created=created,
                    peak=_known_rank(operation.status),
                    pending=False,
                    counted=new.restored.pop(operation.id, _UNCOUNTED),
                )
                insort(new.order, (order_key, operation.id))
                # A createdAt a little ahead of our clock is believed for the
                # order, but "created since" never starts after now.
                if created is not None and (
                    new.newest_created is None or created > new.newest_created
                ):
                    new.newest_created = min(created, now)
                shown = operation
            else:
                previous = new.operations[operation.id]
                if operation == previous and not (
                    entry.pending or operation.id in new.unknown
                ):
                    # The same settled answer again (the "created since"
                    # listing repeats its newest operations each poll):
                    # nothing can change, so idle polls cost next to nothing.
                    continue
                if not _supersedes(
                    operation, previous, left_flight=operation.id in left
                ):
                    # Listings answered a moment apart can disagree; the
                    # newer observation stands.
                    continue
                _discount(new, operation.id, channel)
                shown = _merge(previous, operation)
            rank = _known_rank(shown.status)
            if (
                not baseline
                and rank != _NO_PEAK
                and (previous is None or rank > entry.peak)
            ):
                transitions.append(
                    Transition(
                        operation=shown,
                        previous_status=previous.status if previous else None,
                    )
                )
            if rank > entry.peak:
                entry = replace(entry, peak=rank)
            entry = self._next_entry(
                entry,
                previous,
                new.reporters,
                operation,
                now,
            )
            _add(new, shown, _count(new, shown, entry), channel)
        return transitions

    def _next_entry(
        self,
        entry: _Entry,
        previous: Operation | None,
        reporters: Iterable[str],
        operation: Operation,
        now: datetime,
    ) -> _Entry:
        """Return what follows from an observation: read again, recheck or settled."""
        status = operation.status
        if status is OperationStatus.UNKNOWN:
            if entry.recheck_at is not None and now < entry.recheck_at:
                return replace(entry, pending=False)
            step = self.recheck_after
            if entry.recheck_step is not None:
                step = min(2 * entry.recheck_step, MAX_RECHECK)
            return replace(
                entry, pending=False, recheck_at=now + step, recheck_step=step
            )
        if not status.is_terminal:
            return replace(entry, pending=True, recheck_at=None, recheck_step=None)
        # A key the channel's other operations report, missing from one
        # answer, is most likely missing from that answer alone; a key no
        # operation reports is missing for good and is not waited for.
        reported = operation.stats.as_dict()
        earlier = previous.stats.as_dict() if previous is not None else {}
        lacking = any(key not in reported for key in chain(reporters, earlier))
        reread = lacking and not entry.reread
        return replace(
            entry,
            pending=reread,
            reread=entry.reread or reread,
            recheck_at=None,
            recheck_step=None,
        )

    def _truncate(self, new: _State, read: list[Operation], now: datetime) -> None:
        """Note that operations older than those read may be missing (invariant 8)."""
        oldest = min(
            (new.entries[op.id].order_key for op in read if op.id in new.entries),
            default=now,
        )
        if new.truncated_before is None:
            _LOGGER.warning(
                "%s holds more operations than %s pages of %s; the oldest are "
                "left out of the totals",
                self.channel.product_name,
                self.max_pages,
                MAX_PAGE_SIZE,
            )
        new.truncated_before = max(oldest, new.truncated_before or oldest)

    def _prune(self, new: _State, window_start: datetime) -> None:
        """Forget what was created before the window (invariant 9)."""
        cut = bisect_left(new.order, (window_start, ""))
        for _order_key, op_id in new.order[:cut]:
            _forget(new, op_id, self.channel)
        del new.order[:cut]
        if new.truncated_before is not None and window_start >= new.truncated_before:
            new.truncated_before = None
        new.counted_from = max(new.counted_from or window_start, window_start)
        if new.restored_until is not None and window_start > new.restored_until:
            new.restored = {}
            new.restored_until = None

    def _snapshot(
        self, new: _State, transitions: tuple[Transition, ...]
    ) -> ChannelData:
        """Return the immutable data entities read."""
        # The new state is never changed once swapped in, so the snapshot can
        # share its operations instead of copying them.
        operations = new.operations
        latest = operations[new.order[-1][1]] if new.order else None
        latest_terminal = next(
            (
                operations[op_id]
                for _order_key, op_id in reversed(new.order)
                if operations[op_id].status.is_terminal
            ),
            None,
        )
        return ChannelData(
            channel=self.channel,
            operations=MappingProxyType(operations),
            totals=MappingProxyType(dict(new.totals)),
            active_count=len(new.in_flight),
            latest=latest,
            latest_terminal=latest_terminal,
            transitions=transitions,
            refresh_serial=new.serial,
            truncated=new.truncated_before is not None,
            lifetime=MappingProxyType(dict(new.lifetime)),
        )

    def lifetime_record(self, now: datetime) -> dict[str, Any]:
        """Return, as JSON, what restore_lifetime needs to go on counting."""
        state = self._state
        marks = {
            **state.restored,
            **{
                op_id: entry.counted
                for op_id, entry in state.entries.items()
                if entry.counted != _UNCOUNTED
            },
        }
        return {
            "figures": dict(state.lifetime),
            "counted_from": _isoformat(state.counted_from),
            # A mark's operation was placed no later than this (invariant 1).
            "marks_until": _isoformat(now + CLOCK_SKEW),
            "marks": {op_id: list(counted) for op_id, counted in marks.items()},
        }

    def restore_lifetime(self, record: object) -> None:
        """Go on counting, from the first refresh, where an earlier run left off.

        A record that is not one (a damaged file) is logged and counting
        starts afresh: growing figures that restart from zero read as a
        reset, which long-term statistics handle.
        """
        restored = _LifetimeRecord.from_json(record)
        if restored is None:
            _LOGGER.warning(
                "The lifetime counts of %s could not be read; counting starts afresh",
                self.channel.product_name,
            )
            return
        state = self._state
        state.lifetime = restored.figures
        state.counted_from = restored.counted_from
        state.restored = restored.marks
        state.restored_until = restored.marks_until


@dataclass(frozen=True, slots=True, kw_only=True)
class _LifetimeRecord:
    """What lifetime_record wrote, read back (invariant 10)."""

    figures: dict[str, int]
    counted_from: datetime | None
    marks_until: datetime | None
    marks: dict[str, tuple[int, int, int]]

    @classmethod
    def from_json(cls, data: object) -> _LifetimeRecord | None:
        """Return the record, or None when data is not one."""
        if not isinstance(data, dict):
            return None
        figures = data.get("figures")
        marks = data.get("marks")
        if not (isinstance(figures, dict) and isinstance(marks, dict)):
            return None
        if not all(
            name in LIFETIME_FIGURES and _is_count(value)
            for name, value in figures.items()
        ):
            return None
        if not all(
            isinstance(counted, list)
            and len(counted) == len(LIFETIME_FIGURES)
            and all(_is_count(value) for value in counted)
            for counted in marks.values()
        ):
            return None
        stored = (data.get("counted_from"), data.get("marks_until"))
        counted_from, marks_until = times = [_stored_time(text) for text in stored]
        if any(
            text is not None and moment is None
            for text, moment in zip(stored, times, strict=True)
        ):
            return None
        return cls(
            figures=dict(figures),
            counted_from=counted_from,
            marks_until=marks_until,
            marks={str(op_id): tuple(counted) for op_id, counted in marks.items()},
        )


def _is_count(value: object) -> bool:
    """Return whether a stored value is a count."""
    return type(value) is int and value >= 0


def _isoformat(moment: datetime | None) -> str | None:
    """Return a time as a record stores it."""
    return None if moment is None else moment.isoformat()


def _stored_time(text: object) -> datetime | None:
    """Return a time a record stored, None when there is none or it is not one."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _count(state: _State, operation: Operation, entry: _Entry) -> _Entry:
    """Count what an observation's lifetime figures rose above its marks (invariant 10)."""
    if state.counted_from is not None and entry.order_key < state.counted_from:
        return entry
    figures = lifetime_figures(operation.stats.as_dict())
    counted = list(entry.counted)
    for index, (name, figure) in enumerate(zip(LIFETIME_FIGURES, figures, strict=True)):
        if figure is None:
            continue
        rise = max(0, figure - counted[index])
        state.lifetime[name] = state.lifetime.get(name, 0) + rise
        counted[index] += rise
    return replace(entry, counted=(counted[0], counted[1], counted[2]))


def _recheck_due(entry: _Entry, now: datetime) -> bool:
    """Return whether an operation in an unknown status is due to be read again."""
    return entry.recheck_at is not None and entry.recheck_at <= now


def _add(state: _State, operation: Operation, entry: _Entry, channel: Channel) -> None:
    """Hold an observation and its entry, keeping totals and sets in step."""
    state.operations[operation.id] = operation
    state.entries[operation.id] = entry
    for key in CHANNEL_COUNTERS[channel]:
        if (value := operation.stats.get(key)) is not None:
            state.totals[key] = state.totals.get(key, 0) + value
            state.reporters[key] = state.reporters.get(key, 0) + 1
    for members, belongs in (
        (state.pending, entry.pending),
        (state.unknown, operation.status is OperationStatus.UNKNOWN),
        (state.in_flight, operation.status in _ACTIVE_FILTERS),
    ):
        if belongs:
            members.add(operation.id)
        else:
            members.discard(operation.id)


def _discount(state: _State, op_id: str, channel: Channel) -> None:
    """Take an operation's observation out of the totals and sets."""
    operation = state.operations.pop(op_id)
    for key in CHANNEL_COUNTERS[channel]:
        if (value := operation.stats.get(key)) is not None:
            state.totals[key] -= value
            state.reporters[key] -= 1
            if not state.reporters[key]:
                del state.totals[key], state.reporters[key]
    state.pending.discard(op_id)
    state.unknown.discard(op_id)
    state.in_flight.discard(op_id)


def _forget(state: _State, op_id: str, channel: Channel) -> None:
    """Forget an operation, but for its item in the order index."""
    _discount(state, op_id, channel)
    del state.entries[op_id]
