"""How an operation reads in Home Assistant: state attributes and event data."""

from typing import Any, Final

from .api import Operation, failure_rate

# Attributes that change with every poll while an operation runs (its stats,
# its last update and what follows from its stats): history would store them
# again and again, so entities showing an operation keep them out of it.
UNRECORDED_OPERATION_ATTRIBUTES: Final = frozenset(
    {"updated_at", "stats", "failed", "failure_rate"}
)


def operation_attributes(operation: Operation) -> dict[str, Any]:
    """Return an operation's id, timestamps and stats as JSON-safe values.

    The service's own timestamps are used, never the time we noticed.
    """
    return {
        "operation_id": operation.id,
        "status": operation.status.value,
        "created_at": operation.created_at.isoformat()
        if operation.created_at
        else None,
        "updated_at": operation.updated_at.isoformat()
        if operation.updated_at
        else None,
        "stats": operation.stats.as_dict(),
        # None, not 0, when Twilio did not report the counter.
        "failed": operation.stats.failed,
        "failure_rate": failure_rate(operation.stats.as_dict()),
    }
