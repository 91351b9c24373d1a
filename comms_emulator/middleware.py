"""What stands in front of every /v1 handler: counting, auth, entitlement, faults, errors."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from .auth import authenticate
from .emulator import Emulator
from .errors import ApiError, Issue

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Only requests under this path are the API; the control plane is not.
API_PREFIX: Final = "/v1/"

# The realm a 401 challenges for, as Twilio's API does.
AUTH_CHALLENGE: Final = {"WWW-Authenticate": 'Basic realm="Twilio API"'}

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
