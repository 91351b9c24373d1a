"""Instant updates: Twilio Event Streams posting Comms events to a webhook.

The integration provisions, per entry, a webhook Sink pointing at a Home
Assistant webhook and one Subscription to the Comms event types the account
has (docs/event-streams.md). Every delivery is authenticated before it is
read: Basic auth with credentials random per entry, carried in the Sink's
destination URL, and the Twilio signature where the entry has an Auth Token.
The answer goes out at once; the events are processed after it, through the
same tracker path as polling, so nothing shows or fires twice.
"""

import asyncio
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from functools import partial
import secrets
from typing import Any, Final

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONTENT_TYPE_JSON
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from yarl import URL

from .api import (
    COMMS_EVENT_TYPES,
    Channel,
    CloudEvent,
    MessageEvent,
    OperationStatus,
    RecentIds,
    TwilioCommsClient,
    TwilioCommsError,
    TwilioCommsEventError,
    check_basic_auth,
    check_signature,
    inbound_event_of,
    message_event_of,
    operation_event_of,
    parse_deliveries,
    test_id_of,
)
from .const import DOMAIN, LOGGER
from .coordinator import ChannelCoordinator, TwilioCommsConfigEntry
from .helpers import Failure, failure_of, is_development

STORAGE_VERSION: Final = 1

# A delivery is at most this big (Twilio batches events; a batch of a few
# hundred Comms events is far below) and holds at most this many events.
MAX_BODY_BYTES: Final = 1024 * 1024
MAX_EVENTS: Final = 1000
READ_CHUNK_BYTES: Final = 64 * 1024

# The most of a received message's text an event carries: ten SMS segments;
# what a state attribute holds stays small.
MAX_INBOUND_TEXT: Final = 1600

# How long provisioning waits for the validation test event (docs §12, 4).
TEST_EVENT_TIMEOUT: Final = 10.0

# Content types a delivery may come as (docs/event-streams.md §12, 12).
ACCEPTED_CONTENT_TYPES: Final = frozenset(
    {
        CONTENT_TYPE_JSON,
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
    }
)

SIGNATURE_HEADER: Final = "X-Twilio-Signature"

ISSUE_ID_SUFFIX: Final = "instant_updates"


class InstantUpdatesUnavailableError(Exception):
    """Home Assistant has no address Twilio could deliver events to."""


class InstantUpdatesNotValidatedError(Exception):
    """Twilio's test event did not arrive in time."""


def _cloud_active(hass: HomeAssistant) -> bool:
    """Return whether Home Assistant Cloud can give this instance a cloudhook."""
    if "cloud" not in hass.config.components:
        return False
    # Imported only once Home Assistant Cloud is loaded, which brings what
    # it needs (its camera helpers need a JPEG library).
    from homeassistant.components import cloud  # noqa: PLC0415

    return cloud.async_active_subscription(hass)


def _base_url(hass: HomeAssistant) -> str:
    """Return the https URL Twilio can reach this instance at from the internet.

    In development (the emulator on this machine) it is the loopback URL
    the emulator delivers to. NoURLAvailableError without one.
    """
    development = is_development()
    return get_url(
        hass,
        allow_internal=development,
        allow_external=not development,
        allow_cloud=False,
        require_ssl=not development,
        prefer_external=not development,
    )


def can_receive_events(hass: HomeAssistant) -> bool:
    """Return whether Twilio could deliver events here: a cloudhook or an https URL."""
    if _cloud_active(hass):
        return True
    try:
        _base_url(hass)
    except NoURLAvailableError:
        return False
    return True


def inbound_signal(entry: ConfigEntry) -> str:
    """Return the dispatcher signal of the messages an entry's account receives."""
    return f"{DOMAIN}_{entry.entry_id}_inbound"


def issue_id(entry: ConfigEntry) -> str:
    """Return the repair issue id of an entry's instant updates."""
    return f"{entry.entry_id}_{ISSUE_ID_SUFFIX}"


@dataclass(slots=True, kw_only=True)
class StreamRecord:
    """What is stored of an entry's event stream, to find it again and remove it."""

    webhook_id: str
    username: str
    password: str
    cloudhook: bool = False
    # The destination without its user info: what Twilio calls and signs.
    url: str | None = None
    sink_sid: str | None = None
    subscription_sid: str | None = None

    @classmethod
    def new(cls) -> StreamRecord:
        """Return a record with a fresh webhook id and fresh credentials."""
        return cls(
            webhook_id=webhook.async_generate_id(),
            username=secrets.token_urlsafe(12).replace("-", "").replace("_", ""),
            password=secrets.token_hex(24),
        )

    @classmethod
    def from_json(cls, data: object) -> StreamRecord | None:
        """Return a stored record, or None when there is none to read."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(**data)
        except TypeError:
            return None

    def destination(self, url: str) -> str:
        """Return a Sink's destination: a webhook URL with the credentials."""
        return str(URL(url).with_user(self.username).with_password(self.password))


@dataclass(slots=True)
class DeliveryCounts:
    """What diagnostics tell of the deliveries."""

    received: int = 0
    duplicates: int = 0
    refused: int = 0
    last_event: datetime | None = None


@dataclass(slots=True, kw_only=True)
class InstantUpdates:
    """One entry's event stream: provisioned, kept, received and removed.

    Its webhook is registered once its address is known, so deliveries
    Twilio still holds for us are taken while the rest of Twilio's side is
    checked, in the background.
    """

    hass: HomeAssistant
    entry: TwilioCommsConfigEntry
    client: TwilioCommsClient
    store: Store[dict[str, Any]]
    record: StreamRecord
    auth_token: str | None
    counts: DeliveryCounts = field(default_factory=DeliveryCounts)
    # None until provisioning ends; then whether Twilio's side is in place.
    running: bool | None = None
    _recent: RecentIds = field(default_factory=RecentIds)
    _test_event: asyncio.Future[str] | None = None

    @classmethod
    async def async_load(
        cls,
        hass: HomeAssistant,
        entry: TwilioCommsConfigEntry,
        client: TwilioCommsClient,
        auth_token: str | None,
    ) -> InstantUpdates:
        """Return the entry's event stream as stored (a new one when none is)."""
        store = _store(hass, entry)
        record = StreamRecord.from_json(await store.async_load()) or StreamRecord.new()
        return cls(
            hass=hass,
            entry=entry,
            client=client,
            store=store,
            record=record,
            auth_token=auth_token,
        )

    async def async_start(self) -> None:
        """Make Twilio's side match: our Sink, validated, and its Subscription.

        What Twilio refuses, or a missing address, becomes a repair issue,
        and the channel polls as usual.
        """
        try:
            url = await self._async_webhook_url()
            if url != self.record.url:
                # A destination cannot be changed: a new Sink replaces the old.
                await self._async_delete_remote()
                self.record.url = url
            # Taken from now on: what Twilio still holds for the stored Sink
            # is read while the rest is checked.
            self._async_register(self.record.destination(url))
            await self._async_reconcile(url)
        except (
            TwilioCommsError,
            InstantUpdatesUnavailableError,
            InstantUpdatesNotValidatedError,
        ) as err:
            self.running = False
            self._messages().async_events_stop()
            _create_issue(self.hass, self.entry, err)
        else:
            self.running = True
            # Healthy from here: a quiet account sends no events, and must
            # not poll as if it had no push.
            self._messages().async_events_flow()
            ir.async_delete_issue(self.hass, DOMAIN, issue_id(self.entry))
        finally:
            await self.store.async_save(asdict(self.record))

    @callback
    def _async_register(self, destination: str) -> None:
        """Take deliveries to a destination at its webhook, until the entry unloads."""
        webhook.async_register(
            self.hass,
            DOMAIN,
            f"{self.entry.title} instant updates",
            self.record.webhook_id,
            partial(self._async_handle, destination=destination),
            allowed_methods=["POST"],
        )
        self.entry.async_on_unload(
            partial(webhook.async_unregister, self.hass, self.record.webhook_id)
        )

    async def async_remove(self) -> None:
        """Delete Twilio's side, the cloudhook and the record: instant updates are off."""
        await self._async_delete_remote()
        if self.record.cloudhook and _cloud_active(self.hass):
            from homeassistant.components import cloud  # noqa: PLC0415

            await cloud.async_delete_cloudhook(self.hass, self.record.webhook_id)
        await self.store.async_remove()

    def diagnostics(self) -> dict[str, Any]:
        """Return the push state, without the credentials or the webhook address."""
        return {
            "running": self.running,
            "sink_sid": self.record.sink_sid,
            "subscription_sid": self.record.subscription_sid,
            "webhook": "cloudhook" if self.record.cloudhook else "url",
            "signature_checked": self.auth_token is not None,
            **asdict(self.counts),
        }

    # ------------------------------------------------------------ Twilio side

    async def _async_webhook_url(self) -> str:
        """Return where Twilio delivers: a cloudhook, else the external https URL."""
        self.record.cloudhook = _cloud_active(self.hass)
        if self.record.cloudhook:
            from homeassistant.components import cloud  # noqa: PLC0415

            try:
                return await cloud.async_get_or_create_cloudhook(
                    self.hass, self.record.webhook_id
                )
            except cloud.CloudNotAvailable as err:
                raise InstantUpdatesUnavailableError from err
        try:
            base = _base_url(self.hass)
        except NoURLAvailableError as err:
            raise InstantUpdatesUnavailableError from err
        return f"{base}{webhook.async_generate_path(self.record.webhook_id)}"

    async def _async_reconcile(self, url: str) -> None:
        """Make sure Twilio holds our active Sink to url and its Subscription."""
        record = self.record
        sink = await self.client.get_sink(record.sink_sid) if record.sink_sid else None
        if sink is None:
            record.subscription_sid = None
            sink = await self.client.create_sink(
                f"Home Assistant {self.entry.title}", record.destination(url)
            )
            record.sink_sid = sink.sid
            await self.store.async_save(asdict(record))
        if not sink.active:
            await self._async_validate(sink.sid)
        if record.subscription_sid and record.subscription_sid in {
            subscription.sid
            for subscription in await self.client.list_subscriptions(sink.sid)
        }:
            return
        types = await self._async_available_types()
        subscription = await self.client.create_subscription(
            f"Home Assistant {self.entry.title}", sink.sid, types
        )
        record.subscription_sid = subscription.sid

    async def _async_validate(self, sink_sid: str) -> None:
        """Have Twilio send its test event, and hand its id back (docs §3)."""
        self._test_event = self.hass.loop.create_future()
        try:
            await self.client.test_sink(sink_sid)
            async with asyncio.timeout(TEST_EVENT_TIMEOUT):
                test_id = await self._test_event
        except TimeoutError as err:
            raise InstantUpdatesNotValidatedError from err
        finally:
            self._test_event = None
        # Twilio may answer "valid" whatever the id (docs §3); a sink left
        # inactive is refused its Subscription next.
        await self.client.validate_sink(sink_sid, test_id)

    async def _async_available_types(self) -> list[tuple[str, int]]:
        """Return the Comms event types the account has, each with our schema version."""
        types = []
        for event_type, version in COMMS_EVENT_TYPES.items():
            found = await self.client.get_event_type(event_type)
            if found is not None and found.usable:
                types.append((event_type, version))
        return types

    async def _async_delete_remote(self) -> None:
        """Delete our Subscription, then our Sink; gone already counts as done."""
        record = self.record
        if record.subscription_sid:
            await self.client.delete_subscription(record.subscription_sid)
            record.subscription_sid = None
        if record.sink_sid:
            await self.client.delete_sink(record.sink_sid)
            record.sink_sid = None

    # --------------------------------------------------------------- receiving

    async def _async_handle(
        self,
        hass: HomeAssistant,
        webhook_id: str,
        request: web.Request,
        *,
        destination: str,
    ) -> web.Response:
        """Authenticate and read a delivery to destination, answer at once, process after."""
        if not check_basic_auth(
            request.headers.get("Authorization"),
            self.record.username,
            self.record.password,
        ):
            return self._refuse(web.HTTPUnauthorized.status_code)
        if request.content_type not in ACCEPTED_CONTENT_TYPES:
            return self._refuse(web.HTTPUnsupportedMediaType.status_code)
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return self._refuse(web.HTTPRequestEntityTooLarge.status_code)
        # A body without a length (chunked) is read until the cap at most.
        received = bytearray()
        async for chunk in request.content.iter_chunked(READ_CHUNK_BYTES):
            received += chunk
            if len(received) > MAX_BODY_BYTES:
                return self._refuse(web.HTTPRequestEntityTooLarge.status_code)
        body = bytes(received)
        if self.auth_token is not None and not self._signed(request, body, destination):
            return self._refuse(web.HTTPUnauthorized.status_code)
        try:
            events = parse_deliveries(body, max_events=MAX_EVENTS)
        except TwilioCommsEventError:
            return self._refuse(web.HTTPBadRequest.status_code)
        fresh = [event for event in events if self._fresh(event)]
        if fresh:
            self.entry.async_create_background_task(
                hass, self._async_process(fresh), f"{DOMAIN} events"
            )
        return web.Response(status=web.HTTPOk.status_code)

    def _signed(self, request: web.Request, body: bytes, destination: str) -> bool:
        """Return whether the delivery carries Twilio's signature of its URL and body.

        The destination as stored, user info included: which of its forms
        Twilio signs is not documented, and the check tries both.
        """
        assert self.auth_token is not None
        url = URL(destination).with_query(request.query_string)
        return check_signature(
            self.auth_token, str(url), body, request.headers.get(SIGNATURE_HEADER)
        )

    def _refuse(self, status: int) -> web.Response:
        """Answer a delivery that is not read, counting it.

        Twilio drops what gets a 4xx, so the channel must not wait for it:
        it polls as usual until events flow again.
        """
        self.counts.refused += 1
        self._messages().async_events_stop()
        return web.Response(status=status)

    def _messages(self) -> ChannelCoordinator:
        """Return the Messages channel's coordinator, the one events are for.

        Instant updates run only while Messages is tracked.
        """
        return self.entry.runtime_data.coordinators[Channel.MESSAGES]

    def _fresh(self, event: CloudEvent) -> bool:
        """Return whether an event is new; hand a test event to provisioning."""
        if (test_id := test_id_of(event)) is not None:
            if self._test_event is not None and not self._test_event.done():
                self._test_event.set_result(test_id)
            return False
        if self._recent.seen_before(event.id):
            self.counts.duplicates += 1
            return False
        self.counts.received += 1
        self.counts.last_event = dt_util.utcnow()
        return True

    async def _async_process(self, events: list[CloudEvent]) -> None:
        """Show what the events say: operations read again, messages' statuses."""
        coordinator = self._messages()
        coordinator.async_events_flow()
        stages: dict[str, set[OperationStatus]] = {}
        for event in events:
            if (operation := operation_event_of(event)) is not None:
                stages.setdefault(operation.operation_id, set()).add(operation.status)
        await coordinator.async_read_operations(stages)
        for event in events:
            if (message := message_event_of(event)) is not None:
                self._message_status(message)
            elif (inbound := inbound_event_of(event)) is not None:
                await self._async_received(inbound.message_id)

    def _message_status(self, message: MessageEvent) -> None:
        """Hand a message's status to the recipients' sensors; others' are not ours."""
        self.entry.runtime_data.recipients.async_message_status(
            message.operation_id,
            message.message_id,
            message.to_address,
            message.status,
            message.time,
        )

    async def _async_received(self, message_id: str) -> None:
        """Read a message received (its event names only ids) and announce it."""
        try:
            message = await self.client.get_message(message_id)
        except TwilioCommsError as err:
            LOGGER.warning(
                "Could not read the message %s received (%s)",
                message_id,
                failure_of(err).value,
            )
            return
        if message.text is not None and len(message.text) > MAX_INBOUND_TEXT:
            message = replace(message, text=message.text[:MAX_INBOUND_TEXT])
        async_dispatcher_send(self.hass, inbound_signal(self.entry), message)


def _store(hass: HomeAssistant, entry: ConfigEntry) -> Store[dict[str, Any]]:
    return Store[dict[str, Any]](
        hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.event_stream"
    )


async def async_remove_instant_updates(
    hass: HomeAssistant, entry: ConfigEntry, client: TwilioCommsClient
) -> None:
    """Delete what is left of an entry's event stream, at Twilio and here.

    Run when the option is off at setup and when the entry is removed; what
    fails is logged and tried again at the next setup.
    """
    ir.async_delete_issue(hass, DOMAIN, issue_id(entry))
    store = _store(hass, entry)
    if (record := StreamRecord.from_json(await store.async_load())) is None:
        return
    stream = InstantUpdates(
        hass=hass,
        entry=entry,
        client=client,
        store=store,
        record=record,
        auth_token=None,
    )
    try:
        await stream.async_remove()
    except TwilioCommsError as err:
        LOGGER.warning(
            "Could not delete the event stream of %s at Twilio (%s); trying again "
            "at the next start",
            entry.title,
            failure_of(err),
        )
        await store.async_save(asdict(record))


# The repair issue of each reason instant updates do not run.
ISSUE_KEYS: Final = {
    "no_url": "instant_updates_no_url",
    "not_validated": "instant_updates_not_validated",
    "not_entitled": "instant_updates_not_entitled",
    "refused": "instant_updates_refused",
}


def _create_issue(
    hass: HomeAssistant, entry: TwilioCommsConfigEntry, err: Exception
) -> None:
    """Raise the repair issue saying why instant updates do not run."""
    placeholders = {"title": entry.title}
    if isinstance(err, InstantUpdatesUnavailableError):
        reason = "no_url"
    elif isinstance(err, InstantUpdatesNotValidatedError):
        reason = "not_validated"
    else:
        assert isinstance(err, TwilioCommsError)
        failure = failure_of(err)
        reason = "not_entitled" if failure is Failure.NOT_ENTITLED else "refused"
        placeholders["reason"] = failure.value
        LOGGER.warning(
            "Twilio refused the event stream of %s (%s); polling as usual",
            entry.title,
            failure.value,
        )
    entry_issue = issue_id(entry)
    ir.async_create_issue(
        hass,
        DOMAIN,
        entry_issue,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_KEYS[reason],
        translation_placeholders=placeholders,
    )
