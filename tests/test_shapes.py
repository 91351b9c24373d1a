"""The integration's core scenarios on every shape the Comms API emulator serves.

Twilio's documents disagree on which stats keys an operation has and on how
its counters read (comms-api.md §10); the emulator serves each variant
(comms_emulator.config.ChannelShape). Every test here sets one shape on all
three channels before the integration starts, and checks what a user sees:
entity states, events and the requests Twilio is sent.
"""

from dataclasses import replace
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import Emulator, EmulatorConfig
from comms_emulator.config import CHANNELS, ChannelShape
from comms_emulator.emulator import GroundTruth
from comms_emulator.lifecycle import UNKNOWN_STATUS
from custom_components.twilio_comms.api import CHANNEL_COUNTERS, Channel
from custom_components.twilio_comms.const import (
    ACTIVE_UPDATE_INTERVAL,
    IDLE_UPDATE_INTERVAL,
)
from custom_components.twilio_comms.coordinator import ChannelCoordinator

from .common import PROFILE_READING_SHAPES, record_events, shape_name
from .soak import poll

# Statuses no client knows and statuses that go back once; the tests add
# fetched operations spelling their timestamps three ways.
QUIRKY_STATUSES = ChannelShape(unknown_status_share=0.3, backward_status_share=0.3)

# Seed 000's shape: every operation scheduled far enough ahead is partly sent
# while still SCHEDULED, and some of its recipients are canceled at once.
PARTIAL_SCHEDULE_SHAPE = ChannelShape(partial_schedule_share=1.0)

# Long enough for every seeded and new operation to end, so nothing is in
# flight afterwards.
UNTIL_ALL_FINAL = timedelta(hours=8)

# The idle stretch over which requests are counted: 5 idle polls.
IDLE_STRETCH = timedelta(minutes=10)

# The counters that the failure rate needs and that can be non-zero once
# nothing is in flight (scheduled and queued are 0 then). Where a profile
# lacks one of them the sensor cannot equal the plan-level rate:
# - Push's reference set has no undelivered, its guide set no unaddressable
#   or canceled (under split, unaddressable folds into failed);
# - Emails document no unaddressable at all, so its recipients count in
#   total and nowhere else (cumulative) or in failed (split);
# - sparse serves only total, sent and failed.
FAILURE_RATE_COUNTERS = ("total", "unaddressable", "canceled", "failed", "undelivered")

EVENT_ENTITY = "event.messages_operations"

# Sends after which, at a 30 % share, one has surely ended in an unknown status.
MAX_SENDS_FOR_UNKNOWN = 20

every_shape = pytest.mark.parametrize(
    "shape", PROFILE_READING_SHAPES, indirect=True, ids=shape_name
)


@pytest.fixture
def shape(request: pytest.FixtureRequest) -> ChannelShape:
    """Return the shape under test, given by the test's parametrization."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def emulator_config(
    emulator_config: EmulatorConfig, shape: ChannelShape
) -> EmulatorConfig:
    """Serve the shape under test on every channel, from the first request."""
    return replace(emulator_config, shapes=dict.fromkeys(CHANNELS, shape))


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    entity_registry_enabled_by_default: None,
    init_integration: MockConfigEntry,
) -> MockConfigEntry:
    """Return the set-up entry, with every entity (even rare counters) enabled."""
    return init_integration


def coordinators(entry: MockConfigEntry) -> dict[Channel, ChannelCoordinator]:
    """Return each tracked channel's coordinator."""
    return {
        Channel(key): coordinator
        for key, coordinator in entry.runtime_data.coordinators.items()
    }


def channel_truth(emulator: Emulator, coordinator: ChannelCoordinator) -> GroundTruth:
    """Return the emulator's ground truth over a coordinator's window, now."""
    window_start = emulator.clock() - coordinator.tracker.window
    return emulator.truth(coordinator.channel.path, window_start)


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def assert_totals_match_truth(
    hass: HomeAssistant, entry: MockConfigEntry, emulator: Emulator
) -> None:
    """Check every window-total sensor: truth's sum, or unknown if never served."""
    for key, coordinator in coordinators(entry).items():
        totals = channel_truth(emulator, coordinator)["totals"]
        shown = {
            counter: state_of(hass, f"sensor.{key}_{counter}")
            for counter in CHANNEL_COUNTERS[key]
        }
        expected = {
            counter: str(totals[counter]) if counter in totals else STATE_UNKNOWN
            for counter in CHANNEL_COUNTERS[key]
        }
        assert shown == expected, key


async def finish_everything(
    hass: HomeAssistant, entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """Let every operation end, then poll until each channel has noticed."""
    await poll(hass, freezer, UNTIL_ALL_FINAL)
    for _ in range(3):
        if all(c.data.active_count == 0 for c in coordinators(entry).values()):
            return
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    raise AssertionError("operations still in flight hours after they ended")


async def count_idle_requests(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> tuple[int, dict[str, int]]:
    """Poll at the idle interval for the idle stretch; return polls and requests per channel."""
    emulator.reset_requests()
    polls = IDLE_STRETCH // IDLE_UPDATE_INTERVAL
    for _ in range(polls):
        await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    return polls, {channel: emulator.channel_requests[channel] for channel in CHANNELS}


@every_shape
async def test_totals_match_truth_or_unknown(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every window total equals Twilio's sum; a counter never served is unknown."""
    assert all(c.last_update_success for c in coordinators(entry).values())
    # Right after setup, with sends in flight...
    assert_totals_match_truth(hass, entry, emulator)
    # ...and once everything has ended.
    await finish_everything(hass, entry, freezer)
    assert_totals_match_truth(hass, entry, emulator)


@every_shape
async def test_failure_rate_matches_outcomes(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Once nothing is in flight, the failure rate is the share of finished recipients lost."""
    await finish_everything(hass, entry, freezer)
    for key, coordinator in coordinators(entry).items():
        truth = channel_truth(emulator, coordinator)
        outcomes, totals = truth["outcomes"], truth["totals"]
        assert outcomes["in_flight"] == 0
        rate = float(state_of(hass, f"sensor.{key}_failure_rate"))
        if not set(FAILURE_RATE_COUNTERS) <= set(totals):
            # The profile lacks a counter the rate needs (see
            # FAILURE_RATE_COUNTERS); it still reads as a share.
            assert 0 <= rate <= 100, key
            continue
        lost = outcomes["failed"] + outcomes["undelivered"]
        assert rate == round(100 * lost / outcomes["finished"], 2), key


@every_shape
async def test_idle_polling_costs_one_request_per_channel(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With everything final, each channel polls every 2 minutes, 1 request a poll."""
    await finish_everything(hass, entry, freezer)
    # One more poll reads the final state of whatever ended last.
    await poll(hass, freezer, IDLE_UPDATE_INTERVAL)
    polls, requests = await count_idle_requests(hass, emulator, freezer)
    assert polls == 5
    assert requests == dict.fromkeys(CHANNELS, polls)
    for coordinator in coordinators(entry).values():
        assert coordinator.update_interval == IDLE_UPDATE_INTERVAL


@every_shape
async def test_new_send_fires_each_transition_once_in_order(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new send is announced scheduled, processing, then final, once each."""
    await finish_everything(hass, entry, freezer)
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
    assert ours == ["operation_scheduled", "operation_processing", final]


@pytest.mark.parametrize(
    "shape",
    [
        pytest.param(QUIRKY_STATUSES, id="statuses"),
        pytest.param(
            replace(QUIRKY_STATUSES, timestamp_quirks=True),
            id="statuses-and-timestamps",
        ),
    ],
    indirect=True,
)
async def test_unknown_and_backward_statuses(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Unknown and backward statuses: no crash, no repeat, exact totals, then idle."""
    fired = {key: record_events(hass, f"event.{key}_operations") for key in Channel}
    assert_totals_match_truth(hass, entry, emulator)
    # Watch the seeded operations end, some going back to PROCESSING once.
    for _ in range(30):
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
    await finish_everything(hass, entry, freezer)
    assert_totals_match_truth(hass, entry, emulator)
    for key, events in fired.items():
        assert events, key
        assert len(events) == len(set(events)), key
    for coordinator in coordinators(entry).values():
        assert coordinator.last_update_success
        # An unknown status is not in flight: polling goes idle.
        assert coordinator.update_interval == IDLE_UPDATE_INTERVAL
    # Send until the latest Messages operation ends in an unknown status
    # (which ones do is fixed by their ids), checking the status shown each time.
    messages = coordinators(entry)[Channel.MESSAGES]
    for _ in range(MAX_SENDS_FOR_UNKNOWN):
        latest = channel_truth(emulator, messages)["operations"][0]["status"]
        shown = state_of(hass, "sensor.messages_latest_operation_status")
        if latest == UNKNOWN_STATUS:
            assert shown == STATE_UNKNOWN
            break
        assert shown == latest.lower()
        emulator.world.send(
            "Messages",
            emulator.clock(),
            addresses=("+15551230000",),
            send_at=None,
            tags={},
        )
        await finish_everything(hass, entry, freezer)
    else:
        raise AssertionError("no send ended in an unknown status")
    assert messages.update_interval == IDLE_UPDATE_INTERVAL


@pytest.mark.parametrize("shape", [PARTIAL_SCHEDULE_SHAPE], indirect=True)
async def test_partial_schedule_totals_match_truth(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A send partly sent while still scheduled is counted as Twilio counts it."""
    sends = {
        emulator.world.send(
            channel,
            emulator.clock(),
            addresses=tuple(f"+1555123{index:04}" for index in range(100)),
            send_at=emulator.clock() + timedelta(minutes=30),
            tags={},
        ).id
        for channel in CHANNELS
    }
    partly_sent: set[str] = set()
    # Through the wait, the early batch, the start and the end of the sends.
    for _ in range(8):
        await poll(hass, freezer, timedelta(minutes=5))
        assert_totals_match_truth(hass, entry, emulator)
        partly_sent |= {
            operation["id"]
            for coordinator in coordinators(entry).values()
            for operation in channel_truth(emulator, coordinator)["operations"]
            if operation["id"] in sends
            and operation["status"] == "SCHEDULED"
            and operation["stats"]["sent"] > 0
        }
    # The scenario happened: every send was seen partly sent while scheduled.
    assert partly_sent == sends
    await finish_everything(hass, entry, freezer)
    assert_totals_match_truth(hass, entry, emulator)


# Per lifetime figure, what became of the recipients it counts (emulator
# outcomes), and the counters it needs to be exact: as for the failure rate,
# a profile without unaddressable or canceled counts those recipients
# elsewhere (in failed, under split), and finished needs what is not yet.
LIFETIME_OUTCOMES = {
    "finished": (("finished",), (*FAILURE_RATE_COUNTERS, "scheduled", "queued")),
    "not_reached": (("failed", "undelivered"), FAILURE_RATE_COUNTERS),
    "delivered": (("delivered",), (*FAILURE_RATE_COUNTERS, "delivered")),
}


@every_shape
async def test_lifetime_counts_only_grow_and_match_outcomes(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Lifetime figures never go down, and once all is final they count every recipient once."""
    since = emulator.clock() - coordinators(entry)[Channel.MESSAGES].tracker.window
    seen: dict[str, list[int]] = {}

    def record() -> None:
        for key in Channel:
            for figure in LIFETIME_OUTCOMES:
                entity_id = f"sensor.{key}_lifetime_{figure}"
                if (value := state_of(hass, entity_id)) != STATE_UNKNOWN:
                    seen.setdefault(entity_id, []).append(int(value))

    record()
    for _ in range(30):
        await poll(hass, freezer, ACTIVE_UPDATE_INTERVAL)
        record()
    await finish_everything(hass, entry, freezer)
    record()
    for entity_id, values in seen.items():
        assert values == sorted(values), entity_id
    for key, coordinator in coordinators(entry).items():
        truth = emulator.truth(coordinator.channel.path, since)
        for figure, (outcomes, needed) in LIFETIME_OUTCOMES.items():
            shown = state_of(hass, f"sensor.{key}_lifetime_{figure}")
            if not set(needed) <= set(truth["totals"]):
                continue
            expected = sum(truth["outcomes"][outcome] for outcome in outcomes)
            assert shown == str(expected), (key, figure)
