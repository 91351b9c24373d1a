"""Turn an HTTP error response into the matching exception."""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import re
from typing import Final

from .const import DEFAULT_RETRY_AFTER, MAX_DETAIL_LENGTH, MAX_RETRY_AFTER
from .exceptions import (
    TwilioCommsAuthenticationError,
    TwilioCommsBadRequestError,
    TwilioCommsForbiddenError,
    TwilioCommsNotFoundError,
    TwilioCommsRateLimitError,
    TwilioCommsRequestTooLargeError,
    TwilioCommsResponseError,
    TwilioCommsServerError,
)
from .wire import as_code, as_object, as_objects, as_text, parse_json

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


def error_details(body: bytes) -> tuple[int | None, str | None]:
    """Return the Twilio error code and message of an error body, if any.

    Comms puts them in `errors[0]`, the classic REST API at the top level;
    an HTML page or an empty body from a gateway yields neither.
    """
    if (obj := as_object(parse_json(body))) is None:
        return None, None
    sources = [*as_objects(obj.get("errors"))[:1], obj]
    code = next((c for s in sources if (c := as_code(s.get("code"))) is not None), None)
    message = next((m for s in sources if (m := as_text(s.get("message")))), None)
    return code, message


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
    body: bytes,
    retry_after_header: str | None,
    redact: Callable[[str], str],
    now: datetime,
) -> TwilioCommsResponseError:
    """Return the exception for an error response to a request ("GET /path")."""
    code, message = error_details(body)
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
