"""Fixtures for the API client tests: a scripted Comms server on loopback."""

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Mapping
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any
import zlib

import aiohttp
from aiohttp import web
from multidict import CIMultiDictProxy, MultiMapping
import pytest
from pytest_aiohttp import AiohttpServer

from custom_components.twilio_comms.api import Credentials, TwilioCommsClient

FIXTURES = Path(__file__).parent.parent / "fixtures"

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "auth-token-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
API_KEY_SID = "SK0123456789abcdef0123456789abcdef"
API_KEY_SECRET = "api-key-secret-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"

OPERATION_ID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"

# A request timeout short enough to keep timeout tests fast.
SHORT_TIMEOUT = 0.2


# zlib's window bits for each HTTP Content-Encoding it can write.
ENCODING_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def compression_bomb(size: int, encoding: str = "gzip") -> bytes:
    """Return a compressed body that inflates to a JSON document of about size bytes.

    It is compressed a chunk at a time, so the test never holds size bytes.
    """
    chunk = b" " * 2**20
    compressor = zlib.compressobj(9, zlib.DEFLATED, ENCODING_WBITS[encoding])
    parts = [compressor.compress(b'{"operations": []')]
    parts.extend(compressor.compress(chunk) for _ in range(size // len(chunk)))
    parts.append(compressor.compress(b"}"))
    parts.append(compressor.flush())
    return b"".join(parts)


def load_fixture(name: str) -> Any:
    """Return a JSON fixture, parsed."""
    return json.loads((FIXTURES / name).read_text())


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """One scripted response: JSON (or raw text or bytes), status, headers and delay."""

    status: int = 200
    json: Any = None
    text: str | None = None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Received:
    """What the server received."""

    method: str
    path: str
    raw_path: str
    query: MultiMapping[str]
    headers: CIMultiDictProxy[str]
    body: bytes


@dataclass(slots=True)
class CommsServer:
    """A fake Comms API answering each (method, path) from a script.

    Replies for a route are served in order; the last one repeats, so a
    single reply stands for "always answer this".
    """

    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: dict[tuple[str, str], deque[Reply]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    # Set at teardown so a handler still delaying a reply returns at once.
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, method: str, path: str, *replies: Reply) -> None:
        """Script the replies to a request; path is relative to /v1."""
        self.script[method, f"/v1{path}"].extend(replies)

    def add_rest(self, method: str, path: str, *replies: Reply) -> None:
        """Script the replies to a classic REST API request; path is relative to it."""
        self.script[method, f"/2010-04-01{path}"].extend(replies)

    def add_events(self, method: str, path: str, *replies: Reply) -> None:
        """Script the replies to an Event Streams request; path is relative to it."""
        self.script[method, f"/events/v1{path}"].extend(replies)

    @property
    def rest_base_url(self) -> str:
        """Return where the classic REST API is served, on the same host."""
        return self.base_url.removesuffix("/v1") + "/2010-04-01"

    @property
    def events_base_url(self) -> str:
        """Return where the Event Streams API is served, on the same host."""
        return self.base_url.removesuffix("/v1") + "/events/v1"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Record the request and answer it from the script."""
        self.requests.append(
            Received(
                method=request.method,
                path=request.path,
                raw_path=request.raw_path,
                query=request.query,
                headers=request.headers,
                body=await request.read(),
            )
        )
        replies = self.script.get((request.method, request.path))
        if not replies:
            return web.json_response({"unscripted": request.path}, status=599)
        reply = replies.popleft() if len(replies) > 1 else replies[0]
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), reply.delay)
        if reply.body is not None:
            return web.Response(
                status=reply.status,
                body=reply.body,
                headers=reply.headers,
                content_type=reply.content_type,
            )
        text = reply.text
        if text is None and reply.json is not None:
            text = json.dumps(reply.json)
        return web.Response(
            status=reply.status,
            text=text,
            headers=reply.headers,
            content_type=reply.content_type if text is not None else None,
        )


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """Replace the suite-wide fixture: these tests need no Home Assistant."""


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: Home Assistant's test plugin still limits them to loopback."""


@pytest.fixture
async def comms_server(
    aiohttp_server: AiohttpServer,
) -> AsyncIterator[CommsServer]:
    """Return a scripted Comms API served on loopback."""
    server = CommsServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    test_server = await aiohttp_server(app)
    server.base_url = str(test_server.make_url("/v1"))
    yield server
    server.release.set()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def credentials() -> Credentials:
    """Return Auth Token credentials."""
    return Credentials.from_auth_token(ACCOUNT_SID, AUTH_TOKEN)


@pytest.fixture
def client(
    session: aiohttp.ClientSession,
    comms_server: CommsServer,
    credentials: Credentials,
) -> TwilioCommsClient:
    """Return a client of the scripted server."""
    return TwilioCommsClient(
        session,
        credentials,
        base_url=comms_server.base_url,
        rest_base_url=comms_server.rest_base_url,
        events_base_url=comms_server.events_base_url,
        request_timeout=SHORT_TIMEOUT,
    )
