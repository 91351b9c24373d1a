"""Opaque page tokens and pages (comms-api.md §7)."""

# A token is URL-safe base64 of JSON holding a fingerprint of the query and
# the position of the last item served. The position, not an offset, makes
# the next page start right after that item even when newer items arrived in
# between; the fingerprint makes a token of another query a 400.

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import hashlib
from itertools import islice
import json
from typing import Final, TypedDict

from .errors import ApiError

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
