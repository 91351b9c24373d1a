"""Fault injection: the ways a beta API can let a client down."""

# Faults come from one seeded generator, and they only ever change what a
# response looks like: the world's operations are never touched.

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
import random
from typing import Any, Final

from .config import FaultConfig

# Statuses no client has seen before, in the spellings a beta API might use.
UNKNOWN_STATUSES: Final = ("ARCHIVED", "archived", "PAUSED", "partially_completed")

# Faults that answer instead of the handler (or before it, for slow), drawn in
# this order (the first five kinds); malformed_json only hits reads, which
# change nothing. The other two garble operations inside an answer.
REQUEST_FAULTS: Final = FaultConfig.KINDS[:5]

# A Retry-After asks for a wait of this many seconds, at least and at most.
RETRY_AFTER_SECONDS: Final = (1, 30)

# Share of missing_stats faults' keys dropped, at most (at least one goes).
MAX_DROPPED_STATS_SHARE: Final = 1 / 3

# What a misbehaving gateway puts in a 200 instead of JSON.
GATEWAY_PAGE: Final = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(slots=True)
class FaultInjector:
    """Decides, from a seeded generator, which fault hits which response."""

    config: FaultConfig
    rng: random.Random
    counts: Counter[str] = field(default_factory=Counter)

    def _hits(self, kind: str) -> bool:
        """Draw whether a fault of a kind strikes now."""
        rate: float = getattr(self.config, kind)
        return self.rng.random() < rate

    def draw_request_fault(self, *, read: bool) -> str | None:
        """Return the request-level fault to inject, if any, and count it."""
        # A garbled body is counted when applied (garble): only a successful
        # answer can be garbled.
        for kind in REQUEST_FAULTS:
            if kind == "malformed_json" and not read:
                continue
            if self._hits(kind):
                if kind != "malformed_json":
                    self.counts[kind] += 1
                return kind
        return None

    def retry_after(self, now: datetime) -> str:
        """Return a Retry-After value: seconds or an HTTP-date, as the generator picks."""
        seconds = self.rng.randint(*RETRY_AFTER_SECONDS)
        if self.rng.random() < 0.5:
            return str(seconds)
        return format_datetime(now + timedelta(seconds=seconds), usegmt=True)

    def garble(self, body: bytes) -> bytes:
        """Return a body cut short, or a gateway's HTML page, and count it."""
        self.counts["malformed_json"] += 1
        if len(body) < 2 or self.rng.random() < 0.5:
            return GATEWAY_PAGE
        # A JSON document cut anywhere before its end no longer parses.
        return body[: self.rng.randrange(1, len(body))]

    def distort(self, operation: dict[str, Any]) -> dict[str, Any]:
        """Return a rendered operation with rendering faults applied, if drawn."""
        if self._hits("unknown_status"):
            self.counts["unknown_status"] += 1
            operation = {**operation, "status": self.rng.choice(UNKNOWN_STATUSES)}
        if self._hits("missing_stats"):
            self.counts["missing_stats"] += 1
            stats = dict(operation["stats"])
            dropped = max(1, int(len(stats) * MAX_DROPPED_STATS_SHARE))
            for key in self.rng.sample(sorted(stats), k=self.rng.randint(1, dropped)):
                del stats[key]
            operation = {**operation, "stats": stats}
        return operation
