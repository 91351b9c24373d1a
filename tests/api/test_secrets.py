"""Tests that no secret ever shows in logs, exceptions or reprs."""

import asyncio
from base64 import b64encode
from collections.abc import AsyncIterator, Awaitable, Callable
import logging
from typing import Any

import aiohttp
from aiohttp.test_utils import unused_port
import pytest

from custom_components.twilio_comms.api import (
    Channel,
    Credentials,
    TwilioCommsClient,
    TwilioCommsError,
    TwilioCommsResponseError,
)

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

CREDENTIALS = [
    Credentials.from_auth_token(ACCOUNT_SID, AUTH_TOKEN),
    Credentials.from_api_key(ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET),
]

# A response aiohttp cannot parse: it raises a ClientResponseError, whose
# request_info holds every request header, Authorization included.
GARBLED_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}"


def secrets_of(credentials: Credentials) -> list[str]:
    """Return every string that would reveal the credentials' secret."""
    pair = f"{credentials.username}:{credentials.password}".encode()
    return [credentials.password, b64encode(pair).decode(), credentials.authorization]


def assert_no_secret(text: str, credentials: Credentials) -> None:
    """Fail if text contains any form of the secret."""
    for secret in secrets_of(credentials):
        assert secret not in text


@pytest.mark.parametrize("credentials", CREDENTIALS, ids=["auth token", "api key"])
def test_credentials_repr_hides_the_secret(credentials: Credentials) -> None:
    """A credentials object can be logged or shown in a traceback safely."""
    for text in (repr(credentials), str(credentials), f"{credentials!r}"):
        assert_no_secret(text, credentials)
        assert credentials.username in text


@pytest.mark.parametrize("credentials", CREDENTIALS, ids=["auth token", "api key"])
async def test_nothing_leaks_through_any_failure(
    session: aiohttp.ClientSession,
    comms_server: CommsServer,
    caplog: pytest.LogCaptureFixture,
    credentials: Credentials,
) -> None:
    """Errors, even ones whose body echoes the secret, never reveal it anywhere."""
    client = TwilioCommsClient(
        session,
        credentials,
        base_url=comms_server.base_url,
        request_timeout=SHORT_TIMEOUT,
    )
    path = f"/Messages/Operations/{OPERATION_ID}"
    echo = (
        f"bad credentials {credentials.username}:{credentials.password} "
        f"({credentials.authorization})"
    )
    comms_server.add(
        "GET",
        path,
        Reply(status=401, json={"code": 20003, "message": echo}),
        Reply(status=400, json={"errors": [{"code": 21000, "message": echo}]}),
        Reply(status=500, text=echo, content_type="text/plain"),
        Reply(status=429, headers={"Retry-After": credentials.password}),
        Reply(json={}, delay=SHORT_TIMEOUT * 10),
        Reply(text=echo, content_type="text/plain"),
        Reply(json={"id": echo}),
    )
    caplog.set_level(logging.DEBUG)
    errors: list[TwilioCommsError] = []
    for _ in range(7):
        with pytest.raises(TwilioCommsError) as info:
            await client.get_operation(Channel.MESSAGES, OPERATION_ID)
        errors.append(info.value)
    refused = TwilioCommsClient(
        session, credentials, base_url=f"http://127.0.0.1:{unused_port()}/v1"
    )
    with pytest.raises(TwilioCommsError) as info:
        await refused.list_operations(Channel.MESSAGES)
    errors.append(info.value)

    # The secret did go over the wire, so the redaction is what was tested.
    assert (
        comms_server.requests[0].headers["Authorization"] == credentials.authorization
    )
    for error in errors:
        assert_no_secret(str(error), credentials)
        assert_no_secret(repr(error), credentials)
        if isinstance(error, TwilioCommsResponseError):
            assert_no_secret(error.detail, credentials)
    assert any("**REDACTED**" in str(error) for error in errors)
    assert caplog.records
    for record in caplog.records:
        assert_no_secret(record.getMessage(), credentials)
        assert_no_secret(repr(record.args), credentials)
    assert_no_secret(repr(client), credentials)
    assert f"GET /v1{path} -> HTTP 401" in caplog.text


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


type Failure = Callable[[CommsServer, TwilioCommsClient], Awaitable[Any]]


def scripted(*replies: Reply) -> Failure:
    """Return a failure: reading an operation the server answers with replies."""

    async def fail(server: CommsServer, client: TwilioCommsClient) -> Any:
        server.add("GET", f"/Messages/Operations/{OPERATION_ID}", *replies)
        return await client.get_operation(Channel.MESSAGES, OPERATION_ID)

    return fail


async def _mismatch(server: CommsServer, client: TwilioCommsClient) -> None:
    """Verify an account whose REST API refuses the credentials."""
    refused = Reply(status=401, json={"code": 20003, "message": "Authenticate"})
    server.add_rest("GET", f"/Accounts/{ACCOUNT_SID}.json", refused)
    server.add_rest("GET", f"/Accounts/{ACCOUNT_SID}/Balance.json", refused)
    await client.verify_account()


FAILURES: dict[str, Failure] = {
    "401": scripted(Reply(status=401, json={"code": 20003})),
    "400": scripted(Reply(status=400, json={"errors": [{"code": 21000}]})),
    "429": scripted(Reply(status=429, headers={"Retry-After": "1"})),
    "500": scripted(Reply(status=500, text="oops", content_type="text/plain")),
    "503": scripted(Reply(status=503, json={"code": 20503})),
    "invalid json": scripted(Reply(text="{not json", content_type="text/plain")),
    "malformed model": scripted(Reply(json={"id": 5})),
    "timeout": scripted(Reply(json={}, delay=SHORT_TIMEOUT * 10)),
    "account mismatch": _mismatch,
}


@pytest.mark.parametrize("credentials", CREDENTIALS, ids=["auth token", "api key"])
@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_no_exception_chain_carries_a_secret(
    session: aiohttp.ClientSession,
    comms_server: CommsServer,
    credentials: Credentials,
    failure: Failure,
) -> None:
    """Every error path raises a chain free of aiohttp's errors and of the secret."""
    client = TwilioCommsClient(
        session,
        credentials,
        base_url=comms_server.base_url,
        rest_base_url=comms_server.rest_base_url,
        request_timeout=SHORT_TIMEOUT,
    )
    with pytest.raises(TwilioCommsError) as info:
        await failure(comms_server, client)
    assert_clean_chain(info.value, credentials)


@pytest.mark.parametrize("credentials", CREDENTIALS, ids=["auth token", "api key"])
@pytest.mark.parametrize("where", ["refused", "garbled"])
async def test_no_transport_error_chain_carries_a_secret(
    session: aiohttp.ClientSession,
    garbled_url: str,
    credentials: Credentials,
    where: str,
) -> None:
    """A refused connection or a malformed response does not chain aiohttp's error."""
    base_url = (
        garbled_url if where == "garbled" else f"http://127.0.0.1:{unused_port()}/v1"
    )
    client = TwilioCommsClient(session, credentials, base_url=base_url)
    with pytest.raises(TwilioCommsError) as info:
        await client.list_operations(Channel.MESSAGES)
    assert_clean_chain(info.value, credentials)


def assert_clean_chain(error: BaseException, credentials: Credentials) -> None:
    """Fail if anything an exception chains could reveal the secret."""
    chain = chain_of(error)
    # Only the client's own errors: aiohttp's keep the request headers.
    assert all(isinstance(link, TwilioCommsError) for link in chain), chain
    for link in chain:
        for text in texts_of(link):
            assert_no_secret(text, credentials)
            assert "Authorization" not in text
