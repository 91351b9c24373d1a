"""The tracker against a small reference model, driven by a hypothesis state machine.

An in-memory API keeps each operation's true life (monotone: scheduled,
processing, then final; or stuck in a status no client knows) and renders
every response with the quirks the documents allow: createdAt reformatted,
missing, unreadable or in the future; stats keys missing for good or for one
response; an older version served again with the same updatedAt; an item
repeated across pages; requests failing part-way. It logs what it served.

The model folds exactly what a successful refresh was served, by the rules
of the tracker's docstring, one operation at a time, with none of the
tracker's indexes or request planning. After every refresh the tracker must
agree with it; and after quiet refreshes over a finished world, nothing may
be missing and polling must be idle.

Home Assistant restarts too, perhaps with a longer window: the tracker is
made anew from its lifetime record, through JSON, and the model keeps, for
every operation it ever counted, the highest figures it was seen with, so the
lifetime figures must stay their sums (invariant 10). The figures of one
observation are lifetime_figures's, tested on its own in test_tracker.py;
the machine checks the counting.
"""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import os
import random
from typing import Any, Final

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
import pytest

from custom_components.twilio_comms.api import (
    CHANNEL_COUNTERS,
    Channel,
    ChannelTracker,
    Operation,
    OperationStatus,
    TwilioCommsNotFoundError,
    TwilioCommsServerError,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsPageLimitError
from custom_components.twilio_comms.api.tracker import (
    CLOCK_SKEW,
    LIFETIME_FIGURES,
    MAX_SINGLE_FETCHES,
    lifetime_figures,
)

START: Final = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WINDOW: Final = timedelta(hours=1)
OVERLAP: Final = timedelta(minutes=2)
PAGE_SIZE: Final = 3
COUNTERS: Final = CHANNEL_COUNTERS[Channel.MESSAGES]

RANK: Final = {"SCHEDULED": 0, "PROCESSING": 1, "COMPLETED": 3, "CANCELED": 3}
# An unknown status ranks lowest, but in a fetch by id (the operation left
# the in-flight listings), where it supersedes the in-flight statuses; it
# never announces anything.
UNKNOWN_FETCHED_RANK: Final = 2
TERMINAL: Final = ("COMPLETED", "CANCELED")
# An id _new_id never makes.
NOT_TRACKED: Final = "comms_operation_01h9krwprkeee8fzqspvwnotrack"

# How an operation's createdAt is written, fixed per operation.
# "ahead" is within the clock skew the tracker believes, "future" beyond it.
CREATED_FORMS: Final = (
    "plain",
    "fractional",
    "offset",
    "missing",
    "garbage",
    "ahead",
    "future",
)


def stamp(moment: datetime) -> str:
    """Return a timestamp as the API writes it."""
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


@dataclass(slots=True)
class Version:
    """One state of an operation's life."""

    status: str
    stats: dict[str, int]
    updated_at: datetime


@dataclass(slots=True)
class Life:
    """An operation as the API knows it."""

    id: str
    created: datetime
    form: str
    keys: frozenset[str]
    versions: list[Version]
    # Rendered in a status no client knows, from this version on.
    unknown_from: int | None = None

    def created_text(self) -> str | None:
        """Return createdAt in this operation's form (None: left out)."""
        return {
            "plain": stamp(self.created),
            "fractional": stamp(self.created).replace("Z", ".250Z"),
            "offset": stamp(self.created).replace("Z", "+00:00"),
            "missing": None,
            "garbage": "yesterday-ish",
            "ahead": stamp(self.created + timedelta(minutes=3)),
            "future": stamp(self.created + timedelta(days=3)),
        }[self.form]

    def render(self, index: int, *, drop: set[str], updated: bool) -> dict[str, Any]:
        """Return version index as JSON, without some keys for this response."""
        version = self.versions[index]
        status = version.status
        if self.unknown_from is not None and index >= self.unknown_from:
            status = "ARCHIVED"
        body: dict[str, Any] = {
            "id": self.id,
            "status": status,
            "stats": {
                key: value
                for key, value in version.stats.items()
                if key in self.keys and key not in drop
            },
        }
        if (created := self.created_text()) is not None:
            body["createdAt"] = created
        if updated:
            body["updatedAt"] = stamp(version.updated_at)
        return body


@dataclass(slots=True)
class MachineApi:
    """Serves the lives, quirks drawn from a seeded generator, logging what it served."""

    lives: dict[str, Life] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)
    quirky: bool = True
    fail_at: int | None = None
    requests: int = 0
    # (id, JSON or None for a 404, whether fetched by id) in the order the
    # tracker received them.
    served: list[tuple[str, dict[str, Any] | None, bool]] = field(default_factory=list)

    def _request(self) -> None:
        self.requests += 1
        if self.requests == self.fail_at:
            raise TwilioCommsServerError("HTTP 503", status=503)

    def _render(self, life: Life, *, fetched: bool = False) -> dict[str, Any]:
        """Return one response's view of an operation."""
        index = len(life.versions) - 1
        drop: set[str] = set()
        updated = True
        if self.quirky:
            if index and self.rng.random() < 0.15:
                # An older version again, with the same updatedAt or none.
                index -= 1
                if self.rng.random() < 0.5:
                    return self._stamped(
                        life, index, life.versions[-1].updated_at, fetched=fetched
                    )
                updated = False
            if self.rng.random() < 0.15:
                drop = {key for key in life.keys if self.rng.random() < 0.4}
            if self.rng.random() < 0.1:
                updated = False
        body = life.render(index, drop=drop, updated=updated)
        self.served.append((life.id, body, fetched))
        return body

    def _stamped(
        self, life: Life, index: int, updated_at: datetime, *, fetched: bool
    ) -> dict[str, Any]:
        """Return an older version carrying a newer version's updatedAt."""
        body = life.render(index, drop=set(), updated=True)
        body["updatedAt"] = stamp(updated_at)
        self.served.append((life.id, body, fetched))
        return body

    def _status(self, life: Life) -> str:
        """Return the status filters see: the current one."""
        index = len(life.versions) - 1
        if life.unknown_from is not None and index >= life.unknown_from:
            return "ARCHIVED"
        return life.versions[index].status

    async def iter_operations(
        self,
        channel: Channel,
        *,
        page_size: int | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        status: OperationStatus | None = None,
        max_pages: int = 100,
    ) -> AsyncIterator[Operation]:
        """Yield matching operations newest first, PAGE_SIZE a page."""
        matching = sorted(
            (
                life
                for life in self.lives.values()
                if (start_date is None or life.created >= start_date)
                and (end_date is None or life.created < end_date)
                and (
                    status is None
                    or OperationStatus.parse(self._status(life)) == status
                )
            ),
            key=lambda life: (life.created, life.id),
            reverse=True,
        )
        pages = [
            matching[start : start + PAGE_SIZE]
            for start in range(0, len(matching), PAGE_SIZE)
        ] or [[]]
        for number, page in enumerate(pages):
            if number == max_pages:
                raise TwilioCommsPageLimitError("page cap")
            self._request()
            # An item of the previous page, repeated at the top of this one.
            if number and self.quirky and self.rng.random() < 0.2:
                page = [pages[number - 1][-1], *page]
            for life in page:
                yield Operation.from_json(self._render(life))

    async def get_operation(self, channel: Channel, operation_id: str) -> Operation:
        """Return one operation, or 404 once it is gone."""
        self._request()
        if (life := self.lives.get(operation_id)) is None:
            self.served.append((operation_id, None, True))
            raise TwilioCommsNotFoundError("HTTP 404", status=404)
        return Operation.from_json(self._render(life, fetched=True))


@dataclass(slots=True)
class Shown:
    """What the model expects the tracker to show for one operation."""

    operation: Operation
    order_key: datetime
    peak: int


def model_rank(operation: Operation, *, fetched: bool) -> int:
    """Return a status's rank for superseding."""
    return RANK.get(operation.status.name, UNKNOWN_FETCHED_RANK if fetched else -1)


def announced_rank(operation: Operation) -> int:
    """Return a status's rank for announcing; -1 for an unknown one."""
    return RANK.get(operation.status.name, -1)


def supersedes(current: Operation, held: Operation, *, fetched: bool) -> bool:
    """Return whether the model replaces what it holds with an observation."""
    if (
        current.updated_at is not None
        and held.updated_at is not None
        and current.updated_at != held.updated_at
    ):
        return current.updated_at > held.updated_at
    return model_rank(current, fetched=fetched) >= model_rank(held, fetched=fetched)


def merged_stats(held: Operation, current: Operation) -> dict[str, int]:
    """Return the observation's counters, with those it lacks from what is held."""
    return held.stats.as_dict() | current.stats.as_dict()


class TrackerMachine(RuleBasedStateMachine):
    """Operations come, change and go; the tracker refreshes; the model checks."""

    def __init__(self) -> None:
        """Start with an empty world."""
        super().__init__()
        self.now = START
        self.api = MachineApi()
        self.window = WINDOW
        self.tracker = self._new_tracker()
        self.model: dict[str, Shown] = {}
        # Lifetime counting: per operation ever counted, its highest figures
        # (None: not reported yet); and where counting starts.
        self.marks: dict[str, list[int | None]] = {}
        self.counted_from: datetime | None = None
        self.refreshed = False
        self.announced: set[tuple[str, str]] = set()
        self.count = 0
        self.data: Any = None
        self.loop = asyncio.new_event_loop()

    def _new_tracker(self) -> ChannelTracker:
        return ChannelTracker(
            client=self.api,
            channel=Channel.MESSAGES,
            window=self.window,
            overlap=OVERLAP,
            recheck_after=timedelta(minutes=2),
        )

    def teardown(self) -> None:
        """Close the event loop the refreshes ran on."""
        self.loop.close()

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine to its end (hypothesis rules are synchronous)."""
        self.loop.run_until_complete(coroutine)

    def _new_id(self) -> str:
        self.count += 1
        return f"comms_operation_01h9krwprkeee8fzqspvwy{self.count:05d}"

    @initialize(
        histories=st.lists(
            st.tuples(st.integers(0, 3500), st.sampled_from(CREATED_FORMS)),
            max_size=8,
        )
    )
    def seed(self, histories: list[tuple[int, str]]) -> None:
        """Operations that existed before the first refresh."""
        for seconds_ago, form in histories:
            self._create(self.now - timedelta(seconds=seconds_ago), form, keys=None)

    def _create(
        self, created: datetime, form: str, keys: frozenset[str] | None
    ) -> None:
        total = 1 + self.count % 7
        op_id = self._new_id()
        self.api.lives[op_id] = Life(
            id=op_id,
            created=created,
            form=form,
            keys=keys if keys is not None else frozenset(COUNTERS),
            versions=[
                Version(
                    status="SCHEDULED",
                    stats={"total": total, "scheduled": total, "sent": 0, "failed": 0},
                    updated_at=created,
                )
            ],
        )

    @rule(
        form=st.sampled_from(CREATED_FORMS),
        keys=st.sets(st.sampled_from(COUNTERS)).map(frozenset),
    )
    def create(self, form: str, keys: frozenset[str]) -> None:
        """Create a send, with its createdAt form and the keys it ever reports."""
        self._create(self.now, form, keys)

    @precondition(lambda self: self.api.lives)
    @rule(
        pick=st.integers(0, 63),
        outcome=st.sampled_from(("advance", "cancel", "unknown")),
    )
    def change(self, pick: int, outcome: str) -> None:
        """Move an operation on: processing, completed, canceled, or unknown."""
        life = self._pick(pick)
        current = life.versions[-1]
        if current.status in TERMINAL:
            return
        total = current.stats["total"]
        updated = max(self.now, current.updated_at + timedelta(seconds=1))
        if outcome == "unknown" and life.unknown_from is None:
            life.unknown_from = len(life.versions)
        if outcome == "cancel":
            status, stats = "CANCELED", {"canceled": total, "sent": 0, "failed": 0}
        elif current.status == "SCHEDULED":
            status, stats = "PROCESSING", {"queued": total, "sent": 0, "failed": 0}
        else:
            failed = total // 3
            status = "COMPLETED"
            stats = {"sent": total - failed, "failed": failed, "delivered": total}
        life.versions.append(
            Version(status=status, stats={"total": total, **stats}, updated_at=updated)
        )

    @precondition(lambda self: self.api.lives)
    @rule(pick=st.integers(0, 63))
    def expire(self, pick: int) -> None:
        """Make the API forget an operation (retention, or a deletion)."""
        del self.api.lives[self._pick(pick).id]

    def _pick(self, pick: int) -> Life:
        """Return one of the API's operations (in creation order, so runs repeat)."""
        return list(self.api.lives.values())[pick % len(self.api.lives)]

    @rule(seconds=st.integers(1, 1200))
    def wait(self, seconds: int) -> None:
        """Time passes; the window slides."""
        self.now += timedelta(seconds=seconds)

    @rule(seed=st.integers(0, 2**16), fail_at=st.none() | st.integers(1, 6))
    def refresh(self, seed: int, fail_at: int | None) -> None:
        """Refresh, with quirks and perhaps a failure part-way."""
        self._run(self._refresh(seed=seed, fail_at=fail_at, quirky=True))

    @precondition(lambda self: self.refreshed and self.api.lives)
    @rule(pick=st.integers(0, 63), seed=st.integers(0, 2**16), fail=st.booleans())
    def read_one(self, pick: int, seed: int, fail: bool) -> None:
        """Read an operation an event named, on its own; the read may fail."""
        self._run(self._read_one(self._pick(pick).id, seed=seed, fail=fail))

    async def _read_one(self, op_id: str, *, seed: int, fail: bool) -> None:
        api = self.api
        api.rng = random.Random(seed)
        api.quirky = True
        api.fail_at = 1 if fail else None
        api.requests = 0
        api.served = []
        state_before = self.tracker._state
        try:
            data = await self.tracker.async_read(op_id, self.now)
        except TwilioCommsServerError, TwilioCommsNotFoundError:
            # Nothing of a failed read is kept (invariant 2).
            assert self.tracker._state is state_before
            return
        # Read because an event named it, not because it left the listings.
        served = [(served_id, body, False) for served_id, body, _ in api.served]
        expected = self._fold(served)
        assert {
            (t.operation.id, t.operation.status.value) for t in data.transitions
        } == expected
        for transition in data.transitions:
            key = (transition.operation.id, transition.operation.status.value)
            assert key not in self.announced
            self.announced.add(key)
        # The "created since" listing still starts where the listings left it.
        assert self.tracker._state.newest_created == state_before.newest_created
        self.data = data

    @precondition(lambda self: self.refreshed)
    @rule(longer=st.booleans())
    def restart(self, longer: bool) -> None:
        """Home Assistant restarts (perhaps with a longer window): only the lifetime record survives."""
        record = json.loads(json.dumps(self.tracker.lifetime_record(self.now)))
        if longer:
            self.window += timedelta(minutes=30)
        self.tracker = self._new_tracker()
        self.tracker.restore_lifetime(record)
        self.model = {}
        self.refreshed = False
        self.announced = set()
        self.data = None

    @precondition(lambda self: self.refreshed)
    @rule()
    def settle_everything(self) -> None:
        """Once every send is over and answers are clean, nothing is missing and polling is idle."""
        self._run(self._settle_everything())

    async def _settle_everything(self) -> None:
        for life in self.api.lives.values():
            while life.versions[-1].status not in TERMINAL:
                current = life.versions[-1]
                total = current.stats["total"]
                life.versions.append(
                    Version(
                        status="COMPLETED",
                        stats={"total": total, "sent": total, "failed": 0},
                        updated_at=max(self.now, current.updated_at)
                        + timedelta(seconds=1),
                    )
                )
        self.now += timedelta(seconds=2)
        for _ in range(3):
            await self._refresh(seed=0, fail_at=None, quirky=False)
        window_start = self.now - self.window
        in_window = {
            life.id for life in self.api.lives.values() if life.created >= window_start
        }
        # Every operation the API lists in the window is tracked.
        assert in_window <= set(self.data.operations)
        if all(life.unknown_from is None for life in self.api.lives.values()):
            assert not self.tracker.has_active
            newest = self.tracker._state.newest_created
            recent_start = (
                window_start if newest is None else max(window_start, newest - OVERLAP)
            )
            recent = sum(
                life.created >= recent_start for life in self.api.lives.values()
            )
            await self._refresh(seed=0, fail_at=None, quirky=False)
            # The "created since" listing alone: one request, or one a page.
            assert self.api.requests == max(1, -(-recent // PAGE_SIZE))

    async def _refresh(self, *, seed: int, fail_at: int | None, quirky: bool) -> None:
        api = self.api
        api.rng = random.Random(seed)
        api.quirky = quirky
        api.fail_at = fail_at
        api.requests = 0
        api.served = []
        state_before = self.tracker._state
        try:
            data = await self.tracker.async_refresh(self.now)
        except TwilioCommsServerError:
            # Nothing of a failed refresh is kept (invariant 2).
            assert self.tracker._state is state_before
            return
        finally:
            bound = 4 * (len(api.lives) // PAGE_SIZE + 2) + 2 * MAX_SINGLE_FETCHES
            assert api.requests <= bound
        expected = self._fold(api.served)
        assert {
            (t.operation.id, t.operation.status.value) for t in data.transitions
        } == expected
        for transition in data.transitions:
            key = (transition.operation.id, transition.operation.status.value)
            assert key not in self.announced
            self.announced.add(key)
        self.refreshed = True
        self.data = data

    def _fold(
        self, served: list[tuple[str, dict[str, Any] | None, bool]]
    ) -> set[tuple[str, str]]:
        """Fold what a successful refresh was served into the model; return its transitions."""
        baseline = not self.refreshed
        transitions: set[tuple[str, str]] = set()
        gone: set[str] = set()
        window_start = self.now - self.window
        for op_id, body, fetched in served:
            if body is None:
                gone.add(op_id)
                continue
            operation = Operation.from_json(body)
            shown = self.model.get(op_id)
            rank = announced_rank(operation)
            if shown is None:
                created = operation.created_at
                if created is not None and created > self.now + CLOCK_SKEW:
                    created = None
                order_key = created or self.now
                if order_key < window_start:
                    continue
                self.model[op_id] = Shown(
                    operation=operation, order_key=order_key, peak=rank
                )
                self._count(op_id)
                if not baseline and rank >= 0:
                    transitions.add((op_id, operation.status.value))
                continue
            if not supersedes(operation, shown.operation, fetched=fetched):
                continue
            if not baseline and rank >= 0 and rank > shown.peak:
                transitions.add((op_id, operation.status.value))
            shown.peak = max(shown.peak, rank)
            shown.operation = Operation.from_json(
                body | {"stats": merged_stats(shown.operation, operation)}
            )
            self._count(op_id)
        for op_id in gone:
            self.model.pop(op_id, None)
        for op_id in [k for k, v in self.model.items() if v.order_key < window_start]:
            del self.model[op_id]
        self.counted_from = max(self.counted_from or window_start, window_start)
        return transitions

    def _count(self, op_id: str) -> None:
        """Raise an operation's marks to what it shows, unless it is too old to count."""
        shown = self.model[op_id]
        if self.counted_from is not None and shown.order_key < self.counted_from:
            return
        marks = self.marks.setdefault(op_id, [None] * len(LIFETIME_FIGURES))
        figures = lifetime_figures(shown.operation.stats.as_dict())
        for index, figure in enumerate(figures):
            if figure is not None:
                marks[index] = max(marks[index] or 0, figure)

    @invariant()
    def agrees_with_the_model(self) -> None:
        """Check the tracker shows what the model folded, its indexes in step."""
        if self.data is None:
            return
        data = self.data
        assert set(data.operations) == set(self.model)
        for op_id, shown in self.model.items():
            operation = data.operations[op_id]
            assert operation.status == shown.operation.status
            assert operation.stats.as_dict() == shown.operation.stats.as_dict()
        totals: dict[str, int] = {}
        for shown in self.model.values():
            for key, value in shown.operation.stats.as_dict().items():
                if key in COUNTERS:
                    totals[key] = totals.get(key, 0) + value
        assert dict(data.totals) == totals
        state = self.tracker._state
        assert state.order == sorted(
            (entry.order_key, op_id) for op_id, entry in state.entries.items()
        )
        assert state.entries.keys() == state.operations.keys()
        assert {op_id: entry.order_key for op_id, entry in state.entries.items()} == {
            op_id: shown.order_key for op_id, shown in self.model.items()
        }
        assert data.latest is None or data.latest.id == state.order[-1][1]
        for status in OperationStatus:
            asked = RANK.get(status.name)
            assert self.tracker.shows_at_least(NOT_TRACKED, status) is False
            for op_id, shown in self.model.items():
                held = announced_rank(shown.operation)
                expected = asked is not None and held >= 0 and held >= asked
                assert self.tracker.shows_at_least(op_id, status) is expected
        lifetime: dict[str, int] = {}
        for marks in self.marks.values():
            for name, mark in zip(LIFETIME_FIGURES, marks, strict=True):
                if mark is not None:
                    lifetime[name] = lifetime.get(name, 0) + mark
        assert dict(data.lifetime) == lifetime


TrackerMachine.TestCase.settings = settings(
    # The suite's run; scripts/soak, or the variable, runs more.
    max_examples=int(os.environ.get("TWILIO_COMMS_MACHINE_EXAMPLES", "2000")),
    stateful_step_count=10,
    database=None,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.timeout(300)
class TestTrackerMachine(TrackerMachine.TestCase):  # type: ignore[name-defined]
    """Run the state machine in the suite (scripts/soak runs more examples)."""
