"""Tests of the client's endpoints against a scripted server: what goes on the wire."""

from base64 import b64decode
from datetime import UTC, datetime, timedelta, timezone

import aiohttp
import pytest

from custom_components.twilio_comms.api import (
    DEFAULT_BASE_URL,
    Channel,
    Credentials,
    OperationStatus,
    TwilioCommsClient,
    TwilioCommsInvalidResponseError,
    TwilioCommsValidationError,
)

from .conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    OPERATION_ID,
    CommsServer,
    Received,
    Reply,
    load_fixture,
)


def basic_credentials(received: Received) -> str:
    """Return the user:password the server received in Basic authentication."""
    scheme, _, token = received.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return b64decode(token).decode()


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        (
            Credentials.from_auth_token(ACCOUNT_SID, AUTH_TOKEN),
            f"{ACCOUNT_SID}:{AUTH_TOKEN}",
        ),
        (
            Credentials.from_api_key(ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET),
            f"{API_KEY_SID}:{API_KEY_SECRET}",
        ),
    ],
    ids=["auth token", "api key"],
)
async def test_basic_auth_sends_the_right_pair(
    client: TwilioCommsClient, comms_server: CommsServer, expected: str
) -> None:
    """Both credential kinds authenticate as the pair Twilio expects."""
    comms_server.add("GET", "/Messages/Operations", Reply(json={"operations": []}))
    await client.list_operations(Channel.MESSAGES)
    assert basic_credentials(comms_server.requests[0]) == expected
    assert comms_server.requests[0].headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("account_sid", "username", "password"),
    [
        ("", ACCOUNT_SID, AUTH_TOKEN),
        (ACCOUNT_SID, " ", AUTH_TOKEN),
        (ACCOUNT_SID, ACCOUNT_SID, ""),
        (ACCOUNT_SID, "user:name", AUTH_TOKEN),
    ],
    ids=["no account", "blank username", "no password", "colon in username"],
)
def test_unusable_credentials_are_rejected(
    account_sid: str, username: str, password: str
) -> None:
    """Credentials HTTP Basic cannot carry fail early, without the secret."""
    with pytest.raises(TwilioCommsValidationError) as info:
        Credentials(
            account_sid=account_sid,
            username=username,
            password=password,
        )
    assert AUTH_TOKEN not in str(info.value)


async def test_list_operations_query(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Filters go out as the documented query parameters, dates in UTC with a Z."""
    seed = load_fixture("push_operations_list_seed001.json")
    comms_server.add(
        "GET",
        "/PushNotifications/Operations",
        Reply(json=seed),
        Reply(json={"operations": []}),
    )
    operations = [
        operation
        async for operation in client.iter_operations(
            Channel.PUSH_NOTIFICATIONS,
            page_size=1000,
            start_date=datetime(
                2024, 4, 20, 16, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2))
            ),
            end_date=datetime(2024, 4, 21, tzinfo=UTC),
            status=OperationStatus.PROCESSING,
        )
    ]
    received = comms_server.requests[0]
    assert received.method == "GET"
    assert received.path == "/v1/PushNotifications/Operations"
    query = {
        "pageSize": "1000",
        "startDate": "2024-04-20T14:00:00Z",
        "endDate": "2024-04-21T00:00:00Z",
        "status": "PROCESSING",
    }
    assert dict(received.query) == query
    assert [operation.id for operation in operations] == [
        "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
        "comms_operation_01h9ksxq9v7b2m4r5t6y7z8a9",
    ]
    assert dict(comms_server.requests[1].query) == query | {
        "pageToken": seed["pagination"]["next"]
    }


async def test_list_operations_without_filters_sends_no_query(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Unset filters are left out, so the API applies its own defaults."""
    comms_server.add("GET", "/Emails/Operations", Reply(json={"operations": []}))
    page = await client.list_operations(Channel.EMAILS)
    assert page.items == ()
    assert page.next_token is None
    assert dict(comms_server.requests[0].query) == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page_size": 0},
        {"page_size": 1001},
        {"start_date": datetime(2024, 1, 1)},  # noqa: DTZ001
        {
            "start_date": datetime(2024, 1, 2, tzinfo=UTC),
            "end_date": datetime(2024, 1, 1, tzinfo=UTC),
        },
        {"status": OperationStatus.UNKNOWN},
    ],
    ids=[
        "page size 0",
        "page size 1001",
        "naive start",
        "end before start",
        "unknown status",
    ],
)
async def test_list_operations_rejects_bad_arguments(
    client: TwilioCommsClient, comms_server: CommsServer, kwargs: dict[str, object]
) -> None:
    """Arguments the API would refuse fail locally, before any request."""
    with pytest.raises(TwilioCommsValidationError):
        client.iter_operations(Channel.MESSAGES, **kwargs)  # type: ignore[arg-type]
    assert comms_server.requests == []


async def test_get_operation(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Fetching an operation asks for its path and parses the seed sample."""
    comms_server.add(
        "GET",
        f"/Messages/Operations/{OPERATION_ID}",
        Reply(json=load_fixture("message_operation_seed004.json")),
    )
    operation = await client.get_operation(Channel.MESSAGES, OPERATION_ID)
    assert operation.id == OPERATION_ID
    assert operation.status is OperationStatus.COMPLETED
    assert operation.stats.delivered == 1
    assert (
        comms_server.requests[0].raw_path == f"/v1/Messages/Operations/{OPERATION_ID}"
    )


async def test_get_operation_with_wrong_shape(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 200 that is not an operation is an invalid response naming the request."""
    comms_server.add(
        "GET",
        f"/Messages/Operations/{OPERATION_ID}",
        Reply(json=["not", "an", "object"]),
    )
    with pytest.raises(TwilioCommsInvalidResponseError) as info:
        await client.get_operation(Channel.MESSAGES, OPERATION_ID)
    assert str(info.value).startswith(f"GET /v1/Messages/Operations/{OPERATION_ID}: ")


@pytest.mark.parametrize(
    ("channel", "fixture", "list_key"),
    [
        (Channel.MESSAGES, "messages_list.json", "messages"),
        (
            Channel.PUSH_NOTIFICATIONS,
            "push_notifications_list_seed002.json",
            "notifications",
        ),
        (
            Channel.PUSH_NOTIFICATIONS,
            "push_notifications_list_pushnotifications_key.json",
            "pushNotifications",
        ),
        (Channel.EMAILS, "emails_list_data_key.json", "data"),
        (Channel.EMAILS, "emails_list_emails_key.json", "emails"),
    ],
    ids=[
        "messages",
        "push under notifications",
        "push under pushNotifications",
        "emails under data",
        "emails under emails",
    ],
)
async def test_list_resources_of_an_operation(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    *,
    channel: Channel,
    fixture: str,
    list_key: str,
) -> None:
    """Each channel lists an operation's resources, whichever list key the API uses."""
    payload = load_fixture(fixture)
    comms_server.add("GET", f"/{channel.path}", Reply(json=payload))
    page = await client.list_resources(channel, OPERATION_ID, page_size=10)
    assert dict(comms_server.requests[0].query) == {
        "operationId": OPERATION_ID,
        "pageSize": "10",
    }
    assert [(item.id, item.status) for item in page.items] == [
        (item["id"], item["status"].upper()) for item in payload[list_key]
    ]


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://comms.twilio.com/v1",
        "/v1",
        f"https://{ACCOUNT_SID}:{AUTH_TOKEN}@comms.twilio.com/v1",
        "https://comms.twilio.com/v1?x=1",
        "https://comms.twilio.com/v1#top",
        "https://comms.twilio.com:99999/v1",
        "http://comms.twilio.com/v1",
        "http://192.168.1.10:8765/v1",
        "http://localhost.evil.example/v1",
    ],
    ids=[
        "ftp",
        "relative",
        "userinfo",
        "query",
        "fragment",
        "bad port",
        "plain http",
        "plain http on lan",
        "plain http to a lookalike",
    ],
)
@pytest.mark.parametrize("which", ["base_url", "rest_base_url"])
async def test_unsafe_base_url_is_rejected(
    session: aiohttp.ClientSession, credentials: Credentials, base_url: str, which: str
) -> None:
    """A base URL that could leak credentials or misroute requests is refused."""
    with pytest.raises(TwilioCommsValidationError) as info:
        TwilioCommsClient(session, credentials, **{which: base_url})
    assert AUTH_TOKEN not in str(info.value)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8765/v1",
        "http://127.8.9.10/v1",
        "http://[::1]:8765/v1",
        "http://localhost:8765/v1",
        "https://192.168.1.10/v1",
    ],
)
async def test_plain_http_to_loopback_only(
    session: aiohttp.ClientSession, credentials: Credentials, base_url: str
) -> None:
    """Plain http is for this machine only (the emulator); https goes anywhere."""
    TwilioCommsClient(session, credentials, base_url=base_url, rest_base_url=base_url)


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
async def test_bad_request_timeout_is_rejected(
    session: aiohttp.ClientSession, credentials: Credentials, timeout: float
) -> None:
    """Only a finite, positive request timeout is accepted."""
    with pytest.raises(TwilioCommsValidationError):
        TwilioCommsClient(session, credentials, request_timeout=timeout)


async def test_default_base_url_and_trailing_slash(
    session: aiohttp.ClientSession,
    credentials: Credentials,
    comms_server: CommsServer,
) -> None:
    """The default base URL is production; a trailing slash is harmless."""
    assert DEFAULT_BASE_URL == "https://comms.twilio.com/v1"
    client = TwilioCommsClient(
        session, credentials, base_url=comms_server.base_url + "/"
    )
    comms_server.add("GET", "/Messages/Operations", Reply(json={"operations": []}))
    await client.list_operations(Channel.MESSAGES)
    assert comms_server.requests[0].path == "/v1/Messages/Operations"
