"""Event Streams' API under /events/v1: Sinks, Subscriptions and Event Types.

What Twilio documents (docs/event-streams.md §1–§5, §11): form-encoded
requests with PascalCase fields, snake_case JSON answers, classic errors
({code, message, more_info, status}) and classic paging ("meta"). Where the
documents disagree, StreamsConfig picks the reading served (§12).
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import json
import random
from typing import Any, Final
import uuid

from aiohttp import web
from aiohttp.typedefs import Middleware
from multidict import MultiDictProxy
from yarl import URL

from .auth import authenticate, classic_error
from .config import StreamsConfig
from .events import COMMS_TYPES, INBOUND_TYPE
from .rendering import iso

# Where the Events API lives on the emulator's host (events.twilio.com/v1).
EVENTS_PREFIX: Final = "/events/v1/"

SINK_TYPES: Final = ("kinesis", "webhook", "segment", "email")
WEBHOOK_METHODS: Final = ("POST", "GET")

# Types of other products the catalogue lists beside the Comms ones (§10).
OTHER_TYPES: Final[dict[str, tuple[str, int]]] = {
    f"com.twilio.messaging.message.{status}": ("Messaging.MessageStatus", 8)
    for status in ("queued", "sent", "delivered", "failed", "undelivered", "read")
}

# Classic paging (§1): PageSize 1–1000, 50 unless asked.
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 1000


class StreamsError(Exception):
    """A request the Events API refuses, in the classic error shape."""

    def __init__(self, status: int, code: int, message: str) -> None:
        """Refuse with an HTTP status, a Twilio error code and a message."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        """Return the refusal as an HTTP response."""
        return classic_error(self.status, self.code, self.message)


def _missing(name: str) -> StreamsError:
    """Return the refusal of a request without a required field."""
    return StreamsError(400, 20001, f"Missing required parameter {name}")


def _not_found(kind: str, sid: str) -> StreamsError:
    """Return the 404 of an unknown sid."""
    return StreamsError(
        404, 20404, f"The requested resource {kind} {sid} was not found"
    )


@dataclass(slots=True, kw_only=True)
class Sink:
    """A sink: where events go, and whether it may receive them."""

    sid: str
    description: str
    sink_type: str
    configuration: dict[str, Any]
    status: str
    created: datetime
    updated: datetime
    # The test id of the last Test, which Validate must name (old reading).
    test_id: str | None = None

    @property
    def destination(self) -> str:
        """Return the webhook's URL, user info included."""
        return str(self.configuration["destination"])

    @property
    def batched(self) -> bool:
        """Return whether deliveries carry an array of events."""
        return bool(self.configuration.get("batch_events"))


@dataclass(slots=True, kw_only=True)
class Subscription:
    """A subscription: which event types go to which sink, at which schema version."""

    sid: str
    description: str
    sink_sid: str
    types: dict[str, int] = field(default_factory=dict)
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class EventType:
    """One entry of the event type catalogue."""

    type: str
    schema_id: str
    version: int
    status: str


class EventStreams:
    """The account's sinks and subscriptions, and the event type catalogue."""

    def __init__(self, config: StreamsConfig, rng: random.Random) -> None:
        """Start without sinks or subscriptions."""
        self.config = config
        self.rng = rng
        self.sinks: dict[str, Sink] = {}
        self.subscriptions: dict[str, Subscription] = {}

    def sid(self, prefix: str) -> str:
        """Return a new SID: two letters and 32 hex digits."""
        return f"{prefix}{self.rng.getrandbits(128):032x}"

    def test_id(self) -> str:
        """Return a new test id: a UUID, as observed (§3)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def catalogue(self) -> dict[str, EventType]:
        """Return the event types the account sees, by name."""
        config = self.config
        types = {**COMMS_TYPES, **OTHER_TYPES}
        if not config.inbound_type:
            del types[INBOUND_TYPE]
        for name in config.discontinued_types:
            types.setdefault(name, (f"Discontinued.{len(types)}", 1))
        return {
            name: EventType(
                name,
                schema_id,
                version,
                "discontinued" if name in config.discontinued_types else "available",
            )
            for name, (schema_id, version) in sorted(types.items())
        }

    def subscribers(self, event_type: str) -> list[Sink]:
        """Return the active sinks subscribed to a type, each once."""
        sinks = {
            subscription.sink_sid
            for subscription in self.subscriptions.values()
            if event_type in subscription.types
        }
        return [
            sink
            for sid in sorted(sinks)
            if (sink := self.sinks.get(sid)) is not None and sink.status == "active"
        ]


def _form_value(form: MultiDictProxy[str | Any], name: str) -> str:
    """Return a required form field (StreamsError 400 if it is absent or empty)."""
    value = form.get(name)
    if not isinstance(value, str) or not value:
        raise _missing(name)
    return value


def _sink_configuration(sink_type: str, raw: str) -> dict[str, Any]:
    """Return a SinkConfiguration, checked as error 91000 describes (§11)."""
    try:
        configuration = json.loads(raw)
    except ValueError as err:
        raise StreamsError(400, 91000, "Sink Configuration is not valid JSON") from err
    if not isinstance(configuration, dict):
        raise StreamsError(400, 91000, "Sink Configuration is not valid JSON")
    if sink_type != "webhook":
        return configuration
    destination = configuration.get("destination")
    if not isinstance(destination, str) or not destination:
        raise StreamsError(400, 91000, "Sink Configuration destination is empty")
    url = URL(destination)
    if url.scheme not in {"http", "https"} or not url.host:
        raise StreamsError(400, 91000, "Sink Configuration destination is not valid")
    if configuration.get("method") not in WEBHOOK_METHODS:
        raise StreamsError(400, 91000, "Sink Configuration method is empty")
    if not isinstance(configuration.get("batch_events"), bool):
        raise StreamsError(400, 91000, "Sink Configuration batch_events is empty")
    return configuration


def _subscribed_types(
    values: list[str], catalogue: Mapping[str, EventType]
) -> dict[str, int]:
    """Return {type: schema version} from the Types fields, one JSON object each (§4)."""
    if not values:
        raise _missing("Types")
    types: dict[str, int] = {}
    for index, value in enumerate(values):
        try:
            item = json.loads(value)
        except ValueError:
            item = None
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            # What a JSON array in one field gets (3P-live).
            raise StreamsError(
                400,
                20001,
                f"Missing required input parameter event_types[{index}].type",
            )
        known = catalogue.get(item["type"])
        if known is None:
            raise StreamsError(400, 91104, "Type not found in system")
        if known.status == "discontinued":
            raise StreamsError(400, 91104, "Type is discontinued")
        version = item.get("schema_version", known.version)
        if isinstance(version, bool) or not isinstance(version, int):
            raise StreamsError(400, 20001, "schema_version must be an integer")
        if not 1 <= version <= known.version:
            raise StreamsError(400, 20001, f"Schema version {version} not found")
        types[known.type] = version
    return types


def _page_number(query: Mapping[str, str], name: str, default: int, high: int) -> int:
    """Return a paging number from the query (StreamsError 400 if out of range)."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not (1 if name == "PageSize" else 0) <= value <= high:
        raise StreamsError(400, 20001, f"{name} is not valid")
    return value


def classic_page(
    request: web.Request, key: str, items: list[dict[str, Any]]
) -> web.Response:
    """Return one page of a listing, with the classic "meta" of its neighbours (§1)."""
    size = _page_number(request.query, "PageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    page = _page_number(request.query, "Page", 0, 1_000_000)
    base = request.url.with_query(
        {
            name: value
            for name, value in request.query.items()
            if name not in {"Page", "PageSize", "PageToken"}
        }
    )

    def url(number: int) -> str:
        """Return the URL of a page of this listing."""
        query = {"PageSize": str(size), "Page": str(number)}
        if number:
            query["PageToken"] = f"PA{number * size}"
        return str(base.update_query(query))

    shown = items[page * size : (page + 1) * size]
    more = len(items) > (page + 1) * size
    return web.json_response(
        {
            key: shown,
            "meta": {
                "page": page,
                "page_size": size,
                "first_page_url": url(0),
                "previous_page_url": url(page - 1) if page else None,
                "next_page_url": url(page + 1) if more else None,
                "url": url(page),
                "key": key,
            },
        }
    )


class EventsApi:
    """Request handlers of the emulated Events API."""

    def __init__(
        self,
        streams: EventStreams,
        clock: Callable[[], datetime],
        account_sid: Callable[[], str],
        test: Callable[[Sink, str], None],
    ) -> None:
        """Serve the given state; test delivers a sink's test event."""
        self.streams = streams
        self.clock = clock
        self.account_sid = account_sid
        self.test = test

    @staticmethod
    def _base(request: web.Request) -> str:
        """Return the Events API's root URL as the client reached it."""
        return f"{request.url.origin()}{EVENTS_PREFIX.rstrip('/')}"

    def _sink(self, request: web.Request) -> Sink:
        """Return the sink a path names (StreamsError 404 if unknown)."""
        sid = request.match_info["sid"]
        sink = self.streams.sinks.get(sid)
        if sink is None:
            raise _not_found("Sink", sid)
        return sink

    def _subscription(self, request: web.Request) -> Subscription:
        """Return the subscription a path names (StreamsError 404 if unknown)."""
        sid = request.match_info["sid"]
        subscription = self.streams.subscriptions.get(sid)
        if subscription is None:
            raise _not_found("Subscription", sid)
        return subscription

    def _sink_json(self, request: web.Request, sink: Sink) -> dict[str, Any]:
        """Return a sink as the API renders it."""
        url = f"{self._base(request)}/Sinks/{sink.sid}"
        return {
            "sid": sink.sid,
            "description": sink.description,
            "sink_type": sink.sink_type,
            "sink_configuration": sink.configuration,
            "status": sink.status,
            "date_created": iso(sink.created),
            "date_updated": iso(sink.updated),
            "url": url,
            "links": {"sink_test": f"{url}/Test", "sink_validate": f"{url}/Validate"},
        }

    def _subscription_json(
        self, request: web.Request, subscription: Subscription
    ) -> dict[str, Any]:
        """Return a subscription as the API renders it."""
        url = f"{self._base(request)}/Subscriptions/{subscription.sid}"
        return {
            "sid": subscription.sid,
            "account_sid": self.account_sid(),
            "sink_sid": subscription.sink_sid,
            "description": subscription.description,
            "date_created": iso(subscription.created),
            "date_updated": iso(subscription.updated),
            "url": url,
            "links": {"subscribed_events": f"{url}/SubscribedEvents"},
        }

    def _type_json(self, request: web.Request, event_type: EventType) -> dict[str, Any]:
        """Return an event type as the API renders it."""
        base = self._base(request)
        return {
            "type": event_type.type,
            "schema_id": event_type.schema_id,
            "status": event_type.status,
            # "message delivered", from com.twilio.comms-api.message.delivered.
            "description": " ".join(event_type.type.split(".")[-2:]),
            "documentation_url": None,
            "date_created": "2024-01-01T00:00:00Z",
            "date_updated": "2024-01-01T00:00:00Z",
            "url": f"{base}/Types/{event_type.type}",
            "links": {"schema": f"{base}/Schemas/{event_type.schema_id}/Versions"},
        }

    async def create_sink(self, request: web.Request) -> web.Response:
        """POST /events/v1/Sinks: 201 (form Description, SinkType, SinkConfiguration)."""
        streams = self.streams
        form = await request.post()
        description = _form_value(form, "Description")
        sink_type = _form_value(form, "SinkType")
        raw = _form_value(form, "SinkConfiguration")
        if sink_type not in SINK_TYPES:
            raise StreamsError(400, 91000, f"Sink Type {sink_type} is not valid")
        configuration = _sink_configuration(sink_type, raw)
        if len(streams.sinks) >= streams.config.max_sinks:
            raise StreamsError(
                400,
                91000,
                f"Maximum number of sinks ({streams.config.max_sinks}) reached",
            )
        now = self.clock()
        sink = Sink(
            sid=streams.sid("DG"),
            description=description,
            sink_type=sink_type,
            configuration=configuration,
            status=streams.config.sink_status,
            created=now,
            updated=now,
        )
        streams.sinks[sink.sid] = sink
        return web.json_response(self._sink_json(request, sink), status=201)

    async def list_sinks(self, request: web.Request) -> web.Response:
        """GET /events/v1/Sinks: filtered by InUse and Status, paged."""
        in_use = request.query.get("InUse")
        status = request.query.get("Status")
        used = {
            subscription.sink_sid
            for subscription in self.streams.subscriptions.values()
        }
        sinks = [
            self._sink_json(request, sink)
            for sink in self.streams.sinks.values()
            if (status is None or sink.status == status)
            and (in_use is None or (sink.sid in used) == (in_use.lower() == "true"))
        ]
        return classic_page(request, "sinks", sinks)

    async def fetch_sink(self, request: web.Request) -> web.Response:
        """GET /events/v1/Sinks/{sid}."""
        return web.json_response(self._sink_json(request, self._sink(request)))

    async def update_sink(self, request: web.Request) -> web.Response:
        """POST /events/v1/Sinks/{sid}: the Description only (§2)."""
        sink = self._sink(request)
        sink.description = _form_value(await request.post(), "Description")
        sink.updated = self.clock()
        return web.json_response(self._sink_json(request, sink))

    async def delete_sink(self, request: web.Request) -> web.Response:
        """DELETE /events/v1/Sinks/{sid}: 204."""
        del self.streams.sinks[self._sink(request).sid]
        return web.Response(status=204)

    async def test_sink(self, request: web.Request) -> web.Response:
        """POST /events/v1/Sinks/{sid}/Test: deliver a test event (§3)."""
        sink = self._sink(request)
        sink.test_id = self.streams.test_id()
        if self.streams.config.validate_reading == "old" and sink.status != "active":
            sink.status = "validating"
            sink.updated = self.clock()
        self.test(sink, sink.test_id)
        return web.json_response(
            {"result": "submitted"}, status=self.streams.config.test_status
        )

    async def validate_sink(self, request: web.Request) -> web.Response:
        """POST /events/v1/Sinks/{sid}/Validate (form TestId): valid, or 400 (old reading)."""
        sink = self._sink(request)
        test_id = _form_value(await request.post(), "TestId")
        right = sink.test_id is not None and test_id == sink.test_id
        if not right and self.streams.config.validate_reading == "old":
            raise StreamsError(400, 20001, "Invalid TestId")
        if right and sink.status != "active":
            sink.status = "active"
            sink.updated = self.clock()
        return web.json_response({"result": "valid"}, status=201)

    async def create_subscription(self, request: web.Request) -> web.Response:
        """POST /events/v1/Subscriptions: 201 (form Description, SinkSid, Types…)."""
        streams, config = self.streams, self.streams.config
        form = await request.post()
        description = _form_value(form, "Description")
        sink_sid = _form_value(form, "SinkSid")
        values = [value for value in form.getall("Types", []) if isinstance(value, str)]
        types = _subscribed_types(values, streams.catalogue())
        sink = streams.sinks.get(sink_sid)
        if sink is None:
            raise StreamsError(400, 91001, "Sink could not be found")
        if config.require_active_sink and sink.status != "active":
            raise StreamsError(
                400, 20001, "Sink must be active for the subscription to be created"
            )
        if config.one_subscription_per_sink and any(
            subscription.sink_sid == sink_sid
            for subscription in streams.subscriptions.values()
        ):
            raise StreamsError(400, 20001, f"Sink with SID {sink_sid} is in use")
        if len(streams.subscriptions) >= config.max_subscriptions:
            raise StreamsError(
                400,
                20001,
                f"Maximum number of subscriptions ({config.max_subscriptions}) reached",
            )
        now = self.clock()
        subscription = Subscription(
            sid=streams.sid("DF"),
            description=description,
            sink_sid=sink_sid,
            types=types,
            created=now,
            updated=now,
        )
        streams.subscriptions[subscription.sid] = subscription
        return web.json_response(
            self._subscription_json(request, subscription), status=201
        )

    async def list_subscriptions(self, request: web.Request) -> web.Response:
        """GET /events/v1/Subscriptions: filtered by SinkSid, paged."""
        sink_sid = request.query.get("SinkSid")
        subscriptions = [
            self._subscription_json(request, subscription)
            for subscription in self.streams.subscriptions.values()
            if sink_sid is None or subscription.sink_sid == sink_sid
        ]
        return classic_page(request, "subscriptions", subscriptions)

    async def fetch_subscription(self, request: web.Request) -> web.Response:
        """GET /events/v1/Subscriptions/{sid}."""
        return web.json_response(
            self._subscription_json(request, self._subscription(request))
        )

    async def update_subscription(self, request: web.Request) -> web.Response:
        """POST /events/v1/Subscriptions/{sid}: the Description only (current OAI)."""
        subscription = self._subscription(request)
        subscription.description = _form_value(await request.post(), "Description")
        subscription.updated = self.clock()
        return web.json_response(self._subscription_json(request, subscription))

    async def delete_subscription(self, request: web.Request) -> web.Response:
        """DELETE /events/v1/Subscriptions/{sid}: 204; the sink stays (§4)."""
        del self.streams.subscriptions[self._subscription(request).sid]
        return web.Response(status=204)

    async def list_subscribed_events(self, request: web.Request) -> web.Response:
        """GET /events/v1/Subscriptions/{sid}/SubscribedEvents: listed under "types"."""
        subscription = self._subscription(request)
        url = f"{self._base(request)}/Subscriptions/{subscription.sid}/SubscribedEvents"
        types = [
            {
                "account_sid": self.account_sid(),
                "subscription_sid": subscription.sid,
                "type": name,
                "schema_version": version,
                "url": f"{url}/{name}",
            }
            for name, version in subscription.types.items()
        ]
        return classic_page(request, "types", types)

    async def list_types(self, request: web.Request) -> web.Response:
        """GET /events/v1/Types: filtered by SchemaId, paged."""
        schema_id = request.query.get("SchemaId")
        types = [
            self._type_json(request, event_type)
            for event_type in self.streams.catalogue().values()
            if schema_id is None or event_type.schema_id == schema_id
        ]
        return classic_page(request, "types", types)

    async def fetch_type(self, request: web.Request) -> web.Response:
        """GET /events/v1/Types/{type}: 404 for a type the catalogue lacks."""
        name = request.match_info["type"]
        event_type = self.streams.catalogue().get(name)
        if event_type is None:
            raise _not_found("Type", name)
        return web.json_response(self._type_json(request, event_type))

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Add the Events API's routes under /events/v1."""
        base = EVENTS_PREFIX.rstrip("/")
        router.add_post(f"{base}/Sinks", self.create_sink)
        router.add_get(f"{base}/Sinks", self.list_sinks)
        router.add_get(f"{base}/Sinks/{{sid}}", self.fetch_sink)
        router.add_post(f"{base}/Sinks/{{sid}}", self.update_sink)
        router.add_delete(f"{base}/Sinks/{{sid}}", self.delete_sink)
        router.add_post(f"{base}/Sinks/{{sid}}/Test", self.test_sink)
        router.add_post(f"{base}/Sinks/{{sid}}/Validate", self.validate_sink)
        router.add_post(f"{base}/Subscriptions", self.create_subscription)
        router.add_get(f"{base}/Subscriptions", self.list_subscriptions)
        router.add_get(f"{base}/Subscriptions/{{sid}}", self.fetch_subscription)
        router.add_post(f"{base}/Subscriptions/{{sid}}", self.update_subscription)
        router.add_delete(f"{base}/Subscriptions/{{sid}}", self.delete_subscription)
        router.add_get(
            f"{base}/Subscriptions/{{sid}}/SubscribedEvents",
            self.list_subscribed_events,
        )
        router.add_get(f"{base}/Types", self.list_types)
        router.add_get(f"{base}/Types/{{type}}", self.fetch_type)
        router.add_route("*", f"{base}/{{tail:.*}}", self.not_found)

    async def not_found(self, request: web.Request) -> web.Response:
        """Answer any other Events path with the classic 404."""
        raise StreamsError(
            404, 20404, f"The requested resource {request.path} was not found"
        )


type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def events_middleware(
    streams: EventStreams,
    credentials: Callable[[], Mapping[str, Any]],
    count: Callable[[web.Request], None],
) -> Middleware:
    """Return the middleware that counts, authenticates and entitles /events/v1 requests."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Serve an Events request as Twilio would; pass anything else through."""
        if not request.path.startswith(EVENTS_PREFIX):
            return await handler(request)
        count(request)
        if authenticate(credentials(), request.headers.get("Authorization")) is None:
            return classic_error(401, 20003, "Authenticate")
        if not streams.config.entitled:
            return classic_error(
                403, 20403, "Event Streams is not available to this account"
            )
        # Every path under the prefix has a route (not_found the last), so
        # refusals are StreamsErrors, never aiohttp's own.
        try:
            return await handler(request)
        except StreamsError as err:
            return err.response()

    return middleware
