"""Fault injection: the ways a beta API can let a client down."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
import random
from typing import Any, Final

from .config import FaultConfig

# Statuses no client has seen before, in the spellings a beta API might use.
UNKNOWN_STATUSES: Final = ("ARCHIVED", "PAUSED", "partially_completed")

# Request-level faults, drawn in this order before a request is served.
REQUEST_FAULTS: Final = (
    "rate_limit",
    "server_error",
    "unavailable",
    "slow",
    "malformed_json",
)


@dataclass(slots=True)
class FaultInjector:
    """Decides, from a seeded generator, which fault hits which response."""

    config: FaultConfig
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)

    def draw_request_fault(self) -> str | None:
        """Return the request-level fault to inject, if any, and count it."""
        for kind in REQUEST_FAULTS:
            if self.rng.random() < getattr(self.config, kind):
                self.counts[kind] += 1
                return kind
        return None

    def retry_after(self, now: datetime) -> str:
        """Return a Retry-After value, as seconds or as an HTTP-date."""
        seconds = self.rng.randint(1, 30)
        if self.rng.random() < 0.5:
            return str(seconds)
        return format_datetime(now + timedelta(seconds=seconds), usegmt=True)

    def distort(self, operation: dict[str, Any]) -> dict[str, Any]:
        """Return an operation's JSON with rendering faults applied, if drawn."""
        if self.rng.random() < self.config.unknown_status:
            self.counts["unknown_status"] += 1
            operation = {**operation, "status": self.rng.choice(UNKNOWN_STATUSES)}
        if self.rng.random() < self.config.missing_stats:
            self.counts["missing_stats"] += 1
            stats = dict(operation["stats"])
            for key in self.rng.sample(sorted(stats), k=max(1, len(stats) // 3)):
                del stats[key]
            operation = {**operation, "stats": stats}
        return operation
