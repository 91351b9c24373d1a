"""Tests of how HTTP errors, transport failures and malformed bodies are reported."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
from aiohttp.test_utils import unused_port
import pytest

from custom_components.twilio_comms.api import (
    Channel,
    Credentials,
    TwilioCommsAuthenticationError,
    TwilioCommsBadRequestError,
    TwilioCommsClient,
    TwilioCommsConnectionError,
    TwilioCommsError,
    TwilioCommsForbiddenError,
    TwilioCommsInvalidResponseError,
    TwilioCommsNotFoundError,
    TwilioCommsRateLimitError,
    TwilioCommsResponseError,
    TwilioCommsServerError,
    TwilioCommsTimeoutError,
)
from custom_components.twilio_comms.api.exceptions import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    parse_retry_after,
    response_error,
)
from custom_components.twilio_comms.api.models import error_details

from .conftest import (
    OPERATION_ID,
    SHORT_TIMEOUT,
    CommsServer,
    Reply,
    fixture_text,
    load_fixture,
)

OPERATION_PATH = f"/Messages/Operations/{OPERATION_ID}"
NOW = datetime(2024, 4, 5, 6, 20, tzinfo=UTC)


async def fetch_error(
    client: TwilioCommsClient, comms_server: CommsServer, reply: Reply
) -> TwilioCommsError:
    """Return the error the client raises when fetching an operation gets reply."""
    comms_server.add("GET", OPERATION_PATH, reply)
    with pytest.raises(TwilioCommsError) as info:
        await client.get_operation(Channel.MESSAGES, OPERATION_ID)
    return info.value


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, TwilioCommsBadRequestError),
        (401, TwilioCommsAuthenticationError),
        (403, TwilioCommsForbiddenError),
        (404, TwilioCommsNotFoundError),
        (429, TwilioCommsRateLimitError),
        (500, TwilioCommsServerError),
        (502, TwilioCommsServerError),
        (503, TwilioCommsServerError),
        (409, TwilioCommsResponseError),
        (418, TwilioCommsResponseError),
        (301, TwilioCommsResponseError),
    ],
)
async def test_status_maps_to_exception(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    status: int,
    error_class: type[TwilioCommsResponseError],
) -> None:
    """Each HTTP status raises its own exception class, with status and request."""
    error = await fetch_error(
        client,
        comms_server,
        Reply(status=status, text="", headers={"Location": "https://elsewhere.test/"}),
    )
    assert type(error) is error_class
    assert isinstance(error, TwilioCommsResponseError)
    assert error.status == status
    assert str(error).startswith(f"GET /v1{OPERATION_PATH} failed with HTTP {status}:")
    # A redirect is reported, never followed.
    assert len(comms_server.requests) == 1


async def test_comms_error_body(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """The Comms error shape gives the Twilio code and message."""
    error = await fetch_error(
        client, comms_server, Reply(status=404, json=load_fixture("error_comms.json"))
    )
    assert isinstance(error, TwilioCommsNotFoundError)
    assert error.detail == "The resource was not found."
    assert str(error) == (
        f"GET /v1{OPERATION_PATH} failed with HTTP 404 (Twilio error 20404): "
        "The resource was not found."
    )


async def test_classic_error_body(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """The classic Twilio error shape from the auth layer is read too."""
    error = await fetch_error(
        client,
        comms_server,
        Reply(status=401, json=load_fixture("error_classic_twilio.json")),
    )
    assert isinstance(error, TwilioCommsAuthenticationError)
    assert "(Twilio error 20003): Authenticate" in str(error)
    assert error.detail == "Authenticate"


async def test_twilio_code_refines_a_generic_status(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A gateway's generic 400 carrying code 20003 is an authentication failure."""
    error = await fetch_error(
        client,
        comms_server,
        Reply(status=400, json={"code": 20003, "message": "Authenticate"}),
    )
    assert isinstance(error, TwilioCommsAuthenticationError)
    assert error.status == 400


async def test_html_error_body(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A gateway's HTML page falls back to the reason phrase, not the markup."""
    error = await fetch_error(
        client,
        comms_server,
        Reply(
            status=502,
            text=fixture_text("error_gateway.html"),
            content_type="text/html",
        ),
    )
    assert isinstance(error, TwilioCommsServerError)
    assert error.detail == "Bad Gateway"
    assert "<" not in str(error)
    assert error.retry_after is None


async def test_long_server_message_is_truncated(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A long or multi-line server message is kept to one line of 200 characters."""
    message = "line one\nline two\r\n\x1b[31m" + "x" * 500
    error = await fetch_error(
        client,
        comms_server,
        Reply(status=400, json={"errors": [{"code": 21000, "message": message}]}),
    )
    assert isinstance(error, TwilioCommsResponseError)
    assert len(error.detail) == 200
    assert error.detail.startswith("line one line two [31mxxx")
    assert error.detail.endswith("…")
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"errors": [{"code": 20404, "message": "gone"}]}', (20404, "gone")),
        (b'{"errors": {"code": "20404", "message": "gone"}}', (20404, "gone")),
        (b'{"errors": [{"infoUrl": "x"}], "code": 1, "message": "top"}', (1, "top")),
        (b'{"errors": [], "message": "only a message"}', (None, "only a message")),
        (b'{"code": true, "message": 5}', (None, None)),
        (b'{"code": "-1", "message": ""}', (None, None)),
        (b"[1, 2]", (None, None)),
        (b"", (None, None)),
        (b"\xff\xfe not utf-8", (None, None)),
        (b"[" * 100_000, (None, None)),
    ],
    ids=[
        "comms",
        "errors as object, code as string",
        "falls back to top level",
        "message without code",
        "wrong types",
        "negative code, empty message",
        "array",
        "empty",
        "bad encoding",
        "absurdly nested",
    ],
)
def test_error_details(body: bytes, expected: tuple[int | None, str | None]) -> None:
    """Error bodies of any shape give a code and message, or nothing; never a crash."""
    assert error_details(body) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 2.5 ", 2.5),
        ("86400", MAX_RETRY_AFTER),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Fri, 05 Apr 2024 06:22:00 -0000", 120.0),
        (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),
        (format_datetime(NOW + timedelta(days=3), usegmt=True), MAX_RETRY_AFTER),
        ("-5", None),
        ("soon", None),
        ("", None),
        ("Fri, 99 Foo 2024", None),
        (None, None),
    ],
    ids=[
        "seconds",
        "zero",
        "decimal with spaces",
        "seconds over the cap",
        "http date",
        "http date with -0000",
        "date in the past",
        "date over the cap",
        "negative",
        "garbage",
        "empty",
        "broken date",
        "missing",
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After is read as seconds or an HTTP-date, clamped to [0, the cap]."""
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": "999999"}, MAX_RETRY_AFTER),
        ({"Retry-After": "whenever"}, DEFAULT_RETRY_AFTER),
        ({}, DEFAULT_RETRY_AFTER),
    ],
    ids=["seconds", "over the cap", "garbage", "missing"],
)
async def test_rate_limit_retry_after(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    headers: dict[str, str],
    expected: float,
) -> None:
    """A 429 always says how long to wait: the server's value, capped, or a default."""
    error = await fetch_error(client, comms_server, Reply(status=429, headers=headers))
    assert isinstance(error, TwilioCommsRateLimitError)
    assert error.retry_after == expected


async def test_rate_limit_http_date(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 429 with an HTTP-date waits until then."""
    when = datetime.now(UTC) + timedelta(seconds=120)
    error = await fetch_error(
        client,
        comms_server,
        Reply(status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}),
    )
    assert isinstance(error, TwilioCommsRateLimitError)
    assert 110 <= error.retry_after <= 120


async def test_rate_limit_by_twilio_code(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Twilio's 20429 code behind another 4xx is a rate limit with the default wait."""
    error = await fetch_error(
        client, comms_server, Reply(status=400, json={"code": 20429, "message": "Slow"})
    )
    assert isinstance(error, TwilioCommsRateLimitError)
    assert error.retry_after == DEFAULT_RETRY_AFTER


@pytest.mark.parametrize(
    ("status", "expected"),
    [(503, 15.0), (500, None)],
    ids=["503 asks to come back", "500 must not be retried"],
)
async def test_server_error_retry_after(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    status: int,
    expected: float | None,
) -> None:
    """Only a 503 carries a Retry-After; a 5xx code never changes the class."""
    error = await fetch_error(
        client,
        comms_server,
        Reply(
            status=status,
            headers={"Retry-After": "15"},
            json={"code": 20429, "message": "Service unavailable"},
        ),
    )
    assert isinstance(error, TwilioCommsServerError)
    assert error.retry_after == expected


async def test_timeout(client: TwilioCommsClient, comms_server: CommsServer) -> None:
    """A server slower than the request timeout raises a timeout error."""
    error = await fetch_error(
        client, comms_server, Reply(json={}, delay=SHORT_TIMEOUT * 10)
    )
    assert isinstance(error, TwilioCommsTimeoutError)
    assert isinstance(error, TwilioCommsConnectionError)
    assert str(error) == f"GET /v1{OPERATION_PATH} timed out after {SHORT_TIMEOUT:g} s"


async def test_connection_refused(
    session: aiohttp.ClientSession, credentials: Credentials
) -> None:
    """A closed port raises a connection error, not aiohttp's own exception."""
    client = TwilioCommsClient(
        session, credentials, base_url=f"http://127.0.0.1:{unused_port()}/v1"
    )
    with pytest.raises(TwilioCommsConnectionError) as info:
        await client.list_operations(Channel.MESSAGES)
    assert not isinstance(info.value, TwilioCommsTimeoutError)
    # aiohttp's error keeps the request headers: it is named, never chained.
    assert info.value.__cause__ is None
    assert info.value.__context__ is None
    assert str(info.value).startswith(
        "GET /v1/Messages/Operations failed: ClientConnectorError"
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="{not json", content_type="application/json"),
        Reply(text="<html>maintenance</html>", content_type="text/html"),
        Reply(text=""),
        Reply(text="null"),
        Reply(status=204),
    ],
    ids=["garbage json", "html 200", "empty body", "json null", "204 no content"],
)
async def test_success_without_json_is_invalid(
    client: TwilioCommsClient, comms_server: CommsServer, reply: Reply
) -> None:
    """A success without a JSON document is an invalid response, not data."""
    error = await fetch_error(client, comms_server, reply)
    assert isinstance(error, TwilioCommsInvalidResponseError)
    assert "without a JSON body" in str(error)


def test_error_without_any_detail() -> None:
    """Without a message or a reason phrase the error still names status and request."""
    error = response_error(
        request="GET /v1/Messages",
        status=599,
        reason=None,
        code=None,
        message=None,
        retry_after_header=None,
        redact=lambda text: text,
        now=NOW,
    )
    assert str(error) == "GET /v1/Messages failed with HTTP 599"
    assert error.detail == ""
