"""Tolerant readers and writers of the JSON values the Comms API exchanges."""

from collections.abc import Mapping
from datetime import UTC, datetime
import json
import re
from types import MappingProxyType
from typing import Any, Final

# RFC 3339 date-time (a space for the "T" is tolerated, as RFC 3339 allows).
# The offset is optional because every documented timestamp is UTC; a value
# without one is read as UTC rather than thrown away.
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)

# One shared read-only empty mapping, for the many stats without extra counters.
_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def parse_json(body: bytes) -> Any:
    """Return a parsed JSON body; None when empty, malformed or absurdly nested."""
    try:
        return json.loads(body)
    except ValueError, RecursionError:
        # ValueError covers bad JSON and bad UTF-8; RecursionError a body
        # nested deeply enough to exhaust the stack, which must not crash us.
        return None


def parse_timestamp(value: object) -> datetime | None:
    """Return an RFC 3339 timestamp as an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if not _RFC3339.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except ValueError, OverflowError:
        # Well-formed but impossible (month 13), or out of range once in UTC.
        return None


def format_timestamp(value: datetime) -> str:
    """Return an aware datetime as RFC 3339 UTC with a Z, to whole seconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_text(value: object) -> str | None:
    """Return a non-empty string, or None for anything else."""
    return value if isinstance(value, str) and value else None


def as_count(value: object) -> int | None:
    """Return a counter: a non-negative int, never a bool, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def as_code(value: object) -> int | None:
    """Return a Twilio error code given as an int or a string of digits."""
    if isinstance(value, str) and value.strip().isdecimal() and value.isascii():
        return int(value)
    return as_count(value)


def as_object(value: object) -> Mapping[str, Any] | None:
    """Return a JSON object, or None for any other JSON value."""
    return value if isinstance(value, dict) else None


def as_objects(value: object) -> tuple[Mapping[str, Any], ...]:
    """Return the objects of a value that may be one object or an array of them."""
    if isinstance(value, dict):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, dict))
    return ()


def frozen[V](items: Mapping[str, V]) -> Mapping[str, V]:
    """Return a read-only copy of a mapping, sharing one instance when empty."""
    if not items:
        return _EMPTY
    return MappingProxyType(dict(items))
