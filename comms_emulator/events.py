"""The Comms CloudEvents (docs/event-streams.md §9), and finding them in the world.

Operations and their messages evolve lazily, as a function of the clock
(lifecycle.py), so nothing happens at a moment of its own: a Tracker looks
again and again, compares each Messages operation with what it saw last time,
and turns the difference into the events Twilio would have sent. A look after
a long jump of the clock emits every step skipped, in order, at once.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import json
import random
from typing import Any, Final

from .config import DEFAULT_SENDERS, RESOURCE_PREFIX, RETENTION
from .lifecycle import (
    CANCELED,
    COMPLETED,
    PROCESSING,
    SCHEDULED,
    OperationPlan,
    OperationState,
    resource_status,
)
from .rendering import failure, recipient_json, submitted_field
from .world import ReceivedMessage, World, resource_id

# The only channel with documented events (§9).
CHANNEL: Final = "Messages"

TYPE_PREFIX: Final = "com.twilio.comms-api."
TEST_EVENT_TYPE: Final = "com.twilio.eventstreams.test-event"
INBOUND_TYPE: Final = f"{TYPE_PREFIX}message.inbound-received"

# Where an event's dataschema points, per schema id and version.
SCHEMA_URL: Final = "https://events-schemas.twilio.com/{schema_id}/{version}"

# The event of each stage an operation enters; CANCELED has none (§9).
OPERATION_TYPES: Final = {
    SCHEDULED: f"{TYPE_PREFIX}operation.scheduled",
    PROCESSING: f"{TYPE_PREFIX}operation.processing",
    COMPLETED: f"{TYPE_PREFIX}operation.completed",
}
STAGES: Final = (SCHEDULED, PROCESSING, COMPLETED)

# The statuses with a message event, and the ones a message passes through to
# reach each status the API shows: a look that finds a message delivered
# since the last one emits queued, sent and delivered.
MESSAGE_PATHS: Final[dict[str, tuple[str, ...]]] = {
    "SCHEDULED": (),
    "CANCELED": (),
    "QUEUED": ("queued",),
    "SENT": ("queued", "sent"),
    "FAILED": ("queued", "failed"),
    "DELIVERED": ("queued", "sent", "delivered"),
    "UNDELIVERED": ("queued", "sent", "undelivered"),
    "READ": ("queued", "sent", "delivered", "read"),
}
MESSAGE_STATUSES: Final = (
    "queued",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "read",
)


def _schema(name: str) -> str:
    """Return a Comms schema id from a type's last segments: message.read → MessageRead."""
    words = name.replace("-", ".").split(".")
    return "CommsApi." + "".join(word.capitalize() for word in words)


# The Comms types (§9): schema id and latest version of each.
COMMS_TYPES: Final[dict[str, tuple[str, int]]] = {
    **{
        kind: (_schema(f"operation.{stage.lower()}"), 2)
        for stage, kind in OPERATION_TYPES.items()
    },
    **{
        f"{TYPE_PREFIX}message.{status}": (
            _schema(f"message.{status}"),
            3 if status == "queued" else 4,
        )
        for status in MESSAGE_STATUSES
    },
    INBOUND_TYPE: ("CommsApi.MessageInbound", 2),
}


# What makes a creation-time range include its upper bound.
_INCLUSIVE: Final = timedelta(microseconds=1)


def _party(value: Any) -> dict[str, Any]:
    """Return a sender or recipient as events write it: {id, address, channel}."""
    found = value if isinstance(value, dict) else {}
    return {key: found.get(key) for key in ("id", "address", "channel")}


def timestamp(moment: datetime) -> str:
    """Return an RFC 3339 UTC time with milliseconds, as events write it."""
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One CloudEvent, before it is written for a sink."""

    id: str
    type: str
    source: str
    dataschema: str
    time: datetime
    data: dict[str, Any]

    @property
    def subject(self) -> str | None:
        """Return the operation the event is about, if any."""
        subject = self.data.get("operation_id")
        return subject if isinstance(subject, str) else None

    def envelope(self, *, data_as_string: bool) -> dict[str, Any]:
        """Return the event in CloudEvents' JSON format."""
        return {
            "specversion": "1.0",
            "type": self.type,
            "source": self.source,
            "id": self.id,
            "dataschema": self.dataschema,
            "datacontenttype": "application/json",
            "time": timestamp(self.time),
            "data": json.dumps(self.data) if data_as_string else self.data,
        }


def test_event(account_sid: str, test_id: str, now: datetime) -> Event:
    """Return the event a sink's Test delivers: its id is the Account SID (§3)."""
    return Event(
        id=account_sid,
        type=TEST_EVENT_TYPE,
        source="Sink",
        dataschema="https://events-schemas.twilio.com/EventStreams.TestSink/1.json",
        time=now,
        data={"test_id": test_id},
    )


def downstream_id(message_id: str) -> str:
    """Return the SM… SID of a message's SMS, fixed by the message's id."""
    return "SM" + hashlib.blake2b(message_id.encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class Seen:
    """What a Tracker saw of an operation last time: its stage and messages."""

    plan: OperationPlan
    # None before the first look: every stage and status is news.
    phase: str | None = None
    state: OperationState | None = None
    # Each message's status, worked out from state only once one may have
    # moved: thousands of recipients cost nothing while nothing changes.
    statuses: list[str] | None = None


type StateOf = Callable[[OperationPlan, datetime], OperationState]


class Tracker:
    """Finds the events of the Messages channel's transitions since its last look.

    It also writes the event of a message received, which no look finds: a
    message arrives when the emulator is told, not as a function of the clock.
    """

    def __init__(
        self,
        world: World,
        state: StateOf,
        account_sid: str,
        rng: random.Random,
        now: datetime,
        *,
        numeric_fields: Callable[[], bool],
    ) -> None:
        """Start from the world as it is now: what already happened is no news."""
        self.world = world
        self.state = state
        self.account_sid = account_sid
        self.rng = rng
        self.numeric_fields = numeric_fields
        self.last = now
        # Operations still moving, and the ids created at the last look's
        # moment (a later send at a frozen clock shares it).
        self.tracked: dict[str, Seen] = {}
        self.recent: set[str] = set()
        for plan in world.channels[CHANNEL].newest_first(
            now - RETENTION, now + _INCLUSIVE
        ):
            seen = Seen(plan)
            self._update(seen, state(plan, now), now, emit=False)
            if seen.phase in {SCHEDULED, PROCESSING}:
                self.tracked[plan.id] = seen
        self._note_recent(now)

    def _note_recent(self, now: datetime) -> None:
        """Remember the operations created at now, which the next look must skip."""
        log = self.world.channels[CHANNEL]
        self.recent = {
            plan.id
            for plan in log.newest_first(now, now + _INCLUSIVE)
            if plan.created_at == now
        }

    def event_id(self) -> str:
        """Return a new EZ… event id."""
        return f"EZ{self.rng.getrandbits(128):032x}"

    def look(self, now: datetime) -> list[Event]:
        """Return the events of every change since the last look, in order."""
        if now < self.last:
            # A clock moved back shows nothing new; looks resume once it
            # passes the last one again.
            return []
        log = self.world.channels[CHANNEL]
        for plan in log.newest_first(self.last, now + _INCLUSIVE):
            if plan.id not in self.recent and plan.id not in self.tracked:
                self.tracked[plan.id] = Seen(plan)
        events: list[Event] = []
        for operation_id, seen in list(self.tracked.items()):
            events.extend(self._update(seen, self.state(seen.plan, now), now))
            if seen.phase not in {SCHEDULED, PROCESSING}:
                del self.tracked[operation_id]
        self.last = now
        self._note_recent(now)
        return events

    def _update(
        self, seen: Seen, state: OperationState, now: datetime, *, emit: bool = True
    ) -> list[Event]:
        """Bring what was seen of an operation up to its state; return the events."""
        phase = state.phase
        if not emit:
            seen.phase, seen.state = phase, state
            return []
        before = STAGES.index(seen.phase) + 1 if seen.phase in STAGES else 0
        reached = STAGES.index(phase) + 1 if phase in STAGES else before
        if phase == CANCELED:
            reached = before
        stages = [
            self._operation_event(state.plan, stage, now)
            for stage in STAGES[before:reached]
        ]
        # A completion comes after the messages it completes.
        last = stages.pop() if stages and phase == COMPLETED else None
        events = stages
        if (
            seen.state is None
            or state.counters != seen.state.counters
            or phase != seen.phase
        ):
            events.extend(self._message_events(seen, state, now))
        if last is not None:
            events.append(last)
        seen.phase, seen.state = phase, state
        return events

    def _message_events(
        self, seen: Seen, state: OperationState, now: datetime
    ) -> Iterator[Event]:
        """Yield the events of every message whose status moved, and note the new ones."""
        recipients = range(state.plan.recipients)
        if seen.statuses is None:
            before = seen.state
            seen.statuses = [
                "" if before is None else resource_status(before, index)
                for index in recipients
            ]
        for index in recipients:
            status = resource_status(state, index)
            previous = seen.statuses[index]
            if status == previous:
                continue
            seen.statuses[index] = status
            old, new = MESSAGE_PATHS.get(previous, ()), MESSAGE_PATHS[status]
            steps = new[len(old) :] if new[: len(old)] == old else new[-1:]
            for step in steps:
                yield self._message_event(state, index, step, now)

    def _comms_event(
        self, kind: str, source: str, now: datetime, data: dict[str, Any]
    ) -> Event:
        """Return a new Comms event of a type, with the schema the catalogue gives it."""
        schema_id, version = COMMS_TYPES[kind]
        return Event(
            id=self.event_id(),
            type=kind,
            source=source,
            dataschema=SCHEMA_URL.format(schema_id=schema_id, version=version),
            time=now,
            data=data,
        )

    def _operation_event(self, plan: OperationPlan, stage: str, now: datetime) -> Event:
        """Return the event of an operation entering a stage: its id only (§9)."""
        return self._comms_event(
            OPERATION_TYPES[stage],
            f"/v1/{CHANNEL}/Operations/{plan.id}",
            now,
            {"operation_id": plan.id},
        )

    def _message_event(
        self, state: OperationState, index: int, status: str, now: datetime
    ) -> Event:
        """Return the event of a message reaching a status, with 3P-rs's fields (§9)."""
        plan = state.plan
        message_id = resource_id(RESOURCE_PREFIX[CHANNEL], plan.id, index)
        sender = submitted_field(state, "from", DEFAULT_SENDERS[CHANNEL])
        to = recipient_json(state, index)
        numeric = self.numeric_fields()
        error_code: int | str | None = None
        if status in {"failed", "undelivered"}:
            code = failure(state, index)[0]
            error_code = code if numeric else str(code)
        return self._comms_event(
            f"{TYPE_PREFIX}message.{status}",
            f"/v1/{CHANNEL}/{message_id}",
            now,
            {
                "operation_id": plan.id,
                "message_id": message_id,
                "account_sid": self.account_sid,
                "downstream_id": None
                if status == "queued"
                else downstream_id(message_id),
                "attempt": 1 if numeric else "1",
                "error_code": error_code,
                "from": _party(sender),
                "to": _party(to),
                "tags": dict(plan.tags),
            },
        )

    def received_event(self, message: ReceivedMessage, now: datetime) -> Event:
        """Return the event of a message received: ids and `to` only, as 3P-rs reads it (§9).

        No `from` and no text: the receiver reads them by the message's id.
        A message received belongs to no send, so its operation_id is null;
        what a session is 3P-rs does not say, so session_id is null too.
        """
        return self._comms_event(
            INBOUND_TYPE,
            f"/v1/{CHANNEL}/{message.id}",
            now,
            {
                "operation_id": None,
                "message_id": message.id,
                "downstream_id": downstream_id(message.id),
                "session_id": None,
                "to": _party(
                    {"address": message.to_address, "channel": message.channel}
                ),
                "tags": {},
            },
        )
