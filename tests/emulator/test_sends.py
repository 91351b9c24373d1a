"""Sends: the 202 pattern, validation, the resources an operation creates."""

from datetime import timedelta
import json
from typing import Any

from aiohttp.test_utils import TestClient
import pytest

from comms_emulator import ChannelShape
from comms_emulator.config import RESOURCE_LIST_KEY, RESOURCE_PREFIX, STATS_PROFILE_KEYS

from .conftest import (
    AUTH,
    ClientFactory,
    ManualClock,
    emulator_of,
    get_json,
    list_pages,
)

# A minimal valid body per channel that accepts sends.
BODIES: dict[str, dict[str, Any]] = {
    "Messages": {
        "to": [
            {"address": "+15551230001", "channel": "PHONE"},
            {"address": "+15551230002", "channel": "PHONE"},
            {"address": "+15551230003", "channel": "PHONE"},
        ],
        "content": {"text": "Hi"},
        "tags": {"source": "home_assistant"},
    },
    "PushNotifications": {
        "to": [
            {"token": "abc", "provider": "FCM"},
            {"token": "def", "provider": "APN"},
        ],
        "content": {"title": "Door", "body": "Front door opened"},
    },
    "Emails": {
        "to": [{"address": "ann@example.com"}],
        "content": {"subject": "Hello", "html": "<p>Hi</p>"},
    },
}


async def _send(client: TestClient[Any, Any], channel: str, body: Any) -> Any:
    """POST a send; return the response."""
    return await client.post(f"/v1/{channel}", json=body, headers=AUTH)


async def _sent_operation_id(
    client: TestClient[Any, Any], channel: str, body: Any
) -> str:
    """POST a send; return the operation id of its 202 body."""
    response = await _send(client, channel, body)
    assert response.status == 202
    operation_id: str = (await response.json())["operationId"]
    return operation_id


@pytest.mark.parametrize("mode", ["body", "headers", "both", "none"])
async def test_202_in_each_operation_id_mode(
    make_client: ClientFactory, mode: str
) -> None:
    """A send answers 202, with the operation id in the body, headers, both or nowhere."""
    client = await make_client(operation_id_mode=mode, operations_per_channel=5)
    response = await _send(client, "Messages", BODIES["Messages"])
    assert response.status == 202
    emulator = emulator_of(client)
    plan = emulator.world.operations("Messages", emulator.clock())[0]
    location = str(client.make_url(f"/v1/Messages/Operations/{plan.id}"))
    in_body, in_headers = mode in {"body", "both"}, mode in {"headers", "both"}
    text = await response.text()
    assert (json.loads(text) if text else None) == (
        {"operationId": plan.id, "operationLocation": location} if in_body else None
    )
    assert response.headers.get("Location") == (location if in_body else None)
    assert response.headers.get("operation-id") == (plan.id if in_headers else None)
    assert response.headers.get("operation-location") == (
        location if in_headers else None
    )
    assert response.headers.get("resource-location", "").endswith(
        f"/v1/Messages?operationId={plan.id}" if in_headers else ""
    )


# A send's operation is served in its channel's shape like any other.
SHAPED = ChannelShape(stats_profile="guide", counter_reading="split")
FINAL_STATUSES = {"SENT", "DELIVERED", "READ", "OPENED", "UNDELIVERED", "FAILED"}


@pytest.mark.parametrize(
    ("channel", "shape"),
    [*((channel, ChannelShape()) for channel in BODIES), ("Messages", SHAPED)],
)
async def test_sent_operation_evolves_and_lists_its_resources(
    make_client: ClientFactory, clock: ManualClock, channel: str, shape: ChannelShape
) -> None:
    """The new operation is SCHEDULED, then moves; its resources list and fetch by id."""
    client = await make_client(
        operations_per_channel=5, cancel_rate=0.0, shapes={channel: shape}
    )
    body, path = BODIES[channel], f"/v1/{channel}"
    operation_id = await _sent_operation_id(client, channel, body)
    keys = STATS_PROFILE_KEYS[shape.stats_profile][channel]
    for wait, status in (
        (timedelta(0), "SCHEDULED"),
        (timedelta(hours=2), "COMPLETED"),
    ):
        clock.tick(wait)
        operation = await get_json(client, f"{path}/Operations/{operation_id}")
        assert (operation["status"], tuple(operation["stats"])) == (status, keys)
        assert operation["stats"]["total"] == len(body["to"])
        listing = await get_json(client, path, operationId=operation_id)
        resources = listing[RESOURCE_LIST_KEY[channel]]
        assert status != "SCHEDULED" or {r["status"] for r in resources} == {status}
    assert (len(resources), listing["pagination"]["next"]) == (len(body["to"]), None)
    related = [
        {
            "name": "OPERATION",
            "id": operation_id,
            "uri": f"{path}/Operations/{operation_id}",
        }
    ]
    for index, resource in enumerate(resources):
        assert resource["id"].startswith(RESOURCE_PREFIX[channel])
        assert resource["related"] == related
        assert resource["to"] == [body["to"][index]]
        assert resource["tags"] == body.get("tags", {})
        assert resource["createdAt"] == operation["createdAt"]
        assert resource["status"] in FINAL_STATUSES
        fetched = await get_json(client, f"{path}/{resource['id']}")
        assert (fetched["id"], fetched["content"]) == (resource["id"], body["content"])
    assert set(resources[0]) >= {"id", "to", "from", "status", "createdAt", "updatedAt"}


@pytest.mark.parametrize(
    ("send_at", "timeline", "scheduled_for"),
    [
        pytest.param(
            ["2026-11-23T14:00:00Z", "2026-11-23T18:00:00Z"],
            [(timedelta(hours=1, minutes=59), "SCHEDULED"), (timedelta(minutes=1), "PROCESSING")],
            "2026-11-23T14:00:00Z",
            id="later",
        ),
        pytest.param(
            ["2026-11-22T09:00:00Z"],
            [(timedelta(0), "SCHEDULED"), (timedelta(seconds=30), "PROCESSING")],
            None,
            id="past-starts-soon",
        ),
        pytest.param(
            ["2026-11-23T14:00:00"],
            [(timedelta(hours=1, minutes=59), "SCHEDULED")],
            "2026-11-23T14:00:00Z",
            id="no-offset-is-utc",
        ),
    ],
)  # fmt: skip
async def test_scheduled_send_waits_for_send_at(
    make_client: ClientFactory,
    clock: ManualClock,
    send_at: list[str],
    timeline: list[tuple[timedelta, str]],
    scheduled_for: str | None,
) -> None:
    """A send waits for its first sendAt (UTC without an offset); a past one starts at once."""
    client = await make_client(operations_per_channel=0, cancel_rate=0.0)
    body = BODIES["Messages"] | {"schedule": {"sendAt": send_at}}
    operation_id = await _sent_operation_id(client, "Messages", body)
    if scheduled_for:
        listing = await get_json(client, "/v1/Messages", operationId=operation_id)
        assert {m["scheduledFor"] for m in listing["messages"]} == {scheduled_for}
    for step, status in timeline:
        clock.tick(step)
        operation = await get_json(client, f"/v1/Messages/Operations/{operation_id}")
        assert operation["status"] == status


@pytest.mark.parametrize(("pace", "done_in_6_s"), [(1.0, False), (0.1, True)])
async def test_send_pace_scales_a_sends_wait_and_processing(
    make_client: ClientFactory, clock: ManualClock, pace: float, done_in_6_s: bool
) -> None:
    """One-recipient texts complete within 6 s at a tenth of the pace, 51 s at the seeded one.

    A send waits up to 30 s, then processes for 20 s and 0.5 s per recipient at most.
    """
    client = await make_client(
        operations_per_channel=0, cancel_rate=0.0, send_pace=pace
    )
    body = BODIES["Messages"] | {"to": BODIES["Messages"]["to"][:1]}
    sent = [await _sent_operation_id(client, "Messages", body) for _ in range(20)]

    async def completed() -> list[bool]:
        return [
            (await get_json(client, f"/v1/Messages/Operations/{operation_id}"))[
                "status"
            ]
            == "COMPLETED"
            for operation_id in sent
        ]

    clock.tick(timedelta(seconds=6))
    assert await completed() == [done_in_6_s] * len(sent)
    clock.tick(timedelta(seconds=45))
    assert await completed() == [True] * len(sent)


async def test_operation_errors_list_failures(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """Errors lists each failed resource of an operation, paginated."""
    client = await make_client(operations_per_channel=300, failure_rate=0.1)
    clock.tick(timedelta(hours=8))
    truth = emulator_of(client).truth("Messages")["operations"]
    operation = next(op for op in truth if op["stats"]["failed"] > 3)
    failed = operation["stats"]["failed"] + operation["stats"]["unaddressable"]
    path = f"/v1/Messages/Operations/{operation['id']}/Errors"
    pages = await list_pages(client, path, "errors", pageSize="2")
    errors = [error for page in pages for error in page]
    assert (len(errors), len(pages)) == (failed, (failed + 1) // 2)
    assert {error["code"] for error in errors} <= {30003, 21211}
    assert errors[0] == {
        "code": 30003,
        "message": "Unreachable destination handset",
        "infoUrl": "https://www.twilio.com/docs/api/errors/30003",
        "resourceId": errors[0]["resourceId"],
    }
    listing = await get_json(
        client, "/v1/Messages", operationId=operation["id"], status="failed"
    )
    assert [m["id"] for m in listing["messages"]] == [e["resourceId"] for e in errors]
    message = await get_json(client, f"/v1/Messages/{errors[0]['resourceId']}")
    assert message["attempts"][0]["error"]["code"] == 30003


async def test_resource_listing_pages_across_operations(
    make_client: ClientFactory,
) -> None:
    """Without operationId, resources list newest operation first, each recipient once."""
    client = await make_client(operations_per_channel=20)
    pages = await list_pages(client, "/v1/Emails", "emails", pageSize="37")
    resources = [resource for page in pages for resource in page]
    truth = emulator_of(client).truth("Emails")["operations"]
    assert (
        len(resources)
        == len({r["id"] for r in resources})
        == sum(op["stats"]["total"] for op in truth)
    )
    order = [r["related"][0]["id"] for r in resources]
    assert list(dict.fromkeys(order)) == [op["id"] for op in truth]


async def test_push_fetch_shows_one_recipient_object(
    make_client: ClientFactory,
) -> None:
    """A fetched push notification's `to` is an object, a listed one's an array (both documented)."""
    client = await make_client(operations_per_channel=3)
    listing = await get_json(client, "/v1/PushNotifications")
    listed = listing["pushNotifications"][0]
    fetched = await get_json(client, f"/v1/PushNotifications/{listed['id']}")
    assert fetched["to"] == listed["to"][0]
    assert fetched["priority"] == "HIGH"
