"""The operation a send was accepted as, read from a 202 response."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from yarl import URL

from .ids import is_operation_id
from .wire import as_object, as_text

# Headers that may carry the operation id, lower case, in order of preference:
# pages disagree on the spelling, and an older page sends only headers (§4).
_ID_HEADERS: Final = ("operationid", "operation-id")

# Headers that may carry the operation's URI, lower case, in the same order;
# the push reference adds a plain Location.
_LOCATION_HEADERS: Final = ("operationlocation", "operation-location", "location")


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """An accepted send; without an operation id it is accepted but untracked."""

    operation_id: str | None

    @property
    def tracked(self) -> bool:
        """Return whether the send can be followed through its operation."""
        return self.operation_id is not None


def send_result(body: object, headers: Mapping[str, str], base_url: URL) -> SendResult:
    """Return the operation a 202 names, from the body first, then headers.

    A location is never followed; only the id in its last path segment is
    read. An id is only kept when it is a well-formed operation id, so nothing
    from the response can steer a later request elsewhere.
    """
    obj = as_object(body) or {}
    lowered = {name.lower(): value for name, value in headers.items()}
    candidates = [obj.get("operationId"), *(lowered.get(name) for name in _ID_HEADERS)]
    locations = [
        obj.get("operationLocation"),
        *(lowered.get(name) for name in _LOCATION_HEADERS),
    ]
    urls = [url for value in locations if (url := _location(value, base_url))]
    # A bare location still names the operation in its last path segment.
    candidates += [url.path.rstrip("/").rpartition("/")[2] for url in urls]
    return SendResult(
        operation_id=next((str(c) for c in candidates if is_operation_id(c)), None)
    )


def _location(value: object, base_url: URL) -> URL | None:
    """Return a location as an absolute URL resolved against the API, or None."""
    if (text := as_text(value)) is None:
        return None
    try:
        url = base_url.join(URL(text.strip()))
    except ValueError:
        return None
    return url if url.scheme in {"http", "https"} and url.host else None
