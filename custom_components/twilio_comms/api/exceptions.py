"""Exceptions of the Twilio Comms API client, and the one an HTTP error response is."""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import re
from typing import Final, override

# The longest Retry-After we honour, in seconds. The header's unit is
# undocumented for Comms, so a huge value (or milliseconds read as seconds)
# must not silence polling for days: an hour is the most we wait.
MAX_RETRY_AFTER: Final = 3600.0

# The wait assumed when a 429 carries no usable Retry-After: a minute backs
# off meaningfully without stalling a poll for long.
DEFAULT_RETRY_AFTER: Final = 60.0

# Characters of a server-supplied error message kept in exceptions; enough to
# read the reason, short enough for a log line or a UI notification.
MAX_DETAIL_LENGTH: Final = 200


class TwilioCommsError(Exception):
    """Base class of every error the client raises."""


class TwilioCommsConnectionError(TwilioCommsError):
    """The API could not be reached."""


class TwilioCommsTimeoutError(TwilioCommsConnectionError):
    """The API did not answer within the request timeout."""


class TwilioCommsAccountMismatchError(TwilioCommsError):
    """The credentials work, but do not open the account their Account SID names."""


class TwilioCommsInvalidResponseError(TwilioCommsError):
    """The API answered with something that is not the documented JSON."""


class TwilioCommsPaginationError(TwilioCommsInvalidResponseError):
    """Pagination did not end: a page token repeated or the page cap was hit."""


class TwilioCommsPageLimitError(TwilioCommsPaginationError):
    """A listing went on past the page cap; what was read before it is valid."""


class TwilioCommsEventError(TwilioCommsError):
    """An Event Streams delivery cannot be read as events."""


class TwilioCommsInvalidIdError(TwilioCommsError, ValueError):
    """A caller passed an id that is not a well-formed Comms id."""


class TwilioCommsValidationError(TwilioCommsError, ValueError):
    """A caller passed an argument or a send request the API would reject.

    When a field of a send request is at fault, `field` names it and `value`
    is what it held, so a caller can explain the refusal in its own words.
    """

    @override
    def __init__(
        self, message: str, *, field: str | None = None, value: str | None = None
    ) -> None:
        """Store the field refused and its value, when the error is about one."""
        super().__init__(message)
        self.field = field
        self.value = value


class TwilioCommsInputTooLongError(TwilioCommsValidationError):
    """A field of a send request is longer than the API or the channel takes."""

    field: str

    @override
    def __init__(self, message: str, *, field: str, limit: int) -> None:
        """Store which field is too long, and its limit."""
        super().__init__(message, field=field)
        self.limit = limit


class TwilioCommsResponseError(TwilioCommsError):
    """The API answered with an HTTP error status."""

    @override
    def __init__(self, message: str, *, status: int, detail: str = "") -> None:
        """Store the HTTP status and the server's detail."""
        super().__init__(message)
        self.status = status
        self.detail = detail


class TwilioCommsBadRequestError(TwilioCommsResponseError):
    """The API rejected the request as malformed (400)."""


class TwilioCommsRequestTooLargeError(TwilioCommsResponseError):
    """The API (or a gateway before it) refused the request as too large (413)."""


class TwilioCommsAuthenticationError(TwilioCommsResponseError):
    """The API rejected the credentials (401)."""


class TwilioCommsForbiddenError(TwilioCommsResponseError):
    """The credentials work but the account may not use this API (403)."""


class TwilioCommsNotFoundError(TwilioCommsResponseError):
    """The resource does not exist, or no longer does (404)."""


class TwilioCommsRateLimitError(TwilioCommsResponseError):
    """Too many requests (429); the request was not processed."""

    @override
    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_after: float,
        detail: str = "",
    ) -> None:
        """Store the seconds to wait before retrying, besides the HTTP details."""
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


class TwilioCommsServerError(TwilioCommsResponseError):
    """The API failed on its side (5xx)."""

    @override
    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        """Store the seconds to wait, when the server said (503), besides the HTTP details."""
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


# The exception for each documented (or expected) HTTP status.
_STATUS_ERRORS: Final[Mapping[int, type[TwilioCommsResponseError]]] = {
    400: TwilioCommsBadRequestError,
    401: TwilioCommsAuthenticationError,
    403: TwilioCommsForbiddenError,
    404: TwilioCommsNotFoundError,
    413: TwilioCommsRequestTooLargeError,
    429: TwilioCommsRateLimitError,
}

# Twilio error codes that name a client error more precisely than its status
# (e.g. 20003 "authenticate" behind a gateway's generic 400).
_CODE_ERRORS: Final[Mapping[int, type[TwilioCommsResponseError]]] = {
    20003: TwilioCommsAuthenticationError,
    20403: TwilioCommsForbiddenError,
    20404: TwilioCommsNotFoundError,
    # Event Streams: "Sink could not be found" (docs/event-streams.md §11).
    91001: TwilioCommsNotFoundError,
    20429: TwilioCommsRateLimitError,
}

# Retry-After as delay-seconds; anything else is tried as an HTTP-date.
_SECONDS: Final = re.compile(r"\d{1,10}(?:\.\d+)?", re.ASCII)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Return Retry-After in seconds, clamped to [0, MAX_RETRY_AFTER], or None.

    The unit is undocumented for Comms (comms-api.md §6), so both forms HTTP
    allows are read: delay-seconds and an HTTP-date.
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except TypeError, ValueError, IndexError:
            return None
        if when.tzinfo is None:
            # "-0000" means UTC without saying so (RFC 5322).
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def clean_detail(text: str, redact: Callable[[str], str]) -> str:
    """Return server text on one line, without secrets, at most MAX_DETAIL_LENGTH."""
    text = redact(
        " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())
    )
    if len(text) > MAX_DETAIL_LENGTH:
        return text[: MAX_DETAIL_LENGTH - 1] + "…"
    return text


def response_error(
    *,
    request: str,
    status: int,
    reason: str | None,
    code: int | None,
    message: str | None,
    retry_after_header: str | None,
    redact: Callable[[str], str],
    now: datetime,
) -> TwilioCommsResponseError:
    """Return the exception for an error response to a request ("GET /path").

    code and message are what the error body said (models.error_details).
    """
    detail = clean_detail(message or reason or "", redact)
    text = f"{request} failed with HTTP {status}"
    if code is not None:
        text += f" (Twilio error {code})"
    if detail:
        text += f": {detail}"
    error_class = _STATUS_ERRORS.get(status, TwilioCommsResponseError)
    if code is not None and 400 <= status < 500:
        error_class = _CODE_ERRORS.get(code, error_class)
    if status >= 500:
        # Only 503 asks to come back later; a 500 must not be retried (§5).
        retry_after = (
            parse_retry_after(retry_after_header, now=now) if status == 503 else None
        )
        return TwilioCommsServerError(
            text, status=status, detail=detail, retry_after=retry_after
        )
    if issubclass(error_class, TwilioCommsRateLimitError):
        retry_after = parse_retry_after(retry_after_header, now=now)
        return error_class(
            text,
            status=status,
            detail=detail,
            retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
        )
    return error_class(text, status=status, detail=detail)
