"""What a request asks for, checked: query filters, page tokens and send bodies.

What the API refuses is an ApiError, rendered in the Comms format
(comms-api.md §5); filters and pages follow §7, sends §8, §9 and §11.
"""

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
from itertools import islice
import json
from typing import Any, Final, TypedDict

from aiohttp import web

from .lifecycle import OPERATION_STATUSES

# The Twilio error code of each HTTP status the emulator answers with.
STATUS_CODES: Final = {
    400: 20001,
    401: 20003,
    403: 20403,
    404: 20404,
    405: 20004,
    429: 20429,
    500: 20500,
    503: 20503,
}

# Where Twilio documents an error code.
INFO_URL: Final = "https://www.twilio.com/docs/api/errors/{code}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One entry of an error body: what is wrong, and where (a JSON path)."""

    message: str
    code: int | None = None
    # The sample holds the string "null" when no field is at fault.
    context: str = "null"


def error_entry(code: int, message: str, context: str = "null") -> dict[str, Any]:
    """Return one entry of a Comms error body."""
    return {
        "code": code,
        "message": message,
        "infoUrl": INFO_URL.format(code=code),
        "context": context,
    }


class ApiError(Exception):
    """A request the API refuses; rendered as a Comms error body."""

    def __init__(
        self,
        status: int,
        *issues: Issue,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse with a status and one or more issues (validation reports all it finds)."""
        super().__init__("; ".join(issue.message for issue in issues))
        self.status = status
        self.issues = issues
        self.headers = dict(headers or {})

    @classmethod
    def bad_request(cls, message: str, context: str = "null") -> ApiError:
        """Return a 400 with one issue."""
        return cls(400, Issue(message=message, context=context))

    @classmethod
    def not_found(cls) -> ApiError:
        """Return the 404 of an unknown or expired resource."""
        return cls(404, Issue(message="The resource was not found."))

    def response(self) -> web.Response:
        """Return the error as an HTTP response."""
        default = STATUS_CODES.get(self.status, 20000 + self.status)
        body = {
            "errors": [
                error_entry(issue.code or default, issue.message, issue.context)
                for issue in self.issues
            ]
        }
        return web.json_response(body, status=self.status, headers=self.headers)


# Listing filters from the query string: creation dates and status (comms-api.md §7).


def parse_time(value: str, name: str) -> datetime:
    """Return an RFC 3339 date-time (ApiError 400 if it is not one, or has no offset)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise ApiError.bad_request(
            f"{name} is not an RFC 3339 date-time", name
        ) from err
    if moment.tzinfo is None:
        raise ApiError.bad_request(f"{name} needs a time zone offset", name)
    return moment.astimezone(UTC)


def date_range(query: Mapping[str, str]) -> tuple[datetime | None, datetime | None]:
    """Return startDate (inclusive) and endDate (exclusive); endDate must come later."""
    start = (
        parse_time(query["startDate"], "startDate") if "startDate" in query else None
    )
    end = parse_time(query["endDate"], "endDate") if "endDate" in query else None
    if start is not None and end is not None and end <= start:
        raise ApiError.bad_request("endDate must be later than startDate", "endDate")
    return start, end


def operation_status(query: Mapping[str, str]) -> str | None:
    """Return the status filter of an operation listing, upper-cased (it ignores case)."""
    raw = query.get("status")
    if raw is None:
        return None
    status = raw.upper()
    if status not in OPERATION_STATUSES:
        raise ApiError.bad_request(
            f"status must be one of {', '.join(OPERATION_STATUSES)}", "status"
        )
    return status


def resource_status(query: Mapping[str, str]) -> str | None:
    """Return the status filter of a resource listing, upper-cased (it ignores case)."""
    raw = query.get("status")
    return raw.upper() if raw is not None else None


# Opaque page tokens and pages (comms-api.md §7).

# A token is URL-safe base64 of JSON holding a fingerprint of the query and
# the position of the last item served. The position, not an offset, makes
# the next page start right after that item even when newer items arrived in
# between; the fingerprint makes a token of another query a 400.


# Items per page unless pageSize says otherwise, and the most it may ask for.
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 1000

# Query parameters that move through the same result set rather than define it.
PAGING_PARAMETERS: Final = frozenset({"pageToken", "pageSize"})

# Hex characters of the query fingerprint: enough to tell queries apart.
FINGERPRINT_LENGTH: Final = 16

# The position of the last item of a page, as JSON values.
type Cursor = list[str | int]


class Pagination(TypedDict):
    """The pagination block of a listing."""

    next: str | None
    self: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """Which page a listing request asks for."""

    size: int
    fingerprint: str
    token: str | None
    # None: the first page.
    after: Cursor | None

    @classmethod
    def from_query(cls, path: str, query: Mapping[str, str]) -> PageRequest:
        """Read pageSize and pageToken, checking both (ApiError 400)."""
        raw = query.get("pageSize", str(DEFAULT_PAGE_SIZE))
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ApiError.bad_request(
                f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}", "pageSize"
            )
        filters = sorted(
            (key, value) for key, value in query.items() if key not in PAGING_PARAMETERS
        )
        digest = hashlib.sha256(json.dumps([path, filters]).encode()).hexdigest()
        fingerprint = digest[:FINGERPRINT_LENGTH]
        token = query.get("pageToken") or None
        after = decode_token(token, fingerprint) if token else None
        return cls(size=int(raw), fingerprint=fingerprint, token=token, after=after)

    def paginate[T](
        self, items: Iterable[tuple[Cursor, T]]
    ) -> tuple[list[T], Pagination]:
        """Return this page of (cursor, item) pairs, which start after the cursor, and its pagination."""
        # One item past the page tells whether a next page exists, so the
        # last page says next: null even when it is full.
        taken = list(islice(items, self.size + 1))
        page = taken[: self.size]
        more = len(taken) > self.size
        return [item for _, item in page], {
            "next": encode_token(self.fingerprint, page[-1][0]) if more else None,
            "self": self.token or encode_token(self.fingerprint, None),
        }


def encode_token(fingerprint: str, after: Cursor | None) -> str:
    """Return the token of the page that follows a cursor (None: the first page)."""
    raw = json.dumps({"f": fingerprint, "a": after}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> Cursor | None:
    """Return the cursor in a token made for the same query (ApiError 400 otherwise)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as err:
        raise ApiError.bad_request("pageToken is not valid", "pageToken") from err
    if not isinstance(data, dict) or data.get("f") != fingerprint:
        raise ApiError.bad_request(
            "pageToken does not belong to this query", "pageToken"
        )
    after = data.get("a")
    if after is None:
        return None
    if not isinstance(after, list) or not all(
        isinstance(part, str | int) and not isinstance(part, bool) for part in after
    ):
        raise ApiError.bad_request("pageToken is not valid", "pageToken")
    return after


# Send requests: validation of the body (comms-api.md §8, §9, §11) and what it asks for.


# One send reaches at most this many recipients (§1).
MAX_RECIPIENTS: Final = 10_000

# A send carries at most this many tags, keys and values this long (§3).
MAX_TAGS: Final = 10
MAX_TAG_KEY_LENGTH: Final = 128
MAX_TAG_VALUE_LENGTH: Final = 256

# Validation reports this many issues at most, as a long recipient list
# could otherwise produce thousands.
MAX_ISSUES: Final = 20

# Recipient fields that identify whom a resource goes to, in order of preference.
RECIPIENT_KEYS: Final = ("address", "token", "userId", "profileId")

# Content fields an email must have (§11).
EMAIL_CONTENT_KEYS: Final = ("subject", "html")


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """A validated send: whom, when, and how it is tagged."""

    addresses: tuple[str, ...]
    send_at: datetime | None
    tags: dict[str, str]
    body: Mapping[str, Any]


def _address(recipient: Mapping[str, Any]) -> str:
    """Return the address, token or id a recipient is reached at."""
    for key in RECIPIENT_KEYS:
        if isinstance(value := recipient.get(key), str):
            return value
    addresses = recipient.get("addresses")
    if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
        return str(addresses[0].get("address", ""))
    return ""


def _recipient_issues(recipients: object) -> list[Issue]:
    """Return what is wrong with the recipients."""
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        return [
            Issue(
                message=f"to must list 1 to {MAX_RECIPIENTS} recipients", context="to"
            )
        ]
    return [
        Issue(message="A recipient must be an object", context=f"to[{index}]")
        for index, recipient in enumerate(recipients)
        if not isinstance(recipient, dict)
    ]


def _content_issues(channel: str, content: object) -> list[Issue]:
    """Return what is wrong with the content."""
    if not isinstance(content, dict) or not content:
        return [Issue(message="content is required", context="content")]
    if channel != "Emails":
        return []
    return [
        Issue(message=f"An email needs content.{key}", context=f"content.{key}")
        for key in EMAIL_CONTENT_KEYS
        if not isinstance(content.get(key), str)
    ]


def _schedule(schedule: object) -> tuple[datetime | None, list[Issue]]:
    """Return the first sendAt of a schedule, or what is wrong with it."""
    # A time without an offset is localised to each recipient's zone; with no
    # zone known, it is read as UTC, the documented fallback (§8).
    if schedule is None:
        return None, []
    send_at = schedule.get("sendAt") if isinstance(schedule, dict) else None
    if not isinstance(send_at, list) or not send_at or not isinstance(send_at[0], str):
        issue = Issue(
            message="schedule.sendAt must list date-times", context="schedule"
        )
        return None, [issue]
    try:
        moment = datetime.fromisoformat(send_at[0])
    except ValueError:
        issue = Issue(
            message="schedule.sendAt[0] is not a date-time",
            context="schedule.sendAt[0]",
        )
        return None, [issue]
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), []


def _tags(tags: object) -> tuple[dict[str, str], list[Issue]]:
    """Return a send's tags, or what is wrong with them."""
    if tags is None:
        return {}, []
    if (
        not isinstance(tags, dict)
        or len(tags) > MAX_TAGS
        or not all(
            isinstance(key, str)
            and isinstance(value, str)
            and len(key) <= MAX_TAG_KEY_LENGTH
            and len(value) <= MAX_TAG_VALUE_LENGTH
            for key, value in tags.items()
        )
    ):
        issue = Issue(
            message=f"tags must map at most {MAX_TAGS} short keys to strings",
            context="tags",
        )
        return {}, [issue]
    return dict(tags), []


def parse_send(channel: str, body: object) -> SendRequest:
    """Return a validated send request, or raise ApiError 400 listing every issue found."""
    if not isinstance(body, dict):
        raise ApiError.bad_request("The body must be a JSON object")
    send_at, schedule_issues = _schedule(body.get("schedule"))
    tags, tag_issues = _tags(body.get("tags"))
    issues = [
        *_recipient_issues(body.get("to")),
        *_content_issues(channel, body.get("content")),
        *schedule_issues,
        *tag_issues,
    ]
    if issues:
        raise ApiError(400, *issues[:MAX_ISSUES])
    return SendRequest(
        addresses=tuple(_address(recipient) for recipient in body["to"]),
        send_at=send_at,
        tags=tags,
        body=body,
    )
