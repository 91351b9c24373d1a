"""The client against a scripted server: what goes on the wire, what it reads back."""

from base64 import b64decode
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
import json
from unittest.mock import ANY
from urllib.parse import parse_qsl

import aiohttp
import pytest

from custom_components.twilio_comms.api import (
    DEFAULT_BASE_URL,
    DEFAULT_EVENTS_BASE_URL,
    DEFAULT_REST_BASE_URL,
    INBOUND_EVENT_TYPE,
    Channel,
    Credentials,
    MessageRecipient,
    MessageSendRequest,
    Operation,
    OperationStatus,
    TwilioCommsAccountMismatchError,
    TwilioCommsAuthenticationError,
    TwilioCommsBadRequestError,
    TwilioCommsClient,
    TwilioCommsForbiddenError,
    TwilioCommsInvalidIdError,
    TwilioCommsInvalidResponseError,
    TwilioCommsRequestTooLargeError,
    TwilioCommsServerError,
    TwilioCommsValidationError,
)
from custom_components.twilio_comms.api.client import (
    DEFAULT_MAX_PAGES,
    MAX_RESPONSE_BYTES,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsPaginationError

from .conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    OPERATION_ID,
    CommsServer,
    Received,
    Reply,
    compression_bomb,
    load_fixture,
)

OPERATIONS = "/Messages/Operations"
AUTH = Credentials.from_auth_token(ACCOUNT_SID, AUTH_TOKEN)
API_KEY = Credentials.from_api_key(ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET)


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        pytest.param(AUTH, f"{ACCOUNT_SID}:{AUTH_TOKEN}", id="auth token"),
        pytest.param(API_KEY, f"{API_KEY_SID}:{API_KEY_SECRET}", id="api key"),
    ],
)  # fmt: skip
async def test_basic_auth_sends_the_right_pair(
    client: TwilioCommsClient, comms_server: CommsServer, expected: str
) -> None:
    """Both credential kinds authenticate as the pair Twilio expects."""
    comms_server.add("GET", OPERATIONS, Reply(json={"operations": []}))
    await client.list_operations(Channel.MESSAGES)
    scheme, _, token = comms_server.requests[0].headers["Authorization"].partition(" ")
    assert (scheme, b64decode(token).decode()) == ("Basic", expected)
    assert comms_server.requests[0].headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("account_sid", "username", "password"),
    [
        pytest.param("", ACCOUNT_SID, AUTH_TOKEN, id="no account"),
        pytest.param(ACCOUNT_SID, " ", AUTH_TOKEN, id="blank username"),
        pytest.param(ACCOUNT_SID, ACCOUNT_SID, "", id="no password"),
        pytest.param(ACCOUNT_SID, "user:name", AUTH_TOKEN, id="colon in username"),
    ],
)  # fmt: skip
def test_unusable_credentials_are_rejected(
    account_sid: str, username: str, password: str
) -> None:
    """Credentials HTTP Basic cannot carry fail early, without the secret."""
    with pytest.raises(TwilioCommsValidationError) as info:
        Credentials(account_sid=account_sid, username=username, password=password)
    assert AUTH_TOKEN not in str(info.value)


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("ftp://comms.twilio.com/v1", id="ftp"),
        pytest.param("/v1", id="relative"),
        pytest.param(f"https://{ACCOUNT_SID}:{AUTH_TOKEN}@comms.twilio.com/v1", id="userinfo"),
        pytest.param("https://comms.twilio.com/v1?x=1", id="query"),
        pytest.param("https://comms.twilio.com/v1#top", id="fragment"),
        pytest.param("https://comms.twilio.com:99999/v1", id="bad port"),
        pytest.param("http://comms.twilio.com/v1", id="plain http"),
        pytest.param("http://192.168.1.10:8765/v1", id="plain http on lan"),
        pytest.param("http://localhost.evil.example/v1", id="plain http to a lookalike"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("which", ["base_url", "rest_base_url", "events_base_url"])
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


async def test_default_base_urls_and_trailing_slash(
    session: aiohttp.ClientSession,
    credentials: Credentials,
    comms_server: CommsServer,
) -> None:
    """The defaults are production's; a trailing slash is harmless."""
    assert DEFAULT_BASE_URL == "https://comms.twilio.com/v1"
    assert DEFAULT_REST_BASE_URL == "https://api.twilio.com/2010-04-01"
    client = TwilioCommsClient(
        session, credentials, base_url=comms_server.base_url + "/"
    )
    comms_server.add("GET", OPERATIONS, Reply(json={"operations": []}))
    page = await client.list_operations(Channel.MESSAGES)
    assert (page.items, page.next_token) == ((), None)
    # Unset filters are left out, so the API applies its own defaults.
    assert comms_server.requests[0].path == "/v1/Messages/Operations"
    assert dict(comms_server.requests[0].query) == {}


async def test_get_operation(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Fetching an operation asks for its path and parses the seed sample."""
    comms_server.add(
        "GET",
        f"{OPERATIONS}/{OPERATION_ID}",
        Reply(json=load_fixture("message_operation_seed004.json")),
        Reply(json=["not", "an", "object"]),
    )
    operation = await client.get_operation(Channel.MESSAGES, OPERATION_ID)
    assert (operation.id, operation.status) == (OPERATION_ID, OperationStatus.COMPLETED)
    assert operation.stats.delivered == 1
    assert comms_server.requests[0].raw_path == f"/v1{OPERATIONS}/{OPERATION_ID}"
    # A 200 that is not an operation is an invalid response naming the request.
    with pytest.raises(TwilioCommsInvalidResponseError) as info:
        await client.get_operation(Channel.MESSAGES, OPERATION_ID)
    assert str(info.value).startswith(f"GET /v1{OPERATIONS}/{OPERATION_ID}: ")


@pytest.mark.parametrize(
    ("channel", "fixture", "list_key"),
    [
        pytest.param(Channel.MESSAGES, "messages_list.json", "messages", id="messages"),
        pytest.param(Channel.PUSH_NOTIFICATIONS, "push_notifications_list_seed002.json", "notifications", id="push under notifications"),
        pytest.param(Channel.PUSH_NOTIFICATIONS, "push_notifications_list_pushnotifications_key.json", "pushNotifications", id="push under pushNotifications"),
        pytest.param(Channel.EMAILS, "emails_list_data_key.json", "data", id="emails under data"),
        pytest.param(Channel.EMAILS, "emails_list_emails_key.json", "emails", id="emails under emails"),
    ],
)  # fmt: skip
async def test_list_resources_of_an_operation(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    channel: Channel,
    fixture: str,
    list_key: str,
) -> None:
    """Each channel lists an operation's resources, whichever list key the API uses."""
    payload = load_fixture(fixture)
    comms_server.add("GET", f"/{channel.path}", Reply(json=payload))
    listing = client.iter_resources(channel, OPERATION_ID, page_size=10)
    # The first page's: some samples name a next page, not served here.
    items = [await anext(listing) for _ in payload[list_key]]
    await listing.aclose()
    assert dict(comms_server.requests[0].query) == {
        "operationId": OPERATION_ID,
        "pageSize": "10",
    }
    assert [(item.id, item.status) for item in items] == [
        (item["id"], item["status"].upper()) for item in payload[list_key]
    ]


async def test_iter_resources_follows_every_page(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """An operation's resources are read across pages, its id on each request."""
    comms_server.add(
        "GET",
        "/Messages",
        *(
            Reply(
                json={
                    "messages": [
                        {"id": f"comms_message_01h9{number}", "status": "SENT"}
                    ],
                    "pagination": {"next": next_token},
                }
            )
            for number, next_token in ((1, "token-2"), (2, None))
        ),
    )
    resources = [
        resource
        async for resource in client.iter_resources(Channel.MESSAGES, OPERATION_ID)
    ]
    assert [resource.id for resource in resources] == [
        "comms_message_01h91",
        "comms_message_01h92",
    ]
    assert dict(comms_server.requests[1].query) == {
        "operationId": OPERATION_ID,
        "pageToken": "token-2",
    }


def operation(number: int) -> dict[str, object]:
    """Return a minimal operation numbered so each page's items differ."""
    return {
        "id": f"comms_operation_01h9krwprkeee8fzqspvwy{number:04d}",
        "status": "COMPLETED",
        "stats": {"total": number},
        "createdAt": "2024-04-05T06:20:00Z",
    }


def page(
    numbers: range, next_token: str | None, self_token: str | None = None
) -> Reply:
    """Return a scripted page of operations."""
    return Reply(
        json={
            "operations": [operation(number) for number in numbers],
            "pagination": {"next": next_token, "self": self_token},
        }
    )


SEED_LIST = load_fixture("push_operations_list_seed001.json")


@pytest.mark.parametrize(
    ("payload", "tokens"),
    [
        *(
            pytest.param({"operations": [], "pagination": {"next": value, "self": value}}, (token, token), id=name)
            for value, token, name in [
                ("eyJwYWdlIjogMn0", "eyJwYWdlIjogMn0", "opaque token"),
                ("https://comms.twilio.com/v1/X?pageSize=5&pageToken=ab%2Bc%3D", "ab+c=", "url with token"),
                ("http://localhost/v1/X?pageToken=t1", "t1", "http url"),
                ("https://comms.twilio.com/v1/PushNotifications", None, "url without token"),
                ("https://comms.twilio.com/v1/X?pageToken=", None, "url with empty token"),
                ("https://[not-a-host/v1?pageToken=x", None, "broken url"),
                ("", None, "empty"),
                ("   ", None, "blank"),
                (None, None, "null"),
                (42, None, "number"),
            ]
        ),
        pytest.param(SEED_LIST, (SEED_LIST["pagination"]["next"], SEED_LIST["pagination"]["self"]), id="the reference sample"),
        pytest.param(load_fixture("operations_list_next_url.json"), ("eyJwYWdlIjogMn0=", None), id="the push guide's URLs"),
        pytest.param(load_fixture("operations_list_top_level_next_page_token.json"), ("eyJwYWdlIjogMn0", None), id="top-level nextPageToken"),
    ],
)  # fmt: skip
async def test_page_tokens(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    payload: object,
    tokens: tuple[str | None, str | None],
) -> None:
    """A token is opaque unless it is a URL, whose pageToken is then used."""
    comms_server.add("GET", OPERATIONS, Reply(json=payload))
    page = await client.list_operations(Channel.MESSAGES)
    assert (page.next_token, page.self_token) == tokens


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(["operations"], id="not an object"),
        pytest.param({"pagination": {"next": None}}, id="no list key"),
        pytest.param({"operations": {"id": "comms_operation_01"}}, id="list key holds an object"),
        pytest.param({"operations": None}, id="list key holds null"),
        pytest.param({"operations": [{"id": "../../Accounts"}]}, id="item with a bad id"),
        pytest.param({"operations": ["comms_operation_01"]}, id="item not an object"),
    ],
)  # fmt: skip
async def test_wrong_page_shapes_are_invalid(
    client: TwilioCommsClient, comms_server: CommsServer, data: object
) -> None:
    """A 200 that is not a page is an invalid response, never an empty list."""
    comms_server.add("GET", OPERATIONS, Reply(json=data))
    with pytest.raises(TwilioCommsInvalidResponseError):
        await client.list_operations(Channel.MESSAGES)


async def test_iter_operations_follows_every_page(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Each page is asked for with the filters, in UTC with a Z, and the previous next token.

    An empty page in the middle does not end the listing; a missing next does.
    """
    comms_server.add(
        "GET",
        OPERATIONS,
        page(range(3), "token-2", "token-1"),
        page(range(0), "token-3", "token-2"),
        page(range(3, 5), None, "token-3"),
    )
    start = datetime(2024, 4, 5, 2, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    operations = [
        op
        async for op in client.iter_operations(
            Channel.MESSAGES,
            page_size=3,
            start_date=start,
            end_date=datetime(2024, 4, 6, tzinfo=UTC),
            status=OperationStatus.COMPLETED,
        )
    ]
    assert [op.stats.total for op in operations] == list(range(5))
    base = {
        "pageSize": "3",
        "startDate": "2024-04-05T00:00:00Z",
        "endDate": "2024-04-06T00:00:00Z",
        "status": "COMPLETED",
    }
    assert [dict(received.query) for received in comms_server.requests] == [
        base,
        base | {"pageToken": "token-2"},
        base | {"pageToken": "token-3"},
    ]


async def test_iter_operations_url_form_token(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A next URL is followed by its token, never by requesting the URL itself."""
    comms_server.add(
        "GET",
        "/PushNotifications/Operations",
        Reply(json=load_fixture("operations_list_next_url.json")),
        Reply(json=SEED_LIST | {"pagination": {}}),
    )
    operations = [op async for op in client.iter_operations(Channel.PUSH_NOTIFICATIONS)]
    assert len(operations) == 3
    assert comms_server.requests[1].path == "/v1/PushNotifications/Operations"
    assert dict(comms_server.requests[1].query) == {"pageToken": "eyJwYWdlIjogMn0="}


@pytest.mark.parametrize(
    "replies",
    [
        pytest.param([page(range(1), "token-1")], id="same next forever"),
        pytest.param([page(range(1), "token-2", "token-1"), page(range(1), "token-1", "token-2")], id="two pages pointing at each other"),
        pytest.param([page(range(1), "token-1", "token-1")], id="next is self"),
    ],
)  # fmt: skip
async def test_iter_operations_detects_looping_tokens(
    client: TwilioCommsClient, comms_server: CommsServer, replies: list[Reply]
) -> None:
    """A server that cycles through tokens cannot make the client loop forever."""
    comms_server.add("GET", OPERATIONS, *replies)
    with pytest.raises(TwilioCommsPaginationError, match="repeated a page token"):
        async for _ in client.iter_operations(Channel.MESSAGES):
            pass
    assert len(comms_server.requests) <= 3


async def test_iter_operations_page_cap(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A server handing out new tokens forever is cut off at max_pages."""
    comms_server.add(
        "GET", OPERATIONS, *(page(range(1), f"token-{n}") for n in range(10))
    )
    seen: list[Operation] = []

    async def collect() -> None:
        """Read the listing until it raises, keeping what arrived before."""
        async for op in client.iter_operations(Channel.MESSAGES, max_pages=4):
            seen.append(op)  # noqa: PERF401

    with pytest.raises(TwilioCommsPaginationError, match="within 4 pages"):
        await collect()
    assert len(seen) == len(comms_server.requests) == 4
    assert DEFAULT_MAX_PAGES == 100


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"page_size": 0}, id="page size 0"),
        pytest.param({"page_size": 1001}, id="page size 1001"),
        pytest.param({"start_date": datetime(2024, 1, 1)}, id="naive start"),  # noqa: DTZ001
        pytest.param({"start_date": datetime(2024, 1, 2, tzinfo=UTC), "end_date": datetime(2024, 1, 1, tzinfo=UTC)}, id="end before start"),
        pytest.param({"status": OperationStatus.UNKNOWN}, id="unknown status"),
        pytest.param({"max_pages": 0}, id="no pages"),
    ],
)  # fmt: skip
def test_iter_operations_checks_arguments_at_once(
    client: TwilioCommsClient, comms_server: CommsServer, kwargs: dict[str, object]
) -> None:
    """Arguments the API would refuse fail when the iterator is made, before any request."""
    with pytest.raises(TwilioCommsValidationError):
        client.iter_operations(Channel.MESSAGES, **kwargs)  # type: ignore[arg-type]
    assert comms_server.requests == []


ACCOUNT = f"/Accounts/{ACCOUNT_SID}.json"
BALANCE = f"/Accounts/{ACCOUNT_SID}/Balance.json"
OTHER_ACCOUNT_SID = "ACfedcba9876543210fedcba9876543210"
# The classic REST API's answer to credentials that do not open the account.
AUTHENTICATE = Reply(status=401, json={"code": 20003, "message": "Authenticate", "status": 401})  # fmt: skip


@pytest.mark.parametrize(
    ("credentials", "account", "balance", "error"),
    [
        pytest.param(AUTH, Reply(json={"sid": ACCOUNT_SID}), None, None, id="auth token: the account names itself"),
        pytest.param(API_KEY, AUTHENTICATE, Reply(json={"account_sid": ACCOUNT_SID.upper()}), None, id="standard key: its balance names the account"),
        pytest.param(API_KEY, AUTHENTICATE, AUTHENTICATE, TwilioCommsAccountMismatchError, id="401"),
        pytest.param(API_KEY, AUTHENTICATE, Reply(status=403, json={"code": 20403}), TwilioCommsAccountMismatchError, id="403"),
        pytest.param(API_KEY, AUTHENTICATE, Reply(status=404, json={"code": 20404}), TwilioCommsAccountMismatchError, id="404"),
        pytest.param(API_KEY, AUTHENTICATE, Reply(json={"account_sid": OTHER_ACCOUNT_SID}), TwilioCommsAccountMismatchError, id="balance of another account"),
        pytest.param(AUTH, Reply(json={"sid": OTHER_ACCOUNT_SID}), None, TwilioCommsAccountMismatchError, id="another account"),
        pytest.param(AUTH, Reply(status=503, json={"code": 20503}), None, TwilioCommsServerError, id="an outage says nothing of the account"),
        pytest.param(AUTH, Reply(json={"friendly_name": "x"}), None, TwilioCommsInvalidResponseError, id="nor does an answer without a sid"),
    ],
)  # fmt: skip
async def test_verify_account(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    account: Reply,
    balance: Reply | None,
    error: type[Exception] | None,
) -> None:
    """The Auth Token or a Main key reads its account; a Standard key, its Balance.

    Another account's key, or one that lost access, is a mismatch; failures are not.
    """
    comms_server.add_rest("GET", ACCOUNT, account)
    if balance is not None:
        comms_server.add_rest("GET", BALANCE, balance)
    if error is None:
        await client.verify_account()
        paths = [f"/2010-04-01{path}" for path in (ACCOUNT, BALANCE)]
        assert [r.path for r in comms_server.requests] == paths[: 1 + bool(balance)]
        return
    with pytest.raises(error) as info:
        await client.verify_account()
    if error is TwilioCommsAccountMismatchError:
        assert ACCOUNT_SID[-4:] in str(info.value)


def padded_page(size: int) -> bytes:
    """Return a JSON page of no operations, padded to about size bytes."""
    return json.dumps({"operations": [], "pad": "x" * size}).encode()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(Reply(body=padded_page(MAX_RESPONSE_BYTES - 100)), None, id="just under the cap"),
        pytest.param(Reply(body=compression_bomb(2**20), headers={"Content-Encoding": "gzip"}), None, id="compressed"),
        *(
            pytest.param(Reply(status=status, body=padded_page(MAX_RESPONSE_BYTES + 1)), "larger than 2 MiB", id=f"{status} past the cap")
            for status in (200, 400, 503)
        ),
        *(
            pytest.param(Reply(body=compression_bomb(64 * 2**20, encoding), headers={"Content-Encoding": encoding}), "larger than 2 MiB", id=f"{encoding} bomb")
            for encoding in ("gzip", "deflate")
        ),
        pytest.param(Reply(body=b"\x1b\x00", headers={"Content-Encoding": "br"}), "an encoding it was not offered", id="not offered"),
        pytest.param(Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}), "does not decompress", id="broken gzip"),
    ],
)  # fmt: skip
async def test_body_cap(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    reply: Reply,
    error: str | None,
) -> None:
    """A body is read up to 2 MiB once inflated, whatever its status; past that, refused."""
    comms_server.add("GET", OPERATIONS, reply)
    if error is None:
        assert (await client.list_operations(Channel.MESSAGES)).items == ()
    else:
        with pytest.raises(TwilioCommsInvalidResponseError, match=error):
            await client.list_operations(Channel.MESSAGES)
    assert comms_server.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


async def test_request_too_large(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 413 says the request was too large, not that Twilio could not be reached."""
    comms_server.add("POST", "/Messages", Reply(status=413, text="Too Large"))
    request = MessageSendRequest(
        to=[MessageRecipient(address="+15558675310")], text="Hi"
    )
    with pytest.raises(TwilioCommsRequestTooLargeError) as err:
        await client.send(request)
    assert err.value.status == 413


# ------------------------------------------------------------ event streams

SINK_SID = "DG0123456789abcdef0123456789abcdef"
SUBSCRIPTION_SID = "DF0123456789abcdef0123456789abcdef"
OTHER_SINK_SID = "DGfedcba9876543210fedcba9876543210"
# A destination as the integration makes it: random Basic credentials.
HOOK_USER = "a1b2c3d4e5f6a7b8"
HOOK_PASSWORD = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
DESTINATION = f"https://{HOOK_USER}:{HOOK_PASSWORD}@example.org/api/webhook/0123abcd"


def sink_json(status: object = "active", **changes: object) -> dict[str, object]:
    """Return a webhook sink as the Event Streams API answers it (OAI sample fields)."""
    return {
        "sid": SINK_SID,
        "account_sid": ACCOUNT_SID,
        "description": "Home Assistant (twilio_comms)",
        "sink_type": "webhook",
        "sink_configuration": {"destination": DESTINATION, "method": "POST", "batch_events": True},
        "status": status,
        "date_created": "2015-07-30T20:00:00Z",
        "date_updated": "2023-05-04T09:42:00+00:00",
        "url": f"https://events.twilio.com/v1/Sinks/{SINK_SID}",
        "links": {},
    } | changes  # fmt: skip


def subscription_json(
    sid: str = SUBSCRIPTION_SID, sink_sid: str = SINK_SID
) -> dict[str, object]:
    """Return a subscription as the Event Streams API answers it."""
    return {
        "sid": sid,
        "account_sid": ACCOUNT_SID,
        "sink_sid": sink_sid,
        "description": "Home Assistant (twilio_comms)",
        "date_created": "2015-07-30T20:00:00Z",
        "date_updated": "2015-07-30T20:00:00Z",
        "url": f"https://events.twilio.com/v1/Subscriptions/{sid}",
        "links": {},
    }  # fmt: skip


def form(received: Received) -> list[tuple[str, str]]:
    """Return the fields of a form-encoded request, in order, repeats kept."""
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return parse_qsl(
        received.body.decode(), keep_blank_values=True, strict_parsing=True
    )


async def test_default_events_base_url(
    session: aiohttp.ClientSession, credentials: Credentials
) -> None:
    """Event Streams lives on its own Twilio host."""
    assert DEFAULT_EVENTS_BASE_URL == "https://events.twilio.com/v1"
    with pytest.raises(TwilioCommsValidationError):
        TwilioCommsClient(
            session, credentials, events_base_url="http://events.twilio.com/v1"
        )


@pytest.mark.parametrize("status", [201, 200])
async def test_create_sink(
    client: TwilioCommsClient, comms_server: CommsServer, status: int
) -> None:
    """A webhook sink is a form with the configuration as a JSON string (docs §2)."""
    comms_server.add_events("POST", "/Sinks", Reply(status=status, json=sink_json()))
    sink = await client.create_sink("Home Assistant (twilio_comms)", DESTINATION)
    assert (sink.sid, sink.status, sink.active, sink.sink_type) == (
        SINK_SID,
        "active",
        True,
        "webhook",
    )
    assert sink.destination == DESTINATION
    assert HOOK_PASSWORD not in repr(sink)
    (received,) = comms_server.requests
    assert (received.method, received.path) == ("POST", "/events/v1/Sinks")
    assert received.headers["Authorization"] == AUTH.authorization
    fields = form(received)
    assert fields == [
        ("Description", "Home Assistant (twilio_comms)"),
        ("SinkType", "webhook"),
        ("SinkConfiguration", ANY),
    ]
    assert json.loads(fields[2][1]) == {"destination": DESTINATION, "method": "POST", "batch_events": True}  # fmt: skip


async def test_create_sink_errors_never_show_the_destination(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A refusal quoting the destination, or its credentials, shows neither."""
    message = f"Sink Configuration destination {DESTINATION} is invalid (user {HOOK_USER}, password {HOOK_PASSWORD})"  # fmt: skip
    comms_server.add_events("POST", "/Sinks", Reply(status=400, json={"code": 91000, "message": message, "status": 400}))  # fmt: skip
    with pytest.raises(TwilioCommsBadRequestError) as info:
        await client.create_sink("Home Assistant", DESTINATION)
    for secret in (DESTINATION, HOOK_USER, HOOK_PASSWORD):
        assert secret not in str(info.value)
        assert secret not in info.value.detail
    assert "91000" in str(info.value)


async def test_create_sink_errors_hide_even_a_broken_destination(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A destination that is no URL is blanked out as a whole."""
    broken = f"https://{HOOK_USER}:{HOOK_PASSWORD}@[::1/api/webhook"
    comms_server.add_events("POST", "/Sinks", Reply(status=400, json={"code": 91000, "message": f"Invalid destination {broken}"}))  # fmt: skip
    with pytest.raises(TwilioCommsBadRequestError) as info:
        await client.create_sink("Home Assistant", broken)
    assert HOOK_PASSWORD not in str(info.value)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(Reply(json=sink_json()), ("active", DESTINATION), id="active"),
        pytest.param(Reply(json=sink_json("initialized")), ("initialized", DESTINATION), id="initialized"),
        pytest.param(Reply(json=sink_json("FAILED")), ("failed", DESTINATION), id="status in upper case"),
        pytest.param(Reply(json=sink_json(status=None)), ("unknown", DESTINATION), id="no status"),
        pytest.param(Reply(json=sink_json(sink_configuration=json.dumps({"destination": DESTINATION}))), ("active", DESTINATION), id="configuration as a string"),
        pytest.param(Reply(json=sink_json(sink_configuration="{oops")), ("active", None), id="configuration unreadable"),
        pytest.param(Reply(status=404, json={"code": 20404, "message": "Not found", "status": 404}), None, id="404"),
        pytest.param(Reply(status=404, json={"code": 91001, "message": "Sink could not be found"}), None, id="404 as 91001"),
        pytest.param(Reply(status=400, json={"code": 91001, "message": "Sink could not be found"}), None, id="400 as 91001"),
    ],
)  # fmt: skip
async def test_get_sink(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    reply: Reply,
    expected: tuple[str, str | None] | None,
) -> None:
    """A sink reads tolerantly; one Twilio cannot find is None."""
    comms_server.add_events("GET", f"/Sinks/{SINK_SID}", reply)
    sink = await client.get_sink(SINK_SID)
    assert (sink if sink is None else (sink.status, sink.destination)) == expected
    assert comms_server.requests[0].path == f"/events/v1/Sinks/{SINK_SID}"


async def test_get_sink_invalid_answer(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 200 that is not a sink is an invalid response, naming the request only."""
    comms_server.add_events(
        "GET", f"/Sinks/{SINK_SID}", Reply(json=sink_json(sid="DG1"))
    )
    with pytest.raises(TwilioCommsInvalidResponseError) as info:
        await client.get_sink(SINK_SID)
    assert (
        str(info.value) == f"GET /events/v1/Sinks/{SINK_SID}: A sink has no valid sid"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete_sink", f"/Sinks/{SINK_SID}"), ("delete_subscription", f"/Subscriptions/{SUBSCRIPTION_SID}")],
)  # fmt: skip
@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(Reply(status=204), None, id="204"),
        pytest.param(Reply(status=404, json={"code": 20404}), None, id="already gone"),
        pytest.param(Reply(status=400, json={"code": 91001}), None, id="already gone as 91001"),
        pytest.param(Reply(status=500, json={"code": 20500}), TwilioCommsServerError, id="500"),
        pytest.param(Reply(status=401, json={"code": 20003}), TwilioCommsAuthenticationError, id="401"),
    ],
)  # fmt: skip
async def test_delete(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    *,
    method: str,
    path: str,
    reply: Reply,
    error: type[Exception] | None,
) -> None:
    """Deleting what is already gone is done; any other failure is raised."""
    comms_server.add_events("DELETE", path, reply)
    call = getattr(client, method)(path.rpartition("/")[2])
    if error is None:
        await call
    else:
        with pytest.raises(error):
            await call
    assert [(r.method, r.path) for r in comms_server.requests] == [("DELETE", f"/events/v1{path}")]  # fmt: skip


@pytest.mark.parametrize("status", [201, 200])
async def test_test_sink(
    client: TwilioCommsClient, comms_server: CommsServer, status: int
) -> None:
    """A Sink Test is a bodiless POST; 201 and 200 both say submitted (docs §3)."""
    comms_server.add_events("POST", f"/Sinks/{SINK_SID}/Test", Reply(status=status, json={"result": "submitted"}))  # fmt: skip
    await client.test_sink(SINK_SID)
    assert comms_server.requests[0].body == b""


async def test_validate_sink(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """The test id goes back as the TestId field; a refusal is raised (docs §3)."""
    path = f"/Sinks/{SINK_SID}/Validate"
    comms_server.add_events(
        "POST",
        path,
        Reply(status=201, json={"result": "valid"}),
        Reply(status=400, json={"code": 20001, "message": "Invalid TestId"}),
    )
    await client.validate_sink(SINK_SID, "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88")
    assert form(comms_server.requests[0]) == [("TestId", "cae2f9e2-c277-4612-8ad3-93c1a7a3ef88")]  # fmt: skip
    with pytest.raises(TwilioCommsBadRequestError):
        await client.validate_sink(SINK_SID, "cae2f9e2-c277-4612-8ad3-93c1a7a3ef89")
    for test_id in ("", "x" * 65, "a\nb"):
        with pytest.raises(TwilioCommsValidationError):
            await client.validate_sink(SINK_SID, test_id)
    assert len(comms_server.requests) == 2


TYPES = [
    ("com.twilio.comms-api.operation.completed", 2),
    ("com.twilio.comms-api.message.delivered", 4),
    ("com.twilio.comms-api.message.inbound-received", None),
]


def types_of(received: Received) -> list[object]:
    """Return the Types fields of a subscription request, each parsed."""
    return [json.loads(value) for name, value in form(received) if name == "Types"]


async def test_create_subscription(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """One Types field per type, each a JSON object string, as in docs §4's sample."""
    comms_server.add_events("POST", "/Subscriptions", Reply(status=201, json=subscription_json()))  # fmt: skip
    subscription = await client.create_subscription("Home Assistant", SINK_SID, TYPES)
    assert (subscription.sid, subscription.sink_sid) == (SUBSCRIPTION_SID, SINK_SID)
    (received,) = comms_server.requests
    assert received.path == "/events/v1/Subscriptions"
    # The docs' URL-encoded sample, field by field.
    assert form(received)[:4] == [
        ("Description", "Home Assistant"),
        ("SinkSid", SINK_SID),
        ("Types", '{"type":"com.twilio.comms-api.operation.completed","schema_version":2}'),
        ("Types", '{"type":"com.twilio.comms-api.message.delivered","schema_version":4}'),
    ]  # fmt: skip
    assert types_of(received)[2] == {
        "type": "com.twilio.comms-api.message.inbound-received"
    }


REFUSED = Reply(status=400, json={"code": 91104, "message": "Schema version not found"})


@pytest.mark.parametrize(
    ("types", "replies", "error", "requests"),
    [
        pytest.param(TYPES, [REFUSED, Reply(status=201, json=subscription_json())], None, 2, id="retried without versions"),
        pytest.param(TYPES, [REFUSED, REFUSED], TwilioCommsBadRequestError, 2, id="refused twice"),
        pytest.param([(name, None) for name, _ in TYPES], [REFUSED], TwilioCommsBadRequestError, 1, id="no versions to drop"),
        pytest.param(TYPES, [Reply(status=403, json={"code": 20403})], TwilioCommsForbiddenError, 1, id="403 not retried"),
    ],
)  # fmt: skip
async def test_create_subscription_retry(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    *,
    types: list[tuple[str, int | None]],
    replies: list[Reply],
    error: type[Exception] | None,
    requests: int,
) -> None:
    """A 400 is retried once without schema versions (docs §12 item 10); nothing else is."""
    comms_server.add_events("POST", "/Subscriptions", *replies)
    if error is None:
        await client.create_subscription("Home Assistant", SINK_SID, types)
    else:
        with pytest.raises(error):
            await client.create_subscription("Home Assistant", SINK_SID, types)
    assert len(comms_server.requests) == requests
    if requests == 2:
        assert types_of(comms_server.requests[1]) == [
            {"type": name} for name, _ in TYPES
        ]


async def test_create_subscription_needs_a_type(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A subscription to nothing is refused before any request."""
    with pytest.raises(TwilioCommsValidationError):
        await client.create_subscription("Home Assistant", SINK_SID, [])
    assert comms_server.requests == []


def subscriptions_page(
    sids: list[tuple[str, str]], page: int, next_page: int | None
) -> Reply:
    """Return a classic page of subscriptions (docs §1), next_page_url absolute."""

    def url(number: int) -> str:
        return f"https://events.twilio.com/v1/Subscriptions?SinkSid={SINK_SID}&PageSize=100&Page={number}&PageToken=PT{number}"  # fmt: skip

    return Reply(
        json={
            "subscriptions": [subscription_json(sid, sink) for sid, sink in sids],
            "meta": {
                "page": page,
                "page_size": 100,
                "first_page_url": url(0),
                "previous_page_url": None,
                "next_page_url": None if next_page is None else url(next_page),
                "url": url(page),
                "key": "subscriptions",
            },
        }
    )


def subscription_sid(number: int) -> str:
    """Return a subscription SID numbered so each differs."""
    return f"DF{number:032x}"


async def test_list_subscriptions_follows_pages(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Pages are followed by their next_page_url's query, on the client's own host.

    Only subscriptions of the sink are kept, whatever the filter let through.
    """
    comms_server.add_events(
        "GET",
        "/Subscriptions",
        subscriptions_page([(subscription_sid(1), SINK_SID), (subscription_sid(2), OTHER_SINK_SID)], 0, 1),
        subscriptions_page([], 1, 2),
        subscriptions_page([(subscription_sid(3), SINK_SID)], 2, None),
    )  # fmt: skip
    subscriptions = await client.list_subscriptions(SINK_SID)
    assert [s.sid for s in subscriptions] == [subscription_sid(1), subscription_sid(3)]
    queries = [dict(r.query) for r in comms_server.requests]
    assert queries == [
        {"SinkSid": SINK_SID, "PageSize": "100"},
        {"SinkSid": SINK_SID, "PageSize": "100", "Page": "1", "PageToken": "PT1"},
        {"SinkSid": SINK_SID, "PageSize": "100", "Page": "2", "PageToken": "PT2"},
    ]
    assert {r.path for r in comms_server.requests} == {"/events/v1/Subscriptions"}


@pytest.mark.parametrize(
    ("replies", "error"),
    [
        pytest.param([subscriptions_page([], 0, 1), subscriptions_page([], 1, 1)], "repeated a page token", id="next is self"),
        pytest.param([subscriptions_page([], n, n + 1) for n in range(12)], "within 10 pages", id="endless"),
        pytest.param([Reply(json={"meta": {}})], "no subscriptions array", id="no list"),
        pytest.param([Reply(json={"subscriptions": [], "meta": {"next_page_url": "https://[::1/v1/Subscriptions?Page=1"}})], "not a URL", id="broken next url"),
        pytest.param([Reply(json={"subscriptions": [{"sid": "DG1"}]})], "no valid sid", id="bad item"),
    ],
)  # fmt: skip
async def test_list_subscriptions_is_bounded(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    replies: list[Reply],
    error: str,
) -> None:
    """A listing that cycles, never ends or is not one raises, after at most 10 requests."""
    comms_server.add_events("GET", "/Subscriptions", *replies)
    with pytest.raises(TwilioCommsInvalidResponseError, match=error):
        await client.list_subscriptions(SINK_SID)
    assert len(comms_server.requests) <= 10


@pytest.mark.parametrize(
    ("reply", "usable"),
    [
        pytest.param(Reply(json={"type": INBOUND_EVENT_TYPE, "schema_id": "CommsApi.MessageInbound", "status": "available"}), True, id="available"),
        pytest.param(Reply(json={"type": INBOUND_EVENT_TYPE, "status": "deprecated"}), True, id="deprecated"),
        pytest.param(Reply(json={"type": INBOUND_EVENT_TYPE}), True, id="no status"),
        pytest.param(Reply(json={"type": INBOUND_EVENT_TYPE, "status": "Discontinued"}), False, id="discontinued"),
        pytest.param(Reply(json={"type": INBOUND_EVENT_TYPE, "status": "restricted"}), False, id="restricted"),
        pytest.param(Reply(status=404, json={"code": 20404, "message": "Type not found in system"}), None, id="unknown"),
    ],
)  # fmt: skip
async def test_get_event_type(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    reply: Reply,
    usable: bool | None,
) -> None:
    """An event type is usable unless discontinued or restricted; unknown is None."""
    comms_server.add_events("GET", f"/Types/{INBOUND_EVENT_TYPE}", reply)
    event_type = await client.get_event_type(INBOUND_EVENT_TYPE)
    assert (event_type if event_type is None else event_type.usable) == usable
    assert comms_server.requests[0].raw_path == f"/events/v1/Types/{INBOUND_EVENT_TYPE}"


async def test_get_event_type_without_a_type(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """An answer that names no type is an invalid response."""
    comms_server.add_events("GET", f"/Types/{INBOUND_EVENT_TYPE}", Reply(json={"status": "available"}))  # fmt: skip
    with pytest.raises(TwilioCommsInvalidResponseError, match="has no type"):
        await client.get_event_type(INBOUND_EVENT_TYPE)


BAD_SIDS = ["", "DG", "DG0123456789abcdef0123456789abcde", "DG0123456789abcdef0123456789abcdef0", "dg0123456789abcdef0123456789abcdef", "DG0123456789abcdef0123456789abcdeg", "../Accounts", SUBSCRIPTION_SID]  # fmt: skip


@pytest.mark.parametrize("sid", BAD_SIDS)
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c, sid: c.get_sink(sid), id="get_sink"),
        pytest.param(lambda c, sid: c.delete_sink(sid), id="delete_sink"),
        pytest.param(lambda c, sid: c.test_sink(sid), id="test_sink"),
        pytest.param(lambda c, sid: c.validate_sink(sid, "t"), id="validate_sink"),
        pytest.param(lambda c, sid: c.create_subscription("d", sid, TYPES), id="create_subscription"),
        pytest.param(lambda c, sid: c.list_subscriptions(sid), id="list_subscriptions"),
        pytest.param(lambda c, sid: c.delete_subscription(sid.replace("DF", "DG")), id="delete_subscription"),
    ],
)  # fmt: skip
async def test_invalid_sids_never_reach_a_url(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    call: Callable[[TwilioCommsClient, str], Awaitable[object]],
    sid: str,
) -> None:
    """A SID that is not DG/DF and 32 hex digits is refused before any request."""
    with pytest.raises(TwilioCommsInvalidIdError):
        await call(client, sid)
    assert comms_server.requests == []


@pytest.mark.parametrize("event_type", ["", "../Sinks", "com.twilio.x y", "Com.Twilio.X", "com..twilio", "a." * 65 + "b"])  # fmt: skip
async def test_invalid_event_types_never_reach_a_url(
    client: TwilioCommsClient, comms_server: CommsServer, event_type: str
) -> None:
    """Only a dotted lowercase event type goes into the path."""
    with pytest.raises(TwilioCommsInvalidIdError):
        await client.get_event_type(event_type)
    assert comms_server.requests == []


MESSAGE = load_fixture("messages_list.json")["messages"][0]
MESSAGE_ID = MESSAGE["id"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"content": {"text": "Door?"}}, ("+15550001111", "+15558675310", "Door?"), id="reference shape"),
        pytest.param({}, ("+15550001111", "+15558675310", None), id="no content"),
        pytest.param({"content": {"contentId": "HX0"}}, ("+15550001111", "+15558675310", None), id="template"),
        pytest.param({"from": "+15550002222", "to": {"address": "+15550003333"}}, ("+15550002222", "+15550003333", None), id="plain from, one to"),
        pytest.param({"from": {"senderId": "comms_sender_01"}, "to": []}, (None, None, None), id="sender id, no to"),
        pytest.param({"from": None, "to": None, "content": "Door?"}, (None, None, None), id="nulls"),
    ],
)  # fmt: skip
async def test_get_message(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    changes: dict[str, object],
    expected: tuple[str | None, str | None, str | None],
) -> None:
    """A message read for an inbound event gives its sender, recipient and text."""
    comms_server.add("GET", f"/Messages/{MESSAGE_ID}", Reply(json=MESSAGE | changes))
    message = await client.get_message(MESSAGE_ID)
    assert message.id == MESSAGE_ID
    assert (message.from_address, message.to_address, message.text) == expected
    assert comms_server.requests[0].raw_path == f"/v1/Messages/{MESSAGE_ID}"


async def test_get_message_checks_ids(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Only a message id is asked for; an answer without one is invalid."""
    for bad in (OPERATION_ID, "comms_message_../x", ""):
        with pytest.raises(TwilioCommsInvalidIdError):
            await client.get_message(bad)
    assert comms_server.requests == []
    comms_server.add("GET", f"/Messages/{MESSAGE_ID}", Reply(json=MESSAGE | {"id": OPERATION_ID}))  # fmt: skip
    with pytest.raises(TwilioCommsInvalidResponseError, match="no valid id"):
        await client.get_message(MESSAGE_ID)
