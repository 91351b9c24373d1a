"""The control plane: ground truth, request counters, what it refuses."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from comms_emulator import ChannelShape, Emulator, EmulatorConfig, FaultConfig
from comms_emulator.config import CHANNELS, DEV_ACCOUNT_SID
from comms_emulator.control import CONTROL_HEADER
from comms_emulator.rendering import iso

from .conftest import (
    AUTH,
    START,
    ClientFactory,
    ManualClock,
    emulator_of,
    get_json,
    list_all,
)


async def test_truth_equals_what_the_api_lists(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """/_emulator/truth lists what the API lists since a moment, and totals it."""
    client = await make_client(operations_per_channel=120, active_fraction=0.3)
    clock.tick(timedelta(minutes=2))
    since = iso(START - timedelta(hours=12))
    listed = await list_all(client, "Emails", pageSize="25", startDate=since)
    response = await client.get(
        "/_emulator/truth", params={"channel": "Emails", "since": since}
    )
    truth = await response.json()
    assert (truth["channel"], truth["since"], truth["now"]) == (
        "Emails",
        since,
        iso(clock.now),
    )
    assert truth["operations"] == listed
    assert truth["totals"] == {
        key: sum(op["stats"][key] for op in listed) for key in listed[0]["stats"]
    }
    everything = emulator_of(client).truth("Emails")
    assert (len(everything["operations"]), everything["since"]) == (120, None)


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
    report = await (await client.get("/_emulator/requests")).json()
    assert report["routes"] == {
        "GET /v1/{channel}/Operations": 4,
        "GET /v1/{channel}/Operations/{operation_id}": 1,
        "GET /v1/{channel}/Operations/{operation_id}/Errors": 1,
        "GET /v1/{channel}": 1,
        "POST /v1/{channel}": 1,
    }
    assert report["total"] == 8
    assert report["channels"] == {"PushNotifications": 3, "Emails": 3, "Messages": 2}
    assert report["channel_routes"]["Messages"] == {
        "GET /v1/{channel}": 1,
        "GET /v1/{channel}/Operations": 1,
    }
    assert report["response_bytes"] > 0
    emulator = emulator_of(client)
    assert emulator.requests["GET /v1/{channel}/Operations"] == 4
    assert emulator.requests["DELETE /v1/{channel}"] == 0
    response = await client.post("/_emulator/requests/reset")
    assert await response.json() == {
        "total": 0,
        "routes": {},
        "channels": {},
        "channel_routes": {},
        "response_bytes": 0,
    }
    await get_json(client, "/v1/Messages/Operations")
    emulator.reset_requests()
    assert emulator.request_report()["total"] == 0


@pytest.mark.parametrize(
    "path", ["/_emulator/faults", "/_emulator/credentials", "/_emulator/inbound"]
)
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
    make_client: ClientFactory, path: str, method: str, headers: dict[str, str]
) -> None:
    """A page in a browser can neither read nor change faults or credentials, nor receive."""
    client = await make_client()
    before = _state(emulator_of(client))
    body = {"server_error": 1.0, "username": DEV_ACCOUNT_SID, "password": "x"}
    body |= {"from": "+15558675310", "to": "+15550001111", "text": "Hi"}
    response = await client.request(method, path, json=body, headers=headers)
    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert _state(emulator_of(client)) == before


def _state(emulator: Emulator) -> tuple[Any, ...]:
    """Return everything the control plane can change."""
    return (
        emulator.shape_report(),
        emulator.fault_report(),
        sorted(emulator.entitled),
        dict(emulator.credentials),
        emulator.world.live_interval,
        dict(emulator.world.received),
    )


# Control requests it cannot apply: the path, and the JSON body POSTed (or, for
# None, the path is read with GET).
REFUSED = {
    "shapes-unknown-channel": ("shapes", {"Faxes": {"stats_profile": "guide"}}),
    "shapes-unknown-setting": ("shapes", {"Messages": {"colour": "blue"}}),
    "shapes-unknown-profile": ("shapes", {"Messages": {"stats_profile": "full"}}),
    "shapes-unknown-reading": ("shapes", {"Messages": {"counter_reading": 1}}),
    "shapes-not-a-bool": ("shapes", {"Messages": {"timestamp_quirks": "yes"}}),
    "shapes-share-above-one": ("shapes", {"Messages": {"unknown_status_share": 2}}),
    "shapes-share-a-bool": ("shapes", {"Messages": {"backward_status_share": True}}),
    "shapes-guide-listing-not-push": ("shapes", {"Messages": {"guide_listing": True}}),
    "shapes-settings-not-an-object": ("shapes", {"Messages": "split"}),
    "shapes-not-an-object": ("shapes", ["Messages"]),
    "shapes-all-or-nothing": (
        "shapes", {"Emails": {"counter_reading": "split"}, "Messages": {"guide_listing": 1}}
    ),
    "faults-rate-above-one": ("faults", {"rate_limit": 1.5}),
    "faults-negative-rate": ("faults", {"rate_limit": -0.1}),
    "faults-negative-delay": ("faults", {"slow_seconds": -1}),
    "faults-not-a-number": ("faults", {"rate_limit": "often"}),
    "faults-a-bool": ("faults", {"rate_limit": True}),
    "faults-unknown-kind": ("faults", {"lightning": 0.5}),
    "faults-all-or-nothing": ("faults", {"server_error": 0.5, "rate_limit": 2}),
    "faults-not-an-object": ("faults", [0.5]),
    "credentials-unknown-user": ("credentials", {"username": "AC1", "password": "x"}),
    "credentials-empty": ("credentials", {"username": DEV_ACCOUNT_SID, "password": ""}),
    "credentials-not-text": ("credentials", {"username": DEV_ACCOUNT_SID, "password": 1}),
    "credentials-no-password": ("credentials", {"username": DEV_ACCOUNT_SID}),
    "credentials-not-an-object": ("credentials", [DEV_ACCOUNT_SID]),
    "entitlements-unknown-channel": ("entitlements", {"Faxes": True}),
    "entitlements-not-a-bool": ("entitlements", {"Emails": "yes"}),
    "entitlements-not-an-object": ("entitlements", ["Emails"]),
    "live-not-a-number": ("live", {"interval": "often"}),
    "live-negative": ("live", {"interval": -1}),
    "live-faster-than-a-second": ("live", {"interval": 0.5}),
    "inbound-not-a-sender": ("inbound", {"from": "+15558675310", "to": "+15558675310", "text": "Hi"}),
    "inbound-no-sender": ("inbound", {"from": "", "to": "+15550001111", "text": "Hi"}),
    "inbound-no-channel": ("inbound", {"from": "+15558675310", "to": "+15550001111", "text": "Hi", "channel": ""}),
    "inbound-no-text": ("inbound", {"from": "+15558675310", "to": "+15550001111"}),
    "inbound-not-text": ("inbound", {"from": 15558675310, "to": "+15550001111", "text": "Hi"}),
    "inbound-not-an-object": ("inbound", ["+15558675310"]),
    "truth-unknown-channel": ("truth?channel=Faxes", None),
    "truth-unreadable-since": ("truth?since=yesterday", None),
    "truth-since-without-offset": ("truth?since=2026-11-23T10:00:00", None),
}  # fmt: skip


@pytest.mark.parametrize(("path", "body"), REFUSED.values(), ids=REFUSED)
async def test_control_plane_refuses_bad_input(
    make_client: ClientFactory, path: str, body: Any
) -> None:
    """What the control plane cannot apply is a 400 {"error": …}; nothing changes."""
    client = await make_client()
    before = _state(emulator_of(client))
    if body is None:
        response = await client.get(f"/_emulator/{path}")
    else:
        response = await client.post(f"/_emulator/{path}", json=body)
    assert response.status == 400
    assert "error" in await response.json()
    assert _state(emulator_of(client)) == before
    assert (await client.get("/v1/Messages/Operations", headers=AUTH)).status == 200


def _set_shape(**changes: Any) -> ChannelShape:
    emulator = Emulator(EmulatorConfig(operations_per_channel=1), lambda: START)
    return emulator.set_shape(**changes)


# Configurations, and Python-level changes, refused like the control plane's.
CONFIG_REFUSED = {
    "shape-of-unknown-channel": (EmulatorConfig, {"shapes": {"Faxes": ChannelShape()}}),
    "guide-listing-not-push": (
        EmulatorConfig, {"shapes": {"Messages": ChannelShape(guide_listing=True)}}
    ),
    "shape-not-a-shape": (EmulatorConfig, {"shapes": {"Messages": {"stats_profile": "x"}}}),
    "live-faster-than-a-second": (EmulatorConfig, {"new_operation_interval": 0.001}),
    "key-type": (EmulatorConfig, {"api_key_type": "restricted"}),
    "fault-rate-above-one": (FaultConfig, {"slow": 2.0}),
    "set-shape-share": (_set_shape, {"channel": "Emails", "unknown_status_share": 3}),
    "set-shape-not-a-bool": (_set_shape, {"channel": "Emails", "timestamp_quirks": 1}),
    "set-shape-unknown-channel": (_set_shape, {"channel": "Faxes"}),
}  # fmt: skip


@pytest.mark.parametrize(
    ("make", "settings"), CONFIG_REFUSED.values(), ids=CONFIG_REFUSED
)
def test_configuration_refuses_what_it_cannot_serve(
    make: Callable[..., object], settings: dict[str, Any]
) -> None:
    """A configuration, or a Python-level change, it cannot serve raises."""
    with pytest.raises((TypeError, ValueError)):
        make(**settings)


def test_configuration_fills_missing_channels_and_set_shape_changes_one() -> None:
    """A channel left out gets the default shape; set_shape changes only its channel."""
    config = EmulatorConfig(shapes={"Emails": ChannelShape(stats_profile="sparse")})
    assert config.shape("Messages") == ChannelShape()
    emulator = Emulator(config, lambda: START)
    shape = emulator.set_shape("Emails", counter_reading="split")
    assert shape == ChannelShape(stats_profile="sparse", counter_reading="split")
    assert emulator.shapes == {
        channel: shape if channel == "Emails" else ChannelShape()
        for channel in CHANNELS
    }
