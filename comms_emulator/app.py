"""The emulator's aiohttp application: its routes, and what stands in front of /v1.

The middleware counts every /v1 request, then authenticates it, checks the
channel's entitlement and injects faults; the control plane passes through.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from .api import CLASSIC_PREFIX, AccountsApi, CommsApi
from .auth import AUTH_CHALLENGE, authenticate
from .config import CHANNELS, SEND_CHANNELS, EmulatorConfig
from .control import Control, control_guard
from .emulator import EMULATOR_KEY, Clock, Emulator
from .inputs import ApiError, Issue
from .streams import EventsApi, events_middleware

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Only requests under this path are the API; the control plane is not.
API_PREFIX: Final = "/v1/"

# Methods that only read, and so may get a garbled answer.
READ_METHODS: Final = frozenset({"GET", "HEAD"})

# The refusal each answering fault gives: status and message.
REFUSALS: Final = {
    "rate_limit": (429, "Too Many Requests"),
    "server_error": (500, "Internal Server Error"),
    "unavailable": (503, "Service Unavailable"),
}


def route_template(request: web.Request) -> str:
    """Return 'METHOD /v1/...' with the route's placeholders, for counting."""
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    return f"{request.method} {canonical}"


def _refusal(emulator: Emulator, fault: str) -> web.Response:
    """Return the answer of a 429, 500 or 503 fault; 429 and 503 say when to retry."""
    status, message = REFUSALS[fault]
    headers = {}
    if fault != "server_error":
        headers["Retry-After"] = emulator.faults.retry_after(emulator.clock())
    return ApiError(status, Issue(message=message), headers=headers).response()


async def _serve(
    emulator: Emulator, request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Serve an authenticated /v1 request as the real API would, faults included."""
    if authenticate(emulator.credentials, request.headers.get("Authorization")) is None:
        return ApiError(
            401, Issue(message="Authenticate"), headers=AUTH_CHALLENGE
        ).response()
    channel = request.match_info.get("channel")
    if channel is not None and channel not in emulator.entitled:
        status = emulator.config.not_entitled_status
        message = (
            f"The account is not entitled to use {channel}"
            if status == 403
            else "The resource was not found."
        )
        return ApiError(status, Issue(message=message)).response()
    read = request.method in READ_METHODS
    fault = emulator.faults.draw_request_fault(read=read)
    if fault in REFUSALS:
        return _refusal(emulator, fault)
    if fault == "slow":
        await asyncio.sleep(emulator.config.faults.slow_seconds)
    try:
        response = await handler(request)
    except ApiError as err:
        return err.response()
    except web.HTTPException as err:
        # Unknown paths and methods answer in the Comms format too.
        return ApiError(err.status, Issue(message=err.reason)).response()
    if (
        fault == "malformed_json"
        and response.status == 200
        and isinstance(response, web.Response)
        and isinstance(response.body, bytes)
    ):
        response.body = emulator.faults.garble(response.body)
    return response


def api_middleware(emulator: Emulator) -> Middleware:
    """Return the middleware that puts the API's behaviour around /v1 handlers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count a /v1 request and serve it; pass anything else through untouched."""
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        emulator.requests.count(
            route_template(request), request.match_info.get("channel")
        )
        response = await _serve(emulator, request, handler)
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            emulator.requests.response_bytes += len(response.body)
        return response

    return middleware


def _now_utc() -> datetime:
    """Return the current time; looked up at each call, so frozen clocks move it."""
    return datetime.now(UTC)


def _alternatives(names: tuple[str, ...]) -> str:
    """Return a route placeholder for {channel} that matches only the given names."""
    return "{channel:" + "|".join(names) + "}"


def create_app(
    config: EmulatorConfig, *, clock: Clock | None = None
) -> web.Application:
    """Return the emulator as an aiohttp application; app[EMULATOR_KEY] is its state."""
    emulator = Emulator(config, clock or _now_utc)
    api = CommsApi(emulator)
    control = Control(emulator)
    app = web.Application(
        middlewares=[
            control_guard,
            events_middleware(
                emulator.streams,
                lambda: emulator.credentials,
                lambda request: emulator.requests.count(route_template(request), None),
            ),
            api_middleware(emulator),
        ]
    )
    app[EMULATOR_KEY] = emulator

    async def emitting(app: web.Application) -> AsyncIterator[None]:
        """Look for transitions and deliver their events while the app runs."""
        emulator.delivery.start(emulator.emit_events)
        yield
        await emulator.delivery.stop()

    app.cleanup_ctx.append(emitting)
    router = app.router
    router.add_get("/_emulator/health", control.health)
    router.add_route("*", "/_emulator/faults", control.faults)
    router.add_route("*", "/_emulator/shapes", control.shapes)
    router.add_get("/_emulator/requests", control.requests)
    router.add_post("/_emulator/requests/reset", control.reset_requests)
    router.add_get("/_emulator/truth", control.truth)
    router.add_route("*", "/_emulator/entitlements", control.entitlements)
    router.add_route("*", "/_emulator/live", control.live)
    router.add_route("*", "/_emulator/credentials", control.credentials)
    router.add_route("*", "/_emulator/streams", control.streams)
    router.add_get("/_emulator/events", control.events)
    router.add_post("/_emulator/events/emit", control.emit_events)
    router.add_post("/_emulator/events/settle", control.settle_events)
    router.add_post("/_emulator/events/reset", control.reset_events)
    router.add_post("/_emulator/inbound", control.inbound)
    channel = _alternatives(CHANNELS)
    # Literal segments first: /v1/Messages/Operations is no resource id.
    router.add_get(f"/v1/{channel}/Operations", api.list_operations)
    router.add_get(f"/v1/{channel}/Operations/{{operation_id}}", api.get_operation)
    router.add_get(
        f"/v1/{channel}/Operations/{{operation_id}}/Errors", api.operation_errors
    )
    router.add_get(f"/v1/{channel}", api.list_resources)
    router.add_get(f"/v1/{channel}/{{resource_id}}", api.get_resource)
    router.add_post(f"/v1/{_alternatives(SEND_CHANNELS)}", api.send)
    # The classic REST API's Accounts resource, which a client asks to verify
    # the Account SID an API key was typed with.
    accounts = AccountsApi(emulator)
    router.add_get(
        f"{CLASSIC_PREFIX}Accounts/{{account_sid}}.json", accounts.fetch_account
    )
    router.add_get(
        f"{CLASSIC_PREFIX}Accounts/{{account_sid}}/Balance.json",
        accounts.fetch_balance,
    )
    router.add_route("*", f"{CLASSIC_PREFIX}{{tail:.*}}", accounts.not_found)
    EventsApi(
        emulator.streams,
        emulator.clock,
        lambda: emulator.config.account_sid,
        emulator.send_test,
    ).add_routes(router)
    return app
