"""Request handlers of the emulated APIs: Comms /v1 and the classic Accounts resource.

Both authenticate with HTTP Basic against the configured credential pairs
(comms-api.md §1); /v1 is described in comms-api.md §7–§11.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from .auth import authenticate, classic_error
from .config import GUIDE_LIST_KEY, RESOURCE_LIST_KEY, RESOURCE_PREFIX
from .emulator import Emulator
from .inputs import (
    ApiError,
    Cursor,
    PageRequest,
    date_range,
    operation_status,
    parse_send,
    resource_status,
)
from .lifecycle import OperationPlan, OperationState
from .rendering import (
    error_json,
    failed_indices,
    operation_json,
    received_json,
    resource_json,
)
from .world import Position, parse_resource_id

# A page token whose cursor does not fit the listing it was sent to.
BAD_CURSOR: Final = "pageToken is not valid"


def _position(after: Cursor) -> tuple[Position, int]:
    """Return the operation position and recipient index in a listing's cursor."""
    try:
        created, operation_id, *rest = after
        moment = datetime.fromisoformat(str(created))
    except ValueError as err:
        raise ApiError.bad_request(BAD_CURSOR, "pageToken") from err
    index = rest[0] if rest else -1
    if moment.tzinfo is None or not isinstance(index, int):
        raise ApiError.bad_request(BAD_CURSOR, "pageToken")
    return (moment, str(operation_id)), index


def _cursor(plan: OperationPlan, *index: int) -> Cursor:
    """Return the cursor of an operation, or of one of its resources."""
    return [plan.created_at.isoformat(), plan.id, *index]


class CommsApi:
    """Request handlers of the emulated /v1 API."""

    def __init__(self, emulator: Emulator) -> None:
        """Serve the given emulator's state."""
        self.emulator = emulator

    def _find(self, request: web.Request, now: datetime) -> OperationPlan:
        """Return the operation a path names, or raise 404 (unknown or expired)."""
        plan = self.emulator.world.find(
            request.match_info["channel"], request.match_info["operation_id"], now
        )
        if plan is None:
            raise ApiError.not_found()
        return plan

    async def list_operations(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/Operations: newest first, filtered, paginated."""
        emulator = self.emulator
        now = emulator.now()
        start, end = date_range(request.query)
        status = operation_status(request.query)
        page = PageRequest.from_query(request.path, request.query)
        before = _position(page.after)[0] if page.after is not None else None

        def matching() -> Iterator[tuple[Cursor, OperationState]]:
            """Yield the operations the filters keep, after the page's cursor."""
            for plan in emulator.world.newest_first(
                request.match_info["channel"], now, start=start, end=end, before=before
            ):
                state = emulator.state(plan, now)
                if status is None or state.status == status:
                    yield _cursor(plan), state

        states, pagination = page.paginate(matching())
        operations = [
            emulator.faults.distort(operation_json(state)) for state in states
        ]
        return web.json_response({"operations": operations, "pagination": pagination})

    async def get_operation(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/Operations/{operation_id}."""
        now = self.emulator.now()
        state = self.emulator.state(self._find(request, now), now)
        return web.json_response(
            self.emulator.faults.distort(operation_json(state, fetched=True))
        )

    async def operation_errors(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/Operations/{operation_id}/Errors: the failed resources, paged."""
        # The real shape is undocumented (§5): a listing of {code, message,
        # resourceId} under "errors", paged like every other listing.
        now = self.emulator.now()
        state = self.emulator.state(self._find(request, now), now)
        page = PageRequest.from_query(request.path, request.query)
        after = page.after[0] if page.after else -1
        if not isinstance(after, int):
            raise ApiError.bad_request(BAD_CURSOR, "pageToken")
        errors, pagination = page.paginate(
            ([index], error_json(state, index))
            for index in failed_indices(state)
            if index > after
        )
        return web.json_response({"errors": errors, "pagination": pagination})

    def _operations_with_resources(
        self,
        request: web.Request,
        now: datetime,
        after: Cursor | None,
    ) -> Iterator[tuple[OperationPlan, int]]:
        """Yield (operation, first recipient index) whose resources a listing shows next."""
        world = self.emulator.world
        channel = request.match_info["channel"]
        start, end = date_range(request.query)
        position = None
        if after is not None:
            position, index = _position(after)
            # The operation the previous page ended in, unless it expired.
            resumed = world.find(channel, position[1], now)
            if resumed is not None and resumed.created_at == position[0]:
                yield resumed, index + 1
        if operation_id := request.query.get("operationId"):
            # One operation: done once a previous page reached it.
            plan = world.find(channel, operation_id, now, start=start, end=end)
            if plan is not None and position is None:
                yield plan, 0
            return
        for plan in world.newest_first(
            channel, now, start=start, end=end, before=position
        ):
            yield plan, 0

    async def list_resources(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}?operationId=…: one resource per recipient, newest operation first."""
        emulator = self.emulator
        channel = request.match_info["channel"]
        now = emulator.now()
        status = resource_status(request.query)
        page = PageRequest.from_query(request.path, request.query)

        def matching() -> Iterator[tuple[Cursor, dict[str, Any]]]:
            """Yield the resources the filters keep, after the page's cursor."""
            for plan, first in self._operations_with_resources(
                request, now, page.after
            ):
                state = emulator.state(plan, now)
                for index in range(first, plan.recipients):
                    resource = resource_json(state, index)
                    if status is None or resource["status"] == status:
                        yield _cursor(plan, index), resource

        resources, pagination = page.paginate(matching())
        key = RESOURCE_LIST_KEY[channel]
        if emulator.shapes[channel].guide_listing:
            # The Push guide's sample: "notifications", and self as a URL
            # whose pageToken is the token (§7).
            key = GUIDE_LIST_KEY
            pagination["self"] = str(
                request.url.update_query(pageToken=pagination["self"])
            )
        return web.json_response({key: resources, "pagination": pagination})

    async def get_resource(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/{resource_id}: one resource, with content (and attempts)."""
        channel = request.match_info["channel"]
        now = self.emulator.now()
        resource = request.match_info["resource_id"]
        received = self.emulator.world.received.get(resource)
        if channel == "Messages" and received is not None:
            return web.json_response(received_json(received))
        parsed = parse_resource_id(RESOURCE_PREFIX[channel], resource)
        if parsed is None:
            raise ApiError.not_found()
        operation_id, index = parsed
        plan = self.emulator.world.find(channel, operation_id, now)
        if plan is None or index >= plan.recipients:
            raise ApiError.not_found()
        return web.json_response(
            resource_json(self.emulator.state(plan, now), index, detail=True)
        )

    async def send(self, request: web.Request) -> web.Response:
        """POST /v1/{channel}: 202, the operation id where the configured mode puts it."""
        emulator = self.emulator
        channel = request.match_info["channel"]
        try:
            body = await request.json()
        except ValueError as err:
            raise ApiError.bad_request("The body is not JSON") from err
        send = parse_send(channel, body)
        plan = emulator.world.send(
            channel,
            emulator.now(),
            addresses=send.addresses,
            send_at=send.send_at,
            tags=send.tags,
            submitted=send.body,
        )
        location = str(
            request.url.with_path(f"/v1/{channel}/Operations/{plan.id}").with_query(
                None
            )
        )
        mode = emulator.config.operation_id_mode
        headers: dict[str, str] = {}
        if mode in {"headers", "both"}:
            headers |= {
                "operation-id": plan.id,
                "operation-location": location,
                "resource-location": str(
                    request.url.with_path(f"/v1/{channel}").with_query(
                        operationId=plan.id
                    )
                ),
            }
        if mode in {"body", "both"}:
            headers["Location"] = location
            return web.json_response(
                {"operationId": plan.id, "operationLocation": location},
                status=202,
                headers=headers,
            )
        return web.Response(status=202, headers=headers)


# The classic REST API's Accounts resource, as far as a client verifies an Account SID.
#
# Twilio's main REST API (api.twilio.com/2010-04-01) answers an account-scoped
# path only for that account's own credentials; anything else, another
# account's valid key included, gets 401 with error 20003
# (twilio.com/docs/api/errors/20003). Its errors have the classic shape
# {code, message, more_info, status}, not the Comms one (comms-api.md §5).


# Where the classic API lives on the emulator's host, beside /v1.
CLASSIC_PREFIX: Final = "/2010-04-01/"


class AccountsApi:
    """Request handlers of the emulated Accounts resource and its Balance."""

    def __init__(self, emulator: Emulator) -> None:
        """Serve the given emulator's credentials."""
        self.emulator = emulator

    def _owner(self, request: web.Request, *, full_access: bool) -> str | web.Response:
        """Return the account a path names, if the pair reading it may, or the 401."""
        account_sid = request.match_info["account_sid"]
        credential = authenticate(
            self.emulator.credentials, request.headers.get("Authorization")
        )
        # A Standard key may not read the Accounts resource itself, even its
        # own account's (twilio.com/docs/iam/api-keys/keys-in-console).
        if (
            credential is None
            or credential.account_sid != account_sid
            or (full_access and credential.key_type != "main")
        ):
            return classic_error(401, 20003, "Authenticate")
        return account_sid

    async def fetch_account(self, request: web.Request) -> web.Response:
        """GET /2010-04-01/Accounts/{account_sid}.json."""
        account_sid = self._owner(request, full_access=True)
        if isinstance(account_sid, web.Response):
            return account_sid
        body: dict[str, Any] = {
            "sid": account_sid,
            "owner_account_sid": account_sid,
            "friendly_name": "Emulated account",
            "status": "active",
            "type": "Full",
            "uri": f"/2010-04-01/Accounts/{account_sid}.json",
            "subresource_uris": {
                "balance": f"/2010-04-01/Accounts/{account_sid}/Balance.json"
            },
        }
        # Twilio shows the Auth Token to full-access credentials; the
        # emulator knows it only for accounts whose token pair it has.
        if (token := self.emulator.credentials.get(account_sid)) is not None:
            body["auth_token"] = token.password
        return web.json_response(body)

    async def fetch_balance(self, request: web.Request) -> web.Response:
        """GET /2010-04-01/Accounts/{account_sid}/Balance.json."""
        account_sid = self._owner(request, full_access=False)
        if isinstance(account_sid, web.Response):
            return account_sid
        return web.json_response(
            {"account_sid": account_sid, "balance": "20.00", "currency": "USD"}
        )

    async def not_found(self, request: web.Request) -> web.Response:
        """Answer any other classic path with the classic 404."""
        return classic_error(
            404, 20404, f"The requested resource {request.path} was not found"
        )
