"""The emulator's aiohttp application: the Comms API plus a control plane."""

import asyncio
import base64
import binascii
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
import hashlib
import json
import random
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from .config import EmulatorConfig
from .faults import FaultInjector
from .world import (
    CHANNELS,
    FAILURE_CODES,
    RESOURCE_PREFIX,
    STATS_KEYS,
    OperationPlan,
    World,
    make_id,
    operation_state,
)

type Clock = Callable[[], datetime]
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 1000
MAX_RECIPIENTS: Final = 10_000

# The list key of each channel's resources (comms-api.md §7).
RESOURCE_LIST_KEY: Final = {
    "Messages": "messages",
    "PushNotifications": "pushNotifications",
    "Emails": "emails",
}


def _now_utc() -> datetime:
    """Return the current time; looked up at each call, so frozen clocks move it."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    """Return an RFC 3339 UTC timestamp, as the API writes them."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, code: int, message: str) -> web.Response:
    """Return an error in the Comms format (comms-api.md §5)."""
    body = {
        "errors": [
            {
                "code": code,
                "message": message,
                "infoUrl": f"https://www.twilio.com/docs/api/errors/{code}",
                "context": "null",
            }
        ]
    }
    return web.json_response(body, status=status)


class BadRequest(Exception):
    """A request the API would refuse with 400."""


class Emulator:
    """The state behind the app: world, faults, counters, clock."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        """Seed the world relative to the clock's current time."""
        self.config = config
        self.clock = clock
        self.world = World(config, clock())
        self.faults = FaultInjector(config.faults, random.Random(config.fault_seed))
        self.requests: Counter[str] = Counter()
        self.channel_requests: Counter[str] = Counter()
        # Body bytes of /v1 responses, what a client pays in bandwidth.
        self.response_bytes = 0
        self.entitled = set(config.channels)
        self.credentials = {
            config.account_sid: config.auth_token,
            config.api_key_sid: config.api_key_secret,
        }

    def now(self) -> datetime:
        """Return the current time, with the world caught up to it."""
        now = self.clock()
        self.world.advance(now)
        return now

    def operation_json(self, plan: OperationPlan, now: datetime) -> dict[str, Any]:
        """Return an operation as the API renders it."""
        state = operation_state(plan, now)
        return {
            "id": plan.id,
            "status": state.status,
            "stats": state.stats,
            "createdAt": _iso(plan.created_at),
            "updatedAt": _iso(state.updated_at),
        }

    def truth(self, channel: str, since: datetime | None = None) -> dict[str, Any]:
        """Return what the emulator knows: each visible operation and window totals."""
        now = self.now()
        operations = [
            self.operation_json(plan, now)
            for plan in self.world.operations(channel, now, start=since)
        ]
        totals = dict.fromkeys(STATS_KEYS[channel], 0)
        for operation in operations:
            for key, value in operation["stats"].items():
                totals[key] += value
        return {"channel": channel, "operations": operations, "totals": totals}

    def reset_requests(self) -> None:
        """Forget the request counts."""
        self.requests.clear()
        self.channel_requests.clear()
        self.response_bytes = 0


EMULATOR_KEY: Final = web.AppKey("emulator", Emulator)


def _page_token(cursor: tuple[str, str], fingerprint: str) -> str:
    """Return an opaque token for the page after a cursor."""
    raw = json.dumps({"c": cursor, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> tuple[str, str]:
    """Return the cursor in a token made for the same query, or refuse it."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        cursor = data["c"]
        if data["f"] != fingerprint or len(cursor) != 2:
            raise BadRequest("pageToken does not belong to this query")
        return str(cursor[0]), str(cursor[1])
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise BadRequest("pageToken is not valid") from err


def _parse_time(value: str, name: str) -> datetime:
    """Return an RFC 3339 query parameter as an aware datetime."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise BadRequest(f"{name} is not an RFC 3339 date-time") from err
    if moment.tzinfo is None:
        raise BadRequest(f"{name} needs a time zone")
    return moment


def _page_size(request: web.Request) -> int:
    """Return the pageSize query parameter, checked against 1–1000."""
    raw = request.query.get("pageSize", str(DEFAULT_PAGE_SIZE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise BadRequest("pageSize must be an integer from 1 to 1000")
    return int(raw)


def _paginate[T](
    request: web.Request,
    items: list[T],
    cursor_of: Callable[[T], tuple[str, str]],
) -> tuple[list[T], dict[str, str | None]]:
    """Return one page of newest-first items and its pagination block.

    Tokens hold the last item's (createdAt, id) rather than an offset, so new
    operations arriving between two pages shift nothing.
    """
    size = _page_size(request)
    query = sorted(
        (k, v) for k, v in request.query.items() if k not in {"pageToken", "pageSize"}
    )
    fingerprint = hashlib.sha256(f"{request.path}{query}".encode()).hexdigest()[:16]
    start = 0
    if token := request.query.get("pageToken"):
        cursor = _read_token(token, fingerprint)
        start = next(
            (index for index, item in enumerate(items) if cursor_of(item) < cursor),
            len(items),
        )
    page = items[start : start + size]
    more = start + size < len(items)
    pagination: dict[str, str | None] = {
        "next": _page_token(cursor_of(page[-1]), fingerprint)
        if more and page
        else None,
        "self": token or _page_token(("~", "~"), fingerprint),
    }
    return page, pagination


def _plan_cursor(plan: OperationPlan) -> tuple[str, str]:
    """Return an operation's position in newest-first order."""
    return (plan.created_at.isoformat(), plan.id)


class CommsApi:
    """Request handlers of the emulated /v1 API."""

    def __init__(self, emulator: Emulator) -> None:
        """Serve the given emulator's state."""
        self.emulator = emulator

    def _channel(self, request: web.Request) -> str:
        """Return the channel a request addresses."""
        return request.match_info["channel"]

    async def list_operations(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/Operations."""
        emulator = self.emulator
        now = emulator.now()
        channel = self._channel(request)
        start = end = None
        if "startDate" in request.query:
            start = _parse_time(request.query["startDate"], "startDate")
        if "endDate" in request.query:
            end = _parse_time(request.query["endDate"], "endDate")
        if start and end and end <= start:
            raise BadRequest("endDate must be later than startDate")
        plans = emulator.world.operations(channel, now, start, end)
        if status := request.query.get("status"):
            wanted = status.upper()
            plans = [
                plan for plan in plans if operation_state(plan, now).status == wanted
            ]
        page, pagination = _paginate(request, plans, _plan_cursor)
        operations = [
            emulator.faults.distort(emulator.operation_json(plan, now)) for plan in page
        ]
        return web.json_response({"operations": operations, "pagination": pagination})

    def _operation(self, request: web.Request, now: datetime) -> OperationPlan:
        """Return the operation a path names, or raise 404."""
        plan = self.emulator.world.find(
            self._channel(request), request.match_info["operation_id"], now
        )
        if plan is None:
            raise web.HTTPNotFound
        return plan

    async def get_operation(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/Operations/{operation_id}."""
        now = self.emulator.now()
        plan = self._operation(request, now)
        return web.json_response(
            self.emulator.faults.distort(self.emulator.operation_json(plan, now))
        )

    async def operation_errors(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/Operations/{operation_id}/Errors (shape undocumented)."""
        now = self.emulator.now()
        plan = self._operation(request, now)
        code, message = FAILURE_CODES[plan.channel]
        failed = [
            resource
            for resource in self._resources(plan, now)
            if resource["status"] == "FAILED"
        ]
        page, pagination = _paginate(request, failed, lambda r: ("", r["id"]))
        errors = [
            {"code": code, "message": message, "resourceId": r["id"]} for r in page
        ]
        return web.json_response({"errors": errors, "pagination": pagination})

    def _resources(self, plan: OperationPlan, now: datetime) -> list[dict[str, Any]]:
        """Return the resources an operation created, one per recipient."""
        stats = operation_state(plan, now).stats
        counts = {
            "FAILED": stats.get("failed", 0),
            "UNDELIVERED": stats.get("undelivered", 0),
            "READ": plan.read if "read" in stats else 0,
            "DELIVERED": stats.get("delivered", stats.get("sent", 0)),
            "CANCELED": stats.get("canceled", 0),
            "QUEUED": stats.get("queued", 0),
            "SCHEDULED": stats.get("scheduled", 0),
        }
        counts["READ"] = min(counts["READ"], stats.get("read", 0))
        counts["DELIVERED"] -= counts["READ"] + (
            counts["UNDELIVERED"] if "delivered" not in stats else 0
        )
        statuses = [
            status for status, count in counts.items() for _ in range(max(count, 0))
        ]
        rng = random.Random(plan.id)
        resources = []
        for index in range(plan.recipients):
            address = (
                plan.addresses[index]
                if index < len(plan.addresses)
                else f"+1555{index:07d}"
            )
            status = statuses[index] if index < len(statuses) else "UNADDRESSABLE"
            resources.append(
                {
                    "id": make_id(RESOURCE_PREFIX[plan.channel], rng),
                    "to": [self._recipient(plan.channel, address)],
                    "status": status,
                    "related": [
                        {
                            "name": "OPERATION",
                            "id": plan.id,
                            "uri": f"/v1/{plan.channel}/Operations/{plan.id}",
                        }
                    ],
                    "tags": plan.tags,
                    "createdAt": _iso(plan.created_at),
                    "updatedAt": _iso(operation_state(plan, now).updated_at),
                    "deletedAt": None,
                }
            )
        return resources

    @staticmethod
    def _recipient(channel: str, address: str) -> dict[str, str]:
        """Return a resource's recipient in its channel's shape."""
        if channel == "PushNotifications":
            return {"token": f"token-{address[-7:]}", "provider": "FCM"}
        if channel == "Emails":
            return {"address": f"user{address[-7:]}@example.com"}
        return {"address": address, "channel": "PHONE"}

    async def list_resources(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}?operationId=…."""
        now = self.emulator.now()
        channel = self._channel(request)
        if operation_id := request.query.get("operationId"):
            plan = self.emulator.world.find(channel, operation_id, now)
            plans = [plan] if plan else []
        else:
            plans = self.emulator.world.operations(channel, now)[:20]
        resources = [r for plan in plans for r in self._resources(plan, now)]
        page, pagination = _paginate(
            request, resources, lambda r: (r["createdAt"], r["id"])
        )
        return web.json_response(
            {RESOURCE_LIST_KEY[channel]: page, "pagination": pagination}
        )

    async def get_resource(self, request: web.Request) -> web.Response:
        """GET /v1/{channel}/{resource_id}."""
        now = self.emulator.now()
        channel = self._channel(request)
        resource_id = request.match_info["resource_id"]
        if not resource_id.startswith(RESOURCE_PREFIX[channel]):
            raise web.HTTPNotFound
        for plan in self.emulator.world.operations(channel, now):
            for resource in self._resources(plan, now):
                if resource["id"] == resource_id:
                    return web.json_response(resource)
        raise web.HTTPNotFound

    async def send(self, request: web.Request) -> web.Response:
        """POST /v1/Messages or /v1/PushNotifications: 202 with the operation id."""
        emulator = self.emulator
        channel = self._channel(request)
        try:
            body = await request.json()
        except ValueError as err:
            raise BadRequest("The body is not JSON") from err
        if not isinstance(body, dict):
            raise BadRequest("The body must be an object")
        recipients = body.get("to")
        if (
            not isinstance(recipients, list)
            or not 1 <= len(recipients) <= MAX_RECIPIENTS
        ):
            raise BadRequest("to must list 1 to 10,000 recipients")
        if not isinstance(body.get("content"), dict):
            raise BadRequest("content is required")
        send_at = None
        schedule = body.get("schedule")
        if isinstance(schedule, dict) and schedule.get("sendAt"):
            send_at = _parse_time(str(schedule["sendAt"][0]), "sendAt")
        raw_tags = body.get("tags")
        tags = (
            {str(k): str(v) for k, v in raw_tags.items()}
            if isinstance(raw_tags, dict)
            else {}
        )
        addresses = tuple(
            str(r.get("address") or r.get("token") or r.get("userId") or "")
            for r in recipients
            if isinstance(r, dict)
        )
        plan = emulator.world.send(
            channel, emulator.now(), addresses=addresses, send_at=send_at, tags=tags
        )
        location = str(
            request.url.with_path(f"/v1/{channel}/Operations/{plan.id}").with_query(
                None
            )
        )
        mode = emulator.config.operation_id_mode
        headers: dict[str, str] = {}
        if mode in {"headers", "both"}:
            headers = {"operation-id": plan.id, "operation-location": location}
        if mode in {"body", "both"}:
            headers["Location"] = location
            return web.json_response(
                {"operationId": plan.id, "operationLocation": location},
                status=202,
                headers=headers,
            )
        return web.Response(status=202, headers=headers)


def _route_template(request: web.Request) -> str:
    """Return 'METHOD /v1/...' with the route's placeholders, for counting."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    return f"{request.method} {canonical}"


def _middleware(emulator: Emulator) -> Middleware:
    """Return the middleware that counts, authenticates and injects faults."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Serve a /v1 request as the real API would, faults included."""
        if not request.path.startswith("/v1/"):
            return await handler(request)
        channel = request.match_info.get("channel", "")
        emulator.requests[_route_template(request)] += 1
        emulator.requests["total"] += 1
        emulator.channel_requests[channel] += 1
        if not _authorised(emulator, request.headers.get("Authorization", "")):
            return _error(401, 20003, "Authenticate")
        if channel not in emulator.entitled:
            status = emulator.config.not_entitled_status
            return _error(status, 20000 + status, f"The account cannot use {channel}")
        fault = emulator.faults.draw_request_fault()
        now = emulator.clock()
        if fault in {"rate_limit", "unavailable"}:
            status, code, text = (
                (429, 20429, "Too Many Requests")
                if fault == "rate_limit"
                else (503, 20503, "Service Unavailable")
            )
            refusal = _error(status, code, text)
            refusal.headers["Retry-After"] = emulator.faults.retry_after(now)
            return refusal
        if fault == "server_error":
            return _error(500, 20500, "Internal Server Error")
        if fault == "slow":
            await asyncio.sleep(emulator.config.faults.slow_seconds)
        if fault == "malformed_json":
            return web.Response(
                text='{"operations": [{"id": "comms_operation_',
                content_type="application/json",
            )
        try:
            response: web.StreamResponse = await handler(request)
        except BadRequest as err:
            response = _error(400, 20001, str(err))
        except web.HTTPNotFound:
            response = _error(404, 20404, "The resource was not found.")
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            emulator.response_bytes += len(response.body)
        return response

    return middleware


def _authorised(emulator: Emulator, header: str) -> bool:
    """Return whether a Basic Authorization header names a known pair."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except binascii.Error, UnicodeDecodeError:
        return False
    return bool(user) and emulator.credentials.get(user) == password


class Control:
    """The /_emulator control plane: never authenticated, never faulted."""

    def __init__(self, emulator: Emulator) -> None:
        """Control the given emulator."""
        self.emulator = emulator

    async def health(self, request: web.Request) -> web.Response:
        """GET /_emulator/health."""
        return web.json_response({"status": "ok", "now": _iso(self.emulator.clock())})

    async def faults(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/faults: read or change the fault rates."""
        config = self.emulator.config.faults
        if request.method == "POST":
            changes = await request.json()
            for key, value in changes.items():
                if key not in (*config.KINDS, "slow_seconds"):
                    return web.json_response(
                        {"error": f"unknown fault {key}"}, status=400
                    )
                setattr(config, key, float(value))
        return web.json_response(
            {"faults": asdict(config), "counts": dict(self.emulator.faults.counts)}
        )

    async def requests(self, request: web.Request) -> web.Response:
        """GET /_emulator/requests: request counts by route and by channel."""
        return web.json_response(
            {
                "routes": dict(self.emulator.requests),
                "channels": dict(self.emulator.channel_requests),
                "response_bytes": self.emulator.response_bytes,
            }
        )

    async def reset_requests(self, request: web.Request) -> web.Response:
        """POST /_emulator/requests/reset."""
        self.emulator.reset_requests()
        return web.json_response({"status": "reset"})

    async def truth(self, request: web.Request) -> web.Response:
        """GET /_emulator/truth?channel=…&since=…: the ground truth."""
        channel = request.query.get("channel", "Messages")
        if channel not in CHANNELS:
            return web.json_response({"error": "unknown channel"}, status=400)
        since = request.query.get("since")
        return web.json_response(
            self.emulator.truth(channel, _parse_time(since, "since") if since else None)
        )

    async def entitlements(self, request: web.Request) -> web.Response:
        """POST /_emulator/entitlements {"Emails": false}: switch channels."""
        for channel, allowed in (await request.json()).items():
            if channel in CHANNELS:
                (
                    self.emulator.entitled.add
                    if allowed
                    else self.emulator.entitled.discard
                )(channel)
        return web.json_response({"entitled": sorted(self.emulator.entitled)})


def create_app(
    config: EmulatorConfig, *, clock: Clock | None = None
) -> web.Application:
    """Return the emulator as an aiohttp application."""
    emulator = Emulator(config, clock or _now_utc)
    api = CommsApi(emulator)
    control = Control(emulator)
    app = web.Application(middlewares=[_middleware(emulator)])
    app[EMULATOR_KEY] = emulator
    channels = "{channel:" + "|".join(CHANNELS) + "}"
    app.router.add_get("/_emulator/health", control.health)
    app.router.add_route("*", "/_emulator/faults", control.faults)
    app.router.add_get("/_emulator/requests", control.requests)
    app.router.add_post("/_emulator/requests/reset", control.reset_requests)
    app.router.add_get("/_emulator/truth", control.truth)
    app.router.add_post("/_emulator/entitlements", control.entitlements)
    app.router.add_get(f"/v1/{channels}/Operations", api.list_operations)
    app.router.add_get(f"/v1/{channels}/Operations/{{operation_id}}", api.get_operation)
    app.router.add_get(
        f"/v1/{channels}/Operations/{{operation_id}}/Errors", api.operation_errors
    )
    app.router.add_get(f"/v1/{channels}", api.list_resources)
    app.router.add_get(f"/v1/{channels}/{{resource_id}}", api.get_resource)
    app.router.add_post("/v1/{channel:Messages|PushNotifications}", api.send)
    return app
