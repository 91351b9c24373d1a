"""The control plane: ground truth, request counters, health."""

from datetime import timedelta

import pytest

from comms_emulator import EmulatorConfig
from comms_emulator.channels import CHANNELS
from comms_emulator.config import MIN_LIVE_INTERVAL
from comms_emulator.control import CONTROL_HEADER
from comms_emulator.rendering import iso
from comms_emulator.world import MAX_ARRIVALS

from .conftest import (
    AUTH,
    START,
    ClientFactory,
    ManualClock,
    emulator_of,
    get_json,
    list_all,
)


@pytest.mark.parametrize("channel", CHANNELS)
async def test_truth_totals_equal_what_the_api_lists(
    make_client: ClientFactory, clock: ManualClock, channel: str
) -> None:
    """The ground truth lists what the API lists, and its totals are their sums."""
    client = await make_client(operations_per_channel=120, active_fraction=0.3)
    clock.tick(timedelta(minutes=2))
    since = iso(START - timedelta(hours=12))
    listed = await list_all(client, channel, pageSize="25", startDate=since)
    response = await client.get(
        "/_emulator/truth", params={"channel": channel, "since": since}
    )
    truth = await response.json()
    assert truth["channel"] == channel
    assert truth["since"] == since
    assert truth["now"] == iso(clock.now)
    assert truth["operations"] == listed
    assert truth["totals"] == {
        key: sum(op["stats"][key] for op in listed) for key in truth["totals"]
    }
    assert set(truth["totals"]) == set(listed[0]["stats"])
    everything = emulator_of(client).truth(channel)
    assert len(everything["operations"]) == 120
    assert everything["since"] is None


@pytest.mark.parametrize(
    "params",
    [{"channel": "Faxes"}, {"since": "yesterday"}, {"since": "2026-11-23T10:00:00"}],
)
async def test_truth_refuses_bad_queries(
    make_client: ClientFactory, params: dict[str, str]
) -> None:
    """Unknown channels and unreadable times are a 400."""
    client = await make_client()
    response = await client.get("/_emulator/truth", params=params)
    assert response.status == 400
    assert "error" in await response.json()


async def test_requests_are_counted_by_route_and_channel(
    make_client: ClientFactory,
) -> None:
    """Every /v1 request counts under its route template and channel; control ones do not."""
    client = await make_client(operations_per_channel=120)
    await list_all(client, "PushNotifications", pageSize="50")
    operation_id = emulator_of(client).truth("Emails")["operations"][0]["id"]
    await get_json(client, f"/v1/Emails/Operations/{operation_id}")
    await get_json(client, f"/v1/Emails/Operations/{operation_id}/Errors")
    await get_json(client, "/v1/Messages", operationId=operation_id)
    await client.get("/v1/Messages/Operations")  # unauthenticated: counted too
    await client.post("/v1/Emails", json={}, headers=AUTH)
    await client.get("/_emulator/health")
    response = await client.get("/_emulator/requests")
    report = await response.json()
    assert report["routes"] == {
        "GET /v1/{channel}/Operations": 4,
        "GET /v1/{channel}/Operations/{operation_id}": 1,
        "GET /v1/{channel}/Operations/{operation_id}/Errors": 1,
        "GET /v1/{channel}": 1,
        "POST /v1/{channel}": 1,
    }
    assert report["total"] == 8
    assert report["channels"] == {"PushNotifications": 3, "Emails": 3, "Messages": 2}
    assert report["response_bytes"] > 0
    emulator = emulator_of(client)
    assert emulator.requests["GET /v1/{channel}/Operations"] == 4
    assert emulator.requests["total"] == 8
    assert emulator.requests["DELETE /v1/{channel}"] == 0
    response = await client.post("/_emulator/requests/reset")
    assert await response.json() == {
        "total": 0,
        "routes": {},
        "channels": {},
        "response_bytes": 0,
    }
    await get_json(client, "/v1/Messages/Operations")
    emulator.reset_requests()
    assert emulator.request_report()["total"] == 0


async def test_unknown_api_paths_answer_in_comms_format(
    make_client: ClientFactory,
) -> None:
    """Paths and methods the API lacks are 404 and 405 in the Comms error format."""
    client = await make_client()
    response = await client.get("/v1/Faxes/Operations", headers=AUTH)
    assert response.status == 404
    assert (await response.json())["errors"][0]["code"] == 20404
    response = await client.delete("/v1/Messages", headers=AUTH)
    assert response.status == 405
    assert (await response.json())["errors"][0]["code"] == 20004
    assert emulator_of(client).requests["GET /v1/Faxes/Operations"] == 1


async def test_health(make_client: ClientFactory) -> None:
    """Health answers without credentials, with the emulator's time."""
    client = await make_client()
    response = await client.get("/_emulator/health")
    assert await response.json() == {"status": "ok", "now": iso(START)}
    assert emulator_of(client).request_report()["total"] == 0


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("POST", {CONTROL_HEADER: "0"}),
        ("POST", {"Origin": "https://evil.example"}),
        ("GET", {"Origin": "https://evil.example"}),
        ("GET", {"Sec-Fetch-Site": "cross-site"}),
        ("OPTIONS", {"Origin": "https://evil.example"}),
    ],
    ids=["no-header", "origin-post", "origin-get", "cross-site", "preflight"],
)
async def test_control_plane_refuses_web_pages(
    make_client: ClientFactory, method: str, headers: dict[str, str]
) -> None:
    """A page in a browser can neither change nor read the emulator's state."""
    client = await make_client()
    response = await client.request(
        method, "/_emulator/faults", json={"server_error": 1.0}, headers=headers
    )
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert emulator_of(client).config.faults.server_error == 0.0


async def test_control_plane_changes_with_the_header(
    make_client: ClientFactory,
) -> None:
    """Tools that send the control header (the tests, scripts) change state."""
    client = await make_client()
    response = await client.post(
        "/_emulator/faults", json={"server_error": 0.5}, headers={CONTROL_HEADER: "1"}
    )
    assert response.status == 200
    assert emulator_of(client).config.faults.server_error == 0.5


@pytest.mark.parametrize("interval", [0.001, 0.5])
async def test_live_generation_refuses_tiny_intervals(
    make_client: ClientFactory, interval: float
) -> None:
    """Operations cannot be made to appear faster than once a second."""
    client = await make_client()
    response = await client.post("/_emulator/live", json={"interval": interval})
    assert response.status == 400
    with pytest.raises(ValueError, match="at least"):
        EmulatorConfig(new_operation_interval=interval)


async def test_live_generation_is_bounded_per_catch_up(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """A week's jump at one operation a second adds a bounded number, not 600,000."""
    client = await make_client(operations_per_channel=0)
    emulator = emulator_of(client)
    emulator.set_live_interval(MIN_LIVE_INTERVAL)
    clock.tick(timedelta(days=7))
    emulator.now()
    for log in emulator.world.channels.values():
        assert len(log.plans) == MAX_ARRIVALS
