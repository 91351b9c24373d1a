"""Tests for the Comms API emulator: the documented shapes, evolution, faults."""

import base64
from datetime import timedelta
from email.utils import parsedate_to_datetime
import json
from typing import Any

from aiohttp.test_utils import TestClient
import pytest

from comms_emulator.config import DEV_API_KEY_SECRET, DEV_API_KEY_SID

from .conftest import AUTH, START, ManualClock, emulator_of


async def list_all(
    client: TestClient, channel: str = "Messages", **params: str
) -> list[dict[str, Any]]:
    """Return every operation a listing returns, following page tokens."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        query = dict(params) | ({"pageToken": token} if token else {})
        response = await client.get(
            f"/v1/{channel}/Operations", params=query, headers=AUTH
        )
        assert response.status == 200
        body = await response.json()
        items.extend(body["operations"])
        token = body["pagination"]["next"]
        if token is None:
            return items


async def test_authentication(make_client: Any) -> None:
    """Missing or wrong credentials get 401 in the Comms error format; both kinds work."""
    client = await make_client()
    response = await client.get("/v1/Messages/Operations")
    assert response.status == 401
    assert (await response.json())["errors"][0]["code"] == 20003
    wrong = {"Authorization": "Basic " + base64.b64encode(b"AC1:nope").decode()}
    assert (await client.get("/v1/Messages/Operations", headers=wrong)).status == 401
    key = base64.b64encode(f"{DEV_API_KEY_SID}:{DEV_API_KEY_SECRET}".encode()).decode()
    response = await client.get(
        "/v1/Messages/Operations", headers={"Authorization": f"Basic {key}"}
    )
    assert response.status == 200


@pytest.mark.parametrize("status", [403, 404])
async def test_channel_not_entitled(make_client: Any, status: int) -> None:
    """A channel the account may not use answers 403 or 404, switchable at runtime."""
    client = await make_client(
        channels=frozenset({"Messages"}), not_entitled_status=status
    )
    response = await client.get("/v1/Emails/Operations", headers=AUTH)
    assert response.status == status
    assert "errors" in await response.json()
    await client.post("/_emulator/entitlements", json={"Emails": True})
    assert (await client.get("/v1/Emails/Operations", headers=AUTH)).status == 200


async def test_pagination_is_complete_and_newest_first(make_client: Any) -> None:
    """Pages of an opaque token chain hold every operation once, newest first."""
    client = await make_client(operations_per_channel=250)
    items = await list_all(client, pageSize="100")
    ids = [item["id"] for item in items]
    assert len(ids) == 250 == len(set(ids))
    created = [item["createdAt"] for item in items]
    assert created == sorted(created, reverse=True)
    response = await client.get(
        "/v1/Messages/Operations", params={"pageToken": "garbage!"}, headers=AUTH
    )
    assert response.status == 400


@pytest.mark.parametrize("size", ["0", "1001", "abc"])
async def test_page_size_bounds(make_client: Any, size: str) -> None:
    """PageSize outside 1–1000 is a 400."""
    client = await make_client()
    response = await client.get(
        "/v1/Messages/Operations", params={"pageSize": size}, headers=AUTH
    )
    assert response.status == 400


async def test_filters(make_client: Any) -> None:
    """Date filters use creation time; the status filter ignores case."""
    client = await make_client(operations_per_channel=200, active_fraction=0.2)
    since = (START - timedelta(hours=6)).isoformat()
    recent = await list_all(client, startDate=since, pageSize="1000")
    assert recent
    assert all(item["createdAt"] >= since[:19] for item in recent)
    processing = await list_all(client, status="processing", pageSize="1000")
    assert processing
    assert {item["status"] for item in processing} == {"PROCESSING"}
    response = await client.get(
        "/v1/Messages/Operations",
        params={"startDate": since, "endDate": since},
        headers=AUTH,
    )
    assert response.status == 400


async def test_lifecycle_and_retention(make_client: Any, clock: ManualClock) -> None:
    """Operations move to terminal states with failures at about the seeded rate, then expire."""
    client = await make_client(operations_per_channel=400, active_fraction=0.5)
    before = {item["id"]: item for item in await list_all(client, pageSize="1000")}
    assert {"SCHEDULED", "PROCESSING", "COMPLETED"} <= {
        i["status"] for i in before.values()
    }
    clock.tick(timedelta(hours=7))
    after = {item["id"]: item for item in await list_all(client, pageSize="1000")}
    assert {i["status"] for i in after.values()} <= {"COMPLETED", "CANCELED"}
    assert "CANCELED" in {i["status"] for i in after.values()}
    moved = [i for i in before.values() if i["status"] == "PROCESSING"]
    assert any(after[i["id"]]["stats"]["sent"] > i["stats"]["sent"] for i in moved)
    sent = sum(i["stats"]["sent"] for i in after.values())
    failed = sum(i["stats"]["failed"] for i in after.values())
    assert 0.01 < failed / (sent + failed) < 0.1
    clock.tick(timedelta(days=7))
    assert await list_all(client) == []
    some_id = next(iter(before))
    response = await client.get(f"/v1/Messages/Operations/{some_id}", headers=AUTH)
    assert response.status == 404


async def test_same_seed_same_data(make_client: Any) -> None:
    """Seeding is deterministic."""
    first = await list_all(await make_client(seed=5), pageSize="1000")
    second = await list_all(await make_client(seed=5), pageSize="1000")
    other = await list_all(await make_client(seed=6), pageSize="1000")
    assert first == second != other


@pytest.mark.parametrize("mode", ["body", "headers", "both", "none"])
async def test_send_creates_an_evolving_operation(
    make_client: Any, clock: ManualClock, mode: str
) -> None:
    """A send answers 202 with the id where configured, and its operation evolves."""
    client = await make_client(operation_id_mode=mode)
    response = await client.post(
        "/v1/Messages",
        json={
            "to": [{"address": "+15551230000", "channel": "PHONE"}] * 3,
            "content": {"text": "hi"},
        },
        headers=AUTH,
    )
    assert response.status == 202
    body = await response.text()
    operation_id = emulator_of(client).world.operations("Messages", clock.now)[0].id
    if mode in {"body", "both"}:
        assert json.loads(body)["operationId"] == operation_id
    if mode in {"headers", "both"}:
        assert response.headers["operation-id"] == operation_id
    if mode == "none":
        assert not body
        assert "operation-id" not in response.headers
    response = await client.get(f"/v1/Messages/Operations/{operation_id}", headers=AUTH)
    assert (await response.json())["status"] == "SCHEDULED"
    clock.tick(timedelta(hours=1))
    response = await client.get(f"/v1/Messages/Operations/{operation_id}", headers=AUTH)
    assert (await response.json())["status"] in {"COMPLETED", "CANCELED"}
    response = await client.get(
        "/v1/Messages", params={"operationId": operation_id}, headers=AUTH
    )
    resources = (await response.json())["messages"]
    assert len(resources) == 3
    assert resources[0]["related"][0]["id"] == operation_id
    response = await client.get(f"/v1/Messages/{resources[0]['id']}", headers=AUTH)
    assert response.status == 200


async def test_scheduled_send_waits(make_client: Any, clock: ManualClock) -> None:
    """A send scheduled for later stays SCHEDULED until then."""
    client = await make_client()
    send_at = (clock.now + timedelta(hours=2)).isoformat()
    response = await client.post(
        "/v1/PushNotifications",
        json={
            "to": [{"token": "t", "provider": "FCM"}],
            "content": {"title": "a", "body": "b"},
            "schedule": {"sendAt": [send_at]},
        },
        headers=AUTH,
    )
    operation_id = (await response.json())["operationId"]
    clock.tick(timedelta(hours=1))
    response = await client.get(
        f"/v1/PushNotifications/Operations/{operation_id}", headers=AUTH
    )
    assert (await response.json())["status"] == "SCHEDULED"


async def test_send_validation(make_client: Any) -> None:
    """A send without recipients or content is a 400 with an errors list."""
    client = await make_client()
    response = await client.post("/v1/Messages", json={"to": []}, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["errors"]


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("rate_limit", lambda r, body: r.status == 429 and "Retry-After" in r.headers),
        ("server_error", lambda r, body: r.status == 500),
        ("unavailable", lambda r, body: r.status == 503 and "Retry-After" in r.headers),
        ("malformed_json", lambda r, body: r.status == 200 and not _parses(body)),
        (
            "unknown_status",
            lambda r, body: (
                {o["status"] for o in json.loads(body)["operations"]}
                - {"SCHEDULED", "PROCESSING", "COMPLETED", "CANCELED"}
            ),
        ),
        (
            "missing_stats",
            lambda r, body: any(
                len(o["stats"]) < 12 for o in json.loads(body)["operations"]
            ),
        ),
    ],
)
async def test_faults_are_injected_and_counted(
    make_client: Any, kind: str, check: Any
) -> None:
    """Each fault kind shows, is counted, and is switched at runtime."""
    client = await make_client()
    response = await client.post("/_emulator/faults", json={kind: 1.0})
    assert response.status == 200
    response = await client.get("/v1/Messages/Operations", headers=AUTH)
    assert check(response, await response.text())
    state = await (await client.get("/_emulator/faults")).json()
    assert state["counts"][kind] >= 1
    # The control plane itself is never faulted.
    assert (await client.get("/_emulator/health")).status == 200
    await client.post("/_emulator/faults", json={kind: 0.0})
    response = await client.get("/v1/Messages/Operations", headers=AUTH)
    assert response.status == 200
    json.loads(await response.text())


def _parses(body: str) -> bool:
    """Return whether a body is valid JSON."""
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


async def test_slow_fault(make_client: Any) -> None:
    """A slow response takes the configured time."""
    client = await make_client()
    await client.post("/_emulator/faults", json={"slow": 1.0, "slow_seconds": 0.05})
    response = await client.get("/v1/Messages/Operations", headers=AUTH)
    assert response.status == 200
    assert emulator_of(client).faults.counts["slow"] == 1


async def test_retry_after_forms(make_client: Any) -> None:
    """Retry-After comes both as seconds and as an HTTP-date."""
    client = await make_client()
    await client.post("/_emulator/faults", json={"rate_limit": 1.0})
    forms = set()
    for _ in range(20):
        value = (await client.get("/v1/Messages/Operations", headers=AUTH)).headers[
            "Retry-After"
        ]
        forms.add("seconds" if value.isdigit() else "date")
        if not value.isdigit():
            parsedate_to_datetime(value)
    assert forms == {"seconds", "date"}


async def test_truth_and_request_counts(make_client: Any) -> None:
    """Ground truth totals equal the sum of what the API lists; requests are counted."""
    client = await make_client(operations_per_channel=120)
    listed = await list_all(client, "PushNotifications", pageSize="50")
    truth = await (
        await client.get("/_emulator/truth", params={"channel": "PushNotifications"})
    ).json()
    assert [o["id"] for o in truth["operations"]] == [o["id"] for o in listed]
    assert truth["totals"]["sent"] == sum(o["stats"]["sent"] for o in listed)
    assert set(truth["totals"]) == set(listed[0]["stats"])
    counts = await (await client.get("/_emulator/requests")).json()
    assert counts["routes"]["GET /v1/{channel}/Operations"] == 3
    assert counts["channels"]["PushNotifications"] == 3
    await client.post("/_emulator/requests/reset")
    assert (await (await client.get("/_emulator/requests")).json())["routes"] == {}


async def test_operation_errors_and_live_operations(
    make_client: Any, clock: ManualClock
) -> None:
    """Failures are listed per operation; new operations keep appearing when live."""
    client = await make_client(operations_per_channel=30, new_operation_interval=60)
    emulator = emulator_of(client)
    failing = next(
        plan
        for plan in emulator.world.operations("Messages", clock.now)
        if plan.failed and plan.end_at < clock.now and plan.cancel_at is None
    )
    response = await client.get(
        f"/v1/Messages/Operations/{failing.id}/Errors", headers=AUTH
    )
    errors = (await response.json())["errors"]
    assert errors
    assert errors[0]["code"] == 30003
    clock.tick(timedelta(minutes=10))
    assert len(await list_all(client, pageSize="1000")) == 40


async def test_large_account_lists_completely(make_client: Any) -> None:
    """10,000 operations per channel list completely in pages of 1000."""
    client = await make_client(operations_per_channel=10_000)
    items = await list_all(client, pageSize="1000")
    assert len({item["id"] for item in items}) == 10_000
