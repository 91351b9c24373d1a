"""The emulator's state and its Python-level controls, for tests that need no HTTP."""

from collections import Counter
from collections.abc import Callable, Mapping
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
import random
from typing import Any, Final, TypedDict

from aiohttp import web

from .config import (
    CHANNELS,
    STATS_PROFILE_KEYS,
    ChannelShape,
    Credential,
    EmulatorConfig,
    check_shape,
)
from .delivery import Delivery, DeliveryReport
from .events import INBOUND_TYPE, Event, Tracker, test_event
from .faults import FaultInjector
from .lifecycle import OperationPlan, OperationState, operation_state
from .rendering import iso, operation_json
from .streams import EventStreams, Sink
from .world import World

# The key that counts every request, beside the per-route keys.
TOTAL: Final = "total"


class RequestReport(TypedDict):
    """The counts, as /_emulator/requests shows them."""

    total: int
    routes: dict[str, int]
    channels: dict[str, int]
    channel_routes: dict[str, dict[str, int]]
    response_bytes: int


@dataclass(slots=True)
class RequestCounter:
    """Requests by route template ("GET /v1/{channel}/Operations") and by channel."""

    # Indexing reads like a Counter: counter["total"], or counter[route],
    # which is 0 for a route not requested.

    routes: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    # A channel's requests by route: how often one channel lists, while
    # the others poll as usual.
    channel_routes: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Body bytes of /v1 responses: what a client pays in bandwidth.
    response_bytes: int = 0

    def __getitem__(self, key: str) -> int:
        """Return the count of a route, or of all requests for "total"."""
        return self.routes[key]

    def count(self, route: str, channel: str | None) -> None:
        """Count one request."""
        self.routes[route] += 1
        self.routes[TOTAL] += 1
        if channel:
            self.channels[channel] += 1
            self.channel_routes[channel, route] += 1

    def reset(self) -> None:
        """Forget every count."""
        self.routes.clear()
        self.channels.clear()
        self.channel_routes.clear()
        self.response_bytes = 0

    def report(self) -> RequestReport:
        """Return the counts as plain data."""
        return {
            "total": self.routes[TOTAL],
            "routes": {
                route: count for route, count in self.routes.items() if route != TOTAL
            },
            "channels": dict(self.channels),
            "channel_routes": {
                channel: {
                    route: count
                    for (of, route), count in self.channel_routes.items()
                    if of == channel
                }
                for channel in self.channels
            },
            "response_bytes": self.response_bytes,
        }


type Clock = Callable[[], datetime]


class Outcomes(TypedDict):
    """What became of a channel's recipients, whatever the shape serves."""

    # Recipients Twilio is done with (sent, delivered, read, undelivered or
    # failed), and of them the failed and the undelivered: a failure rate is
    # (failed + undelivered) / finished. Undelivered counts as soon as the
    # send, before its receipt shows under the split reading.
    finished: int
    failed: int
    undelivered: int
    # Of the finished, those delivered (read or opened ones too), likewise
    # as soon as the send.
    delivered: int
    # Operations still scheduled or processing (whatever status they show).
    in_flight: int


class GroundTruth(TypedDict):
    """What the emulator knows about one channel at one moment, faults aside."""

    channel: str
    now: str
    since: str | None
    # Visible operations created at or after since (all if None), newest first.
    operations: list[dict[str, Any]]
    # Per stats key the channel's shape serves, the sum over those operations.
    totals: dict[str, int]
    outcomes: Outcomes


class FaultReport(TypedDict):
    """The fault settings and how many faults of each kind were injected."""

    faults: dict[str, float]
    counts: dict[str, int]


def _check_channel(channel: str) -> None:
    """Raise ValueError for a channel the API does not have."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")


class Emulator:
    """The state behind the app: world, faults, counters, entitlements, clock."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        """Seed the world relative to the clock's current time."""
        self.config = config
        self.clock = clock
        self.world = World(config, clock())
        self.faults = FaultInjector(config.faults, random.Random(config.fault_seed))
        self.requests = RequestCounter()
        # Both mutable at runtime: channels switched off, credentials revoked.
        self.entitled = set(config.channels)
        self.credentials: dict[str, Credential] = {
            credential.username: credential for credential in config.credentials()
        }
        # The shape each channel serves, changed at runtime by set_shape.
        self.shapes: dict[str, ChannelShape] = {
            channel: config.shape(channel) for channel in CHANNELS
        }
        # Event Streams: its sinks and subscriptions, what finds the events,
        # and what delivers them; each with a generator of its own, so that
        # events never shift the API's faults.
        streams = config.streams
        self.streams = EventStreams(streams, random.Random(f"{config.seed}:streams"))
        self.tracker = Tracker(
            self.world,
            self.state,
            config.account_sid,
            random.Random(f"{config.fault_seed}:events"),
            clock(),
            numeric_fields=lambda: streams.numeric_fields,
        )
        self.delivery = Delivery(
            streams,
            random.Random(f"{config.fault_seed}:delivery"),
            clock,
            self.streams.sinks,
            self.auth_token,
        )

    @property
    def channel_requests(self) -> Counter[str]:
        """Return the request counts by channel."""
        return self.requests.channels

    @property
    def response_bytes(self) -> int:
        """Return the body bytes of /v1 responses served since the last reset."""
        return self.requests.response_bytes

    def now(self) -> datetime:
        """Return the current time, with the world caught up to it."""
        now = self.clock()
        self.world.advance(now)
        return now

    def state(self, plan: OperationPlan, now: datetime) -> OperationState:
        """Return an operation's state at a moment, in its channel's current shape."""
        return operation_state(plan, now, self.shapes[plan.channel])

    def truth(self, channel: str, since: datetime | None = None) -> GroundTruth:
        """Return every visible operation created at or after since, and their totals."""
        _check_channel(channel)
        now = self.now()
        states = [
            self.state(plan, now)
            for plan in self.world.newest_first(channel, now, start=since)
        ]
        operations = [operation_json(state) for state in states]
        profile = self.shapes[channel].stats_profile
        totals = dict.fromkeys(STATS_PROFILE_KEYS[profile][channel], 0)
        for operation in operations:
            for key, value in operation["stats"].items():
                totals[key] += value
        return {
            "channel": channel,
            "now": iso(now),
            "since": iso(since) if since else None,
            "operations": operations,
            "totals": totals,
            "outcomes": {
                "finished": sum(state.processed for state in states),
                "failed": sum(state.fates.failed for state in states),
                "undelivered": sum(state.fates.undelivered for state in states),
                "delivered": sum(state.fates.delivered for state in states),
                "in_flight": sum(state.in_flight for state in states),
            },
        }

    def configure_shapes(
        self, changes: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Change some channels' shapes, all or none (ValueError, TypeError), and report."""
        shapes = {}
        for channel, settings in changes.items():
            _check_channel(channel)
            if not isinstance(settings, Mapping):
                raise TypeError(f"the shape of {channel} must be an object")
            shapes[channel] = self.shapes[channel].changed(settings)
            check_shape(channel, shapes[channel])
        self.shapes |= shapes
        return self.shape_report()

    def set_shape(self, channel: str, **changes: Any) -> ChannelShape:
        """Change one channel's shape, all or none (ValueError, TypeError)."""
        self.configure_shapes({channel: changes})
        return self.shapes[channel]

    def shape_report(self) -> dict[str, dict[str, Any]]:
        """Return every channel's shape settings."""
        return {channel: shape.as_dict() for channel, shape in self.shapes.items()}

    def request_report(self) -> RequestReport:
        """Return the request counts: total, by route template, by channel."""
        return self.requests.report()

    def reset_requests(self) -> None:
        """Forget the request counts."""
        self.requests.reset()

    def configure_faults(self, changes: Mapping[str, float]) -> FaultReport:
        """Change some fault settings, all or none (ValueError, TypeError), and report."""
        self.config.faults.update(changes)
        return self.fault_report()

    def fault_report(self) -> FaultReport:
        """Return the fault settings and the counts of injected faults."""
        return {
            "faults": self.config.faults.as_dict(),
            "counts": dict(self.faults.counts),
        }

    def set_entitled(self, channel: str, entitled: bool) -> None:
        """Let the account use a channel, or not."""
        _check_channel(channel)
        if entitled:
            self.entitled.add(channel)
        else:
            self.entitled.discard(channel)

    def rotate_credential(self, username: str, password: str) -> None:
        """Give a known username a new password, as rotating a token does.

        What the old password authenticates stops working at once, which is
        how a client meets credentials rotated behind its back (a 401).
        """
        if username not in self.credentials:
            raise ValueError(f"unknown username {username!r}")
        if not password:
            raise ValueError("the new password must not be empty")
        self.credentials[username] = dataclasses.replace(
            self.credentials[username], password=password
        )

    def auth_token(self) -> str:
        """Return the account's current Auth Token, which signs deliveries (§8.3)."""
        return self.credentials[self.config.account_sid].password

    def emit_events(self) -> int:
        """Emit the events of every transition since the last look; return how many."""
        events = self.tracker.look(self.now())
        self._publish(events)
        return len(events)

    def _publish(self, events: list[Event]) -> None:
        """Log events and deliver each to the sinks subscribed to its type, faults and all."""
        for event in events:
            self.delivery.record(event)
            for sink in self.streams.subscribers(event.type):
                self.delivery.enqueue(sink, event)
        self.delivery.flush()

    def receive_message(
        self, from_address: str, to_address: str, text: str, channel: str = "SMS"
    ) -> str:
        """Have one of the account's senders receive a message (ValueError if none is to_address).

        The message can be fetched by the id returned, and its inbound event
        is emitted at once, if the account's catalogue has the type (§9).
        """
        now = self.now()
        message = self.world.receive(
            now,
            from_address=from_address,
            to_address=to_address,
            text=text,
            channel=channel,
        )
        if INBOUND_TYPE in self.streams.catalogue():
            self._publish([self.tracker.received_event(message, now)])
        return message.id

    def send_test(self, sink: Sink, test_id: str) -> None:
        """Deliver a sink's test event (§3)."""
        event = test_event(self.config.account_sid, test_id, self.clock())
        self.delivery.record(event)
        self.delivery.deliver(sink, [event])

    def configure_streams(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some Event Streams settings, all or none (ValueError, TypeError), and report."""
        self.config.streams.update(changes)
        return self.streams_report()

    def streams_report(self) -> dict[str, Any]:
        """Return the Event Streams settings, and the sinks and subscriptions that exist."""
        return {
            "settings": self.config.streams.as_dict(),
            "sinks": {sid: sink.status for sid, sink in self.streams.sinks.items()},
            "subscriptions": {
                sid: subscription.sink_sid
                for sid, subscription in self.streams.subscriptions.items()
            },
        }

    def event_report(self, limit: int = 10_000) -> DeliveryReport:
        """Return the counts of events and deliveries, and the newest events logged."""
        return self.delivery.report(limit)

    def set_live_interval(self, seconds: float) -> None:
        """Make operations appear on their own every so many seconds from now (0 stops it)."""
        self.world.set_live_interval(seconds, self.clock())


EMULATOR_KEY: Final = web.AppKey("emulator", Emulator)
