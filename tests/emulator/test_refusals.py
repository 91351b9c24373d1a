"""What the API refuses: bad sends, filters and page sizes, unknown ids, paths and methods."""

from typing import Any

import pytest

from comms_emulator.config import CHANNELS
from comms_emulator.world import resource_id

from .conftest import AUTH, ClientFactory, emulator_of

MESSAGES = "/v1/Messages"
OPERATIONS = "/v1/Messages/Operations"
SEND = {"to": [{"address": "+1"}], "content": {"text": "x"}}
TEN = "2026-11-23T10:00:00Z"
NULL = ["null"]  # the context of an issue no field is at fault for

# The Twilio code of each refusal's status.
CODES = {400: 20001, 404: 20404, 405: 20004}

# Each refused request: the method, the path, the query (GET) or the body
# (POST: JSON, or bytes sent as they are), the status, and where the issues
# are, each one listed.
REFUSED: dict[str, tuple[str, str, Any, int, list[str]]] = {
    "send-not-an-object": ("POST", MESSAGES, [], 400, NULL),
    "send-not-json": ("POST", MESSAGES, b"{to:", 400, NULL),
    "send-empty": ("POST", MESSAGES, {}, 400, ["to", "content"]),
    "send-no-recipients": ("POST", MESSAGES, SEND | {"to": []}, 400, ["to"]),
    "send-too-many-recipients": ("POST", MESSAGES, SEND | {"to": SEND["to"] * 10_001}, 400, ["to"]),
    "send-recipients-not-objects": (
        "POST", MESSAGES, SEND | {"to": ["+1", {"address": "+2"}, 3]}, 400, ["to[0]", "to[2]"]
    ),
    "send-no-content": ("POST", MESSAGES, {"to": SEND["to"]}, 400, ["content"]),
    "send-bad-schedule": (
        "POST", MESSAGES, SEND | {"schedule": {"sendAt": "x"}}, 400, ["schedule"]
    ),
    "send-bad-send-at": (
        "POST", MESSAGES, SEND | {"schedule": {"sendAt": ["x"]}}, 400, ["schedule.sendAt[0]"]
    ),
    "send-bad-tags": ("POST", MESSAGES, SEND | {"tags": {"a": 1}}, 400, ["tags"]),
    "email-without-subject-or-html": (
        "POST", "/v1/Emails", SEND, 400, ["content.subject", "content.html"]
    ),
    "filter-not-a-date": ("GET", OPERATIONS, {"startDate": "yesterday"}, 400, ["startDate"]),
    "filter-no-offset": ("GET", OPERATIONS, {"startDate": TEN[:-1]}, 400, ["startDate"]),
    "filter-empty-range": ("GET", OPERATIONS, {"startDate": TEN, "endDate": TEN}, 400, ["endDate"]),
    "filter-reversed-range": (
        "GET", OPERATIONS, {"startDate": TEN, "endDate": "2026-11-23T09:00:00Z"}, 400, ["endDate"]
    ),
    "filter-unknown-status": ("GET", OPERATIONS, {"status": "ARCHIVED"}, 400, ["status"]),
    **{
        f"page-size-{size or 'empty'}": ("GET", OPERATIONS, {"pageSize": size}, 400, ["pageSize"])
        for size in ("0", "1001", "-1", "abc", "1.5", "", "٣")
    },
    **{
        f"resource-{name}": ("GET", f"{MESSAGES}/{resource}", {}, 404, NULL)
        for name, resource in {
            "unknown": "comms_message_01h9krwprkeee8fzqspvwy6nq8",
            "other-channel": "comms_email_0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "unknown-operation": "comms_message_0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "malformed": "comms_message_0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaI",
            "past-the-recipients": "{beyond}",
        }.items()
    },
    "operation-unknown": ("GET", f"{OPERATIONS}/comms_operation_0nope", {}, 404, NULL),
    "errors-of-unknown-operation": (
        "GET", f"{OPERATIONS}/comms_operation_0nope/Errors", {}, 404, NULL
    ),
    "path-unknown": ("GET", "/v1/Faxes/Operations", {}, 404, NULL),
    "method-unknown": ("DELETE", MESSAGES, {}, 405, NULL),
}  # fmt: skip


@pytest.mark.parametrize("refusal", REFUSED.values(), ids=REFUSED)
async def test_api_refuses_in_comms_format(
    make_client: ClientFactory, refusal: tuple[str, str, Any, int, list[str]]
) -> None:
    """A refusal is a Comms error body listing every issue; it is counted, creates nothing."""
    method, path, payload, status, contexts = refusal
    client = await make_client(operations_per_channel=3)
    emulator = emulator_of(client)
    before = {channel: emulator.truth(channel) for channel in CHANNELS}
    # A message of a listed operation, for a recipient the operation does not have.
    operation = before["Messages"]["operations"][0]
    beyond = resource_id("comms_message_", operation["id"], operation["stats"]["total"])
    path = path.format(beyond=beyond)
    if method == "GET":
        response = await client.get(path, params=payload, headers=AUTH)
    elif isinstance(payload, bytes):
        response = await client.request(method, path, data=payload, headers=AUTH)
    else:
        response = await client.request(method, path, json=payload, headers=AUTH)
    assert response.status == status
    errors = (await response.json())["errors"]
    assert [error["context"] for error in errors] == contexts
    assert {error["code"] for error in errors} == {CODES[status]}
    assert {channel: emulator.truth(channel) for channel in CHANNELS} == before
    assert emulator.request_report()["total"] == 1
