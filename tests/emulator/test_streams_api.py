"""The Events API under /events/v1: Sinks, Test, Validate, Subscriptions, Types, readings."""

import json
import re
from typing import Any

import pytest

from comms_emulator import StreamsConfig

from .conftest import (
    AUTH,
    MESSAGE_TYPES,
    OPERATION_TYPES,
    ClientFactory,
    basic,
    create_sink,
    emulator_of,
    get_json,
    post_form,
    subscribe,
)

INBOUND = "com.twilio.comms-api.message.inbound-received"


def _classic(body: dict[str, Any], status: int) -> None:
    """Check a classic Twilio error body."""
    assert set(body) == {"code", "message", "more_info", "status"}
    assert body["status"] == status
    assert body["more_info"].endswith(str(body["code"]))


async def test_sink_create_fetch_list_delete(make_client: ClientFactory) -> None:
    """A sink is created (201, snake_case, configuration as an object), read, listed and deleted (204)."""
    client = await make_client()
    sink = await create_sink(client)
    assert re.fullmatch(r"DG[0-9a-f]{32}", sink["sid"])
    assert sink["status"] == "active"
    assert sink["sink_type"] == "webhook"
    assert sink["sink_configuration"] == {
        "destination": "https://user:pass@example.org/hook",
        "method": "POST",
        "batch_events": True,
    }
    base = str(client.make_url(f"/events/v1/Sinks/{sink['sid']}"))
    assert sink["url"] == base
    assert sink["links"] == {
        "sink_test": f"{base}/Test",
        "sink_validate": f"{base}/Validate",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sink["date_created"])
    assert await get_json(client, f"/events/v1/Sinks/{sink['sid']}") == sink
    listed = await get_json(client, "/events/v1/Sinks")
    assert listed["sinks"] == [sink]
    assert listed["meta"]["key"] == "sinks"
    assert listed["meta"]["next_page_url"] is None
    updated = await post_form(
        client, f"/events/v1/Sinks/{sink['sid']}", {"Description": "renamed"}, 200
    )
    assert updated["description"] == "renamed"
    response = await client.delete(f"/events/v1/Sinks/{sink['sid']}", headers=AUTH)
    assert response.status == 204
    _classic(await get_json(client, f"/events/v1/Sinks/{sink['sid']}", 404), 404)
    response = await client.delete(f"/events/v1/Sinks/{sink['sid']}", headers=AUTH)
    assert response.status == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Missing required parameter Description"),
        ({"Description": "d"}, "Missing required parameter SinkType"),
        (
            {"Description": "d", "SinkType": "webhook"},
            "Missing required parameter SinkConfiguration",
        ),
        (
            {"Description": "d", "SinkType": "pigeon", "SinkConfiguration": "{}"},
            "Sink Type pigeon is not valid",
        ),
        (
            {"Description": "d", "SinkType": "webhook", "SinkConfiguration": "[1]"},
            "Sink Configuration is not valid JSON",
        ),
        (
            {"Description": "d", "SinkType": "webhook", "SinkConfiguration": "{"},
            "Sink Configuration is not valid JSON",
        ),
        (
            {"Description": "d", "SinkType": "webhook", "SinkConfiguration": "{}"},
            "Sink Configuration destination is empty",
        ),
        (
            {
                "Description": "d",
                "SinkType": "webhook",
                "SinkConfiguration": '{"destination": "ftp://x/"}',
            },
            "Sink Configuration destination is not valid",
        ),
        (
            {
                "Description": "d",
                "SinkType": "webhook",
                "SinkConfiguration": '{"destination": "https://x/"}',
            },
            "Sink Configuration method is empty",
        ),
        (
            {
                "Description": "d",
                "SinkType": "webhook",
                "SinkConfiguration": '{"destination": "https://x/", "method": "POST"}',
            },
            "Sink Configuration batch_events is empty",
        ),
    ],
)
async def test_sink_create_refusals(
    make_client: ClientFactory, fields: dict[str, str], message: str
) -> None:
    """A create missing or garbling a field is refused with 400, and no sink exists."""
    client = await make_client()
    body = await post_form(client, "/events/v1/Sinks", fields, 400)
    _classic(body, 400)
    assert body["message"] == message
    assert emulator_of(client).streams.sinks == {}


async def test_a_json_body_is_not_read(make_client: ClientFactory) -> None:
    """A JSON request body is refused as if empty, as observed (§1)."""
    client = await make_client()
    response = await client.post(
        "/events/v1/Sinks",
        json={"Description": "d", "SinkType": "webhook", "SinkConfiguration": "{}"},
        headers=AUTH,
    )
    assert response.status == 400
    assert (await response.json())[
        "message"
    ] == "Missing required parameter Description"


async def test_auth_and_entitlement(make_client: ClientFactory) -> None:
    """Every Events call needs the account's credentials (or its API key); without Event Streams, 403."""
    client = await make_client()
    emulator = emulator_of(client)
    for headers in ({}, basic(emulator.config.account_sid, "wrong")):
        response = await client.get("/events/v1/Sinks", headers=headers)
        assert response.status == 401
        _classic(await response.json(), 401)
    key = basic(emulator.config.api_key_sid, emulator.config.api_key_secret)
    response = await client.get("/events/v1/Types", headers=key)
    assert response.status == 200
    await client.post("/_emulator/streams", json={"entitled": False})
    for method, path in (
        ("GET", "/events/v1/Sinks"),
        ("POST", "/events/v1/Sinks"),
        ("GET", "/events/v1/Types"),
        ("POST", "/events/v1/Subscriptions"),
    ):
        response = await client.request(method, path, headers=AUTH)
        assert response.status == 403
        _classic(await response.json(), 403)
    assert emulator.request_report()["routes"]["GET /events/v1/Sinks"] == 3


async def test_unknown_paths_and_sids_answer_classic_404(
    make_client: ClientFactory,
) -> None:
    """Unknown sids and paths under /events/v1 answer 404 in the classic shape."""
    client = await make_client()
    for path in (
        "/events/v1/Sinks/DG00000000000000000000000000000000",
        "/events/v1/Subscriptions/DF00000000000000000000000000000000",
        "/events/v1/Schemes",
    ):
        _classic(await get_json(client, path, 404), 404)
    body = await post_form(
        client, "/events/v1/Sinks/DG00000000000000000000000000000000/Test", None, 404
    )
    _classic(body, 404)


async def test_subscription_create_list_fetch_delete(
    make_client: ClientFactory,
) -> None:
    """A subscription on an active sink holds its types; listed by SinkSid, deleted with 204, the sink stays."""
    client = await make_client()
    sink = await create_sink(client)
    other = await create_sink(client)
    subscription = await subscribe(client, sink["sid"])
    assert re.fullmatch(r"DF[0-9a-f]{32}", subscription["sid"])
    assert subscription["sink_sid"] == sink["sid"]
    assert subscription["account_sid"] == emulator_of(client).config.account_sid
    path = f"/events/v1/Subscriptions/{subscription['sid']}"
    assert await get_json(client, path) == subscription
    types = await get_json(client, f"{path}/SubscribedEvents")
    assert {item["type"]: item["schema_version"] for item in types["types"]} == {
        **dict.fromkeys(OPERATION_TYPES, 2),
        **dict.fromkeys(MESSAGE_TYPES, 4),
        MESSAGE_TYPES[0]: 3,
    }
    mine = await get_json(client, "/events/v1/Subscriptions", SinkSid=sink["sid"])
    assert mine["subscriptions"] == [subscription]
    theirs = await get_json(client, "/events/v1/Subscriptions", SinkSid=other["sid"])
    assert theirs["subscriptions"] == []
    in_use = await get_json(client, "/events/v1/Sinks", InUse="true")
    assert [item["sid"] for item in in_use["sinks"]] == [sink["sid"]]
    unused = await get_json(client, "/events/v1/Sinks", InUse="false")
    assert [item["sid"] for item in unused["sinks"]] == [other["sid"]]
    initialized = await get_json(client, "/events/v1/Sinks", Status="initialized")
    assert initialized["sinks"] == []
    renamed = await post_form(client, path, {"Description": "renamed"}, 200)
    assert renamed == subscription | {"description": "renamed"}
    response = await client.delete(path, headers=AUTH)
    assert response.status == 204
    await get_json(client, path, 404)
    assert (await get_json(client, f"/events/v1/Sinks/{sink['sid']}"))[
        "status"
    ] == "active"


async def test_subscription_paging(make_client: ClientFactory) -> None:
    """Listings page the classic way: meta.next_page_url until null."""
    client = await make_client()
    sids = []
    for _ in range(5):
        sink = await create_sink(client)
        sids.append((await subscribe(client, sink["sid"]))["sid"])
    seen: list[str] = []
    url: str | None = str(client.make_url("/events/v1/Subscriptions?PageSize=2"))
    pages = 0
    while url is not None:
        response = await client.session.get(url, headers=AUTH)
        body = await response.json()
        seen += [item["sid"] for item in body["subscriptions"]]
        assert body["meta"]["page"] == pages
        assert body["meta"]["page_size"] == 2
        url = body["meta"]["next_page_url"]
        pages += 1
    assert seen == sids
    assert pages == 3
    await get_json(client, "/events/v1/Subscriptions", 400, PageSize="0")
    await get_json(client, "/events/v1/Subscriptions", 400, Page="x")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            json.dumps([{"type": OPERATION_TYPES[0]}]),
            "Missing required input parameter event_types[0].type",
        ),
        ("{", "Missing required input parameter event_types[0].type"),
        (json.dumps({"type": "com.example.nothing"}), "Type not found in system"),
        (
            json.dumps({"type": OPERATION_TYPES[0], "schema_version": 3}),
            "Schema version 3 not found",
        ),
        (
            json.dumps({"type": OPERATION_TYPES[0], "schema_version": "2"}),
            "schema_version must be an integer",
        ),
    ],
)
async def test_subscription_types_refusals(
    make_client: ClientFactory, value: str, message: str
) -> None:
    """A Types field must be one JSON object of a known type and version (§4)."""
    client = await make_client()
    sink = await create_sink(client)
    body = await post_form(
        client,
        "/events/v1/Subscriptions",
        [("Description", "d"), ("SinkSid", sink["sid"]), ("Types", value)],
        400,
    )
    assert body["message"] == message
    assert emulator_of(client).streams.subscriptions == {}


async def test_subscription_refusals(make_client: ClientFactory) -> None:
    """No types, an unknown sink, a second subscription on a sink: 400, as observed."""
    client = await make_client()
    sink = await create_sink(client)
    body = await subscribe(client, sink["sid"], (), 400)
    assert body["message"] == "Missing required parameter Types"
    body = await subscribe(client, "DG00000000000000000000000000000000", expected=400)
    assert body["message"] == "Sink could not be found"
    await subscribe(client, sink["sid"])
    body = await subscribe(client, sink["sid"], expected=400)
    assert body["message"] == f"Sink with SID {sink['sid']} is in use"
    await client.post("/_emulator/streams", json={"one_subscription_per_sink": False})
    await subscribe(client, sink["sid"])


async def test_caps_on_sinks_and_subscriptions(make_client: ClientFactory) -> None:
    """Past the configured cap (100 by default), creates answer 400."""
    client = await make_client(streams=StreamsConfig(max_sinks=2, max_subscriptions=1))
    first = await create_sink(client)
    await create_sink(client)
    body = await create_sink(client, expected=400)
    assert body["message"] == "Maximum number of sinks (2) reached"
    await subscribe(client, first["sid"])
    second = next(
        sid for sid in emulator_of(client).streams.sinks if sid != first["sid"]
    )
    body = await subscribe(client, second, expected=400)
    assert body["message"] == "Maximum number of subscriptions (1) reached"
    assert StreamsConfig().max_sinks == StreamsConfig().max_subscriptions == 100


async def test_event_types(make_client: ClientFactory) -> None:
    """The catalogue holds the Comms types; inbound present or absent, one discontinued and refused."""
    client = await make_client()
    listed = await get_json(client, "/events/v1/Types", PageSize="1000")
    names = {item["type"] for item in listed["types"]}
    assert {*OPERATION_TYPES, *MESSAGE_TYPES, INBOUND} <= names
    completed = await get_json(client, f"/events/v1/Types/{OPERATION_TYPES[2]}")
    assert completed["schema_id"] == "CommsApi.OperationCompleted"
    assert completed["status"] == "available"
    by_schema = await get_json(
        client, "/events/v1/Types", SchemaId="CommsApi.MessageRead"
    )
    assert [item["type"] for item in by_schema["types"]] == [MESSAGE_TYPES[5]]
    await client.post(
        "/_emulator/streams",
        json={"inbound_type": False, "discontinued_types": [MESSAGE_TYPES[5]]},
    )
    _classic(await get_json(client, f"/events/v1/Types/{INBOUND}", 404), 404)
    read = await get_json(client, f"/events/v1/Types/{MESSAGE_TYPES[5]}")
    assert read["status"] == "discontinued"
    sink = await create_sink(client)
    body = await subscribe(client, sink["sid"], (MESSAGE_TYPES[5],), 400)
    assert body["message"] == "Type is discontinued"
    body = await subscribe(client, sink["sid"], (INBOUND,), 400)
    assert body["message"] == "Type not found in system"


async def test_initialized_sink_old_validation(make_client: ClientFactory) -> None:
    """Initialized reading, old validation: no subscription until Test and Validate with the right TestId."""
    client = await make_client(
        streams=StreamsConfig(sink_status="initialized", validate_reading="old")
    )
    sink = await create_sink(client)
    path = f"/events/v1/Sinks/{sink['sid']}"
    assert sink["status"] == "initialized"
    body = await subscribe(client, sink["sid"], expected=400)
    assert body["message"] == "Sink must be active for the subscription to be created"
    assert await post_form(client, f"{path}/Test") == {"result": "submitted"}
    assert (await get_json(client, path))["status"] == "validating"
    test_id = emulator_of(client).streams.sinks[sink["sid"]].test_id
    assert test_id is not None
    body = await post_form(client, f"{path}/Validate", None, 400)
    assert body["message"] == "Missing required parameter TestId"
    body = await post_form(client, f"{path}/Validate", {"TestId": "wrong"}, 400)
    _classic(body, 400)
    assert (await get_json(client, path))["status"] == "validating"
    assert await post_form(client, f"{path}/Validate", {"TestId": test_id}) == {
        "result": "valid"
    }
    assert (await get_json(client, path))["status"] == "active"
    await subscribe(client, sink["sid"])


async def test_current_validation_is_always_valid(make_client: ClientFactory) -> None:
    """Current reading: Validate answers valid whatever the TestId; the right one activates."""
    client = await make_client(
        streams=StreamsConfig(sink_status="initialized", test_status=200)
    )
    sink = await create_sink(client)
    path = f"/events/v1/Sinks/{sink['sid']}"
    assert await post_form(client, f"{path}/Test", None, 200) == {"result": "submitted"}
    assert await post_form(client, f"{path}/Validate", {"TestId": "wrong"}) == {
        "result": "valid"
    }
    assert (await get_json(client, path))["status"] == "initialized"
    test_id = emulator_of(client).streams.sinks[sink["sid"]].test_id
    await post_form(client, f"{path}/Validate", {"TestId": str(test_id)})
    assert (await get_json(client, path))["status"] == "active"
    await client.post("/_emulator/streams", json={"require_active_sink": False})
    await subscribe(client, (await create_sink(client))["sid"])


async def test_streams_control_refuses_bad_settings(make_client: ClientFactory) -> None:
    """The control endpoint refuses an unknown setting or a bad value, changing nothing."""
    client = await make_client()
    for change in (
        {"sink_status": "failed"},
        {"nothing": 1},
        {"duplicate": 1.5},
        {"max_batch": 0},
        {"max_batch": 1.5},
        {"tick_seconds": -1},
        {"tick_seconds": "1"},
        {"entitled": "no"},
        {"discontinued_types": "x"},
        {"test_status": True},
    ):
        response = await client.post("/_emulator/streams", json=change)
        assert response.status == 400, change
    report = await (await client.get("/_emulator/streams")).json()
    assert report["settings"] == StreamsConfig().as_dict() | {"discontinued_types": []}
    assert report["sinks"] == report["subscriptions"] == {}


async def test_other_sink_types_are_kept_but_not_delivered_to(
    make_client: ClientFactory,
) -> None:
    """A Kinesis sink is created with its configuration as given; a PUT is no route."""
    client = await make_client()
    configuration = {"arn": "arn:aws:kinesis:us-east-1:1:stream/x", "role_arn": "r"}
    sink = await post_form(
        client,
        "/events/v1/Sinks",
        {
            "Description": "d",
            "SinkType": "kinesis",
            "SinkConfiguration": json.dumps(configuration),
        },
    )
    assert sink["sink_configuration"] == configuration
    response = await client.put(f"/events/v1/Sinks/{sink['sid']}", headers=AUTH)
    assert response.status == 404
    _classic(await response.json(), 404)
