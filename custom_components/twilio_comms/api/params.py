"""Query parameters and other caller input, validated before a request."""

from datetime import datetime
from ipaddress import ip_address
import math

from yarl import URL

from .const import MAX_PAGE_SIZE, MIN_PAGE_SIZE, OperationStatus
from .exceptions import TwilioCommsValidationError
from .wire import format_timestamp


def is_loopback_host(host: str) -> bool:
    """Return whether a URL host names this machine: localhost or a loopback IP."""
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_base_url(base_url: str) -> URL:
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


def page_params(page_size: int | None, page_token: str | None) -> dict[str, str]:
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


def operation_filters(
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


def checked_timeout(value: float) -> float:
    """Return a request timeout in seconds: a finite, positive number."""
    if not math.isfinite(value) or value <= 0:
        raise TwilioCommsValidationError("The request timeout must be positive")
    return value


def checked_max_pages(value: int) -> int:
    """Return a page cap: a positive number."""
    if value < 1:
        raise TwilioCommsValidationError("max_pages must be positive")
    return value
