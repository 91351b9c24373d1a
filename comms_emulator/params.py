"""Listing filters from the query string: creation dates and status (comms-api.md §7)."""

from collections.abc import Mapping
from datetime import UTC, datetime

from .errors import ApiError
from .lifecycle import OPERATION_STATUSES


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
