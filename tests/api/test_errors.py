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
    FIXTURES,
    OPERATION_ID,
    SHORT_TIMEOUT,
    CommsServer,
    Reply,
    load_fixture,
)

OPERATION_PATH = f"/Messages/Operations/{OPERATION_ID}"
FAILED = f"GET /v1{OPERATION_PATH} failed with HTTP"
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
    assert str(error).startswith(f"{FAILED} {status}:")
    # A redirect is reported, never followed.
    assert len(comms_server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "error_class", "text"),
    [
        pytest.param(
            Reply(status=404, json=load_fixture("error_comms.json")),
            TwilioCommsNotFoundError,
            "404 (Twilio error 20404): The resource was not found.",
            id="comms shape",
        ),
        pytest.param(
            Reply(status=401, json=load_fixture("error_classic_twilio.json")),
            TwilioCommsAuthenticationError,
            "401 (Twilio error 20003): Authenticate",
            id="classic shape",
        ),
        pytest.param(
            Reply(status=400, json={"code": 20003, "message": "Authenticate"}),
            TwilioCommsAuthenticationError,
            "400 (Twilio error 20003): Authenticate",
            id="a code refines a gateway's generic 400",
        ),
        pytest.param(
            Reply(status=400, json={"code": 20429, "message": "Slow"}),
            TwilioCommsRateLimitError,
            "400 (Twilio error 20429): Slow",
            id="20429 behind another 4xx is a rate limit",
        ),
        pytest.param(
            Reply(
                status=502,
                text=(FIXTURES / "error_gateway.html").read_text(),
                content_type="text/html",
            ),
            TwilioCommsServerError,
            "502: Bad Gateway",
            id="a gateway's HTML page: the reason phrase, not the markup",
        ),
    ],
)
async def test_error_bodies(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    reply: Reply,
    error_class: type[TwilioCommsResponseError],
    text: str,
) -> None:
    """The Twilio code and message of an error body name the error and its detail."""
    error = await fetch_error(client, comms_server, reply)
    assert type(error) is error_class
    assert str(error) == f"{FAILED} {text}"
    assert isinstance(error, TwilioCommsResponseError)
    assert error.detail == text.rpartition(": ")[2]
    if isinstance(error, TwilioCommsRateLimitError):
        assert error.retry_after == DEFAULT_RETRY_AFTER


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
        pytest.param(b'{"errors": [{"code": 20404, "message": "gone"}]}', (20404, "gone"), id="comms"),
        pytest.param(b'{"errors": {"code": "20404", "message": "gone"}}', (20404, "gone"), id="errors as object, code as string"),
        pytest.param(b'{"errors": [{"infoUrl": "x"}], "code": 1, "message": "top"}', (1, "top"), id="falls back to top level"),
        pytest.param(b'{"errors": [], "message": "only a message"}', (None, "only a message"), id="message without code"),
        pytest.param(b'{"code": true, "message": 5}', (None, None), id="wrong types"),
        pytest.param(b'{"code": "-1", "message": ""}', (None, None), id="negative code, empty message"),
        pytest.param(b'{"code": " 91001 ", "message": "m"}', (91001, "m"), id="code with spaces"),
        pytest.param(b'{"code": "%s", "message": "m"}' % (b"9" * 5000), (None, "m"), id="code past int's digit limit"),
        pytest.param(b"[1, 2]", (None, None), id="array"),
        pytest.param(b"", (None, None), id="empty"),
        pytest.param(b"\xff\xfe not utf-8", (None, None), id="bad encoding"),
        pytest.param(b"[" * 100_000, (None, None), id="absurdly nested"),
    ],
)  # fmt: skip
def test_error_details(body: bytes, expected: tuple[int | None, str | None]) -> None:
    """Error bodies of any shape give a code and message, or nothing; never a crash."""
    assert error_details(body) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("120", 120.0, id="seconds"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param(" 2.5 ", 2.5, id="decimal with spaces"),
        pytest.param("86400", MAX_RETRY_AFTER, id="seconds over the cap"),
        pytest.param(format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0, id="http date"),
        pytest.param("Fri, 05 Apr 2024 06:22:00 -0000", 120.0, id="http date with -0000"),
        pytest.param(format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0, id="date in the past"),
        pytest.param(format_datetime(NOW + timedelta(days=3), usegmt=True), MAX_RETRY_AFTER, id="date over the cap"),
        pytest.param("-5", None, id="negative"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("", None, id="empty"),
        pytest.param("Fri, 99 Foo 2024", None, id="broken date"),
        pytest.param(None, None, id="missing"),
    ],
)  # fmt: skip
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After is read as seconds or an HTTP-date, clamped to [0, the cap]."""
    assert parse_retry_after(header, now=NOW) == expected


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        pytest.param(429, {"Retry-After": "30"}, 30.0, id="seconds"),
        pytest.param(429, {"Retry-After": "999999"}, MAX_RETRY_AFTER, id="over the cap"),
        pytest.param(429, {"Retry-After": "whenever"}, DEFAULT_RETRY_AFTER, id="garbage"),
        pytest.param(429, {}, DEFAULT_RETRY_AFTER, id="missing"),
        pytest.param(503, {"Retry-After": "15"}, 15.0, id="503 asks to come back"),
        pytest.param(500, {"Retry-After": "15"}, None, id="500 must not be retried"),
    ],
)  # fmt: skip
async def test_retry_after(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    status: int,
    headers: dict[str, str],
    expected: float | None,
) -> None:
    """A 429 always says how long to wait; of the 5xx, only a 503 does."""
    # The code is a rate limit's: a 5xx code never changes the class.
    body = {"code": 20429, "message": "Slow down"}
    error = await fetch_error(
        client, comms_server, Reply(status=status, headers=headers, json=body)
    )
    assert isinstance(error, TwilioCommsRateLimitError | TwilioCommsServerError)
    assert isinstance(error, TwilioCommsServerError) is (status >= 500)
    assert error.retry_after == expected


async def test_rate_limit_http_date(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 429 with an HTTP-date waits until then, read against the clock."""
    when = datetime.now(UTC) + timedelta(seconds=120)
    error = await fetch_error(
        client,
        comms_server,
        Reply(status=429, headers={"Retry-After": format_datetime(when, usegmt=True)}),
    )
    assert isinstance(error, TwilioCommsRateLimitError)
    assert 110 <= error.retry_after <= 120


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
