"""Delivery of Comms CloudEvents to a webhook sink: a real loopback receiver checks every request."""

import asyncio
import base64
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import hmac
import json
import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
import pytest
from yarl import URL

from comms_emulator import StreamsConfig, delivery
from comms_emulator.delivery import body_sha256, signature, signed_request

from .conftest import (
    AUTH,
    MESSAGE_TYPES,
    OPERATION_TYPES,
    ClientFactory,
    ManualClock,
    create_sink,
    emulator_of,
    get_json,
    list_pages,
    post_form,
    subscribe,
)

# docs/event-streams.md §8.2's worked example.
EXAMPLE_BODY = (
    b'[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink",'
    b'"id":"AC00000000000000000000000000000000","dataschema":'
    b'"https://events-schemas.twilio.com/EventStreams.TestSink/1.json",'
    b'"datacontenttype":"application/json","time":"2026-06-10T06:02:54.377Z",'
    b'"data":{"test_id":"cae2f9e2-c277-4612-8ad3-93c1a7a3ef88"}}]'
)
EXAMPLE_HASH = "5f07a98d27cada68cdf3a7f5d93407959fc2a038ae6511d3121ce70db9bd1571"
EXAMPLE_URL = f"https://example.org/api/webhook/abc123?bodySHA256={EXAMPLE_HASH}"

MESSAGE_FIELDS = {
    "operation_id",
    "message_id",
    "account_sid",
    "downstream_id",
    "attempt",
    "error_code",
    "from",
    "to",
    "tags",
}
# What each message status can follow, in the order events report them.
PATHS = {
    ("queued", "sent", "delivered"),
    ("queued", "sent", "delivered", "read"),
    ("queued", "sent", "undelivered"),
    ("queued", "failed"),
}
SEND = {
    "to": [{"address": f"+1555123000{index}"} for index in range(6)],
    "content": {"text": "hi"},
    "tags": {"origin": "test"},
}


def _twilio_signature(token: str, url: str) -> str:
    """Return the signature as docs §8.2 describes it, written here independently."""
    mac = hmac.new(token.encode(), url.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


async def _client(make_client: ClientFactory, **changes: Any) -> TestClient[Any, Any]:
    """Return a client of an emulator without seeded operations, with fast settings."""
    return await make_client(streams=fast(**changes), operations_per_channel=0)


def fast(**changes: Any) -> StreamsConfig:
    """Return settings for tests: no background ticks, retries within milliseconds."""
    settings: dict[str, Any] = {
        "tick_seconds": 3600,
        "timeout_seconds": 1,
        "retry_initial_seconds": 0.01,
        "retry_max_seconds": 0.02,
    }
    return StreamsConfig(**settings | changes)


@dataclass
class Received:
    """One request the receiver got, and what it answered."""

    url: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def events(self) -> list[dict[str, Any]]:
        """Return the body's events, whether an array or one object."""
        parsed = json.loads(self.body)
        return parsed if isinstance(parsed, list) else [parsed]


@dataclass
class Receiver:
    """A webhook on loopback: records requests, answers as scripted (200 when out of script)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    stall_seconds: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        """Record a request and answer it."""
        if self.stall_seconds:
            stall, self.stall_seconds = self.stall_seconds, 0.0
            await asyncio.sleep(stall)
        status = self.answers.pop(0) if self.answers else 200
        self.requests.append(
            Received(
                str(request.url), dict(request.headers), await request.read(), status
            )
        )
        return web.Response(status=status)

    def accepted(self) -> list[dict[str, Any]]:
        """Return every event of the requests answered 2xx, in arrival order."""
        return [
            event
            for received in self.requests
            if received.status == 200
            for event in received.events
        ]


@pytest.fixture
async def receiver(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> Receiver:
    """Serve a webhook on loopback; its URL carries Basic credentials."""
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/api/webhook/abc", hook.handle)
    server = await aiohttp_server(app)
    hook.url = f"http://hook:s3cret@127.0.0.1:{server.port}/api/webhook/abc"
    return hook


async def _provision(
    client: TestClient[Any, Any],
    receiver: Receiver,
    types: tuple[str, ...] = OPERATION_TYPES + MESSAGE_TYPES,
    *,
    batch_events: bool = True,
) -> str:
    """Create a sink for the receiver and subscribe it; return the sink's sid."""
    sink = await create_sink(client, receiver.url, batch_events=batch_events)
    await subscribe(client, sink["sid"], types)
    sid: str = sink["sid"]
    return sid


async def _send_and_finish(client: TestClient[Any, Any], clock: ManualClock) -> str:
    """Send to six recipients, emit, let two hours pass, emit; return the operation id."""
    response = await client.post("/v1/Messages", json=SEND, headers=AUTH)
    assert response.status == 202
    operation_id: str = (await response.json())["operationId"]
    emulator = emulator_of(client)
    emulator.emit_events()
    clock.tick(timedelta(hours=2))
    emulator.emit_events()
    await emulator.delivery.settle()
    return operation_id


def _check_authentic(received: Received, token: str) -> None:
    """Check Basic auth, the URL requested, bodySHA256 and the signature (plain reading)."""
    expected = base64.b64encode(b"hook:s3cret").decode()
    assert received.headers["Authorization"] == f"Basic {expected}"
    url = URL(received.url)
    assert url.user is None
    assert list(url.query) == ["bodySHA256"]
    assert url.query["bodySHA256"] == hashlib.sha256(received.body).hexdigest()
    assert received.headers["X-Twilio-Signature"] == _twilio_signature(
        token, received.url
    )


def test_signer_reproduces_the_docs_worked_example() -> None:
    """The docs' worked example: its body hash, and its signature with and without :443."""
    assert body_sha256(EXAMPLE_BODY) == EXAMPLE_HASH
    assert signature("12345", EXAMPLE_URL) == "kuDfIcLfs9XZV+eMAkbqohwyQ9M="
    destination = "https://u:p@example.org/api/webhook/abc123"
    url, headers = signed_request(destination, EXAMPLE_BODY, "12345", "plain")
    assert url == EXAMPLE_URL
    assert headers == {
        "X-Twilio-Signature": "kuDfIcLfs9XZV+eMAkbqohwyQ9M=",
        "Authorization": "Basic " + base64.b64encode(b"u:p").decode(),
    }
    _, headers = signed_request(destination, EXAMPLE_BODY, "12345", "port")
    assert headers["X-Twilio-Signature"] == "7qjB+9F6RFIghHj0hfdPDvcRT4I="
    _, headers = signed_request(destination, EXAMPLE_BODY, "12345", "userinfo")
    assert headers["X-Twilio-Signature"] == _twilio_signature(
        "12345", f"https://u:p@example.org/api/webhook/abc123?bodySHA256={EXAMPLE_HASH}"
    )
    _, headers = signed_request(
        EXAMPLE_URL.split("?", maxsplit=1)[0], EXAMPLE_BODY, "12345", "plain"
    )
    assert "Authorization" not in headers


async def test_sink_test_delivers_the_test_event(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """Test delivers one test event: id the Account SID, data.test_id the sink's, authenticated."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    sink = await create_sink(client, receiver.url)
    await post_form(client, f"/events/v1/Sinks/{sink['sid']}/Test")
    await emulator.delivery.settle()
    (received,) = receiver.requests
    _check_authentic(received, emulator.config.auth_token)
    assert received.headers["Content-Type"] == "application/json"
    (event,) = json.loads(received.body)
    assert event["type"] == "com.twilio.eventstreams.test-event"
    assert event["id"] == emulator.config.account_sid
    assert event["source"] == "Sink"
    assert event["data"] == {"test_id": emulator.streams.sinks[sink["sid"]].test_id}


async def test_operation_and_message_events(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """A send's stages and its messages' statuses arrive as Comms CloudEvents, in order."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    assert emulator.emit_events() == 0
    await _provision(client, receiver)
    operation_id = await _send_and_finish(client, clock)
    for received in receiver.requests:
        _check_authentic(received, emulator.config.auth_token)
    events = [
        e for e in receiver.accepted() if e["data"]["operation_id"] == operation_id
    ]
    ids = [event["id"] for event in events]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"EZ[0-9a-f]{32}", event_id) for event_id in ids)
    for event in events:
        assert event["specversion"] == "1.0"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["time"])
        assert event["dataschema"].startswith(
            "https://events-schemas.twilio.com/CommsApi."
        )
    stages = [e for e in events if e["type"] in OPERATION_TYPES]
    assert [e["type"] for e in stages] == list(OPERATION_TYPES)
    assert all(e["data"] == {"operation_id": operation_id} for e in stages)
    assert events[-1]["type"] == OPERATION_TYPES[2]
    paths: dict[str, list[str]] = {}
    for event in events:
        if event["type"] in MESSAGE_TYPES:
            data = event["data"]
            assert set(data) == MESSAGE_FIELDS
            assert data["account_sid"] == emulator.config.account_sid
            assert data["tags"] == {"origin": "test"}
            assert data["to"]["address"].startswith("+1555123000")
            assert set(data["from"]) == set(data["to"]) == {"id", "address", "channel"}
            assert data["attempt"] == "1"
            status = event["type"].rsplit(".", 1)[1]
            assert (data["error_code"] is None) == (
                status not in {"failed", "undelivered"}
            )
            assert (data["downstream_id"] is None) == (status == "queued")
            paths.setdefault(data["message_id"], []).append(status)
    assert len(paths) == len(SEND["to"])
    assert {tuple(path) for path in paths.values()} <= PATHS
    # The resources the API lists end where their events say.
    listed = await client.get(f"/v1/Messages?operationId={operation_id}", headers=AUTH)
    final = {m["id"]: m["status"].lower() for m in (await listed.json())["messages"]}
    assert final == {message: path[-1] for message, path in paths.items()}
    report = emulator.event_report()
    assert report["emitted_by_type"][OPERATION_TYPES[0]] == 1
    assert report["deliveries"]["succeeded"] == len(receiver.requests)
    assert report["deliveries"]["failed"] == 0
    logged = {entry["id"]: entry for entry in report["log"]}
    assert all(logged[event_id]["deliveries"] == 1 for event_id in ids)
    assert logged[ids[0]]["emitted_at"] == logged[ids[0]]["time"]


async def test_only_subscribed_types_reach_active_sinks(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """A sink gets only its subscription's types; a deleted sink gets nothing more."""
    client = await _client(make_client)
    sid = await _provision(client, receiver, OPERATION_TYPES[2:])
    await _send_and_finish(client, clock)
    assert {e["type"] for e in receiver.accepted()} == {OPERATION_TYPES[2]}
    count = len(receiver.requests)
    response = await client.delete(f"/events/v1/Sinks/{sid}", headers=AUTH)
    assert response.status == 204
    await _send_and_finish(client, clock)
    assert len(receiver.requests) == count


@pytest.mark.parametrize(
    "reading",
    [
        ({}, True, "application/json"),
        ({}, False, "application/json"),
        ({"content_type": "cloudevents"}, True, "application/cloudevents-batch+json"),
        ({"content_type": "cloudevents"}, False, "application/cloudevents+json"),
        (
            {"data_as_string": True, "numeric_fields": True, "max_batch": 1},
            True,
            "application/json",
        ),
    ],
)
async def test_body_readings(
    make_client: ClientFactory,
    receiver: Receiver,
    clock: ManualClock,
    reading: tuple[dict[str, Any], bool, str],
) -> None:
    """Array or single object, the Content-Type, data as object or JSON string, numbers or strings."""
    settings, batch_events, content_type = reading
    client = await _client(make_client, **settings)
    await _provision(client, receiver, batch_events=batch_events)
    await _send_and_finish(client, clock)
    assert len(receiver.requests) > 1
    sizes: Counter[int] = Counter()
    for received in receiver.requests:
        assert received.headers["Content-Type"] == content_type
        parsed = json.loads(received.body)
        assert isinstance(parsed, list) == batch_events
        sizes[len(received.events)] += 1
        for event in received.events:
            data = event["data"]
            if settings.get("data_as_string"):
                assert isinstance(data, str)
                data = json.loads(data)
            assert isinstance(data, dict)
            if "attempt" in data:
                assert data["attempt"] == (1 if settings.get("numeric_fields") else "1")
    if batch_events and "max_batch" not in settings:
        assert max(sizes) > 1
    else:
        assert set(sizes) == {1}


async def test_signature_over_the_url_with_user_info(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """Under the userinfo reading the signature covers the destination's credentials too."""
    client = await _client(make_client, signed_url="userinfo")
    emulator = emulator_of(client)
    sink = await create_sink(client, receiver.url)
    await post_form(client, f"/events/v1/Sinks/{sink['sid']}/Test")
    await emulator.delivery.settle()
    (received,) = receiver.requests
    query = URL(received.url).query_string
    assert received.headers["X-Twilio-Signature"] == _twilio_signature(
        emulator.config.auth_token, f"{receiver.url}?{query}"
    )
    assert received.headers["X-Twilio-Signature"] != _twilio_signature(
        emulator.config.auth_token, received.url
    )


async def test_the_current_auth_token_signs(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """After the Auth Token is rotated, deliveries are signed with the new one."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    sink = await create_sink(client, receiver.url)
    await client.post(
        "/_emulator/credentials",
        json={"username": emulator.config.account_sid, "password": "newtoken"},
    )
    response = await client.post(
        f"/events/v1/Sinks/{sink['sid']}/Test",
        headers={
            "Authorization": "Basic "
            + base64.b64encode(
                f"{emulator.config.account_sid}:newtoken".encode()
            ).decode()
        },
    )
    assert response.status == 201
    await emulator.delivery.settle()
    _check_authentic(receiver.requests[0], "newtoken")


async def test_retries_on_500_503_429_then_succeeds(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """A sink answering 500, 503 and 429 gets the same body again until it answers 200."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    receiver.answers = [500, 503, 429]
    sink = await create_sink(client, receiver.url)
    await post_form(client, f"/events/v1/Sinks/{sink['sid']}/Test")
    await emulator.delivery.settle()
    assert [r.status for r in receiver.requests] == [500, 503, 429, 200]
    assert len({r.body for r in receiver.requests}) == 1
    assert emulator.event_report()["deliveries"] == {
        "attempted": 4,
        "succeeded": 1,
        "failed": 3,
        "retried": 3,
        "dropped": 0,
    }


@pytest.mark.parametrize("status", [400, 401, 404, 413, 415])
async def test_other_4xx_drops_the_delivery(
    make_client: ClientFactory, receiver: Receiver, status: int
) -> None:
    """Any 4xx but 429 is never retried."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    receiver.answers = [status]
    sink = await create_sink(client, receiver.url)
    await post_form(client, f"/events/v1/Sinks/{sink['sid']}/Test")
    await emulator.delivery.settle()
    assert [r.status for r in receiver.requests] == [status]
    deliveries = emulator.event_report()["deliveries"]
    assert (deliveries["attempted"], deliveries["dropped"]) == (1, 1)
    assert emulator.event_report()["log"][0]["delivered_at"] is None


async def test_timeouts_are_retried(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """A sink slower than the timeout gets the delivery again."""
    client = await _client(make_client, timeout_seconds=0.1)
    emulator = emulator_of(client)
    receiver.stall_seconds = 0.5
    sink = await create_sink(client, receiver.url)
    await post_form(client, f"/events/v1/Sinks/{sink['sid']}/Test")
    await emulator.delivery.settle()
    report = emulator.event_report()["deliveries"]
    assert (report["retried"], report["succeeded"]) == (1, 1)


async def test_unreachable_sink_is_given_up(
    make_client: ClientFactory, unused_tcp_port: int
) -> None:
    """Connection failures are retried until the give-up time, then dropped."""
    client = await _client(make_client, retry_give_up_seconds=0.1)
    emulator = emulator_of(client)
    sink = await create_sink(client, f"http://127.0.0.1:{unused_tcp_port}/hook")
    await post_form(client, f"/events/v1/Sinks/{sink['sid']}/Test")
    await emulator.delivery.settle()
    report = emulator.event_report()["deliveries"]
    assert report["retried"] >= 2
    assert report["dropped"] == 1
    assert report["succeeded"] == 0


async def test_duplicates_and_reordering_lose_nothing(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """With duplicates, reordering and delays, every event arrives at least once; some twice, some late."""
    client = await make_client(
        streams=fast(duplicate=0.3, reorder=0.3, delay=0.3, delay_seconds=0.01),
        operations_per_channel=0,
    )
    emulator = emulator_of(client)
    await _provision(client, receiver)
    for _ in range(3):
        await _send_and_finish(client, clock)
    emitted = [entry["id"] for entry in emulator.event_report()["log"]]
    arrived = [event["id"] for event in receiver.accepted()]
    assert set(arrived) == set(emitted)
    assert len(arrived) > len(emitted)
    assert list(dict.fromkeys(arrived)) != emitted
    faults = emulator.event_report()["faults"]
    assert faults["duplicated"] == len(arrived) - len(emitted)
    assert faults["reordered"] > 0
    assert faults["delayed"] > 0


async def test_drops_lose_events(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """Dropped events never arrive, and are counted."""
    client = await make_client(streams=fast(drop=0.3), operations_per_channel=0)
    emulator = emulator_of(client)
    await _provision(client, receiver)
    await _send_and_finish(client, clock)
    emitted = {entry["id"] for entry in emulator.event_report()["log"]}
    arrived = {event["id"] for event in receiver.accepted()}
    assert arrived < emitted
    assert emulator.event_report()["faults"]["dropped"] == len(emitted - arrived)


async def test_seeded_operations_in_flight_emit_only_what_follows(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """Operations already moving at start emit their later stages, never the earlier ones."""
    client = await make_client(
        streams=fast(), active_fraction=0.5, operations_per_channel=10
    )
    emulator = emulator_of(client)
    await _provision(client, receiver, OPERATION_TYPES)
    moving = [
        state
        for state in (emulator.truth("Messages")["operations"])
        if state["status"] in {"SCHEDULED", "PROCESSING"}
    ]
    assert moving
    clock.tick(timedelta(hours=8))
    emulator.emit_events()
    await emulator.delivery.settle()
    by_operation: dict[str, list[str]] = {}
    for event in receiver.accepted():
        by_operation.setdefault(event["data"]["operation_id"], []).append(event["type"])
    assert set(by_operation) <= {operation["id"] for operation in moving}
    for operation in moving:
        if operation["status"] == "PROCESSING" and operation["id"] in by_operation:
            assert by_operation[operation["id"]] == [OPERATION_TYPES[2]]


async def test_the_background_ticker_emits_as_the_clock_moves(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """Without an explicit emit, a tick finds the transitions once the clock moves."""
    client = await _client(make_client, tick_seconds=0.02)
    await _provision(client, receiver, OPERATION_TYPES)
    response = await client.post("/v1/Messages", json=SEND, headers=AUTH)
    operation_id = (await response.json())["operationId"]
    clock.tick(timedelta(hours=2))
    for _ in range(100):
        types = [
            e["type"]
            for e in receiver.accepted()
            if e["data"]["operation_id"] == operation_id
        ]
        if len(types) == 3:
            break
        await asyncio.sleep(0.02)
    assert types == list(OPERATION_TYPES)


async def test_event_control_endpoints(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """/_emulator/events reports and resets; emit and settle drive delivery over HTTP."""
    client = await _client(make_client)
    await _provision(client, receiver, OPERATION_TYPES)
    await client.post("/v1/Messages", json=SEND, headers=AUTH)
    response = await client.post("/_emulator/events/emit")
    assert await response.json() == {"emitted": 1}
    response = await client.post("/_emulator/events/settle")
    report = await response.json()
    assert report["emitted"] == 1
    assert report["log"] == []
    assert report["deliveries"]["succeeded"] == 1
    body = await (await client.get("/_emulator/events?limit=1")).json()
    (entry,) = body["log"]
    assert entry["type"] == OPERATION_TYPES[0]
    assert datetime.fromisoformat(entry["emitted_at"]) == clock.now
    assert datetime.fromisoformat(entry["delivered_at"]) == clock.now
    assert (await client.get("/_emulator/events?limit=-1")).status == 400
    response = await client.post("/_emulator/events/reset")
    assert (await response.json())["emitted"] == 0


async def test_a_clock_moved_back_emits_nothing(
    make_client: ClientFactory, receiver: Receiver, clock: ManualClock
) -> None:
    """Moving the clock back re-emits nothing; moving it on again emits only what is new."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    await _provision(client, receiver, OPERATION_TYPES)
    await client.post("/v1/Messages", json=SEND, headers=AUTH)
    clock.tick(timedelta(hours=2))
    assert emulator.emit_events() > 3
    clock.tick(timedelta(hours=-2))
    assert emulator.emit_events() == 0
    clock.tick(timedelta(hours=3))
    assert emulator.emit_events() == 0
    await emulator.delivery.settle()
    assert [e["type"] for e in receiver.accepted()] == list(OPERATION_TYPES)


async def test_non_webhook_sinks_get_nothing_and_the_log_is_bounded(
    make_client: ClientFactory,
    receiver: Receiver,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Kinesis sink subscribed gets no request; the event log keeps the newest only."""
    monkeypatch.setattr(delivery, "LOG_SIZE", 5)
    client = await _client(make_client)
    emulator = emulator_of(client)
    sink = await post_form(
        client,
        "/events/v1/Sinks",
        {"Description": "d", "SinkType": "kinesis", "SinkConfiguration": "{}"},
    )
    await subscribe(client, sink["sid"])
    await _send_and_finish(client, clock)
    report = emulator.event_report()
    assert report["emitted"] > 5
    assert len(report["log"]) == 5
    assert report["deliveries"]["attempted"] == 0
    assert receiver.requests == []


# Messages received (docs §9): the emulator is told of one, serves it by id
# and emits its inbound event.

INBOUND_TYPE = "com.twilio.comms-api.message.inbound-received"
SENDER = "+15550001111"
RECEIVED = {"from": "+15558675310", "to": SENDER, "text": "Are you home?"}


async def _receive(client: TestClient[Any, Any], **changes: str) -> str:
    """Have the emulator receive a message through its control plane; return its id."""
    response = await client.post("/_emulator/inbound", json=RECEIVED | changes)
    assert response.status == 200, await response.text()
    message_id: str = (await response.json())["id"]
    await emulator_of(client).delivery.settle()
    return message_id


async def test_a_message_received_is_served_and_its_event_delivered(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """A message received: fetched by id with its sender and text; its event names ids only."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    await _provision(client, receiver, (*OPERATION_TYPES, INBOUND_TYPE))
    message_id = await _receive(client, channel="WHATSAPP")
    (received,) = receiver.requests
    _check_authentic(received, emulator.config.auth_token)
    (event,) = received.events
    assert event["type"] == INBOUND_TYPE
    assert re.fullmatch(r"EZ[0-9a-f]{32}", event["id"])
    assert event["source"] == f"/v1/Messages/{message_id}"
    assert event["dataschema"] == (
        "https://events-schemas.twilio.com/CommsApi.MessageInbound/2"
    )
    data = event["data"]
    assert data["message_id"] == message_id
    assert data["operation_id"] is None
    assert data["to"] == {"id": None, "address": SENDER, "channel": "WHATSAPP"}
    assert data["downstream_id"].startswith("SM")
    # 3P-rs's inbound fields: no sender, no text.
    assert "from" not in data
    assert RECEIVED["text"] not in received.body.decode()
    fetched = await get_json(client, f"/v1/Messages/{message_id}")
    assert fetched["id"] == message_id
    assert fetched["status"] == "INBOUND"
    assert fetched["from"] == {"address": RECEIVED["from"], "channel": "WHATSAPP"}
    assert fetched["to"] == [{"address": SENDER, "channel": "WHATSAPP"}]
    assert fetched["content"] == {"text": RECEIVED["text"]}
    assert fetched["related"] == []
    # A message received is no send's resource: not under Emails, not listed.
    await get_json(client, f"/v1/Emails/{message_id}", 404)
    assert await list_pages(client, "/v1/Messages", "messages") == [[]]
    report = emulator.event_report()
    assert report["emitted_by_type"] == {INBOUND_TYPE: 1}
    assert report["delivered_by_type"] == {INBOUND_TYPE: 1}


async def test_a_message_received_takes_the_faults_of_every_event(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """Delivered like the others: one object to a sink that does not batch, dropped by drops."""
    client = await _client(make_client, data_as_string=True)
    await _provision(client, receiver, (INBOUND_TYPE,), batch_events=False)
    message_id = await _receive(client)
    (received,) = receiver.requests
    event = json.loads(received.body)
    assert json.loads(event["data"])["message_id"] == message_id
    emulator_of(client).configure_streams({"drop": 1.0})
    await _receive(client)
    assert len(receiver.requests) == 1
    assert emulator_of(client).event_report()["faults"] == {"dropped": 1}


async def test_a_message_received_reaches_only_subscribers_of_a_listed_type(
    make_client: ClientFactory, receiver: Receiver
) -> None:
    """Not subscribed: no delivery; the catalogue without the type: no event at all."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    sid = await _provision(client, receiver, OPERATION_TYPES)
    first = await _receive(client)
    assert receiver.requests == []
    assert emulator.event_report()["emitted_by_type"] == {INBOUND_TYPE: 1}
    # Subscribed, then the account loses the type: messages still arrive,
    # their events no longer exist.
    await client.delete(f"/events/v1/Sinks/{sid}", headers=AUTH)
    await _provision(client, receiver, (INBOUND_TYPE,))
    emulator.configure_streams({"inbound_type": False})
    second = await _receive(client)
    assert receiver.requests == []
    assert emulator.event_report()["emitted"] == 1
    for message_id in (first, second):
        await get_json(client, f"/v1/Messages/{message_id}")


async def test_messages_are_received_by_the_accounts_senders_and_expire(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """The default sender and any address a send went out from receive; 7 days later, gone."""
    client = await _client(make_client)
    emulator = emulator_of(client)
    with pytest.raises(ValueError, match="not a sender"):
        emulator.receive_message("+15558675310", "+15550002222", "Hi")
    send = SEND | {"from": {"address": "+15550002222", "channel": "SMS"}}
    assert (await client.post("/v1/Messages", json=send, headers=AUTH)).status == 202
    message_id = emulator.receive_message("+15558675310", "+15550002222", "Hi")
    assert emulator.receive_message("+15558675310", SENDER, "Hi") != message_id
    await get_json(client, f"/v1/Messages/{message_id}")
    clock.tick(timedelta(days=7, seconds=1))
    await get_json(client, f"/v1/Messages/{message_id}", 404)
