"""Counts of the /v1 requests served: the integration's tests assert requests per poll."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Final, TypedDict

# The key that counts every request, beside the per-route keys.
TOTAL: Final = "total"


class RequestReport(TypedDict):
    """The counts, as /_emulator/requests shows them."""

    total: int
    routes: dict[str, int]
    channels: dict[str, int]
    response_bytes: int


@dataclass(slots=True)
class RequestCounter:
    """Requests by route template ("GET /v1/{channel}/Operations") and by channel."""

    # Indexing reads like a Counter: counter["total"], or counter[route],
    # which is 0 for a route not requested.

    routes: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    # Body bytes of /v1 responses: what a client pays in bandwidth.
    response_bytes: int = 0

    def __getitem__(self, key: str) -> int:
        """Return the count of a route, or of all requests for "total"."""
        return self.routes[key]

    def count(self, route: str, channel: str | None) -> None:
        """Count one request."""
        self.routes[route] += 1
        self.routes[TOTAL] += 1
        if channel:
            self.channels[channel] += 1

    def reset(self) -> None:
        """Forget every count."""
        self.routes.clear()
        self.channels.clear()
        self.response_bytes = 0

    def report(self) -> RequestReport:
        """Return the counts as plain data."""
        return {
            "total": self.routes[TOTAL],
            "routes": {
                route: count for route, count in self.routes.items() if route != TOTAL
            },
            "channels": dict(self.channels),
            "response_bytes": self.response_bytes,
        }
