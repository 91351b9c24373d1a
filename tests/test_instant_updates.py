"""Tests of Instant updates: Event Streams provisioned, deliveries received, polling kept.

The emulator plays Twilio's Event Streams: it holds the Sink and the
Subscription the integration makes, and posts its CloudEvents to the entry's
webhook, served by Home Assistant's own HTTP app on loopback.
"""

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
import hashlib
import hmac
import itertools
import json
import logging
import os
import sys
from types import ModuleType
from typing import Any
from unittest.mock import patch

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from comms_emulator import Emulator, EmulatorConfig
from comms_emulator.faults import RETRY_AFTER_SECONDS
from comms_emulator.lifecycle import OperationPlan
from custom_components.twilio_comms import instant_updates
from custom_components.twilio_comms.api import OperationStatus
from custom_components.twilio_comms.const import (
    ACTIVE_UPDATE_INTERVAL,
    BASE_URL_ENV,
    CONF_ADDRESS,
    CONF_CHANNELS,
    CONF_INSTANT_UPDATES,
    CONF_SENDER,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
    RECONCILE_UPDATE_INTERVAL,
)
from custom_components.twilio_comms.instant_updates import issue_id

from .common import (
    ACCOUNT_SID,
    ALICE_SUBENTRY,
    API_KEY_DATA,
    AUTH_TOKEN,
    DEFAULT_OPTIONS,
    SECRETS,
    record_events,
    served_webhooks,
)
from .soak import poll
from .test_notify import ALICE, notify, sent_messages

EVENT_ENTITY = "event.messages_operations"
INBOUND_ENTITY = "event.messages_messages_received"
STATUS = "sensor.alice_last_message_status"

OPERATIONS_ROUTE = "GET /v1/{channel}/Operations"
OPERATION_ROUTE = "GET /v1/{channel}/Operations/{operation_id}"
MESSAGE_ROUTE = "GET /v1/{channel}/{resource_id}"

# Alice's number, and the sender she is sent from (the emulated account's
# default one): where she replies.
ALICE_NUMBER = ALICE_SUBENTRY["data"][CONF_ADDRESS]
SENDER = ALICE_SUBENTRY["data"][CONF_SENDER]

OPTIONS = {**DEFAULT_OPTIONS, CONF_CHANNELS: ["messages"], CONF_INSTANT_UPDATES: True}


def authorization(user: str, password: str) -> dict[str, str]:
    """Return the Basic Authorization header of a user and password."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def signed(auth_token: str, url: str, body: bytes) -> tuple[str, str]:
    """Return the URL Twilio calls for a body, and its X-Twilio-Signature.

    Worked out here from docs/event-streams.md §8.2, not with the
    integration's checker: lowercase hex SHA-256 of the body as bodySHA256,
    then Base64 HMAC-SHA1 of the whole URL keyed by the Auth Token.
    """
    called = f"{url}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    digest = hmac.new(auth_token.encode(), called.encode(), hashlib.sha1).digest()
    return called, base64.b64encode(digest).decode()


@pytest.fixture
def emulator_config(emulator_config: EmulatorConfig) -> EmulatorConfig:
    """Deliver every message and never read one; no background looks for events."""
    return replace(
        emulator_config,
        failure_rate=0,
        undelivered_rate=0,
        read_rate=0,
        streams=replace(
            emulator_config.streams, tick_seconds=3600, retry_initial_seconds=0.01
        ),
    )


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """Return the entry's credentials: an Auth Token, which signs deliveries."""
    return {}


@pytest.fixture
def mock_config_entry(
    mock_config_entry: MockConfigEntry, entry_data: dict[str, Any]
) -> MockConfigEntry:
    """Return the emulated account with Alice, Messages tracked, Instant updates on."""
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        entry_id=mock_config_entry.entry_id,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=entry_data or dict(mock_config_entry.data),
        options=dict(OPTIONS),
        subentries_data=[ALICE_SUBENTRY],
    )


@pytest.fixture
async def webhook_base(hass: HomeAssistant, socket_enabled: None) -> AsyncIterator[str]:
    """Serve Home Assistant's webhooks on loopback, at its internal URL."""
    async with served_webhooks(hass) as base:
        yield base


@pytest.fixture
async def setup_entry(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """Set up the entry with Instant updates on, and let provisioning end."""
    await set_up(hass, mock_config_entry)
    return mock_config_entry


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """Return a session that posts to the webhook as anyone could."""
    async with ClientSession() as client_session:
        yield client_session


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up an entry and let its background work (provisioning) end."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def repair(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    """Return the translation key of the entry's Instant updates repair, if raised."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id(entry))
    return None if issue is None else issue.translation_key


async def deliver(hass: HomeAssistant, emulator: Emulator) -> int:
    """Have the emulator emit what changed and deliver it; return how many events."""
    emitted = emulator.emit_events()
    await emulator.delivery.settle()
    await hass.async_block_till_done(wait_background_tasks=True)
    return emitted


async def text_alice(hass: HomeAssistant, emulator: Emulator) -> OperationPlan:
    """Text Alice as an automation would, let the send end; return its operation."""
    await notify(hass, ALICE, message="Hi")
    await hass.async_block_till_done(wait_background_tasks=True)
    (plan,) = sent_messages(emulator)
    return plan


def destination(emulator: Emulator) -> URL:
    """Return the one Sink's destination, credentials included."""
    (sink,) = emulator.streams.sinks.values()
    return URL(sink.destination)


async def post(
    session: ClientSession,
    url: URL,
    body: bytes,
    *,
    auth_token: str | None = AUTH_TOKEN,
    content_type: str = "application/json",
    basic: tuple[str, str] | None = None,
    signature: str | None = None,
) -> int:
    """Post a delivery to the webhook as Twilio would, or as a forger; return the status."""
    plain = url.with_user(None).with_password(None)
    called, computed = signed(auth_token or "", str(plain), body)
    user, password = basic or (url.user or "", url.password or "")
    headers = {
        "Content-Type": content_type,
        **authorization(user, password),
        "X-Twilio-Signature": signature if signature is not None else computed,
    }
    async with session.post(called, data=body, headers=headers) as response:
        return response.status


# Event ids of the operation events below, never the same twice.
EVENT_NUMBERS = itertools.count(1)


async def post_stages(
    session: ClientSession, emulator: Emulator, operation_id: str, *stages: str
) -> None:
    """Post an operation's stages as Twilio would, a delivery each, in that order."""
    url = destination(emulator)
    for stage in stages:
        body = operation_events(operation_id, stage=stage)
        assert await post(session, url, body) == 200
        # Let the webhook's processing start, as it would between deliveries.
        await asyncio.sleep(0)


def operation_events(*operation_ids: str, stage: str = "processing") -> bytes:
    """Return a batch of Comms operation events, as Twilio's webhook body."""
    return json.dumps(
        [
            {
                "specversion": "1.0",
                "type": f"com.twilio.comms-api.operation.{stage}",
                "source": "/v1/Messages/Operations",
                "id": f"EZ{next(EVENT_NUMBERS):032x}",
                "time": "2026-11-23T12:00:01.000Z",
                "datacontenttype": "application/json",
                "data": {"operation_id": operation_id},
            }
            for operation_id in operation_ids
        ]
    ).encode()


# ------------------------------------------------------------- provisioning


async def test_provisioning(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    webhook_base: str,
    hass_client: ClientSessionGenerator,
) -> None:
    """Turning it on makes one active webhook Sink and one Subscription to Comms' types."""
    (sink,) = emulator.streams.sinks.values()
    assert sink.status == "active"
    url = URL(sink.destination)
    assert str(url.with_user(None).with_password(None)).startswith(
        f"{webhook_base}/api/webhook/"
    )
    # Random credentials of the entry's own, not the account's.
    assert url.user
    assert url.password
    assert len(url.password) >= 32
    assert url.password not in SECRETS
    (subscription,) = emulator.streams.subscriptions.values()
    assert subscription.sink_sid == sink.sid
    assert set(subscription.types) >= {
        "com.twilio.comms-api.operation.processing",
        "com.twilio.comms-api.operation.completed",
        "com.twilio.comms-api.message.delivered",
        "com.twilio.comms-api.message.inbound-received",
    }
    assert repair(hass, setup_entry) is None
    # Push is healthy before any event: Messages polls only to reconcile.
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    assert coordinator.events_flowing
    assert coordinator.update_interval == RECONCILE_UPDATE_INTERVAL
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    push = diagnostics["instant_updates"]
    assert push["running"] is True
    assert push["sink_sid"] == sink.sid
    assert push["subscription_sid"] == subscription.sid
    assert push["signature_checked"] is True
    text = json.dumps(diagnostics)
    assert url.password not in text
    assert str(url.with_user(None).with_password(None)) not in text
    for secret in SECRETS:
        assert secret not in text


async def test_provisioning_validates_an_initialized_sink(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Where a sink starts initialized (the old reading), its test event validates it."""
    emulator.configure_streams(
        {"sink_status": "initialized", "validate_reading": "old"}
    )
    await set_up(hass, mock_config_entry)
    (sink,) = emulator.streams.sinks.values()
    assert sink.status == "active"
    assert len(emulator.streams.subscriptions) == 1
    assert emulator.requests["POST /events/v1/Sinks/{sid}/Test"] == 1
    assert emulator.requests["POST /events/v1/Sinks/{sid}/Validate"] == 1


async def test_setup_recreates_what_is_gone(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Emulator
) -> None:
    """Each setup checks Twilio's side: a lost Subscription, or Sink, is made again."""
    (subscription_sid,) = emulator.streams.subscriptions
    del emulator.streams.subscriptions[subscription_sid]
    await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (sink_sid,) = emulator.streams.sinks
    (subscription,) = emulator.streams.subscriptions.values()
    assert subscription.sink_sid == sink_sid

    emulator.streams.subscriptions.clear()
    emulator.streams.sinks.clear()
    await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (new_sink,) = emulator.streams.sinks.values()
    assert new_sink.sid != sink_sid
    (subscription,) = emulator.streams.subscriptions.values()
    assert subscription.sink_sid == new_sink.sid

    # All in place: a reload only checks.
    emulator.requests.reset()
    await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests["POST /events/v1/Sinks"] == 0
    assert emulator.requests["POST /events/v1/Subscriptions"] == 0


async def test_option_off_deletes_twilios_side(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Emulator
) -> None:
    """Turning the option off deletes the Subscription and the Sink, and polls as usual."""
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**OPTIONS, CONF_INSTANT_UPDATES: False}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert setup_entry.state is ConfigEntryState.LOADED
    assert emulator.streams.sinks == {}
    assert emulator.streams.subscriptions == {}
    # Nothing received to show any more: the entity goes.
    assert hass.states.get(INBOUND_ENTITY) is None
    assert er.async_get(hass).async_get(INBOUND_ENTITY) is None
    assert setup_entry.runtime_data.instant_updates is None


async def test_removing_the_entry_deletes_twilios_side(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Emulator
) -> None:
    """Deleting the entry deletes its Subscription and Sink at Twilio."""
    assert await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.streams.sinks == {}
    assert emulator.streams.subscriptions == {}


async def test_refused_by_twilio_is_a_repair_and_polling_goes_on(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An account without Event Streams gets a repair issue; the entry polls as usual."""
    emulator.configure_streams({"entitled": False})
    await set_up(hass, mock_config_entry)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert repair(hass, mock_config_entry) == "instant_updates_not_entitled"
    coordinator = mock_config_entry.runtime_data.coordinators["messages"]
    assert not coordinator.events_flowing
    assert coordinator.update_interval != RECONCILE_UPDATE_INTERVAL
    assert "Twilio refused the event stream" in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text

    # Twilio allows it later: the next setup provisions and clears the repair.
    emulator.configure_streams({"entitled": True})
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(emulator.streams.sinks) == 1
    assert repair(hass, mock_config_entry) is None


async def test_without_an_address_the_option_says_why(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """No Home Assistant Cloud and no external https URL: the option cannot be turned on."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], OPTIONS
    )
    assert result["errors"] == {CONF_INSTANT_UPDATES: "instant_updates_no_url"}


# ---------------------------------------------------------------- receiving


async def test_operation_events_update_entities_once(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A send's stages arrive as events: one GET each, the event entity fires once each."""
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    fired = record_events(hass, EVENT_ENTITY)
    emulator.requests.reset()
    plan = await text_alice(hass, emulator)
    # The send is all: its events will show it, so no poll follows it, and
    # message events, not listings, feed Alice's status.
    assert emulator.requests["total"] == 1
    emulator.requests.reset()
    freezer.tick(timedelta(seconds=2))
    assert await deliver(hass, emulator) > 0
    freezer.tick(timedelta(minutes=10))
    assert await deliver(hass, emulator) > 0
    assert coordinator.events_flowing
    assert coordinator.update_interval == RECONCILE_UPDATE_INTERVAL
    # One GET per operation an event names, at most: the seeded account's
    # own operations in flight move too.
    emitted = emulator.event_report()["emitted_by_type"]
    operation_events = sum(
        count for kind, count in emitted.items() if ".operation." in kind
    )
    assert 1 <= emulator.requests[OPERATION_ROUTE] <= operation_events
    mine = [kind for kind, operation_id in fired if operation_id == plan.id]
    assert mine[-1] == "operation_completed"
    assert len(set(mine)) == len(mine)
    assert hass.states.get(STATUS).state == "delivered"  # type: ignore[union-attr]

    # The reconcile poll sees the same transitions: nothing fires again.
    before = len(fired)
    await poll(hass, freezer, RECONCILE_UPDATE_INTERVAL)
    assert len(fired) == before
    assert coordinator.events_flowing


async def test_stages_already_shown_cost_no_read(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A late, reordered or re-sent stage of an operation shown further on is not read."""
    plan = await text_alice(hass, emulator)
    freezer.tick(timedelta(minutes=10))
    await deliver(hass, emulator)
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    assert coordinator.data.operations[plan.id].status is OperationStatus.COMPLETED
    fired = record_events(hass, EVENT_ENTITY)
    emulator.requests.reset()
    await post_stages(
        session, emulator, plan.id, "processing", "scheduled", "completed"
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests["total"] == 0
    assert fired == []
    # A stage this version does not know may mean anything: it is read.
    body = operation_events(plan.id, stage="archived")
    assert await post(session, destination(emulator), body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 1


async def test_stages_of_one_operation_arriving_together_make_one_read(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Deliveries of one send's stages, all at once: one read shows them, one event fires."""
    fired = record_events(hass, EVENT_ENTITY)
    plan = await text_alice(hass, emulator)
    # Completed at Twilio, its events held back until now.
    freezer.tick(timedelta(minutes=10))
    emulator.requests.reset()
    url = destination(emulator)
    statuses = await asyncio.gather(
        *(
            post(session, url, operation_events(plan.id, stage=stage))
            for stage in ("completed", "scheduled", "processing", "completed")
        )
    )
    assert statuses == [200] * 4
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 1
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    assert coordinator.data.operations[plan.id].status is OperationStatus.COMPLETED
    assert [kind for kind, operation_id in fired if operation_id == plan.id] == [
        "operation_completed"
    ]


async def test_a_read_waiting_for_a_poll_reads_for_every_stage_it_waits_for(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Stages arriving during a poll wait for it; what the poll did not show is read."""
    plan = await text_alice(hass, emulator)
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    emulator.requests.reset()
    # A poll in progress, played here by holding the lock polls take.
    async with coordinator._tracker_lock:  # noqa: SLF001
        await post_stages(session, emulator, plan.id, "scheduled", "completed")
        # The poll finds the send scheduled, as it was when the poll began.
        await coordinator.tracker.async_read(plan.id, dt_util.utcnow())
        freezer.tick(timedelta(minutes=10))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 2
    assert coordinator.data.operations[plan.id].status is OperationStatus.COMPLETED


async def test_stages_a_failed_read_was_for_are_polled_for_soon(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A read for events that fails, stages joined to it too, is made good at the active pace."""
    fired = record_events(hass, EVENT_ENTITY)
    plan = await text_alice(hass, emulator)
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    await deliver(hass, emulator)
    freezer.tick(timedelta(minutes=10))
    emulator.configure_faults({"server_error": 1.0})
    async with coordinator._tracker_lock:  # noqa: SLF001
        await post_stages(session, emulator, plan.id, "processing", "completed")
    await hass.async_block_till_done(wait_background_tasks=True)
    emulator.configure_faults({"server_error": 0.0})
    assert coordinator.data.operations[plan.id].status is not OperationStatus.COMPLETED
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    assert coordinator.data.operations[plan.id].status is OperationStatus.COMPLETED
    mine = [kind for kind, operation_id in fired if operation_id == plan.id]
    assert mine.count("operation_completed") == 1


@pytest.mark.usefixtures("setup_entry")
@pytest.mark.parametrize("fault", ["server_error", "rate_limit"])
async def test_failed_reads_bring_one_poll_forward_unless_twilio_asks_to_wait(
    hass: HomeAssistant,
    emulator: Emulator,
    session: ClientSession,
    freezer: FrozenDateTimeFactory,
    fault: str,
) -> None:
    """Reads failing every 15 s: the poll the first asked for still comes 20 s after it.

    A 429 asks for a slower pace: the reconcile poll stands.
    """
    plan = await text_alice(hass, emulator)
    await deliver(hass, emulator)
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    coordinator = entry.runtime_data.coordinators["messages"]
    polled = fault != "rate_limit"
    emulator.configure_faults({fault: 1.0})
    emulator.requests.reset()
    for stage in ("processing", "completed"):
        await post_stages(session, emulator, plan.id, stage)
        await hass.async_block_till_done(wait_background_tasks=True)
        await poll(hass, freezer, timedelta(seconds=15))
    assert emulator.requests[OPERATION_ROUTE] == 2
    assert (emulator.requests[OPERATIONS_ROUTE] >= 1) is polled
    assert (coordinator.update_interval == RECONCILE_UPDATE_INTERVAL) is not polled


async def test_a_read_during_a_polls_listing_is_not_undone_by_it(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An event arriving while a poll lists Alice's messages is read after that poll ends."""
    plan = await text_alice(hass, emulator)
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    recipients = setup_entry.runtime_data.recipients
    listing, listed = asyncio.Event(), asyncio.Event()
    list_messages = recipients.async_refresh

    async def slow_listing(*args: Any) -> None:
        listing.set()
        await listed.wait()
        await list_messages(*args)

    # Polls list messages only while no events flow.
    coordinator.async_events_stop()
    with patch.object(recipients, "async_refresh", slow_listing):
        polling = hass.async_create_task(coordinator.async_refresh())
        await listing.wait()
        freezer.tick(timedelta(minutes=10))
        emulator.requests.reset()
        body = operation_events(plan.id, stage="completed")
        assert await post(session, destination(emulator), body) == 200
        # Time enough for a read on loopback, were it not waiting for the poll.
        for _ in range(500):
            await asyncio.sleep(0)
        assert emulator.requests[OPERATION_ROUTE] == 0
        listed.set()
        await polling
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 1
    assert coordinator.data.operations[plan.id].status is OperationStatus.COMPLETED


async def test_refused_requests_change_nothing(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    hass_client: ClientSessionGenerator,
) -> None:
    """No auth, wrong auth, a bad signature, a wrong type, an oversized body: refused."""
    url = destination(emulator)
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    # One in flight: its completion is news, worth a read.
    operation_id = next(
        operation.id
        for operation in coordinator.data.operations.values()
        if not operation.status.is_terminal
    )
    body = operation_events(operation_id, stage="completed")
    emulator.requests.reset()
    assert await post(session, url, body, basic=("", "")) == 401
    assert await post(session, url, body, basic=(url.user or "", "wrong")) == 401
    assert await post(session, url, body, signature="AAAA") == 401
    assert await post(session, url, body, auth_token="not-the-token") == 401
    assert await post(session, url, body, content_type="text/plain") == 415
    assert await post(session, url, b"[" + b" " * 2_000_000 + b"]") == 413
    assert await post(session, url, b"not json") == 400
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests["total"] == 0
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    push = diagnostics["instant_updates"]
    assert push["refused"] == 7
    assert push["received"] == 0
    assert not coordinator.events_flowing

    # The genuine delivery is read; replayed, it changes nothing more.
    assert await post(session, url, body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 1
    assert await post(session, url, body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 1
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    assert diagnostics["instant_updates"]["received"] == 1
    assert diagnostics["instant_updates"]["duplicates"] == 1
    assert diagnostics["instant_updates"]["last_event"] is not None


@pytest.mark.usefixtures("setup_entry")
@pytest.mark.parametrize("signed_url", ["plain", "userinfo", "port"])
@pytest.mark.parametrize("content_type", ["json", "cloudevents"])
async def test_every_delivery_reading_is_read(
    hass: HomeAssistant,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    signed_url: str,
    content_type: str,
) -> None:
    """Whichever URL Twilio signs and whichever JSON type it posts, events are read."""
    emulator.configure_streams(
        {"signed_url": signed_url, "content_type": content_type, "data_as_string": True}
    )
    await notify(hass, ALICE, message="Hi")
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(minutes=10))
    assert await deliver(hass, emulator) > 0
    report = emulator.event_report()
    assert report["deliveries"]["dropped"] == 0
    assert hass.states.get(STATUS).state == "delivered"  # type: ignore[union-attr]


@pytest.mark.parametrize("entry_data", [API_KEY_DATA])
async def test_api_key_entries_rely_on_basic_auth(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    hass_client: ClientSessionGenerator,
) -> None:
    """An API key cannot check Twilio's signature: Basic auth alone lets a delivery in."""
    url = destination(emulator)
    plan = emulator.world.channels["Messages"].plans[0]
    body = operation_events(plan.id)
    assert await post(session, url, body, basic=(url.user or "", "wrong")) == 401
    assert await post(session, url, body, signature="") == 200
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    assert diagnostics["instant_updates"]["signature_checked"] is False


async def test_duplicated_reordered_and_dropped_deliveries(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Under 30 % duplicated, reordered and dropped events, states end right, announced once."""
    emulator.configure_streams({"duplicate": 0.3, "reorder": 0.3, "drop": 0.3})
    fired = record_events(hass, EVENT_ENTITY)
    for text in ("one", "two", "three", "four"):
        await notify(hass, ALICE, message=text)
    await hass.async_block_till_done(wait_background_tasks=True)
    for _ in range(6):
        freezer.tick(timedelta(minutes=2))
        await deliver(hass, emulator)
    # Drops are what the reconcile poll is for.
    await poll(hass, freezer, RECONCILE_UPDATE_INTERVAL)
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    shown = coordinator.data.operations
    for plan in sent_messages(emulator):
        assert shown[plan.id].status is OperationStatus.COMPLETED
        kinds = [kind for kind, operation_id in fired if operation_id == plan.id]
        assert len(kinds) == len(set(kinds))
        assert kinds[-1] == "operation_completed"


async def test_a_poll_finding_what_no_event_brought_polls_as_usual(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Events stop arriving: the reconcile poll logs it once and the channel polls again."""
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    await notify(hass, ALICE, message="Hi")
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(seconds=2))
    await deliver(hass, emulator)
    assert coordinator.events_flowing
    emulator.configure_streams({"drop": 1.0})
    await notify(hass, ALICE, message="Again")
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(minutes=10))
    await deliver(hass, emulator)
    with caplog.at_level(logging.WARNING):
        await poll(hass, freezer, RECONCILE_UPDATE_INTERVAL)
    assert caplog.text.count("a poll found a change no event brought") == 1
    assert not coordinator.events_flowing
    assert coordinator.update_interval != RECONCILE_UPDATE_INTERVAL


@pytest.mark.parametrize("fault", ["server_error", "rate_limit", "unavailable"])
async def test_a_failed_reconcile_poll_is_tried_again_at_the_active_pace(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    fault: str,
) -> None:
    """While events flow, a failed reconcile poll is tried again in 20 s, or when Twilio asks.

    Not at the reconcile pace: the entities are unavailable until then.
    """
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    await text_alice(hass, emulator)
    freezer.tick(timedelta(minutes=10))
    await deliver(hass, emulator)
    assert coordinator.events_flowing
    emulator.configure_faults({fault: 1.0})
    await poll(hass, freezer, RECONCILE_UPDATE_INTERVAL)
    assert hass.states.get(EVENT_ENTITY).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    emulator.configure_faults({fault: 0.0})
    # A 429 or 503 asks for up to RETRY_AFTER_SECONDS[1].
    await poll(hass, freezer, timedelta(seconds=RETRY_AFTER_SECONDS[1]))
    assert hass.states.get(EVENT_ENTITY).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert coordinator.events_flowing
    assert coordinator.update_interval == RECONCILE_UPDATE_INTERVAL


async def test_while_events_flow_sends_are_not_polled(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """From the first event on, sends' stages come as events: no listing, nothing missed.

    The polls a send scheduled before are put off to the reconcile interval,
    and a poll at a later send would find its operation before its first
    event and take that for a missed one.
    """
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    await notify(hass, ALICE, message="Hi")
    await hass.async_block_till_done(wait_background_tasks=True)
    freezer.tick(timedelta(seconds=2))
    await deliver(hass, emulator)
    assert coordinator.events_flowing
    emulator.requests.reset()
    with caplog.at_level(logging.WARNING):
        freezer.tick(timedelta(minutes=2))
        await deliver(hass, emulator)
        await notify(hass, ALICE, message="Again")
        await hass.async_block_till_done(wait_background_tasks=True)
        for wait in (timedelta(seconds=2), timedelta(minutes=2)):
            freezer.tick(wait)
            await deliver(hass, emulator)
    assert hass.states.get(STATUS).state == "delivered"  # type: ignore[union-attr]
    assert emulator.requests[OPERATIONS_ROUTE] == 0
    assert emulator.requests[OPERATION_ROUTE] > 0
    assert "no event brought" not in caplog.text
    assert coordinator.events_flowing


async def received(hass: HomeAssistant, emulator: Emulator, text: str) -> str:
    """Have the emulator receive a message from Alice and deliver its event; return its id."""
    message_id = emulator.receive_message(ALICE_NUMBER, SENDER, text)
    await emulator.delivery.settle()
    await hass.async_block_till_done(wait_background_tasks=True)
    return message_id


@pytest.mark.usefixtures("setup_entry")
async def test_message_received_fires_the_inbound_event(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Each message received fires the entity once with its sender, text and recipient.

    The event names the message only: one read by id gives the rest, and a
    delivery Twilio repeats is read and announced once.
    """
    emulator.configure_streams({"duplicate": 1.0})
    fired = record_events(hass, INBOUND_ENTITY, "message")
    emulator.requests.reset()
    first = await received(hass, emulator, "Are you home?")
    second = await received(hass, emulator, "On my way")
    assert fired == [
        ("message_received", "Are you home?"),
        ("message_received", "On my way"),
    ]
    state = hass.states.get(INBOUND_ENTITY)
    assert state is not None
    assert state.attributes["from"] == ALICE_NUMBER
    assert state.attributes["to"] == SENDER
    assert state.attributes["message_id"] == second != first
    assert emulator.event_report()["faults"]["duplicated"] == 2
    assert emulator.requests[MESSAGE_ROUTE] == emulator.requests["total"] == 2


# ------------------------------------------------------------ more provisioning


def emulator_url(path: str) -> URL:
    """Return a URL of the emulator, beside the Comms API it serves at /v1."""
    return URL(os.environ[BASE_URL_ENV]).with_path(path)


class FakeCloud(ModuleType):
    """Home Assistant Cloud as the integration uses it, logged in.

    The real module imports Home Assistant's camera, speech and AI
    integrations, whose requirements the test legs do not install. Its
    cloudhook forwards to the instance's own webhook, as the relay would.
    """

    class CloudNotAvailable(Exception):  # noqa: N818 (the real one's name)
        """Raised when the cloud cannot make a cloudhook."""

    def __init__(self, webhook_base: str, *, available: bool = True) -> None:
        """Be logged in; make cloudhooks if available."""
        super().__init__("homeassistant.components.cloud")
        self.webhook_base = webhook_base
        self.available = available
        self.created: list[str] = []
        self.deleted: list[str] = []

    def async_active_subscription(self, hass: HomeAssistant) -> bool:
        """Return that the subscription is active."""
        return True

    async def async_get_or_create_cloudhook(
        self, hass: HomeAssistant, webhook_id: str
    ) -> str:
        """Return the cloudhook of a webhook, or raise without the cloud."""
        if not self.available:
            raise self.CloudNotAvailable
        self.created.append(webhook_id)
        return f"{self.webhook_base}/api/webhook/{webhook_id}"

    async def async_delete_cloudhook(
        self, hass: HomeAssistant, webhook_id: str
    ) -> None:
        """Delete a cloudhook."""
        self.deleted.append(webhook_id)


@pytest.fixture
def fake_cloud(
    hass: HomeAssistant, webhook_base: str, monkeypatch: pytest.MonkeyPatch
) -> FakeCloud:
    """Make Home Assistant Cloud loaded and logged in."""
    fake = FakeCloud(webhook_base)
    monkeypatch.setitem(sys.modules, "homeassistant.components.cloud", fake)
    hass.config.components.add("cloud")
    return fake


async def test_a_cloudhook_is_used_when_cloud_is_logged_in(
    hass: HomeAssistant,
    emulator: Emulator,
    fake_cloud: FakeCloud,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Home Assistant Cloud gives the address; removing the entry deletes the cloudhook."""
    await set_up(hass, mock_config_entry)
    (webhook_id,) = set(fake_cloud.created)
    assert destination(emulator).path == f"/api/webhook/{webhook_id}"
    stream = mock_config_entry.runtime_data.instant_updates
    assert stream is not None
    assert stream.diagnostics()["webhook"] == "cloudhook"
    assert await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert fake_cloud.deleted == [webhook_id]
    assert emulator.streams.sinks == {}


async def test_cloud_without_a_cloudhook_is_a_repair(
    hass: HomeAssistant,
    emulator: Emulator,
    fake_cloud: FakeCloud,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A cloud that cannot make a cloudhook right now: a repair, and polling."""
    fake_cloud.available = False
    await set_up(hass, mock_config_entry)
    assert repair(hass, mock_config_entry) == "instant_updates_no_url"
    assert emulator.streams.sinks == {}


async def test_an_unreadable_record_starts_afresh(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A stored record that cannot be read is replaced by a new stream."""
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.event_stream"] = {
        "version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.event_stream",
        "data": {"sink": "of another version"},
    }
    await set_up(hass, mock_config_entry)
    assert len(emulator.streams.sinks) == 1
    assert len(emulator.streams.subscriptions) == 1


async def test_a_new_address_makes_a_new_sink(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Emulator
) -> None:
    """A Sink's destination cannot change: a new address replaces the Sink."""
    (old,) = emulator.streams.sinks
    base = URL(hass.config.internal_url or "")
    await hass.config.async_update(internal_url=str(base.with_host("localhost")))
    await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (sink,) = emulator.streams.sinks.values()
    assert sink.sid != old
    assert URL(sink.destination).host == "localhost"
    (subscription,) = emulator.streams.subscriptions.values()
    assert subscription.sink_sid == sink.sid


async def test_a_test_event_that_never_comes_is_a_repair(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Sink that asks for validation, and no test event in time: a repair, polling."""
    monkeypatch.setattr(instant_updates, "TEST_EVENT_TIMEOUT", 0)
    emulator.configure_streams({"sink_status": "initialized"})
    await set_up(hass, mock_config_entry)
    assert repair(hass, mock_config_entry) == "instant_updates_not_validated"
    assert emulator.streams.subscriptions == {}


async def test_types_twilio_does_not_offer_are_not_subscribed(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Ask the API, not the docs: an absent or discontinued type is left out."""
    emulator.configure_streams(
        {
            "inbound_type": False,
            "discontinued_types": ["com.twilio.comms-api.message.read"],
        }
    )
    await set_up(hass, mock_config_entry)
    (subscription,) = emulator.streams.subscriptions.values()
    assert "com.twilio.comms-api.message.read" not in subscription.types
    assert "com.twilio.comms-api.message.inbound-received" not in subscription.types
    assert "com.twilio.comms-api.message.delivered" in subscription.types


@pytest.mark.usefixtures("webhook_base")
async def test_an_account_at_its_limit_is_a_repair(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    session: ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Twilio refusing a Sink past the account's limit: a repair saying so."""
    emulator.configure_streams({"max_sinks": 1})
    configuration = {"destination": "https://u:p@example.org/x", "method": "POST"}
    async with session.post(
        emulator_url("/events/v1/Sinks"),
        data={
            "Description": "someone else's",
            "SinkType": "webhook",
            "SinkConfiguration": json.dumps({**configuration, "batch_events": True}),
        },
        headers=authorization(ACCOUNT_SID, AUTH_TOKEN),
    ) as response:
        assert response.status == 201
    await set_up(hass, mock_config_entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id(mock_config_entry))
    assert issue is not None
    assert issue.translation_key == "instant_updates_refused"
    assert issue.translation_placeholders == {
        "title": mock_config_entry.title,
        "reason": "http_error",
    }
    assert mock_config_entry.state is ConfigEntryState.LOADED
    stream = mock_config_entry.runtime_data.instant_updates
    assert stream is not None
    # The test harness's stand-in for storage logs what is stored; Home
    # Assistant's own does not.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("pytest_homeassistant_custom_component")
    )
    for secret in (*SECRETS, stream.record.password):
        assert secret not in logged


async def test_a_failed_removal_is_tried_again(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Twilio refusing the deletion: logged, and done at the next start."""
    emulator.configure_streams({"entitled": False})
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**OPTIONS, CONF_INSTANT_UPDATES: False}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not delete the event stream" in caplog.text
    assert len(emulator.streams.sinks) == 1
    emulator.configure_streams({"entitled": True})
    await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.streams.sinks == {}
    assert emulator.streams.subscriptions == {}


async def test_the_option_needs_messages(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Only Messages has events: the option asks for the channel."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**OPTIONS, CONF_CHANNELS: ["emails"]}
    )
    assert result["errors"] == {CONF_INSTANT_UPDATES: "instant_updates_needs_messages"}


# ---------------------------------------------------------- more receiving


async def test_many_operations_in_one_delivery_make_one_poll(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
) -> None:
    """Past 10 operations to read in one delivery, one poll reads them more cheaply."""
    coordinator = setup_entry.runtime_data.coordinators["messages"]
    completed = [
        operation.id
        for operation in coordinator.data.operations.values()
        if operation.status is OperationStatus.COMPLETED
    ][:11]
    assert len(completed) == 11
    # Those shown at the stage named already are not counted: nothing to read.
    emulator.requests.reset()
    body = operation_events(*completed, stage="completed")
    assert await post(session, destination(emulator), body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests["total"] == 0
    plans = emulator.world.channels["Messages"].plans[:11]
    body = operation_events(*(plan.id for plan in plans), stage="archived")
    assert await post(session, destination(emulator), body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.requests[OPERATION_ROUTE] == 0
    assert emulator.requests[OPERATIONS_ROUTE] >= 1


async def test_an_unsized_oversized_body_is_refused(
    setup_entry: MockConfigEntry, emulator: Emulator, session: ClientSession
) -> None:
    """A body streamed without a length is cut at the cap and refused."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(300):
            yield b" " * 4096

    url = destination(emulator)
    plain = url.with_user(None).with_password(None)
    async with session.post(
        f"{plain}?bodySHA256=0",
        data=chunks(),
        headers={
            "Content-Type": "application/json",
            **authorization(url.user or "", url.password or ""),
        },
    ) as response:
        assert response.status == 413
    assert setup_entry.runtime_data.instant_updates is not None
    assert setup_entry.runtime_data.instant_updates.counts.refused == 1


async def test_a_long_message_received_is_cut_and_an_unknown_one_logged(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Emulator,
    session: ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A received text is kept to 1,600 characters; a message Twilio cannot find is logged."""
    await received(hass, emulator, "x" * 2000)
    state = hass.states.get(INBOUND_ENTITY)
    assert state is not None
    assert state.attributes["message"] == "x" * 1600
    # The emulator serves every message it receives: an unknown one takes a
    # handcrafted event.
    body = json.dumps(
        {
            "type": "com.twilio.comms-api.message.inbound-received",
            "id": f"EZ{0:032x}",
            "data": {"message_id": "comms_message_" + "0" * 26},
        }
    ).encode()
    assert await post(session, destination(emulator), body) == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not read the message" in caplog.text
    assert hass.states.get(INBOUND_ENTITY) == state


async def test_turning_the_option_on_provisions(
    hass: HomeAssistant,
    emulator: Emulator,
    webhook_base: str,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With an address to deliver to, turning the option on provisions at the reload."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**OPTIONS, CONF_INSTANT_UPDATES: False}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert emulator.streams.sinks == {}
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], OPTIONS
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(emulator.streams.sinks) == 1
    assert len(emulator.streams.subscriptions) == 1


@pytest.mark.usefixtures("fake_cloud")
async def test_with_cloud_the_option_can_be_turned_on(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Home Assistant Cloud logged in is address enough, without any URL."""
    await hass.config.async_update(internal_url=None)
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with patch.object(hass.config_entries, "async_schedule_reload"):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], OPTIONS
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_without_an_address_setup_is_a_repair(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """The option on and no address any more: a repair, polling as usual."""
    # An HTTP server without settings Home Assistant could build an address
    # from (the development mode would deliver to its port otherwise).
    assert await async_setup_component(hass, "webhook", {})
    hass.config.api = None
    await set_up(hass, mock_config_entry)
    assert repair(hass, mock_config_entry) == "instant_updates_no_url"
    assert emulator.streams.sinks == {}
