"""Constants and enums of the Twilio Comms API client."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

# The only documented production base URL; the version lives in the path, and
# the "/preview" version is experimental, so it is never a default.
DEFAULT_BASE_URL: Final = "https://comms.twilio.com/v1"

# Twilio's main REST API, where the Accounts resource lives: the one place
# that tells which account an API key belongs to (comms-api.md §14).
DEFAULT_REST_BASE_URL: Final = "https://api.twilio.com/2010-04-01"

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

# Recipients one send request may target (comms-api.md §1).
MAX_RECIPIENTS: Final = 10_000


class Channel(StrEnum):
    """A Comms channel.

    The value is the key Home Assistant stores and translates it by (options,
    unique ids, translation keys); the URL segment and the product name are
    the same words, joined and capitalised.
    """

    MESSAGES = "messages"
    PUSH_NOTIFICATIONS = "push_notifications"
    EMAILS = "emails"

    @property
    def path(self) -> str:
        """Return the channel's URL path segment ("PushNotifications")."""
        return "".join(word.capitalize() for word in self.value.split("_"))

    @property
    def title(self) -> str:  # type: ignore[override]
        """Return the channel's product name ("Push Notifications")."""
        return " ".join(word.capitalize() for word in self.value.split("_"))


# The counters any page documents for each channel (comms-api.md §10): the
# reference pages and the guides disagree, so this is their union, and an
# operation may report any subset of it, for one response or for good.
CHANNEL_COUNTERS: Final[Mapping[Channel, tuple[str, ...]]] = {
    Channel.MESSAGES: (
        "total",
        "recipients",
        "attempts",
        "unaddressable",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "read",
        "undelivered",
        "failed",
        "canceled",
    ),
    Channel.PUSH_NOTIFICATIONS: (
        "total",
        "recipients",
        # attempts, delivered and undelivered: the guide's sample (seed 002).
        "attempts",
        "unaddressable",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "canceled",
    ),
    Channel.EMAILS: (
        "total",
        "recipients",
        "attempts",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "opened",
        "undelivered",
        "failed",
        "canceled",
    ),
}


class OperationStatus(StrEnum):
    """The status of an Operation, read case-insensitively."""

    SCHEDULED = "scheduled"
    PROCESSING = "processing"
    COMPLETED = "completed"
    CANCELED = "canceled"
    # Anything the API may add later; kept as the raw value on the Operation.
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """Return whether an operation in this status can no longer change."""
        return self in _TERMINAL_STATUSES

    @classmethod
    def parse(cls, value: object) -> OperationStatus:
        """Return the status a wire value names, or UNKNOWN; never raise."""
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        return cls.UNKNOWN


# Statuses an operation never leaves (comms-api.md §10).
_TERMINAL_STATUSES: Final = frozenset(
    {OperationStatus.COMPLETED, OperationStatus.CANCELED}
)
