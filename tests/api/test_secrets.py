"""Tests that no secret ever shows in logs, exceptions or reprs."""

import asyncio
from base64 import b64encode
from collections.abc import AsyncIterator
import logging

import aiohttp
from aiohttp.test_utils import unused_port
import pytest

from custom_components.twilio_comms.api import (
    Channel,
    Credentials,
    TwilioCommsClient,
    TwilioCommsError,
)
from custom_components.twilio_comms.api.models import REDACTED

from .conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    OPERATION_ID,
    SHORT_TIMEOUT,
    CommsServer,
    Reply,
)

AUTH = Credentials.from_auth_token(ACCOUNT_SID, AUTH_TOKEN)
CREDENTIALS = [
    pytest.param(AUTH, id="auth token"),
    pytest.param(Credentials.from_api_key(ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET), id="api key"),
]  # fmt: skip

# A response aiohttp cannot parse: it raises a ClientResponseError, whose
# request_info holds every request header, Authorization included.
GARBLED_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}"

OPERATION_PATH = f"/Messages/Operations/{OPERATION_ID}"


def assert_no_secret(text: str, credentials: Credentials) -> None:
    """Fail if text contains any form of the secret."""
    pair = f"{credentials.username}:{credentials.password}".encode()
    for secret in (credentials.password, b64encode(pair).decode()):
        assert secret not in text


@pytest.mark.parametrize("credentials", CREDENTIALS)
def test_credentials_repr_hides_the_secret(credentials: Credentials) -> None:
    """A credentials object can be logged or shown in a traceback safely."""
    for text in (repr(credentials), str(credentials), f"{credentials!r}"):
        assert_no_secret(text, credentials)
        assert credentials.username in text


def answers(credentials: Credentials) -> dict[str, Reply]:
    """Return a failing answer of each kind; most echo the secret back."""
    echo = (
        f"bad credentials {credentials.username}:{credentials.password} "
        f"({credentials.authorization})"
    )
    return {
        "401": Reply(status=401, json={"code": 20003, "message": echo}),
        "400": Reply(status=400, json={"errors": [{"code": 21000, "message": echo}]}),
        "429": Reply(status=429, headers={"Retry-After": credentials.password}),
        "500": Reply(status=500, text=echo, content_type="text/plain"),
        "503": Reply(status=503, json={"code": 20503}),
        "invalid json": Reply(text=echo, content_type="text/plain"),
        "malformed model": Reply(json={"id": echo}),
        "timeout": Reply(json={}, delay=SHORT_TIMEOUT * 10),
    }


def chain_of(error: BaseException) -> list[BaseException]:
    """Return an exception and every one it chains, as cause or context."""
    chain: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in chain):
            continue
        chain.append(current)
        pending += [current.__cause__, current.__context__]
    return chain


def texts_of(error: BaseException) -> list[str]:
    """Return everything an exception shows: str, repr, args and attributes."""
    return [
        str(error),
        repr(error),
        *(repr(arg) for arg in error.args),
        *(repr(value) for value in getattr(error, "__dict__", {}).values()),
    ]


@pytest.fixture
async def garbled_url() -> AsyncIterator[str]:
    """Return the base URL of a server that answers with malformed HTTP."""

    async def answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(GARBLED_RESPONSE)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/v1"
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("credentials", CREDENTIALS)
@pytest.mark.parametrize(
    "failure",
    [*answers(AUTH), "account mismatch", "refused", "garbled"],
)
async def test_no_failure_reveals_a_secret(
    *,
    session: aiohttp.ClientSession,
    comms_server: CommsServer,
    garbled_url: str,
    caplog: pytest.LogCaptureFixture,
    credentials: Credentials,
    failure: str,
) -> None:
    """Errors, even ones whose body echoes the secret, never reveal it.

    Not in their text, their attributes or anything they chain (only the
    client's own errors: aiohttp's keep the request headers), nor in the log.
    """
    caplog.set_level(logging.DEBUG)
    base_url = {
        "refused": f"http://127.0.0.1:{unused_port()}/v1",
        "garbled": garbled_url,
    }.get(failure, comms_server.base_url)
    client = TwilioCommsClient(
        session,
        credentials,
        base_url=base_url,
        rest_base_url=comms_server.rest_base_url,
        request_timeout=SHORT_TIMEOUT,
    )
    if failure == "account mismatch":
        refused = Reply(status=401, json={"code": 20003, "message": "Authenticate"})
        comms_server.add_rest("GET", f"/Accounts/{ACCOUNT_SID}.json", refused)
        comms_server.add_rest("GET", f"/Accounts/{ACCOUNT_SID}/Balance.json", refused)
        call = client.verify_account()
    else:
        comms_server.add(
            "GET", OPERATION_PATH, answers(credentials).get(failure, Reply())
        )
        call = client.get_operation(Channel.MESSAGES, OPERATION_ID)
    with pytest.raises(TwilioCommsError) as info:
        await call
    chain = chain_of(info.value)
    assert all(isinstance(link, TwilioCommsError) for link in chain), chain
    for text in (text for link in chain for text in texts_of(link)):
        assert_no_secret(text, credentials)
        assert "Authorization" not in text
    for record in caplog.records:
        assert_no_secret(record.getMessage(), credentials)
        assert_no_secret(repr(record.args), credentials)
    assert_no_secret(repr(client), credentials)
    # The secret did go over the wire, so the redaction is what was tested.
    if comms_server.requests:
        sent = comms_server.requests[0].headers["Authorization"]
        assert sent == credentials.authorization
    if failure in {"401", "400"}:
        assert REDACTED in str(info.value)
        assert f"GET /v1{OPERATION_PATH} -> HTTP {failure}" in caplog.text


# A sink's destination holds the Basic credentials of the webhook.
HOOK_PASSWORD = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
DESTINATION = f"https://a1b2c3d4e5f6a7b8:{HOOK_PASSWORD}@example.org/api/webhook/0a"
ECHO = f"destination {DESTINATION} is invalid (password {HOOK_PASSWORD})"
SINK_FAILURES = {
    "400": Reply(status=400, json={"code": 91000, "message": ECHO, "status": 400}),
    "403": Reply(status=403, json={"errors": [{"code": 20403, "message": ECHO}]}),
    "429": Reply(status=429, json={"code": 20429, "message": ECHO}),
    "500": Reply(status=500, text=ECHO, content_type="text/plain"),
    "invalid json": Reply(status=201, text=ECHO, content_type="text/plain"),
    "malformed model": Reply(status=201, json={"sid": ECHO, "sink_configuration": {"destination": DESTINATION}}),
    "timeout": Reply(json={}, delay=SHORT_TIMEOUT * 10),
}  # fmt: skip


@pytest.mark.parametrize("failure", [*SINK_FAILURES, "refused"])
async def test_no_sink_failure_reveals_the_destination(
    *,
    session: aiohttp.ClientSession,
    comms_server: CommsServer,
    caplog: pytest.LogCaptureFixture,
    failure: str,
) -> None:
    """Creating a sink fails without showing its destination or credentials anywhere."""
    caplog.set_level(logging.DEBUG)
    events_base_url = (
        f"http://127.0.0.1:{unused_port()}/v1"
        if failure == "refused"
        else comms_server.events_base_url
    )
    client = TwilioCommsClient(
        session,
        AUTH,
        events_base_url=events_base_url,
        request_timeout=SHORT_TIMEOUT,
    )
    comms_server.add_events("POST", "/Sinks", SINK_FAILURES.get(failure, Reply()))
    with pytest.raises(TwilioCommsError) as info:
        await client.create_sink("Home Assistant", DESTINATION)
    texts = [text for link in chain_of(info.value) for text in texts_of(link)]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert HOOK_PASSWORD not in text
        assert "example.org" not in text
    if failure == "400":
        assert REDACTED in str(info.value)
