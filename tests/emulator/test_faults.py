"""Fault injection: each kind shows, is counted, switches at runtime, and harms nothing."""

from collections.abc import Callable
from datetime import timedelta
from email.utils import parsedate_to_datetime
import json

from aiohttp import ClientResponse
import pytest

from comms_emulator import FaultConfig

from .conftest import AUTH, START, ClientFactory, emulator_of, get_json

# Operation statuses the API documents; anything else is "unknown".
KNOWN_STATUSES = {"SCHEDULED", "PROCESSING", "COMPLETED", "CANCELED"}


def _parses(body: str) -> bool:
    """Return whether a body is valid JSON."""
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _error_code(body: str) -> int:
    """Return the code of a Comms error body."""
    code: int = json.loads(body)["errors"][0]["code"]
    return code


type Check = Callable[[ClientResponse, str], bool]

# How each kind of fault shows in a GET of the operation listing.
SYMPTOMS: dict[str, Check] = {
    "rate_limit": lambda r, body: (
        r.status == 429 and "Retry-After" in r.headers and _error_code(body) == 20429
    ),
    "server_error": lambda r, body: r.status == 500 and _error_code(body) == 20500,
    "unavailable": lambda r, body: (
        r.status == 503 and "Retry-After" in r.headers and _error_code(body) == 20503
    ),
    "malformed_json": lambda r, body: r.status == 200 and not _parses(body),
    "unknown_status": lambda r, body: all(
        op["status"] not in KNOWN_STATUSES for op in json.loads(body)["operations"]
    ),
    "missing_stats": lambda r, body: all(
        len(op["stats"]) < 12 for op in json.loads(body)["operations"]
    ),
    # Late (by slow_seconds), then a normal answer.
    "slow": lambda r, body: (
        r.status == 200 and len(json.loads(body)["operations"]) == 10
    ),
}


# The faults that answer instead of the API, and those that garble its answers.
REFUSING = {"rate_limit", "server_error", "unavailable"}
GARBLING = {"malformed_json", "unknown_status", "missing_stats"}
SEND = {"to": [{"address": "+15551230000"}], "content": {"text": "x"}}


@pytest.mark.parametrize("kind", list(SYMPTOMS))
async def test_each_fault_shows_is_counted_harms_nothing_and_switches_off(
    make_client: ClientFactory, kind: str
) -> None:
    """Each fault kind, switched on through the control plane, shows and is counted.

    The world stays as it was; a refusing fault comes before a send is
    processed, the others leave sends, and garbling ones error answers, readable.
    """
    client = await make_client(operations_per_channel=10)
    emulator = emulator_of(client)
    before = emulator.truth("Messages")
    response = await client.post(
        "/_emulator/faults", json={kind: 1.0, "slow_seconds": 0.05}
    )
    assert (await response.json())["faults"][kind] == 1.0
    for _ in range(3):
        response = await client.get("/v1/Messages/Operations", headers=AUTH)
        assert SYMPTOMS[kind](response, await response.text())
    if kind in GARBLING:
        body = await get_json(client, "/v1/Messages/Operations/comms_operation_0x", 404)
        assert body["errors"][0]["code"] == 20404
    report = await (await client.get("/_emulator/faults")).json()
    assert report["counts"] == {
        kind: 30 if kind in GARBLING - {"malformed_json"} else 3
    }
    assert emulator.truth("Messages") == before
    response = await client.post("/v1/Messages", json=SEND, headers=AUTH)
    if kind in REFUSING:
        assert response.status in {429, 500, 503}
        assert emulator.truth("Messages") == before
    else:
        assert response.status == 202
        assert _parses(await response.text())
    # The control plane itself is never faulted.
    assert (await client.get("/_emulator/health")).status == 200
    assert (await client.get("/_emulator/truth")).status == 200
    await client.post("/_emulator/faults", json={kind: 0.0})
    body = await get_json(client, "/v1/Messages/Operations")
    assert all(op["status"] in KNOWN_STATUSES for op in body["operations"])
    assert all(len(op["stats"]) == 12 for op in body["operations"])


async def test_retry_after_comes_in_both_forms(make_client: ClientFactory) -> None:
    """Retry-After is integer seconds or an HTTP-date, as the seeded generator picks."""
    client = await make_client(operations_per_channel=1)
    emulator_of(client).configure_faults({"rate_limit": 1.0})
    seconds = set()
    for _ in range(20):
        response = await client.get("/v1/Messages/Operations", headers=AUTH)
        value = response.headers["Retry-After"]
        if value.isdigit():
            seconds.add(int(value))
        else:
            wait = parsedate_to_datetime(value) - START
            assert timedelta(seconds=1) <= wait <= timedelta(seconds=30)
            seconds.add(-1)
    assert -1 in seconds
    assert len(seconds) > 2
    assert all(-1 <= value <= 30 for value in seconds)


async def test_faults_from_the_configuration_and_only_after_authentication(
    make_client: ClientFactory,
) -> None:
    """Faults configured at creation apply from the first request; a 401 comes first."""
    client = await make_client(faults=FaultConfig(server_error=1.0))
    assert (await client.get("/v1/Messages/Operations")).status == 401
    response = await client.get("/v1/Messages/Operations", headers=AUTH)
    assert response.status == 500
    assert emulator_of(client).fault_report() == {
        "faults": FaultConfig(server_error=1.0).as_dict(),
        "counts": {"server_error": 1},
    }
