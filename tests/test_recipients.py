"""Tests of the recipients' last message status: polling, restarts, push, sends."""

from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from comms_emulator import Emulator, EmulatorConfig
from comms_emulator.lifecycle import OperationPlan
from custom_components.twilio_comms.api import CommsResource, TwilioCommsServerError
from custom_components.twilio_comms.const import (
    CONF_CHANNELS,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
    SENT_UPDATE_INTERVAL,
)

from .common import DEFAULT_OPTIONS
from .soak import poll
from .test_notify import ALICE, ANN_SUBENTRY, notify, sent_messages
from .test_services import call

STATUS = "sensor.alice_last_message_status"
ANN_STATUS = "sensor.ann_last_message_status"
ALICE_NUMBER = "+15558675310"

# The route of a listing of an operation's messages.
MESSAGES_ROUTE = "GET /v1/{channel}"
OPERATIONS_ROUTE = "GET /v1/{channel}/Operations"


@pytest.fixture
def operation_id_mode() -> str:
    """Return where the emulator names a send's operation: the body, as by default."""
    return "body"


@pytest.fixture
def emulator_config(
    emulator_config: EmulatorConfig, operation_id_mode: str
) -> EmulatorConfig:
    """Deliver every message, and never read one: each send has one outcome."""
    return replace(
        emulator_config,
        failure_rate=0,
        undelivered_rate=0,
        read_rate=0,
        operation_id_mode=operation_id_mode,
    )


@pytest.fixture
def mock_config_entry(
    mock_config_entry_with_recipient: MockConfigEntry,
) -> MockConfigEntry:
    """Return the emulated account with Alice, tracking Messages only."""
    entry = mock_config_entry_with_recipient
    return MockConfigEntry(
        domain=entry.domain,
        entry_id=entry.entry_id,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options={**DEFAULT_OPTIONS, CONF_CHANNELS: ["messages"]},
        subentries_data=[
            {
                "subentry_id": subentry.subentry_id,
                "data": dict(subentry.data),
                "subentry_type": subentry.subentry_type,
                "title": subentry.title,
                "unique_id": subentry.unique_id,
            }
            for subentry in entry.subentries.values()
        ],
    )


def record_states(hass: HomeAssistant, entity_id: str) -> list[str]:
    """Return a list that fills with an entity's states as they change."""
    states: list[str] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        old_state, new_state = event.data["old_state"], event.data["new_state"]
        if new_state is not None and (
            old_state is None or old_state.state != new_state.state
        ):
            states.append(new_state.state)

    async_track_state_change_event(hass, entity_id, _changed)
    return states


async def follow_to_the_end(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> int:
    """Poll at the followed rate until the channel stops following; return the polls."""
    coordinator = entry.runtime_data.coordinators["messages"]
    for polls in range(1, 400):
        await poll(hass, freezer, SENT_UPDATE_INTERVAL)
        if coordinator.update_interval != SENT_UPDATE_INTERVAL:
            return polls
    raise AssertionError("the send was followed for ever")


async def test_sensor(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Each recipient has a last message status, unknown until a message is sent."""
    entity = entity_registry.async_get(STATUS)
    assert entity is not None
    assert entity.config_subentry_id == next(iter(init_integration.subentries))
    assert entity.device_id == entity_registry.async_get(ALICE).device_id
    assert entity == snapshot(name="entity")
    assert hass.states.get(STATUS) == snapshot(name="state")
    assert hass.states.get(STATUS).state == STATE_UNKNOWN


async def test_status_without_push(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A notify send is queued, then delivered as polls list its message.

    One listing a followed poll at most, and none once the message is final.
    """
    await poll(hass, freezer, timedelta(hours=8))
    states = record_states(hass, STATUS)
    sent_at = dt_util.utcnow()
    emulator.reset_requests()
    await notify(hass, ALICE, message="Door open")
    (plan,) = sent_messages(emulator)
    state = hass.states.get(STATUS)
    assert state.state == "queued"
    assert state.attributes == state.attributes | {
        "changed_at": sent_at.isoformat(),
        "operation_id": plan.id,
        "message_id": None,
    }
    await hass.async_block_till_done(wait_background_tasks=True)
    polls = await follow_to_the_end(hass, init_integration, freezer)
    assert states == ["queued", "delivered"]
    state = hass.states.get(STATUS)
    assert state.attributes["operation_id"] == plan.id
    assert state.attributes["message_id"].startswith("comms_message_")
    # Twilio's time of the delivery, not the poll's.
    assert (
        state.attributes["changed_at"] == plan.end_at.replace(microsecond=0).isoformat()
    )
    # Listed only when a poll saw the operation change: first seen, started,
    # final; beside the send and the polls' own requests, nothing else.
    assert emulator.requests[MESSAGES_ROUTE] == 3 < polls
    assert emulator.requests["total"] == (
        1 + emulator.requests[OPERATIONS_ROUTE] + emulator.requests[MESSAGES_ROUTE]
    )
    emulator.reset_requests()
    for _ in range(3):
        await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    assert emulator.requests[MESSAGES_ROUTE] == 0
    assert emulator.requests["total"] == 3


async def test_status_moves_through_sent(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A recipient among many of an action's send: queued, sent, then delivered.

    Receipts come a while after the send (the split reading), so a poll sees
    the message sent before it is delivered.
    """
    emulator.set_shape("Messages", counter_reading="split")
    await poll(hass, freezer, timedelta(hours=8))
    states = record_states(hass, STATUS)
    others = [f"+1555123{index:04d}" for index in range(199)]
    response = await call(
        hass,
        init_integration,
        "send_message",
        recipients=[ALICE_NUMBER, *others],
        text="Door open",
    )
    # The send's answer made the message known at once.
    (alice,) = [m for m in response["messages"] if m["to"] == ALICE_NUMBER]
    assert hass.states.get(STATUS).attributes["message_id"] == alice["message_id"]
    await hass.async_block_till_done(wait_background_tasks=True)
    emulator.reset_requests()
    polls = await follow_to_the_end(hass, init_integration, freezer)
    assert states == ["queued", "sent", "delivered"]
    state = hass.states.get(STATUS)
    assert state.attributes["operation_id"] == response["operation_id"]
    assert state.attributes["message_id"] == alice["message_id"]
    assert emulator.requests[MESSAGES_ROUTE] <= polls


@pytest.mark.parametrize(
    "changed_at", ["2026-11-23T11:58:00+00:00", "2026-11-23T11:58:00"]
)
@pytest.mark.usefixtures("emulator")
async def test_status_restored_after_restart(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    changed_at: str,
) -> None:
    """A restart keeps the last status, and the message it is of goes on from there.

    A time without its offset is UTC.
    """
    mock_restore_cache(
        hass,
        [
            State(
                STATUS,
                "delivered",
                {
                    "changed_at": changed_at,
                    "operation_id": "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
                    "message_id": "comms_message_01h9krwprkeee8fzqspvwy6nq800000",
                },
            )
        ],
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(STATUS)
    assert state.state == "delivered"
    assert state.attributes["changed_at"] == "2026-11-23T11:58:00+00:00"
    recipients = mock_config_entry.runtime_data.recipients
    # The message goes on by its id: read, an hour later.
    read_at = dt_util.parse_datetime("2026-11-23T12:58:00+00:00")
    assert recipients.async_message_status(
        None, "comms_message_01h9krwprkeee8fzqspvwy6nq800000", None, "read", read_at
    )
    assert hass.states.get(STATUS).state == "read"


@pytest.mark.parametrize(
    "state",
    [
        State(STATUS, STATE_UNKNOWN),
        State(STATUS, "delivered", {"operation_id": "comms_operation_01"}),
        State(STATUS, "bounced", {"changed_at": "2026-11-23T11:58:00+00:00"}),
    ],
    ids=["unknown", "no time", "no status"],
)
async def test_nothing_to_restore(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    state: State,
) -> None:
    """A last state that shows no status is not restored: unknown, as before any send."""
    mock_restore_cache(hass, [state])
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(STATUS).state == STATE_UNKNOWN


async def test_status_survives_a_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
) -> None:
    """A reload (an option changed) keeps the status."""
    await notify(hass, ALICE, message="Door open")
    before = hass.states.get(STATUS)
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    after = hass.states.get(STATUS)
    assert (after.state, after.attributes) == (before.state, before.attributes)


async def sent_to_alice(hass: HomeAssistant, emulator: Emulator) -> OperationPlan:
    """Send to Alice through her notify entity; return the operation."""
    await notify(hass, ALICE, message="Door open")
    return sent_messages(emulator)[-1]


async def test_push_entry_point(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
) -> None:
    """A message event moves the status on, found by operation and address, then by id."""
    plan = await sent_to_alice(hass, emulator)
    recipients = init_integration.runtime_data.recipients
    message_id = "comms_message_01h9krwprkeee8fzqspvwy6nq800000"
    now = dt_util.utcnow()
    # Not ours: another operation, another address, a status that is none.
    assert not recipients.async_message_status(
        "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
        message_id,
        ALICE_NUMBER,
        "sent",
        now,
    )
    assert not recipients.async_message_status(
        plan.id, message_id, "+15550009999", "sent", now
    )
    assert not recipients.async_message_status(
        plan.id, message_id, ALICE_NUMBER, "inbound-received", now
    )
    assert not recipients.async_message_status(None, message_id, None, "sent", now)
    assert hass.states.get(STATUS).state == "queued"
    # Ours, by operation and address (a WhatsApp spelling, any case).
    sent_at = now + timedelta(seconds=2)
    assert recipients.async_message_status(
        plan.id, message_id, f"WhatsApp:{ALICE_NUMBER}", "sent", sent_at
    )
    state = hass.states.get(STATUS)
    assert state.state == "sent"
    assert state.attributes["message_id"] == message_id
    assert state.attributes["changed_at"] == sent_at.isoformat()
    # From then on by its id, even without the rest; a naive time is UTC.
    delivered_at = (sent_at + timedelta(seconds=3)).replace(tzinfo=None)
    assert recipients.async_message_status(
        None, message_id, None, "delivered", delivered_at
    )
    state = hass.states.get(STATUS)
    assert state.state == "delivered"
    assert state.attributes["changed_at"] == f"{delivered_at.isoformat()}+00:00"
    # Another message of the same send to the same address is not hers.
    assert not recipients.async_message_status(
        plan.id,
        "comms_message_01h9krwprkeee8fzqspvwy6nq800001",
        ALICE_NUMBER,
        "failed",
        None,
    )
    assert hass.states.get(STATUS).state == "delivered"


@pytest.mark.parametrize(
    ("events", "shown"),
    [
        # Unordered: sent arrives after delivered, and changes nothing.
        ([("delivered", 5, True), ("sent", 2, False), ("queued", 1, False)], "delivered"),
        # An older observation never overwrites a newer one, final or not.
        ([("delivered", 5, True), ("failed", 3, False)], "delivered"),
        ([("sent", 5, True), ("undelivered", 4, False), ("delivered", 6, True)], "delivered"),
        # A final status ends it: nothing after it counts.
        ([("failed", 5, True), ("delivered", 6, False), ("read", 7, False)], "failed"),
        ([("delivered", 5, True), ("read", 6, True), ("undelivered", 7, False)], "read"),
        # The same again is no change.
        ([("sent", 5, True), ("sent", 6, False)], "sent"),
        # An event without a time is not older than anything.
        ([("sent", 5, True), ("delivered", None, True)], "delivered"),
    ],
)  # fmt: skip
async def test_statuses_only_move_forward(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    events: list[tuple[str, int | None, bool]],
    shown: str,
) -> None:
    """However events arrive, the status moves forward only, to the newest."""
    plan = await sent_to_alice(hass, emulator)
    recipients = init_integration.runtime_data.recipients
    start = dt_util.utcnow()
    for status, seconds, changes in events:
        time = None if seconds is None else start + timedelta(seconds=seconds)
        assert (
            recipients.async_message_status(
                plan.id,
                "comms_message_01h9krwprkeee8fzqspvwy6nq800000",
                ALICE_NUMBER,
                status,
                time,
            )
            is changes
        ), (status, seconds)
    assert hass.states.get(STATUS).state == shown


async def test_push_ends_the_listing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Once an event made the message final, polls no longer list it."""
    await poll(hass, freezer, timedelta(hours=8))
    plan = await sent_to_alice(hass, emulator)
    recipients = init_integration.runtime_data.recipients
    assert recipients.async_message_status(
        plan.id,
        "comms_message_01h9krwprkeee8fzqspvwy6nq800000",
        ALICE_NUMBER,
        "undelivered",
        None,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    emulator.reset_requests()
    await follow_to_the_end(hass, init_integration, freezer)
    assert emulator.requests[MESSAGES_ROUTE] == 0
    assert hass.states.get(STATUS).state == "undelivered"


async def test_a_new_send_replaces_the_last(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The status is the latest send's: what is said of an earlier one is old news."""
    first = await sent_to_alice(hass, emulator)
    recipients = init_integration.runtime_data.recipients
    assert recipients.async_message_status(
        first.id,
        "comms_message_01h9krwprkeee8fzqspvwy6nq800000",
        ALICE_NUMBER,
        "delivered",
        None,
    )
    freezer.tick(timedelta(seconds=1))
    second = await sent_to_alice(hass, emulator)
    state = hass.states.get(STATUS)
    assert (state.state, state.attributes["operation_id"]) == ("queued", second.id)
    assert not recipients.async_message_status(
        first.id,
        "comms_message_01h9krwprkeee8fzqspvwy6nq800000",
        ALICE_NUMBER,
        "read",
        None,
    )
    assert not recipients.async_message_status(
        first.id,
        "comms_message_01h9krwprkeee8fzqspvwy6nq800001",
        ALICE_NUMBER,
        "read",
        None,
    )
    assert hass.states.get(STATUS).state == "queued"


async def test_failed_listing_waits_for_the_next_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A listing that fails changes nothing and fails no poll; the next one catches up."""
    await poll(hass, freezer, timedelta(hours=8))
    await sent_to_alice(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = init_integration.runtime_data.coordinators["messages"]
    with patch(
        "custom_components.twilio_comms.api.TwilioCommsClient.iter_resources",
        side_effect=TwilioCommsServerError("HTTP 500", status=500),
    ):
        for _ in range(20):
            await poll(hass, freezer, SENT_UPDATE_INTERVAL)
    assert coordinator.last_update_success
    assert coordinator.update_interval != SENT_UPDATE_INTERVAL
    assert hass.states.get(STATUS).state == "queued"
    # The operation is final, but its messages were never listed: once more.
    emulator.reset_requests()
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    assert hass.states.get(STATUS).state == "delivered"
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    assert emulator.requests[MESSAGES_ROUTE] == 1


async def test_email_recipient_status(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An email recipient's status follows its email, on the Emails channel."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**DEFAULT_OPTIONS, CONF_CHANNELS: ["emails"]}
    )
    hass.config_entries.async_add_subentry(
        mock_config_entry, ConfigSubentry(**ANN_SUBENTRY)
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await poll(hass, freezer, timedelta(hours=8))
    await notify(hass, "notify.ann", message="Door open", title="Garage")
    assert hass.states.get(ANN_STATUS).state == "queued"
    coordinator = mock_config_entry.runtime_data.coordinators["emails"]
    for _ in range(100):
        await poll(hass, freezer, SENT_UPDATE_INTERVAL)
        if coordinator.update_interval != SENT_UPDATE_INTERVAL:
            break
    state = hass.states.get(ANN_STATUS)
    assert state.state == "delivered"
    assert state.attributes["message_id"].startswith("comms_email_")
    # Alice was sent nothing.
    assert hass.states.get(STATUS).state == STATE_UNKNOWN


async def test_diagnostics(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Diagnostics show the sends followed and each status, never an address."""
    await notify(hass, ALICE, message="Door open")
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics["recipients"] == {
        "sends_followed": 1,
        "statuses": {next(iter(init_integration.subentries)): "queued"},
    }
    assert ALICE_NUMBER not in str(diagnostics)


@pytest.mark.parametrize("operation_id_mode", ["none"])
async def test_send_without_operation_stays_queued(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A send Twilio accepted without naming its operation is queued, and no more."""
    mock_config_entry = init_integration
    await notify(hass, ALICE, message="Door open")
    state = hass.states.get(STATUS)
    assert (state.state, state.attributes["operation_id"]) == ("queued", None)
    recipients = mock_config_entry.runtime_data.recipients
    assert not recipients.async_message_status(
        None,
        "comms_message_01h9krwprkeee8fzqspvwy6nq800000",
        ALICE_NUMBER,
        "sent",
        None,
    )
    assert recipients.diagnostics()["sends_followed"] == 0


@pytest.mark.parametrize(
    ("recipients", "shown"),
    [([ALICE_NUMBER], "delivered"), ([ALICE_NUMBER, "+15551230000"], "queued")],
    ids=["hers alone", "one of two"],
)
@pytest.mark.usefixtures("emulator")
async def test_message_listed_without_address(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    *,
    recipients: list[str],
    shown: str,
) -> None:
    """A listing that names no recipient is hers when she was the send's only one."""

    async def listed(*_args: Any, **_kwargs: Any) -> AsyncGenerator[CommsResource]:
        yield CommsResource(
            id="comms_message_01h9krwprkeee8fzqspvwy6nq800000", status="DELIVERED"
        )

    await poll(hass, freezer, timedelta(hours=8))
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": init_integration.entry_id,
            "recipients": recipients,
            "text": "Hi",
        },
        blocking=True,
    )
    with patch(
        "custom_components.twilio_comms.api.TwilioCommsClient.iter_resources",
        side_effect=listed,
    ):
        await follow_to_the_end(hass, init_integration, freezer)
    assert hass.states.get(STATUS).state == shown


async def test_a_listing_is_never_older_than_an_event(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A listing is read now: it moves a status an event set on, whatever its times.

    A message's updatedAt need not move with its receipts; the status then
    changed by the poll that saw it.
    """
    await poll(hass, freezer, timedelta(hours=8))
    plan = await sent_to_alice(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    recipients = init_integration.runtime_data.recipients
    message_id = hass.states.get(STATUS).attributes["message_id"]
    ahead = dt_util.utcnow() + timedelta(hours=1)
    assert recipients.async_message_status(plan.id, message_id, None, "sent", ahead)
    await follow_to_the_end(hass, init_integration, freezer)
    state = hass.states.get(STATUS)
    assert state.state == "delivered"
    assert state.attributes["changed_at"] == dt_util.utcnow().isoformat()
