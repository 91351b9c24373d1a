"""The client against a scripted server: what goes on the wire, what it reads back."""

from base64 import b64decode
from datetime import UTC, datetime, timedelta, timezone
import json

import aiohttp
import pytest

from custom_components.twilio_comms.api import (
    DEFAULT_BASE_URL,
    DEFAULT_REST_BASE_URL,
    Channel,
    Credentials,
    MessageRecipient,
    MessageSendRequest,
    Operation,
    OperationStatus,
    TwilioCommsAccountMismatchError,
    TwilioCommsClient,
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
