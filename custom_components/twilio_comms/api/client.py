"""Asynchronous client of the Twilio Comms API and of Event Streams, which carries its events."""

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    Sequence,
)
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from ipaddress import ip_address
import logging
import math
from typing import Any, Final
from urllib.parse import quote
import zlib

import aiohttp
from yarl import URL

from .events import (
    SINK_SID_PREFIX,
    SUBSCRIPTION_SID_PREFIX,
    EventType,
    Sink,
    Subscription,
    sink_configuration,
    subscribed_type,
    validate_event_type,
    validate_sid,
    validate_test_id,
)
from .exceptions import (
    TwilioCommsAccountMismatchError,
    TwilioCommsAuthenticationError,
    TwilioCommsConnectionError,
    TwilioCommsError,
    TwilioCommsForbiddenError,
    TwilioCommsInvalidResponseError,
    TwilioCommsNotFoundError,
    TwilioCommsPageLimitError,
    TwilioCommsPaginationError,
    TwilioCommsResponseError,
    TwilioCommsTimeoutError,
    TwilioCommsValidationError,
    clean_detail,
    response_error,
)
from .models import (
    REDACTED,
    RESOURCE_LIST_KEYS,
    Channel,
    CommsResource,
    Credentials,
    Message,
    Operation,
    OperationStatus,
    as_object,
    as_text,
    error_details,
    format_timestamp,
    parse_json,
    validate_message_id,
    validate_operation_id,
)
from .sends import SendRequest, SendResult, send_result

_LOGGER = logging.getLogger(__package__)

# The only documented production base URL; the version lives in the path, and
# the "/preview" version is experimental, so it is never a default.
DEFAULT_BASE_URL: Final = "https://comms.twilio.com/v1"

# Twilio's main REST API, where the Accounts resource lives: the one place
# that tells which account an API key belongs to (comms-api.md §14).
DEFAULT_REST_BASE_URL: Final = "https://api.twilio.com/2010-04-01"

# Twilio Event Streams, where sinks and subscriptions are provisioned
# (docs/event-streams.md §1).
DEFAULT_EVENTS_BASE_URL: Final = "https://events.twilio.com/v1"

# Seconds one request (connect, send and read) may take; long enough for a
# slow beta API, short enough that a hung connection cannot stall a poll.
DEFAULT_REQUEST_TIMEOUT: Final = 10.0

# The most bytes of one response body the client reads, once decompressed.
# A full page of 1000 operations (the largest page the API documents) is about
# 330 KiB; 2 MiB leaves six times that for fields the beta API may add, while
# a gzip body that inflates without end costs at most this much memory.
MAX_RESPONSE_BYTES: Final = 2 * 2**20

# The smallest `pageSize` the API documents; one item is the cheapest probe.
MIN_PAGE_SIZE: Final = 1

# The largest `pageSize` the API documents; fewer, bigger pages poll cheaper.
MAX_PAGE_SIZE: Final = 1000

# Pages iter_operations follows before giving up. At MAX_PAGE_SIZE this is
# 100,000 operations, far beyond seven days of retention for any real account,
# so hitting it means the server keeps handing out new tokens forever.
DEFAULT_MAX_PAGES: Final = 100

# The page size of Event Streams listings, and the pages followed. An account
# holds at most 100 subscriptions (docs/event-streams.md §11): one page, and
# ten are already ten times more than can exist.
EVENTS_PAGE_SIZE: Final = 100
EVENTS_MAX_PAGES: Final = 10

# Bytes read off the connection at a time while reading a body.
_READ_CHUNK: Final = 64 * 1024

# Content encodings offered to the server; the client inflates them itself.
_ZLIB_ENCODINGS: Final = frozenset({"gzip", "deflate"})
_ACCEPT_ENCODING: Final = ", ".join(sorted(_ZLIB_ENCODINGS, reverse=True))
_PLAIN_ENCODINGS: Final = frozenset({"", "identity"})

# zlib's window bits that read a gzip or a zlib header, whichever comes.
_ZLIB_WBITS: Final = 32 + zlib.MAX_WBITS

# List keys of an operations listing; `data` is the generic key a guide sample
# uses for emails, accepted everywhere in case other pages follow it.
_OPERATION_LIST_KEYS: Final = ("operations", "data")


def _named_account(data: Any, key: str) -> str:
    """Return the Account SID a classic REST API resource names under a key."""
    if (obj := as_object(data)) is None or (sid := as_text(obj.get(key))) is None:
        raise TwilioCommsInvalidResponseError(f"The answer names no {key}")
    return sid


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reply:
    """A successful response: what was asked, and what came back."""

    target: str
    headers: Mapping[str, str]
    # The parsed JSON body; None when the body was empty or not JSON and the
    # caller tolerates that (a 202 may come without a body).
    data: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Page[T]:
    """One page of a list; next_token is None on the last page."""

    items: tuple[T, ...]
    next_token: str | None
    self_token: str | None


class TwilioCommsClient:
    """Talk to the Comms API, and to Event Streams for its events, over an injected session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        rest_base_url: str = DEFAULT_REST_BASE_URL,
        events_base_url: str = DEFAULT_EVENTS_BASE_URL,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        """Store the session and credentials; no request is made here."""
        self._session = session
        self._credentials = credentials
        self._base_url = _checked_base_url(base_url)
        self._rest_base_url = _checked_base_url(rest_base_url)
        self._events_base_url = _checked_base_url(events_base_url)
        self._request_timeout = _checked_timeout(request_timeout)

    @property
    def base_url(self) -> URL:
        """Return where Comms API requests go."""
        return self._base_url

    # --------------------------------------------------------------- account

    async def verify_account(self) -> None:
        """Check that the credentials open the account their Account SID names.

        The Comms API never sees the Account SID of an API key, so only
        Twilio's REST API can tell whether it was typed right. It answers an
        account-scoped path only for that account's own credentials, and
        401 (error 20003) for another account's key or a deleted one
        (twilio.com/docs/api/errors/20003). The Accounts resource answers the
        Auth Token and Main keys; a Standard key may read everything but the
        Accounts and Keys resources (twilio.com/docs/iam/api-keys), so its
        account's Balance, which names the account too, is asked next.

        Raise TwilioCommsAccountMismatchError when neither names the account.
        """
        sid = self._credentials.account_sid
        named = await self._account_named_by(("Accounts", f"{sid}.json"), "sid")
        if named is None:
            named = await self._account_named_by(
                ("Accounts", sid, "Balance.json"), "account_sid"
            )
        if named is None or named.lower() != sid.lower():
            raise TwilioCommsAccountMismatchError(
                f"The credentials do not open the account ending in {sid[-4:]}"
            )

    async def _account_named_by(
        self, segments: tuple[str, ...], key: str
    ) -> str | None:
        """Return the Account SID a REST API resource names, or None if refused."""
        try:
            return await self._get(
                segments,
                lambda data: _named_account(data, key),
                base=self._rest_base_url,
            )
        except (
            TwilioCommsAuthenticationError,
            TwilioCommsForbiddenError,
            TwilioCommsNotFoundError,
        ):
            return None

    # ------------------------------------------------------------ operations

    async def list_operations(
        self, channel: Channel, *, page_size: int | None = None
    ) -> Page[Operation]:
        """Return the first page of a channel's operations, newest first (as observed)."""
        return await self._list_operations(channel, _page_params(page_size, None))

    def iter_operations(
        self,
        channel: Channel,
        *,
        page_size: int | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        status: OperationStatus | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> AsyncIterator[Operation]:
        """Return every matching operation across pages; arguments are checked now."""
        params = _operation_filters(start_date, end_date, status)
        params |= _page_params(page_size, None)
        max_pages = _checked_max_pages(max_pages)

        async def fetch(token: str | None) -> Page[Operation]:
            """Return the page a token leads to (the first page without one)."""
            return await self._list_operations(
                channel, params | _page_params(None, token)
            )

        return _iterate_pages(fetch, max_pages=max_pages)

    async def get_operation(self, channel: Channel, operation_id: str) -> Operation:
        """Return one operation of a channel."""
        operation_id = validate_operation_id(operation_id)
        return await self._get(
            (channel.path, "Operations", operation_id),
            Operation.from_json,
        )

    async def _list_operations(
        self, channel: Channel, params: dict[str, str]
    ) -> Page[Operation]:
        """Return the page of operations the query parameters select."""
        return await self._get(
            (channel.path, "Operations"),
            lambda data: _parse_page(data, _OPERATION_LIST_KEYS, Operation.from_json),
            params,
        )

    # ------------------------------------------------------------- resources

    def iter_resources(
        self,
        channel: Channel,
        operation_id: str,
        *,
        page_size: int | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> AsyncGenerator[CommsResource]:
        """Return an operation's messages, push notifications or emails, across pages.

        Arguments are checked now.

        A generator: a caller that stops early closes it (contextlib.aclosing).
        """
        params = _page_params(page_size, None)
        params["operationId"] = validate_operation_id(operation_id)
        max_pages = _checked_max_pages(max_pages)

        async def fetch(token: str | None) -> Page[CommsResource]:
            """Return the page a token leads to (the first page without one)."""
            return await self._list_resources(
                channel, params | _page_params(None, token)
            )

        return _iterate_pages(fetch, max_pages=max_pages)

    async def _list_resources(
        self, channel: Channel, params: dict[str, str]
    ) -> Page[CommsResource]:
        """Return the page of a channel's resources the query parameters select."""
        return await self._get(
            (channel.path,),
            lambda data: _parse_page(
                data,
                RESOURCE_LIST_KEYS[channel],
                lambda item: CommsResource.from_json(item, channel),
            ),
            params,
        )

    async def get_message(self, message_id: str) -> Message:
        """Return one message: its sender, its recipient and its text."""
        message_id = validate_message_id(message_id)
        return await self._get((Channel.MESSAGES.path, message_id), Message.from_json)

    # ----------------------------------------------------------------- sends

    async def send(self, request: SendRequest) -> SendResult:
        """Post a send request to its channel; return the operation it names, if any.

        Where the operation is read from is comms-api.md §4.
        """
        reply = await self._request(
            "POST",
            (request.channel.path,),
            json_body=request.to_json(),
            json_required=False,
        )
        return send_result(reply.data, reply.headers, self._base_url)

    # --------------------------------------------------------- event streams
    # Requests are forms with PascalCase fields; answers JSON in snake_case
    # (docs/event-streams.md §1). A create may answer 200 or 201 (§12 item 2).

    async def create_sink(self, description: str, destination: str) -> Sink:
        """Create a webhook sink posting batches of events to destination.

        The destination holds the Basic credentials Twilio authenticates its
        deliveries with, so it is blanked out of any error the API answers.
        """
        reply = await self._request(
            "POST",
            ("Sinks",),
            base=self._events_base_url,
            form=[
                ("Description", description),
                ("SinkType", "webhook"),
                ("SinkConfiguration", sink_configuration(destination)),
            ],
            secrets=_url_secrets(destination),
        )
        return _parsed(reply, Sink.from_json)

    async def get_sink(self, sid: str) -> Sink | None:
        """Return a sink, or None if it no longer exists."""
        segments = ("Sinks", validate_sid(sid, SINK_SID_PREFIX))
        try:
            return await self._get(segments, Sink.from_json, base=self._events_base_url)
        except TwilioCommsNotFoundError:
            return None

    async def delete_sink(self, sid: str) -> None:
        """Delete a sink; one already gone counts as deleted."""
        await self._delete(("Sinks", validate_sid(sid, SINK_SID_PREFIX)))

    async def test_sink(self, sid: str) -> None:
        """Ask Twilio to deliver a test event to a sink (docs §3)."""
        segments = ("Sinks", validate_sid(sid, SINK_SID_PREFIX), "Test")
        await self._request(
            "POST", segments, base=self._events_base_url, json_required=False
        )

    async def validate_sink(self, sid: str, test_id: str) -> None:
        """Post back the test id a sink's test event carried.

        Twilio may answer `valid` whatever the id, or refuse a wrong one with
        a 400 (docs §3): the sink's status, fetched after, is what tells.
        """
        segments = ("Sinks", validate_sid(sid, SINK_SID_PREFIX), "Validate")
        await self._request(
            "POST",
            segments,
            base=self._events_base_url,
            form=[("TestId", validate_test_id(test_id))],
            json_required=False,
        )

    async def create_subscription(
        self,
        description: str,
        sink_sid: str,
        types: Sequence[tuple[str, int | None]],
    ) -> Subscription:
        """Subscribe a sink to event types, each at a schema version (None: Twilio's).

        A version Twilio no longer offers may be refused, so a 400 is retried
        once without versions, taking the latest (docs §4, §12 item 10).
        """
        sink_sid = validate_sid(sink_sid, SINK_SID_PREFIX)
        if not types:
            raise TwilioCommsValidationError("A subscription needs an event type")

        async def create(with_versions: bool) -> _Reply:
            """Post the subscription, with or without the schema versions."""
            return await self._request(
                "POST",
                ("Subscriptions",),
                base=self._events_base_url,
                form=[
                    ("Description", description),
                    ("SinkSid", sink_sid),
                    *(
                        (
                            "Types",
                            subscribed_type(name, version if with_versions else None),
                        )
                        for name, version in types
                    ),
                ],
            )

        try:
            reply = await create(with_versions=True)
        except TwilioCommsResponseError as err:
            if err.status != 400 or all(version is None for _, version in types):
                raise
            _LOGGER.debug("Subscribing again without schema versions")
            reply = await create(with_versions=False)
        return _parsed(reply, Subscription.from_json)

    async def list_subscriptions(self, sink_sid: str) -> list[Subscription]:
        """Return the subscriptions of a sink, across pages (at most EVENTS_MAX_PAGES).

        Only those naming the sink are kept, whatever the filter returned:
        the caller deletes what this lists.
        """
        sink_sid = validate_sid(sink_sid, SINK_SID_PREFIX)
        first = {"SinkSid": sink_sid, "PageSize": str(EVENTS_PAGE_SIZE)}

        async def fetch(next_url: str | None) -> Page[Subscription]:
            """Return the first page, or the one a next_page_url names."""
            return await self._get(
                ("Subscriptions",),
                lambda data: _parse_classic_page(
                    data, "subscriptions", Subscription.from_json
                ),
                first if next_url is None else _query_of(next_url),
                base=self._events_base_url,
            )

        return [
            subscription
            async for subscription in _iterate_pages(fetch, max_pages=EVENTS_MAX_PAGES)
            if subscription.sink_sid == sink_sid
        ]

    async def delete_subscription(self, sid: str) -> None:
        """Delete a subscription; one already gone counts as deleted."""
        await self._delete(
            ("Subscriptions", validate_sid(sid, SUBSCRIPTION_SID_PREFIX))
        )

    async def get_event_type(self, event_type: str) -> EventType | None:
        """Return an event type as Twilio offers it to the account, or None if unknown."""
        segments = ("Types", validate_event_type(event_type))
        try:
            return await self._get(
                segments, EventType.from_json, base=self._events_base_url
            )
        except TwilioCommsNotFoundError:
            return None

    async def _delete(self, segments: tuple[str, ...]) -> None:
        """Delete an Event Streams resource; a 404 means it is already gone."""
        with contextlib.suppress(TwilioCommsNotFoundError):
            await self._request(
                "DELETE", segments, base=self._events_base_url, json_required=False
            )

    # ------------------------------------------------------------------ HTTP

    async def _get[T](
        self,
        segments: tuple[str, ...],
        parse: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
        *,
        base: URL | None = None,
    ) -> T:
        """GET a JSON document and parse it, naming the request if it is malformed."""
        reply = await self._request("GET", segments, params=params, base=base)
        return _parsed(reply, parse)

    async def _request(
        self,
        method: str,
        segments: tuple[str, ...],
        *,
        base: URL | None = None,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        form: Sequence[tuple[str, str]] | None = None,
        json_required: bool = True,
        secrets: tuple[str, ...] = (),
    ) -> _Reply:
        """Make one request: the only place with a timeout, transport and HTTP errors.

        Segments are relative to the Comms API unless another base is given.
        A form is sent form-encoded, a field given several times repeated.
        Secrets the request carries besides the credentials are blanked out
        of any error text.
        """

        def redact(text: str) -> str:
            """Return text without the credentials or the request's secrets."""
            for secret in secrets:
                text = text.replace(secret, REDACTED)
            return self._credentials.redact(text)

        # Ids are validated before they get here; quoting still guarantees a
        # segment can never add a path level, a query or a fragment.
        url = (base or self._base_url).joinpath(
            *(quote(segment, safe="") for segment in segments), encoded=True
        )
        target = f"{method} {url.path}"
        headers = {
            aiohttp.hdrs.AUTHORIZATION: self._credentials.authorization,
            aiohttp.hdrs.ACCEPT: "application/json",
            aiohttp.hdrs.ACCEPT_ENCODING: _ACCEPT_ENCODING,
        }
        failure: TwilioCommsError | None = None
        try:
            async with (
                asyncio.timeout(self._request_timeout),
                self._session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=form,
                    headers=headers,
                    # A redirect is an answer, never followed: a location
                    # elsewhere must not receive our credentials.
                    allow_redirects=False,
                    # Statuses are mapped below, whatever the shared session's
                    # default; aiohttp's own error would carry the headers.
                    raise_for_status=False,
                    # Bodies are inflated by _read_body, within the cap.
                    auto_decompress=False,
                ) as response,
            ):
                body = await _read_body(response, target)
        except TimeoutError:
            _LOGGER.debug("%s timed out", target)
            failure = TwilioCommsTimeoutError(
                f"{target} timed out after {self._request_timeout:g} s"
            )
        except aiohttp.ClientError as err:
            _LOGGER.debug("%s failed: %s", target, type(err).__name__)
            reason = clean_detail(str(err), redact)
            failure = TwilioCommsConnectionError(
                f"{target} failed: {type(err).__name__}: {reason}"
            )
        # Raised here, outside the handlers, so that the aiohttp error is
        # neither its __cause__ nor its __context__: aiohttp's errors keep the
        # request's headers, Authorization included (a ClientResponseError's
        # request_info shows in its repr). Its type and text are kept above.
        if failure is not None:
            raise failure
        _LOGGER.debug("%s -> HTTP %s", target, response.status)
        if not 200 <= response.status < 300:
            code, message = error_details(body)
            raise response_error(
                request=target,
                status=response.status,
                reason=response.reason,
                code=code,
                message=message,
                retry_after_header=response.headers.get(aiohttp.hdrs.RETRY_AFTER),
                redact=redact,
                now=datetime.now(UTC),
            )
        data = parse_json(body)
        if data is None and json_required:
            raise TwilioCommsInvalidResponseError(
                f"{target} returned HTTP {response.status} without a JSON body"
            )
        return _Reply(target=target, headers=response.headers, data=data)


def _parsed[T](reply: _Reply, parse: Callable[[Any], T]) -> T:
    """Return a reply's data parsed, naming the request if it is malformed."""
    try:
        return parse(reply.data)
    except TwilioCommsInvalidResponseError as err:
        raise TwilioCommsInvalidResponseError(f"{reply.target}: {err}") from err


def _url_secrets(url: str) -> tuple[str, ...]:
    """Return a URL and its user info, as written and decoded, longest first."""
    try:
        parsed = URL(url)
        parts = (parsed.raw_user, parsed.raw_password, parsed.user, parsed.password)
    except ValueError:
        parts = (None, None, None, None)
    found = {url, *(part for part in parts if part)}
    return tuple(sorted(found, key=len, reverse=True))


async def _read_body(response: aiohttp.ClientResponse, target: str) -> bytes:
    """Return a response body, inflated, refusing one past MAX_RESPONSE_BYTES.

    The body is inflated here, a chunk at a time and never past the cap, so a
    small gzip body that inflates without end costs no more than the cap
    (aiohttp's own decompression would inflate up to 32 MiB per chunk first).
    """
    encoding = response.headers.get(aiohttp.hdrs.CONTENT_ENCODING, "").strip().lower()
    if encoding not in _PLAIN_ENCODINGS | _ZLIB_ENCODINGS:
        raise TwilioCommsInvalidResponseError(
            f"{target} returned a body in an encoding it was not offered"
        )
    inflater = zlib.decompressobj(_ZLIB_WBITS) if encoding in _ZLIB_ENCODINGS else None
    body = bytearray()
    try:
        async for chunk in response.content.iter_chunked(_READ_CHUNK):
            # One byte more than the room left is enough to know the cap is
            # passed; what the inflater holds back stays compressed.
            body += (
                inflater.decompress(chunk, MAX_RESPONSE_BYTES - len(body) + 1)
                if inflater
                else chunk
            )
            if len(body) > MAX_RESPONSE_BYTES:
                raise TwilioCommsInvalidResponseError(
                    f"{target} returned a body larger than "
                    f"{MAX_RESPONSE_BYTES // 2**20} MiB"
                )
    except zlib.error as err:
        raise TwilioCommsInvalidResponseError(
            f"{target} returned a body that does not decompress"
        ) from err
    return bytes(body)


def is_loopback_host(host: str) -> bool:
    """Return whether a URL host names this machine: localhost or a loopback IP."""
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _checked_base_url(base_url: str) -> URL:
    """Return the base URL, refusing anything that could leak or misroute."""
    try:
        url: URL | None = URL(base_url.rstrip("/"))
    except ValueError:
        url = None
    # Raised outside the handler: the parser's error quotes the URL, and a
    # URL may hold a password.
    if url is None:
        raise TwilioCommsValidationError("The base URL is not a URL")
    # Credentials in the URL would clash with (or leak next to) the header,
    # a query or fragment would end up on every request, and plain http
    # would carry the Authorization header in clear text off this machine.
    if (
        url.scheme not in {"http", "https"}
        or not url.host
        or (url.scheme == "http" and not is_loopback_host(url.host))
        or url.user is not None
        or url.password is not None
        or url.query_string
        or url.fragment
    ):
        raise TwilioCommsValidationError(
            "The base URL must be an https URL (http only to loopback) without "
            "credentials, query or fragment"
        )
    return url


def _page_params(page_size: int | None, page_token: str | None) -> dict[str, str]:
    """Return the pageSize and pageToken query parameters, validated."""
    params: dict[str, str] = {}
    if page_size is not None:
        if not MIN_PAGE_SIZE <= page_size <= MAX_PAGE_SIZE:
            raise TwilioCommsValidationError(
                f"page_size must be from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}"
            )
        params["pageSize"] = str(page_size)
    if page_token:
        params["pageToken"] = page_token
    return params


def _operation_filters(
    start_date: datetime | None,
    end_date: datetime | None,
    status: OperationStatus | None,
) -> dict[str, str]:
    """Return the startDate, endDate and status query parameters, validated."""
    params: dict[str, str] = {}
    for name, value in (("startDate", start_date), ("endDate", end_date)):
        if value is None:
            continue
        if value.utcoffset() is None:
            # A naive time would be read in the machine's zone, silently.
            raise TwilioCommsValidationError(
                f"{name} must be a timezone-aware datetime"
            )
        params[name] = format_timestamp(value)
    if start_date is not None and end_date is not None and end_date <= start_date:
        raise TwilioCommsValidationError("endDate must be later than startDate")
    if status is not None:
        if status is OperationStatus.UNKNOWN:
            raise TwilioCommsValidationError("UNKNOWN is no status to filter on")
        params["status"] = status.value.upper()
    return params


def _checked_timeout(value: float) -> float:
    """Return a request timeout in seconds: a finite, positive number."""
    if not math.isfinite(value) or value <= 0:
        raise TwilioCommsValidationError("The request timeout must be positive")
    return value


def _checked_max_pages(value: int) -> int:
    """Return a page cap: a positive number."""
    if value < 1:
        raise TwilioCommsValidationError("max_pages must be positive")
    return value


def _page_token(value: object) -> str | None:
    """Return a page token, reading it from a URL's pageToken when it is one.

    A push guide sample shows a URL where the reference shows an opaque token
    (comms-api.md §7). A missing, null or empty value means "no page".
    """
    if not isinstance(value, str) or not value.strip():
        return None
    if value.startswith(("https://", "http://")):
        try:
            token = URL(value).query.get("pageToken")
        except ValueError:
            return None
        return token or None
    return value


def _parse_page[T](
    data: object, list_keys: tuple[str, ...], parse_item: Callable[[object], T]
) -> Page[T]:
    """Return a page from a list response, taking items from the first list key present.

    Pages disagree on the list key (e.g. `notifications` or `pushNotifications`)
    and on where the next token lives (`pagination.next` or a top-level
    `nextPageToken`), so every documented or observed variant is accepted.
    """
    obj = as_object(data)
    if obj is None:
        raise TwilioCommsInvalidResponseError("A list response is not an object")
    items = next((obj[key] for key in list_keys if key in obj), None)
    if not isinstance(items, list):
        raise TwilioCommsInvalidResponseError(
            f"A list response has no {' or '.join(list_keys)} array"
        )
    pagination = as_object(obj.get("pagination")) or {}
    return Page(
        items=tuple(parse_item(item) for item in items),
        next_token=_page_token(pagination.get("next"))
        or _page_token(obj.get("nextPageToken")),
        self_token=_page_token(pagination.get("self")),
    )


def _parse_classic_page[T](
    data: object, list_key: str, parse_item: Callable[[object], T]
) -> Page[T]:
    """Return a page of a classic Twilio listing: items and `meta` URLs (docs §1).

    The next page is named by an absolute URL, whose query alone is used
    (_query_of): the request always goes to the client's own base URL.
    """
    obj = as_object(data)
    if obj is None or not isinstance(items := obj.get(list_key), list):
        raise TwilioCommsInvalidResponseError(
            f"A list response has no {list_key} array"
        )
    meta = as_object(obj.get("meta")) or {}
    return Page(
        items=tuple(parse_item(item) for item in items),
        next_token=as_text(meta.get("next_page_url")),
        self_token=as_text(meta.get("url")),
    )


def _query_of(url: str) -> dict[str, str]:
    """Return the query parameters of a next_page_url."""
    try:
        return dict(URL(url).query)
    except ValueError as err:
        raise TwilioCommsInvalidResponseError("A next_page_url is not a URL") from err


async def _iterate_pages[T](
    fetch: Callable[[str | None], Awaitable[Page[T]]], *, max_pages: int
) -> AsyncGenerator[T]:
    """Yield the items of every page, following next tokens; never loop forever.

    A token seen before (as a page's own token or as an earlier next token)
    means the server is cycling, and more than max_pages pages means it never
    stops; both raise TwilioCommsPaginationError (the page cap its subclass
    TwilioCommsPageLimitError, since the items yielded before it are sound).
    """
    seen: set[str] = set()
    token: str | None = None
    for _ in range(max_pages):
        page = await fetch(token)
        for item in page.items:
            yield item
        if page.self_token is not None:
            seen.add(page.self_token)
        if (token := page.next_token) is None:
            return
        if token in seen:
            raise TwilioCommsPaginationError("The API repeated a page token")
        seen.add(token)
    raise TwilioCommsPageLimitError(f"The list did not end within {max_pages} pages")
