"""An in-memory Operations API for the tracker's tests: what a page shows, exactly.

The tracker is tested against the Comms API's documented behaviour rather
than the emulator's model of it: each operation is stored as the JSON the API
serves (so a test can serve seed payloads verbatim, a reformatted createdAt,
or stats keys missing), beside the creation time the API filters on, which a
served createdAt need not agree with.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from custom_components.twilio_comms.api import (
    Channel,
    Operation,
    OperationStatus,
    TwilioCommsError,
    TwilioCommsNotFoundError,
    TwilioCommsServerError,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsPageLimitError


@dataclass(slots=True)
class FakeOperationsApi:
    """Serves one channel's operations as listings and fetches, counting requests."""

    page_size: int = 1000
    # id -> JSON as listings serve it; fetches serve `fetched` where it has one.
    listed: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched: dict[str, dict[str, Any]] = field(default_factory=dict)
    # id -> when the API considers the operation created (what filters use).
    created: dict[str, datetime] = field(default_factory=dict)
    requests: int = 0
    # The request number (counted from 1) that fails, if any.
    fail_at: int | None = None
    error: TwilioCommsError = field(
        default_factory=lambda: TwilioCommsServerError("HTTP 503", status=503)
    )

    def put(
        self,
        operation: dict[str, Any],
        created: datetime,
        *,
        fetched: dict[str, Any] | None = None,
    ) -> None:
        """Serve an operation (and, if given, another rendering of it by id)."""
        self.listed[operation["id"]] = operation
        self.created[operation["id"]] = created
        if fetched is None:
            self.fetched.pop(operation["id"], None)
        else:
            self.fetched[operation["id"]] = fetched

    def remove(self, operation_id: str) -> None:
        """Forget an operation, as retention does."""
        self.listed.pop(operation_id, None)
        self.fetched.pop(operation_id, None)
        self.created.pop(operation_id, None)

    def _count(self) -> None:
        """Count a request, failing it if it is the one meant to fail."""
        self.requests += 1
        if self.requests == self.fail_at:
            raise self.error

    async def iter_operations(
        self,
        channel: Channel,
        *,
        page_size: int | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        status: OperationStatus | None = None,
        max_pages: int = 100,
    ) -> AsyncIterator[Operation]:
        """Yield matching operations newest first, a request per page."""
        size = min(page_size or 50, self.page_size)
        matching = sorted(
            (
                (created, op_id)
                for op_id, created in self.created.items()
                if (start_date is None or created >= start_date)
                and (end_date is None or created < end_date)
                and (
                    status is None
                    or OperationStatus.parse(self.listed[op_id].get("status")) == status
                )
            ),
            reverse=True,
        )
        for page in range(max(1, -(-len(matching) // size))):
            if page == max_pages:
                raise TwilioCommsPageLimitError("page cap")
            self._count()
            for _created, op_id in matching[page * size : (page + 1) * size]:
                yield Operation.from_json(self.listed[op_id])

    async def get_operation(self, channel: Channel, operation_id: str) -> Operation:
        """Return one operation, by id."""
        self._count()
        if operation_id not in self.listed:
            raise TwilioCommsNotFoundError("HTTP 404", status=404)
        return Operation.from_json(
            self.fetched.get(operation_id, self.listed[operation_id])
        )
