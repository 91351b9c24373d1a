"""Tests that no secret ever shows in logs, exceptions or reprs."""

from base64 import b64encode
import logging

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
