"""Tests of polling: request cost, transitions, events, failures and recovery."""

import asyncio
from dataclasses import replace
from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from comms_emulator import Emulator
from comms_emulator.config import ChannelShape
from comms_emulator.faults import FaultInjector
from custom_components.twilio_comms import coordinator as coordinator_module
from custom_components.twilio_comms.api import OperationStatus
from custom_components.twilio_comms.const import (
    ACTIVE_UPDATE_INTERVAL,
    CONF_CHANNELS,
    IDLE_UPDATE_INTERVAL,
    RECONCILE_UPDATE_INTERVAL,
    SENT_UPDATE_INTERVAL,
)

from .common import DEFAULT_OPTIONS, SECRETS, record_events, shape_name
from .soak import poll, run_soak, setup_shaped

EVENT_ENTITY = "event.messages_operations"

# Polls of the in-suite soak (scripts/soak runs the long one).
SOAK_POLLS = 1000

OPERATIONS_ROUTE = "GET /v1/{channel}/Operations"
OPERATION_ROUTE = "GET /v1/{channel}/Operations/{operation_id}"


@pytest.fixture
def mock_config_entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Track Messages only, so request counts are one channel's."""
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        options={**DEFAULT_OPTIONS, CONF_CHANNELS: ["messages"]},
    )


async def test_request_cost_per_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One listing at first, about 3 requests while active, and 1 when idle."""
    assert emulator.requests[OPERATIONS_ROUTE] == 1
    assert emulator.requests["total"] == 1

    emulator.reset_requests()
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    listings = emulator.requests[OPERATIONS_ROUTE]
    assert listings == 3  # created since the newest, processing, scheduled
    assert emulator.requests["total"] <= 3 + emulator.requests[OPERATION_ROUTE]

    # The poll that sees every send finished reads each once more, by id...
    coordinator = init_integration.runtime_data.coordinators["messages"]
    in_flight = coordinator.data.active_count
    emulator.reset_requests()
    await poll(hass, freezer, timedelta(hours=8))
    assert emulator.requests[OPERATIONS_ROUTE] == 3
    assert emulator.requests[OPERATION_ROUTE] <= in_flight
    assert coordinator.data.active_count == 0
    # ...and from then on polling is idle: one request per poll.
    emulator.reset_requests()
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    assert emulator.requests["total"] == 1
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    assert emulator.requests["total"] == 2


async def test_sent_operation_fires_each_transition_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new operation is reported scheduled, processing and completed, once each."""
    # Let the seeded operations finish, so only ours moves.
    await poll(hass, freezer, timedelta(hours=8))
    fired = record_events(hass, EVENT_ENTITY)
    plan = emulator.world.send(
        "Messages",
        emulator.clock(),
        addresses=("+15551230000",) * 200,
        send_at=emulator.clock() + timedelta(minutes=5),
        tags={},
    )
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    for _ in range(40):
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    ours = [event for event, operation_id in fired if operation_id == plan.id]
    final = "operation_canceled" if plan.cancel_at else "operation_completed"
    assert ours[0] == "operation_scheduled"
    assert ours[-1] == final
    assert len(ours) == len(set(ours))
    state = hass.states.get(EVENT_ENTITY)
    assert state.attributes["operation_id"] == plan.id
    assert state.attributes["stats"]["total"] == 200


async def test_no_events_for_history_at_startup_or_reload(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Operations that existed before setup, or before a reload, are not replayed."""
    fired = record_events(hass, EVENT_ENTITY)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert fired == []
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert fired == []
    # A send after that is reported, each of its transitions once.
    plan = emulator.world.send(
        "Messages", emulator.clock(), addresses=("+15551230000",), send_at=None, tags={}
    )
    await poll(hass, freezer, timedelta(minutes=30))
    ours = [event for event, operation_id in fired if operation_id == plan.id]
    final = "operation_canceled" if plan.cancel_at else "operation_completed"
    assert ours[-1] == final
    assert len(fired) == len(set(fired))


async def test_unavailable_and_recovery_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing API makes the entities unavailable, logged once, and back once."""
    caplog.set_level(logging.INFO)
    emulator.config.faults.server_error = 1.0
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    assert hass.states.get("sensor.messages_sent").state == STATE_UNAVAILABLE
    failures = [
        r
        for r in caplog.records
        if "The Twilio Comms API answered an update of Messages with HTTP 500"
        in r.getMessage()
    ]
    assert len(failures) == 1
    emulator.config.faults.server_error = 0.0
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    assert hass.states.get("sensor.messages_sent").state != STATE_UNAVAILABLE
    assert sum("recovered" in r.getMessage() for r in caplog.records) == 1
    for secret in SECRETS:
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("fault", "retry_after", "wait"),
    [
        ("rate_limit", "45", timedelta(seconds=45)),
        ("unavailable", "45", timedelta(seconds=45)),
        # Asking for no wait, or for a moment already past, never makes a
        # tight loop: the wait is at least one polling interval.
        ("rate_limit", "0", ACTIVE_UPDATE_INTERVAL),
        ("unavailable", "Mon, 23 Nov 2026 11:00:00 GMT", ACTIVE_UPDATE_INTERVAL),
    ],
    ids=["429", "503", "429-zero", "503-date-past"],
)
async def test_retry_after_is_waited_for(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    *,
    fault: str,
    retry_after: str,
    wait: timedelta,
) -> None:
    """After a 429 or 503, no request reaches Twilio before Retry-After ends; one does after."""
    coordinator = init_integration.runtime_data.coordinators["messages"]
    assert coordinator.update_interval == ACTIVE_UPDATE_INTERVAL
    monkeypatch.setattr(FaultInjector, "retry_after", lambda self, now: retry_after)
    setattr(emulator.config.faults, fault, 1.0)
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    assert not coordinator.last_update_success
    setattr(emulator.config.faults, fault, 0.0)
    emulator.reset_requests()
    await poll(hass, freezer, wait - timedelta(seconds=1))
    assert emulator.requests["total"] == 0
    await poll(hass, freezer, timedelta(seconds=2))
    assert emulator.requests["total"] >= 1
    assert coordinator.last_update_success, coordinator.last_exception


async def test_rejected_credentials_while_running_start_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 401 on a poll starts re-authentication."""
    emulator.credentials.clear()
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


# The reference's shape for the full number of polls; the guide's keys under
# the split reading (counters that go down) for half as many, which keeps the
# test under a minute and still spans hundreds of sends and faults.
@pytest.mark.parametrize(
    "soak",
    [
        pytest.param((ChannelShape(), SOAK_POLLS), id="reference+cumulative"),
        pytest.param(
            (
                ChannelShape(stats_profile="guide", counter_reading="split"),
                SOAK_POLLS // 2,
            ),
            id="guide+split",
        ),
    ],
)
async def test_soak_with_faults_matches_ground_truth(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    *,
    soak: tuple[ChannelShape, int],
) -> None:
    """Under 25 % injected faults nothing crashes, nothing is lost, totals end exact.

    The full soak (scripts/soak) runs longer, on every channel and shape; this
    is its short form.
    """
    shape, polls = soak
    entry = await setup_shaped(hass, mock_config_entry, emulator=emulator, shape=shape)
    report = await run_soak(
        hass,
        entry,
        emulator=emulator,
        freezer=freezer,
        records=caplog.records,
        polls=polls,
    )
    assert report.shape == shape_name(shape)
    assert set(report.faults) == set(emulator.config.faults.KINDS)
    assert report.failed_polls > 0
    assert report.unhandled_exceptions == 0
    assert report.lost_operations == 0
    assert report.totals_difference == {"messages": {}}
    assert "Unexpected error" not in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text


async def test_many_finished_operations_cost_one_listing(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """When many in-flight operations finish at once, one listing reads them all."""
    emulator.world = type(emulator.world)(
        replace(emulator.config, active_fraction=0.8), emulator.clock()
    )
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    # A newer operation moves "created since" past the in-flight ones.
    freezer.tick(timedelta(minutes=5))
    emulator.world.send(
        "Messages", emulator.clock(), addresses=("+15551230000",), send_at=None, tags={}
    )
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    emulator.reset_requests()
    await poll(hass, freezer, timedelta(hours=8))
    assert emulator.requests[OPERATION_ROUTE] == 0
    assert emulator.requests[OPERATIONS_ROUTE] == 4
    coordinator = mock_config_entry.runtime_data.coordinators["messages"]
    window_start = emulator.clock() - timedelta(hours=24)
    assert coordinator.data.totals == emulator.truth("Messages", window_start)["totals"]


async def test_operation_gone_from_the_api_is_dropped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An in-flight operation the API no longer knows is dropped, not an error."""
    coordinator = init_integration.runtime_data.coordinators["messages"]
    active = [
        op for op in coordinator.data.operations.values() if not op.status.is_terminal
    ]
    log = emulator.world.channels["Messages"]
    index = log.plans.index(log.by_id.pop(active[0].id))
    del log.plans[index], log.created[index]
    await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    assert coordinator.last_update_success, coordinator.last_exception
    assert active[0].id not in coordinator.data.operations


async def test_followed_send_not_listed_yet_is_read_by_id(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A send the listings do not show yet is read by id; an unknown one is skipped."""
    plan = emulator.world.send(
        "Messages", emulator.clock(), addresses=("+15551230000",), send_at=None, tags={}
    )
    # Listed nowhere yet, as right after a 202, but readable by id.
    log = emulator.world.channels["Messages"]
    index = log.plans.index(plan)
    del log.plans[index], log.created[index]
    coordinator = init_integration.runtime_data.coordinators["messages"]
    emulator.reset_requests()
    coordinator.async_follow(plan.id)
    coordinator.async_follow("comms_operation_01h9krwprkeee8fzqspvwy6nq8")
    await poll(hass, freezer, SENT_UPDATE_INTERVAL)
    assert coordinator.last_update_success, coordinator.last_exception
    assert plan.id in coordinator.data.operations
    assert emulator.requests[OPERATION_ROUTE] >= 2


async def test_refresh_has_a_deadline(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slow answers, each within the request timeout, cannot stretch one refresh.

    In flight, a refresh makes three listings; at 9 s each, a 20 s deadline
    passes during the third.
    """
    monkeypatch.setattr(coordinator_module, "REFRESH_DEADLINE", timedelta(seconds=20))
    coordinator = init_integration.runtime_data.coordinators["messages"]
    assert coordinator.tracker.has_active
    slow = timedelta(seconds=9)
    emulator.config.faults.update({"slow": 1.0, "slow_seconds": slow.total_seconds()})
    freezer.tick(ACTIVE_UPDATE_INTERVAL)
    async_fire_time_changed(hass)
    settled = asyncio.ensure_future(
        hass.async_block_till_done(wait_background_tasks=True)
    )
    # Simulated time: each slow answer started moves the clock to its end.
    seen = 0
    while not settled.done():
        await asyncio.sleep(0)
        if emulator.faults.counts["slow"] > seen:
            seen = emulator.faults.counts["slow"]
            freezer.tick(slow)
            async_fire_time_changed(hass)
    await settled
    assert seen == 3
    assert not coordinator.last_update_success
    error = coordinator.last_exception
    assert error.translation_key == "refresh_deadline"
    assert error.translation_placeholders == {"channel": "Messages", "seconds": "20"}


async def test_operation_read_for_an_event_fires_once_and_the_poll_repeats_nothing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An operation an event names is read with one request and shown as a poll shows it."""
    await poll(hass, freezer, timedelta(hours=8))
    coordinator = init_integration.runtime_data.coordinators["messages"]
    fired = record_events(hass, EVENT_ENTITY)
    plan = emulator.world.send(
        "Messages", emulator.clock(), addresses=("+15551230000",), send_at=None, tags={}
    )
    # Read for its event before any poll lists it.
    emulator.reset_requests()
    await coordinator.async_read_operations({plan.id: {OperationStatus.SCHEDULED}})
    await hass.async_block_till_done()
    assert emulator.requests["total"] == 1
    assert len(fired) == 1
    first = fired[0]
    assert first[1] == plan.id
    assert coordinator.data.latest.id == plan.id
    # The polls after it show the rest of its life, and not that status again.
    await poll(hass, freezer, timedelta(minutes=30))
    final = "operation_canceled" if plan.cancel_at else "operation_completed"
    assert fired[-1] == (final, plan.id)
    assert fired.count(first) == 1
    # An id Twilio does not know changes nothing.
    await coordinator.async_read_operations(
        {"comms_operation_01h9krwprkeee8fzqspvwy99999": {OperationStatus.COMPLETED}}
    )
    assert coordinator.data.latest.id == plan.id
    assert coordinator.last_update_success, coordinator.last_exception


async def test_reconcile_poll_finding_a_missed_change_returns_to_polling(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While events flow, Messages polls every 15 minutes; a change no event brought ends that."""
    await poll(hass, freezer, timedelta(hours=8))
    coordinator = init_integration.runtime_data.coordinators["messages"]
    coordinator.async_events_flow()
    assert coordinator.update_interval == RECONCILE_UPDATE_INTERVAL
    # The poll due at the idle interval is put off: the next one comes 15
    # minutes after events started.
    emulator.reset_requests()
    for _ in range(7):
        await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    # 14 minutes: no poll yet; at 15, the reconcile poll.
    assert emulator.requests["total"] == 0
    await poll(hass, freezer, timedelta(minutes=1))
    assert emulator.requests["total"] == 1
    # A send no event reports: the next reconcile poll sees it.
    emulator.world.send(
        "Messages", emulator.clock(), addresses=("+15551230000",), send_at=None, tags={}
    )
    await poll(hass, freezer, RECONCILE_UPDATE_INTERVAL)
    assert caplog.text.count("a poll found a change no event brought") == 1
    assert not coordinator.events_flowing
    assert coordinator.update_interval == IDLE_UPDATE_INTERVAL
    # Events flow again, then stop (the option is turned off): polling as usual.
    coordinator.async_events_flow()
    assert coordinator.update_interval == RECONCILE_UPDATE_INTERVAL
    coordinator.async_events_stop()
    assert coordinator.update_interval == IDLE_UPDATE_INTERVAL
