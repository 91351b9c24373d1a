"""Delivering events to webhook sinks, as Event Streams does (docs/event-streams.md §6–§8).

Each request carries Basic auth from the destination's user info (never in
the URL requested), `?bodySHA256=` and an X-Twilio-Signature over the URL;
it is retried on a timeout, a connection failure, 429 and 5xx, with capped
exponential backoff, and dropped on any other answer that is not 2xx. Faults
(duplicates, reordering, delay, drops) come from one seeded generator.
"""

import asyncio
import base64
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
import hashlib
import hmac
import json
import logging
import random
from typing import Any, Final, TypedDict

import aiohttp
from yarl import URL

from .config import StreamsConfig
from .events import Event, timestamp
from .streams import Sink

_LOGGER: Final = logging.getLogger(__name__)

# Events remembered for /_emulator/events, at most: the oldest are forgotten.
LOG_SIZE: Final = 10_000

# Requests in flight to one sink at once, at most: a burst of events waits
# for a slot rather than swamping the receiver into timeouts.
CONCURRENCY: Final = 4

# The port a URL's scheme implies, written out under the "port" reading.
DEFAULT_PORTS: Final = {"https": 443, "http": 80}

# The Content-Type of a delivery, per setting and batching (§6).
CONTENT_TYPES: Final = {
    ("json", True): "application/json",
    ("json", False): "application/json",
    ("cloudevents", True): "application/cloudevents-batch+json",
    ("cloudevents", False): "application/cloudevents+json",
}


def body_sha256(body: bytes) -> str:
    """Return the bodySHA256 of a body: lowercase hex SHA-256 (§8.2)."""
    return hashlib.sha256(body).hexdigest()


def signature(auth_token: str, url: str) -> str:
    """Return X-Twilio-Signature: Base64 of HMAC-SHA1, keyed by the Auth Token, over the URL."""
    digest = hmac.new(auth_token.encode(), url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_request(
    destination: str, body: bytes, auth_token: str, reading: str
) -> tuple[str, dict[str, str]]:
    """Return the URL to request and the headers authenticating it, under a reading.

    The URL requested is the destination without its user info, plus
    bodySHA256; the signature is over that URL ("plain"), over it with the
    user info ("userinfo") or with the scheme's default port ("port").
    """
    url = URL(destination)
    hashed = {"bodySHA256": body_sha256(body)}
    requested = url.with_user(None).update_query(hashed)
    signed = str(requested)
    if reading == "userinfo":
        signed = str(url.update_query(hashed))
    elif reading == "port" and url.explicit_port is None:
        port = DEFAULT_PORTS.get(url.scheme, url.port)
        signed = f"{url.scheme}://{url.raw_host}:{port}{requested.raw_path_qs}"
    headers = {"X-Twilio-Signature": signature(auth_token, signed)}
    if url.user is not None:
        # On every request, not after a 401 (§8.1).
        credentials = f"{url.user}:{url.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    return str(requested), headers


@dataclass(slots=True)
class Logged:
    """One emitted event, as /_emulator/events shows it."""

    event: Event
    emitted_at: datetime
    delivered_at: datetime | None = None
    deliveries: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as JSON."""
        return {
            "id": self.event.id,
            "type": self.event.type,
            "operation_id": self.event.subject,
            "time": timestamp(self.event.time),
            "emitted_at": timestamp(self.emitted_at),
            "delivered_at": timestamp(self.delivered_at) if self.delivered_at else None,
            "deliveries": self.deliveries,
        }


class DeliveryReport(TypedDict):
    """What /_emulator/events shows: counts, then the newest events."""

    emitted: int
    emitted_by_type: dict[str, int]
    delivered_by_type: dict[str, int]
    deliveries: dict[str, int]
    faults: dict[str, int]
    log: list[dict[str, Any]]


class Delivery:
    """Per-sink outboxes of events, and the requests that deliver them."""

    def __init__(
        self,
        config: StreamsConfig,
        rng: random.Random,
        clock: Callable[[], datetime],
        sinks: Mapping[str, Sink],
        auth_token: Callable[[], str],
    ) -> None:
        """Deliver to the given sinks, signing with the account's current Auth Token."""
        self.config = config
        self.rng = rng
        self.clock = clock
        self.sinks = sinks
        self.auth_token = auth_token
        self.outboxes: dict[str, list[Event]] = {}
        # Events a reorder fault holds back until after the next ones.
        self.held: dict[str, list[Event]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots: dict[str, asyncio.Semaphore] = {}
        self.session: aiohttp.ClientSession | None = None
        self.ticker: asyncio.Task[None] | None = None
        self.log: OrderedDict[str, Logged] = OrderedDict()
        self.emitted: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def _hits(self, rate: float) -> bool:
        """Draw whether a fault of a rate strikes now."""
        return rate > 0 and self.rng.random() < rate

    def record(self, event: Event) -> None:
        """Count an emitted event and log when it was emitted."""
        self.emitted[event.type] += 1
        # The test event's id is the Account SID, the same every time.
        self.log.pop(event.id, None)
        self.log[event.id] = Logged(event, self.clock())
        while len(self.log) > LOG_SIZE:
            self.log.popitem(last=False)

    def enqueue(self, sink: Sink, event: Event) -> None:
        """Put an event in a sink's outbox, unless a fault drops, doubles or holds it."""
        config = self.config
        if self._hits(config.drop):
            self.faults["dropped"] += 1
            return
        if self._hits(config.reorder):
            self.faults["reordered"] += 1
            self.held.setdefault(sink.sid, []).append(event)
        else:
            self.outboxes.setdefault(sink.sid, []).append(event)
        if self._hits(config.duplicate):
            self.faults["duplicated"] += 1
            self.outboxes.setdefault(sink.sid, []).append(event)

    def flush(self) -> None:
        """Send every outbox in batches, and what was held back after them."""
        held, self.held = self.held, {}
        for sid in {*self.outboxes, *held}:
            events = self.outboxes.pop(sid, []) + held.get(sid, [])
            sink = self.sinks.get(sid)
            if sink is None or sink.sink_type != "webhook" or not events:
                continue
            while events:
                size = self.rng.randint(1, self.config.max_batch) if sink.batched else 1
                batch, events = events[:size], events[size:]
                if len(batch) > 1 and self._hits(self.config.reorder):
                    self.faults["shuffled"] += 1
                    self.rng.shuffle(batch)
                delayed = self._hits(self.config.delay)
                if delayed:
                    self.faults["delayed"] += 1
                self.spawn(self._deliver(sink, batch, delayed=delayed))

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a delivery in the background, remembered until it ends."""
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def deliver(self, sink: Sink, events: list[Event]) -> None:
        """Deliver events to a sink at once, without faults (the test event)."""
        self.spawn(self._deliver(sink, events, delayed=False))

    def _body(self, sink: Sink, events: list[Event]) -> bytes:
        """Return a delivery's body: an array for a batching sink, else one event."""
        envelopes = [
            event.envelope(data_as_string=self.config.data_as_string)
            for event in events
        ]
        return json.dumps(envelopes if sink.batched else envelopes[0]).encode()

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int | None:
        """POST once; return the status, or None on a timeout or connection failure."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
        try:
            async with self.session.post(
                URL(url, encoded=True),
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_seconds),
                allow_redirects=False,
            ) as response:
                await response.read()
                return response.status
        except TimeoutError, aiohttp.ClientError:
            return None

    async def _deliver(self, sink: Sink, events: list[Event], *, delayed: bool) -> None:
        """Deliver one batch until it succeeds, is refused or is given up."""
        config = self.config
        if delayed:
            await asyncio.sleep(config.delay_seconds)
        body = self._body(sink, events)
        content_type = CONTENT_TYPES[config.content_type, sink.batched]
        loop = asyncio.get_running_loop()
        started, wait = loop.time(), config.retry_initial_seconds
        # A deleted sink receives nothing more, retries included.
        while sink.sid in self.sinks:
            url, headers = signed_request(
                sink.destination, body, self.auth_token(), config.signed_url
            )
            async with self.slots.setdefault(sink.sid, asyncio.Semaphore(CONCURRENCY)):
                self.counts["attempted"] += 1
                status = await self._post(
                    url, body, headers | {"Content-Type": content_type}
                )
            if status is not None and 200 <= status < 300:
                self.counts["succeeded"] += 1
                self._delivered(events)
                return
            self.counts["failed"] += 1
            retried = status is None or status == 429 or status >= 500
            if (
                not retried
                or loop.time() - started + wait > config.retry_give_up_seconds
            ):
                self.counts["dropped"] += 1
                return
            self.counts["retried"] += 1
            await asyncio.sleep(wait * self.rng.uniform(0.5, 1.0))
            wait = min(wait * 2, config.retry_max_seconds)

    def _delivered(self, events: list[Event]) -> None:
        """Note events a sink accepted."""
        now = self.clock()
        for event in events:
            self.delivered[event.type] += 1
            logged = self.log.get(event.id)
            if logged is not None and logged.event is event:
                logged.deliveries += 1
                if logged.delivered_at is None:
                    logged.delivered_at = now

    def start(self, tick: Callable[[], object]) -> None:
        """Call tick every tick_seconds of real time, until stopped."""

        async def run() -> None:
            """Tick forever; a failing tick is logged, not fatal."""
            while True:
                await asyncio.sleep(self.config.tick_seconds)
                try:
                    tick()
                except Exception:
                    _LOGGER.exception("Emitting events failed")

        self.ticker = asyncio.get_running_loop().create_task(run())

    async def settle(self) -> None:
        """Wait until every event emitted so far is delivered, refused or given up."""
        while self.held or self.outboxes or self.tasks:
            self.flush()
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Stop ticking and delivering, and close the HTTP session."""
        for task in [*self.tasks, *([self.ticker] if self.ticker else [])]:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.ticker is not None:
            await asyncio.gather(self.ticker, return_exceptions=True)
            self.ticker = None
        if self.session is not None:
            await self.session.close()
            self.session = None

    def reset(self) -> None:
        """Forget the counts and the log."""
        for counter in (self.emitted, self.delivered, self.counts, self.faults):
            counter.clear()
        self.log.clear()

    def report(self, limit: int = LOG_SIZE) -> DeliveryReport:
        """Return the counts, and the newest logged events (oldest first)."""
        entries = list(self.log.values())[-limit:] if limit else []
        return {
            "emitted": sum(self.emitted.values()),
            "emitted_by_type": dict(self.emitted),
            "delivered_by_type": dict(self.delivered),
            "deliveries": {
                key: self.counts[key]
                for key in ("attempted", "succeeded", "failed", "retried", "dropped")
            },
            "faults": dict(self.faults),
            "log": [entry.as_dict() for entry in entries],
        }
