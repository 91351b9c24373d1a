"""The /_emulator control plane: never authenticated, never faulted, never counted."""

from collections.abc import Awaitable, Callable
from datetime import datetime
import functools
from typing import Any, Final

from aiohttp import web

from .config import CHANNELS
from .emulator import Emulator
from .rendering import iso

type ControlHandler = Callable[[Control, web.Request], Awaitable[web.Response]]

# The control plane is unauthenticated, so a web page open in the same
# browser must not reach it: requests a browser marks as coming from a page
# (an Origin, a cross-site Sec-Fetch-Site) are refused, and a state change
# needs a header no page can send without a CORS preflight, which the
# emulator never grants.
CONTROL_HEADER: Final = "X-Comms-Emulator-Control"
CONTROL_PREFIX: Final = "/_emulator/"
_TRUSTED_FETCH_SITES: Final = frozenset({"none", "same-origin"})


@web.middleware
async def control_guard(
    request: web.Request,
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> web.StreamResponse:
    """Refuse control requests from web pages, and state changes without the header."""
    if request.path.startswith(CONTROL_PREFIX):
        site = request.headers.get("Sec-Fetch-Site", "none")
        if "Origin" in request.headers or site not in _TRUSTED_FETCH_SITES:
            return web.json_response(
                {"error": "the control plane refuses requests from web pages"},
                status=403,
            )
        if request.method != "GET" and request.headers.get(CONTROL_HEADER) != "1":
            return web.json_response(
                {"error": f"a change needs the header {CONTROL_HEADER}: 1"},
                status=403,
            )
    return await handler(request)


def _refusing_bad_input(handler: ControlHandler) -> ControlHandler:
    """Answer 400 {"error": …} when a handler finds its input wrong (plain: it is not the API)."""

    @functools.wraps(handler)
    async def wrapper(control: Control, request: web.Request) -> web.Response:
        """Run the handler, refusing bad input."""
        try:
            return await handler(control, request)
        except (TypeError, ValueError) as err:
            return web.json_response({"error": str(err)}, status=400)

    return wrapper


async def _json_object(request: web.Request) -> dict[str, Any]:
    """Return a request's JSON object body (ValueError or TypeError if it is not one)."""
    body = await request.json()
    if not isinstance(body, dict):
        raise TypeError("the body must be a JSON object")
    return body


def _entitlement_changes(body: dict[str, Any]) -> dict[str, bool]:
    """Return {channel: entitled} from a body, checked."""
    for channel, entitled in body.items():
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        if not isinstance(entitled, bool):
            raise TypeError(f"{channel} must map to true or false")
    return body


def _credential_change(body: dict[str, Any]) -> tuple[str, str]:
    """Return (username, new password) from a body, checked."""
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise TypeError("username and password must be strings")
    return username, password


def _received(body: dict[str, Any]) -> tuple[str, str, str, str]:
    """Return (from, to, text, channel) of a message to receive, checked."""
    values = [body.get(name) for name in ("from", "to", "text")]
    texts = [
        value
        for value in (*values, body.get("channel", "SMS"))
        if isinstance(value, str)
    ]
    if len(texts) != len(values) + 1:
        raise TypeError("from, to, text and channel must be strings")
    from_address, to_address, text, channel = texts
    return from_address, to_address, text, channel


def _seconds(value: object) -> float:
    """Return a number of seconds from JSON (TypeError if it is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("interval must be a number of seconds")
    return float(value)


def _since(value: str) -> datetime:
    """Return an ISO date-time with an offset (ValueError otherwise)."""
    since = datetime.fromisoformat(value)
    if since.tzinfo is None:
        raise ValueError("since needs a time zone offset")
    return since


class Control:
    """Handlers of /_emulator/…, each the twin of a Python-level Emulator method."""

    def __init__(self, emulator: Emulator) -> None:
        """Control the given emulator."""
        self.emulator = emulator

    async def health(self, request: web.Request) -> web.Response:
        """GET /_emulator/health: up, and the emulator's current time."""
        return web.json_response({"status": "ok", "now": iso(self.emulator.clock())})

    @_refusing_bad_input
    async def faults(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/faults: read or change fault rates and slow_seconds."""
        if request.method == "POST":
            self.emulator.configure_faults(await _json_object(request))
        return web.json_response(self.emulator.fault_report())

    async def requests(self, request: web.Request) -> web.Response:
        """GET /_emulator/requests: counts in total, by route template and by channel."""
        return web.json_response(self.emulator.request_report())

    async def reset_requests(self, request: web.Request) -> web.Response:
        """POST /_emulator/requests/reset: start counting afresh."""
        self.emulator.reset_requests()
        return web.json_response(self.emulator.request_report())

    @_refusing_bad_input
    async def shapes(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/shapes ({"Messages": {"counter_reading": "split"}})."""
        if request.method == "POST":
            self.emulator.configure_shapes(await _json_object(request))
        return web.json_response(self.emulator.shape_report())

    @_refusing_bad_input
    async def truth(self, request: web.Request) -> web.Response:
        """GET /_emulator/truth?channel=…&since=…: the ground truth of a channel."""
        since = request.query.get("since")
        return web.json_response(
            self.emulator.truth(
                request.query.get("channel", CHANNELS[0]),
                _since(since) if since else None,
            )
        )

    @_refusing_bad_input
    async def entitlements(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/entitlements ({"Emails": false}): switch channels."""
        if request.method == "POST":
            changes = _entitlement_changes(await _json_object(request))
            for channel, entitled in changes.items():
                self.emulator.set_entitled(channel, entitled)
        return web.json_response({"entitled": sorted(self.emulator.entitled)})

    @_refusing_bad_input
    async def credentials(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/credentials ({"username": …, "password": …}).

        A POST rotates a known pair's password, so clients holding the old one
        get 401s (what sends Home Assistant into reauthentication). Passwords
        are never echoed: the answer lists the usernames only.
        """
        if request.method == "POST":
            self.emulator.rotate_credential(
                *_credential_change(await _json_object(request))
            )
        return web.json_response({"usernames": sorted(self.emulator.credentials)})

    @_refusing_bad_input
    async def live(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/live ({"interval": 30}): how often operations appear."""
        if request.method == "POST":
            body = await _json_object(request)
            self.emulator.set_live_interval(_seconds(body.get("interval")))
        return web.json_response({"interval": self.emulator.world.live_interval})

    @_refusing_bad_input
    async def inbound(self, request: web.Request) -> web.Response:
        """POST /_emulator/inbound ({"from", "to", "text", "channel"?}): receive a message."""
        received = _received(await _json_object(request))
        return web.json_response({"id": self.emulator.receive_message(*received)})

    @_refusing_bad_input
    async def streams(self, request: web.Request) -> web.Response:
        """GET or POST /_emulator/streams ({"sink_status": "initialized"}): Event Streams' readings."""
        if request.method == "POST":
            self.emulator.configure_streams(await _json_object(request))
        return web.json_response(self.emulator.streams_report())

    @_refusing_bad_input
    async def events(self, request: web.Request) -> web.Response:
        """GET /_emulator/events?limit=…: events emitted and delivered, and the newest logged."""
        limit = int(request.query.get("limit", "10000"))
        if limit < 0:
            raise ValueError("limit must not be negative")
        return web.json_response(self.emulator.event_report(limit))

    async def emit_events(self, request: web.Request) -> web.Response:
        """POST /_emulator/events/emit: look for transitions now, not at the next tick."""
        return web.json_response({"emitted": self.emulator.emit_events()})

    async def settle_events(self, request: web.Request) -> web.Response:
        """POST /_emulator/events/settle: answer once every delivery so far has ended."""
        await self.emulator.delivery.settle()
        return web.json_response(self.emulator.event_report(0))

    async def reset_events(self, request: web.Request) -> web.Response:
        """POST /_emulator/events/reset: forget the event counts and log."""
        self.emulator.delivery.reset()
        return web.json_response(self.emulator.event_report(0))
