"""Tests of the actions: get_operation, send_message, send_push_notification, send_email."""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
import logging
from typing import Any, Final
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion
import voluptuous as vol
import yaml

from comms_emulator import Emulator, EmulatorConfig
from comms_emulator.config import FaultConfig
from comms_emulator.faults import FaultInjector
from custom_components.twilio_comms.api import (
    Channel,
    OperationStatus,
    PushPriority,
    PushProvider,
    RecipientChannel,
    SenderChannel,
    TwilioCommsBadRequestError,
    TwilioCommsNotFoundError,
    TwilioCommsRequestTooLargeError,
    TwilioCommsServerError,
    TwilioCommsValidationError,
)
from custom_components.twilio_comms.const import (
    ACTIVE_UPDATE_INTERVAL,
    CONF_CHANNELS,
    DOMAIN,
    IDLE_UPDATE_INTERVAL,
    SENT_UPDATE_INTERVAL,
)
from custom_components.twilio_comms.helpers import from_option, invalid_request

from .common import DEFAULT_OPTIONS, record_events
from .soak import REQUEST_TIMEOUT_MARGIN, poll
from .validity import INTEGRATION_DIR

# The emulator counts requests by route template; sends are POSTs.
SEND_ROUTE = "POST /v1/{channel}"
PUSH_USER = "comms_pushnotificationuser_01h9krwprkeee8fzqspvwy6nq8"
UNKNOWN_OPERATION = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"

# The simplest valid call of each send action.
VALID: Final[dict[str, dict[str, Any]]] = {
    "send_message": {"recipients": ["+15558675310"], "text": "Hi"},
    "send_push_notification": {"user_ids": [PUSH_USER], "title": "T", "body": "B"},
    "send_email": {"recipients": ["ann@example.com"], "subject": "S", "text": "Hi"},
}

# The channel each send action sends on, as the emulator names it.
SEND_CHANNELS: Final = {
    "send_message": "Messages",
    "send_push_notification": "PushNotifications",
    "send_email": "Emails",
}


async def call(
    hass: HomeAssistant, entry: MockConfigEntry, service: str, **data: Any
) -> dict[str, Any]:
    """Call one of the integration's actions for the entry and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


async def send_hi(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Send the simplest valid message through the action."""
    return await call(hass, entry, "send_message", **VALID["send_message"])


async def push_door(
    hass: HomeAssistant, entry: MockConfigEntry, **data: Any
) -> dict[str, Any]:
    """Send a short push notification through the action."""
    return await call(
        hass,
        entry,
        "send_push_notification",
        **({"title": "Door", "body": "Open"} | data),
    )


def sends(emulator: Emulator) -> int:
    """Return how many send requests reached the emulator."""
    return emulator.requests[SEND_ROUTE]


async def settle_seeded(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the seeded operations finish, so only what a test sends moves."""
    await poll(hass, freezer, timedelta(hours=8))


@pytest.mark.parametrize(
    ("service", "data", "channel", "submitted"),
    [
        (
            "send_message",
            {
                "recipients": ["+15558675310", "whatsapp:+15558675311"],
                "text": "The garage door is open.",
                "tags": {"source": "home_assistant"},
            },
            Channel.MESSAGES,
            {
                "to": [
                    {"address": "+15558675310", "channel": "PHONE"},
                    {"address": "+15558675311", "channel": "WHATSAPP"},
                ],
                "content": {"text": "The garage door is open."},
                "tags": {"source": "home_assistant"},
            },
        ),
        (
            "send_push_notification",
            {
                "device_tokens": ["fcm-token-1"],
                "provider": "fcm",
                "user_ids": [PUSH_USER],
                "title": "Front door",
                "body": "The front door opened.",
                "priority": "high",
            },
            Channel.PUSH_NOTIFICATIONS,
            {
                "to": [
                    {"token": "fcm-token-1", "provider": "FCM"},
                    {"userId": PUSH_USER},
                ],
                "content": {"body": "The front door opened.", "title": "Front door"},
                "priority": "HIGH",
            },
        ),
        (
            "send_email",
            {
                "recipients": ["ann@example.com", " bob@example.org "],
                "subject": "Garage",
                "text": "The garage door is open.\n<since 10:00>",
                "sender": "home@example.com",
                "sender_name": "Home",
                "tags": {"source": "home_assistant"},
            },
            Channel.EMAILS,
            {
                "to": [{"address": "ann@example.com"}, {"address": "bob@example.org"}],
                "content": {
                    "subject": "Garage",
                    # A text alone also goes out as HTML, escaped.
                    "html": "<p>The garage door is open.<br>\n&lt;since 10:00&gt;</p>",
                    "text": "The garage door is open.\n<since 10:00>",
                },
                "from": {"address": "home@example.com", "name": "Home"},
                "tags": {"source": "home_assistant"},
            },
        ),
    ],
    ids=["message", "push", "email"],
)
async def test_send_is_followed_until_final(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
    *,
    service: str,
    data: dict[str, Any],
    channel: Channel,
    submitted: dict[str, Any],
) -> None:
    """A send goes out as documented, fires its events and counts in the sensors."""
    await settle_seeded(hass, freezer)
    coordinator = init_integration.runtime_data.coordinators[channel]
    assert coordinator.update_interval == IDLE_UPDATE_INTERVAL
    in_window = f"sensor.{channel}_operations_in_window"
    operations_before = int(hass.states.get(in_window).state)
    fired = record_events(hass, f"event.{channel}_operations")

    response = await call(hass, init_integration, service, **data)

    operation_id = response["operation_id"]
    messages = response.pop("messages", None)
    assert response == {"operation_id": operation_id, "tracked": True}
    assert sends(emulator) == 1
    plan = emulator.world.find(channel.path, operation_id, emulator.clock())
    assert plan.submitted == submitted
    if channel is Channel.MESSAGES:
        # A message send answers with the message made for each recipient.
        assert [message["to"] for message in messages] == [
            "+15558675310",
            "+15558675311",
        ]
        assert all(m["message_id"].startswith("comms_message_") for m in messages)
    else:
        assert messages is None
    # The send is read at once, and then every few seconds while it runs.
    await hass.async_block_till_done(wait_background_tasks=True)
    assert operation_id in coordinator.data.operations
    assert coordinator.update_interval == SENT_UPDATE_INTERVAL
    for _ in range(200):
        if coordinator.update_interval != SENT_UPDATE_INTERVAL:
            break
        await poll(hass, freezer, SENT_UPDATE_INTERVAL)
    ours = [event for event, op_id in fired if op_id == operation_id]
    assert ours[-1] == (
        "operation_canceled" if plan.cancel_at else "operation_completed"
    )
    assert "operation_processing" in ours
    assert len(ours) == len(set(ours))
    assert coordinator.update_interval == IDLE_UPDATE_INTERVAL
    state = hass.states.get(f"event.{channel}_operations")
    assert state.attributes["operation_id"] == operation_id
    assert state.attributes["stats"]["total"] == 2
    if channel is Channel.EMAILS:
        # The emulator's emails report opened counts, as the reference does.
        assert "opened" in state.attributes["stats"]
    assert int(hass.states.get(in_window).state) == operations_before + 1


# Past both the client's timeout and the emulator's slow answer.
SLOW_ANSWER_MARGIN = REQUEST_TIMEOUT_MARGIN + timedelta(
    seconds=FaultConfig().slow_seconds
)


def slow_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every read the emulator answers slow, and no send."""

    def draw(self: FaultInjector, *, read: bool) -> str | None:
        if not read:
            return None
        self.counts["slow"] += 1
        return "slow"

    monkeypatch.setattr(FaultInjector, "draw_request_fault", draw)


@pytest.mark.parametrize(
    ("domain", "service", "data"),
    [
        (DOMAIN, "send_message", VALID["send_message"]),
        (DOMAIN, "send_push_notification", VALID["send_push_notification"]),
        (DOMAIN, "send_email", VALID["send_email"]),
        ("notify", "send_message", {"entity_id": "notify.alice", "message": "Hi"}),
    ],
)  # fmt: skip
async def test_send_returns_while_the_poll_after_it_is_slow(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry_with_recipient: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    *,
    domain: str,
    service: str,
    data: dict[str, Any],
) -> None:
    """A send returns once Twilio accepted it; following it never holds it up."""
    entry = mock_config_entry_with_recipient
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if domain == DOMAIN:
        data = {ATTR_CONFIG_ENTRY_ID: entry.entry_id, **data}
    with monkeypatch.context() as patched:
        slow_reads(patched)
        sending = asyncio.ensure_future(
            hass.services.async_call(domain, service, data, blocking=True)
        )
        # The loop's clock is frozen: a slow answer never comes unless time
        # moves, so the read that follows the send hangs.
        for _ in range(100):
            await asyncio.sleep(0)
        returned = sending.done()
    # Time out the slow read and end the emulator's wait, so the test ends
    # clean either way.
    while not sending.done():
        async_fire_time_changed(hass, dt_util.utcnow() + SLOW_ANSWER_MARGIN)
        await asyncio.sleep(0)
    async_fire_time_changed(hass, dt_util.utcnow() + SLOW_ANSWER_MARGIN)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert returned
    sending.result()
    assert sends(emulator) == 1
    assert emulator.faults.counts["slow"] == 1


@pytest.mark.parametrize(
    ("service", "data", "expected"),
    [
        (
            "send_message",
            {
                "recipients": "+1 (555) 867-5310",
                "recipient_channel": "phone",
                "text": "Snapshot attached",
                "sender": "+15550001111",
                "media_urls": ["https://example.com/snapshot.jpg"],
                "send_at": "2026-11-23T21:30:00+00:00",
                "tags": {"camera": "front"},
            },
            {
                "to": [{"address": "+15558675310", "channel": "PHONE"}],
                "content": {
                    "text": "Snapshot attached",
                    "media": [{"url": "https://example.com/snapshot.jpg"}],
                },
                "from": {"address": "+15550001111", "channel": "SMS"},
                "schedule": {"sendAt": ["2026-11-23T21:30:00Z"]},
                "tags": {"camera": "front"},
            },
        ),
        ("send_message", {"sender": "whatsapp:+15550001111"}, {"from": {"address": "+15550001111", "channel": "WHATSAPP"}}),
        ("send_message", {"sender": "+15550001111", "sender_channel": "rcs"}, {"from": {"address": "+15550001111", "channel": "RCS"}}),
        ("send_message", {"sender_id": "MG0123"}, {"from": {"senderId": "MG0123"}}),
        # One call reaches FCM and APN devices, besides the older tokens + provider form.
        (
            "send_push_notification",
            {
                "devices": [{"token": "fcm-token-2", "provider": "fcm"}, {"token": "apn-token-1", "provider": "APN"}],
                "device_tokens": ["fcm-token-1"],
                "provider": "FCM",
            },
            {
                "to": [
                    {"token": "fcm-token-1", "provider": "FCM"},
                    {"token": "fcm-token-2", "provider": "FCM"},
                    {"token": "apn-token-1", "provider": "APN"},
                ]
            },
        ),
        # Select options, and the API's spelling older automations use.
        ("send_push_notification", {"device_tokens": ["apn-token-1"], "provider": "apn", "priority": "high"}, {"to": [{"token": "apn-token-1", "provider": "APN"}], "priority": "HIGH"}),
        ("send_push_notification", {"device_tokens": ["apn-token-1"], "provider": "APN", "priority": "HIGH"}, {"to": [{"token": "apn-token-1", "provider": "APN"}], "priority": "HIGH"}),
        (
            "send_email",
            {
                "html": "<p>Door <b>open</b></p>",
                "text": "Door open",
                "sender": "home@example.com",
                "send_at": "2026-11-23T21:30:00+00:00",
            },
            {
                "to": [{"address": "ann@example.com"}],
                "content": {"subject": "S", "html": "<p>Door <b>open</b></p>", "text": "Door open"},
                "from": {"address": "home@example.com"},
                "schedule": {"sendAt": ["2026-11-23T21:30:00Z"]},
            },
        ),
        # HTML alone: Twilio makes the text from it, so none is sent.
        ("send_email", {"html": "<p>Hi</p>"}, {"content": {"subject": "S", "html": "<p>Hi</p>"}}),
    ],
    ids=["every-option", "whatsapp-sender", "rcs-sender", "sender-id", "both-providers", "options", "api-spelling", "email-every-option", "email-html-only"],
)  # fmt: skip
async def test_send_payloads(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    *,
    service: str,
    data: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    """Each option reaches the API as documented, in the API's upper-case values."""
    base = {
        "send_message": {"recipients": ["+15558675310"], "text": "Hi"},
        "send_push_notification": {"title": "Door", "body": "Open"},
        "send_email": {"recipients": ["ann@example.com"], "subject": "S"},
    }
    response = await call(hass, init_integration, service, **(base[service] | data))
    plan = emulator.world.find(
        SEND_CHANNELS[service], response["operation_id"], emulator.clock()
    )
    assert {key: plan.submitted.get(key) for key in expected} == expected


async def test_scheduled_send_is_not_polled_fast(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A send 35 days ahead, as far as Twilio schedules, waits without fast polling."""
    await settle_seeded(hass, freezer)
    when = dt_util.utcnow() + timedelta(days=35)
    response = await call(
        hass,
        init_integration,
        "send_message",
        recipients=["+15558675310"],
        text="Hi",
        send_at=when.isoformat(),
    )
    assert response["tracked"] is True
    plan = emulator.world.find("Messages", response["operation_id"], emulator.clock())
    assert plan.submitted["schedule"] == {"sendAt": [f"{when:%Y-%m-%dT%H:%M:%S}Z"]}
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = init_integration.runtime_data.coordinators["messages"]
    operation = coordinator.data.operations[response["operation_id"]]
    assert operation.status is OperationStatus.SCHEDULED
    assert coordinator.update_interval == ACTIVE_UPDATE_INTERVAL


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"recipients": ["5558675310"]}, ("invalid_recipient", {"address": "5558675310"})),
        ({"recipients": ["+1555"]}, ("invalid_recipient", {"address": "+1555"})),
        ({"sender": "Garage"}, ("invalid_sender", {"address": "Garage"})),
        ({"media_urls": ["file:///etc/passwd"]}, ("invalid_media_url", {"url": "file:///etc/passwd"})),
        ({"tags": {"bad key": "x"}}, ("invalid_tags", None)),
        ({"tags": {f"k{i}": "v" for i in range(11)}}, ("invalid_tags", None)),
        ({"send_at": "2026-11-23T11:00:00+00:00"}, ("send_at_in_past", None)),
        ({"send_at": "2026-11-22 12:00:00"}, ("send_at_in_past", None)),
        ({"recipients": ["+15558675310"] * 10_001}, ("too_many_recipients", {"max": "10000"})),
        ({"text": "   "}, ("empty_text", None)),
        ({"sender_id": " "}, ("invalid_sender_id", None)),
        ({"media_urls": [f"https://example.com/{i}.jpg" for i in range(11)]}, ("too_many_media_urls", {"max": "10"})),
        ({"send_at": "9999-12-31T23:59:00"}, ("send_at_too_far", {"days": "35"})),
        ({"send_at": "2026-12-28T12:00:01+00:00"}, ("send_at_too_far", {"days": "35"})),
        ({"text": "x" * 1601}, ("text_too_long", {"limit": "1600"})),
        ({"media_urls": ["https://e.com/" + "x" * 2048]}, ("media_url_too_long", {"limit": "2048"})),
        ({"recipients": ["+1" + "5" * 100_000]}, ("invalid_recipient", {"address": "+1" + "5" * 38 + "…"})),
        ({"sender": "x" * 100_000}, ("invalid_sender", {"address": "x" * 40 + "…"})),
    ],
)  # fmt: skip
async def test_send_message_input_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    data: dict[str, Any],
    expected: tuple[str, dict[str, str] | None],
) -> None:
    """Bad input is refused with a translated error, before anything is sent."""
    emulator.reset_requests()
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            init_integration,
            "send_message",
            **{"recipients": ["+15558675310"], "text": "Hi", **data},
        )
    assert err.value.translation_domain == DOMAIN
    assert (
        err.value.translation_key,
        err.value.translation_placeholders,
    ) == expected
    assert sends(emulator) == 0


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("send_message", {"sender": "+15550001111", "sender_id": "MG0123"}),
        ("send_message", {"recipient_channel": "pigeon"}),
        ("send_message", {"recipient_channel": 1}),
        ("send_message", {"recipients": []}),
        # LOW is not a priority Twilio's Comms documentation shows.
        ("send_push_notification", {"priority": "LOW"}),
        ("send_email", {"recipients": []}),
        ("send_email", {"subject": None}),
        # A name without the address it names.
        ("send_email", {"sender_name": "Home"}),
    ],
)
async def test_schema_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    service: str,
    data: dict[str, Any],
) -> None:
    """Exclusive senders, unknown options and no recipients fail the schema."""
    with pytest.raises(vol.Invalid):
        await call(hass, init_integration, service, **(VALID[service] | data))
    assert sends(emulator) == 0


# Each select of services.yaml whose options stand for the API's upper-case
# values, with the enum of those values.
API_SELECTS: Final = {
    ("send_message", "recipient_channel"): RecipientChannel,
    ("send_message", "sender_channel"): SenderChannel,
    ("send_push_notification", "provider"): PushProvider,
    ("send_push_notification", "priority"): PushPriority,
}


def test_select_options_stand_for_every_api_value() -> None:
    """Each API value has a lower-case option in services.yaml, and nothing else.

    hassfest refuses upper-case option keys, so the options differ from what
    the API reads; each must still name exactly one of its values.
    """
    services = yaml.safe_load((INTEGRATION_DIR / "services.yaml").read_text("utf-8"))
    selects = {
        (action, name): field["selector"]["select"]
        for action, spec in services.items()
        for name, field in spec["fields"].items()
        if "select" in field["selector"]
        and field["selector"]["select"]["translation_key"] != "channels"
    }
    assert set(selects) == set(API_SELECTS)
    for place, enum in API_SELECTS.items():
        options = selects[place]["options"]
        assert options == [member.lower() for member in enum], place
        assert [from_option(enum, option) for option in options] == list(enum)
        if "default" in (field := services[place[0]]["fields"][place[1]]):
            assert field["default"] in options


@pytest.mark.parametrize(
    ("break_api", "service", "translation_key", "placeholders"),
    [
        (lambda e: e.config.faults.update({"rate_limit": 1.0}), "send_message", "request_rate_limited", {"retry_after": "45"}),
        (lambda e: e.config.faults.update({"server_error": 1.0}), "send_message", "request_http_error", {"channel": "Messages", "status": "500"}),
        (lambda e: e.config.faults.update({"unavailable": 1.0}), "send_message", "request_http_error", {"channel": "Messages", "status": "503"}),
        (lambda e: e.set_entitled("PushNotifications", False), "send_push_notification", "channel_not_entitled", {"channel": "Push Notifications"}),
        # A 401 fails the send and asks for new credentials right away.
        (lambda e: e.credentials.clear(), "send_message", "invalid_auth", None),
        (lambda e: e.config.faults.update({"rate_limit": 1.0}), "send_email", "request_rate_limited", {"retry_after": "45"}),
        (lambda e: e.config.faults.update({"server_error": 1.0}), "send_email", "request_http_error", {"channel": "Emails", "status": "500"}),
        (lambda e: e.set_entitled("Emails", False), "send_email", "channel_not_entitled", {"channel": "Emails"}),
        (lambda e: e.credentials.clear(), "send_email", "invalid_auth", None),
    ],
    ids=["429", "500", "503", "403", "401", "email-429", "email-500", "email-403", "email-401"],
)  # fmt: skip
async def test_send_api_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    *,
    break_api: Callable[[Emulator], None],
    service: str,
    translation_key: str,
    placeholders: dict[str, str] | None,
) -> None:
    """What Twilio answers instead of 202 is a translated error, with its status."""
    monkeypatch.setattr(FaultInjector, "retry_after", lambda self, now: "45")
    break_api(emulator)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, init_integration, service, **VALID[service])
    assert not isinstance(err.value, ServiceValidationError)
    # The status, never the client's English text.
    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders == placeholders
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert len(flows) == (translation_key == "invalid_auth")
    assert all(flow["context"]["source"] == "reauth" for flow in flows)


async def test_send_timeout(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A send Twilio does not answer in time fails with a translated error."""
    emulator.config.faults.slow = 1.0
    sending = asyncio.ensure_future(send_hi(hass, init_integration))
    # The loop's clock is frozen: once the slow answer has started, move it
    # past the client's timeout.
    while not emulator.faults.counts["slow"]:
        await asyncio.sleep(0)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    with pytest.raises(HomeAssistantError) as err:
        await sending
    assert err.value.translation_key == "request_timeout"
    assert err.value.translation_placeholders == {"channel": "Messages"}


@pytest.mark.parametrize(
    ("error", "translation_key", "placeholders"),
    [
        (
            TwilioCommsBadRequestError(
                "POST /v1/Messages -> HTTP 400: content.text is too long",
                status=400,
                detail="content.text is too long",
            ),
            "request_rejected",
            # Twilio's own words, not the client's sentence around them.
            {"status": "400", "detail": "content.text is too long"},
        ),
        (
            # A 413 says the request was too large, not that Twilio was out of reach.
            TwilioCommsRequestTooLargeError(
                "POST /v1/Messages failed with HTTP 413", status=413
            ),
            "request_too_large",
            {"channel": "Messages"},
        ),
    ],
    ids=["400", "413"],
)
async def test_send_refused_by_twilio(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    error: Exception,
    translation_key: str,
    placeholders: dict[str, str],
) -> None:
    """What Twilio objected to, or that the request was too large, is said."""
    with (
        patch(
            "custom_components.twilio_comms.api.TwilioCommsClient.send",
            side_effect=error,
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await send_hi(hass, init_integration)
    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders == placeholders


@pytest.mark.parametrize(
    "error",
    [TwilioCommsServerError("HTTP 500", status=500), TimeoutError],
    ids=["fails", "too slow"],
)
async def test_send_message_answers_without_ids_it_cannot_list(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    error: Exception | type[Exception],
) -> None:
    """The send was made: a listing that fails or is slow leaves the ids out."""
    with patch(
        "custom_components.twilio_comms.api.TwilioCommsClient.iter_resources",
        side_effect=error,
    ):
        response = await send_hi(hass, init_integration)
    assert response["tracked"] is True
    assert response["messages"] is None
    assert sends(emulator) == 1


async def test_send_message_lists_only_for_a_response(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """Called without a response variable, send_message lists nothing."""
    emulator.reset_requests()
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {ATTR_CONFIG_ENTRY_ID: init_integration.entry_id, **VALID["send_message"]},
        blocking=True,
    )
    assert sends(emulator) == 1
    assert emulator.requests["GET /v1/{channel}"] == 0


@pytest.mark.parametrize(
    "emulator_config", [{"operation_id_mode": "none"}], indirect=True
)
async def test_send_accepted_without_operation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 202 that names no operation is a success that cannot be followed."""
    caplog.set_level(logging.WARNING)
    response = await send_hi(hass, init_integration)
    assert response == {"operation_id": None, "tracked": False}
    assert "cannot be followed" in caplog.text


@pytest.fixture
def emulator_config(
    emulator_config: EmulatorConfig, request: pytest.FixtureRequest
) -> EmulatorConfig:
    """Let a test change the emulated account's configuration."""
    changes: dict[str, Any] = getattr(request, "param", {})
    if not changes:
        return emulator_config
    return replace(emulator_config, **changes)


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({}, "no_push_recipients"),
        ({"device_tokens": ["t1"]}, "provider_required"),
        ({"user_ids": ["user-1"]}, "invalid_push_user_id"),
        ({"device_tokens": [" "], "provider": "apn"}, "invalid_device_token"),
        ({"user_ids": [PUSH_USER] * 10_001}, "too_many_recipients"),
        ({"user_ids": [PUSH_USER], "title": " "}, "empty_title"),
        ({"user_ids": [PUSH_USER], "body": " "}, "empty_body"),
        ({"user_ids": ["comms_pushnotificationuser_01h9"], "tags": {"a b": "c"}}, "invalid_tags"),
        ({"user_ids": [PUSH_USER], "title": "x" * 4001}, "push_content_too_long"),
        ({"devices": [{"token": "t" * 4097, "provider": "FCM"}]}, "device_token_too_long"),
        ({"user_ids": ["u" * 100_000]}, "invalid_push_user_id"),
    ],
)  # fmt: skip
async def test_send_push_notification_input_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    data: dict[str, Any],
    translation_key: str,
) -> None:
    """Bad push input is refused with a translated error, before anything is sent."""
    emulator.reset_requests()
    with pytest.raises(ServiceValidationError) as err:
        await push_door(hass, init_integration, **data)
    assert err.value.translation_key == translation_key
    for value in (err.value.translation_placeholders or {}).values():
        assert len(value) <= 41
    assert sends(emulator) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"recipients": ["ann"]}, ("invalid_email_address", {"address": "ann"})),
        ({"recipients": ["ann@example"]}, ("invalid_email_address", {"address": "ann@example"})),
        ({"recipients": ["Ann <ann@example.com>"]}, ("invalid_email_address", {"address": "Ann <ann@example.com>"})),
        ({"recipients": ["a@b.co\nBcc: x@y.z"]}, ("invalid_email_address", {"address": "a@b.co\nBcc: x@y.z"})),
        ({"recipients": ["a" * 250 + "@example.com"]}, ("invalid_email_address", {"address": "a" * 40 + "…"})),
        ({"recipients": ["ann@example.com"] * 10_001}, ("too_many_recipients", {"max": "10000"})),
        ({"sender": "home"}, ("invalid_email_address", {"address": "home"})),
        ({"sender": "home@example.com", "sender_name": " "}, ("invalid_email_name", None)),
        ({"sender": "home@example.com", "sender_name": "Home\r\nBcc: x@y.z"}, ("invalid_email_name", None)),
        ({"sender": "home@example.com", "sender_name": "n" * 257}, ("email_name_too_long", {"limit": "256"})),
        ({"subject": " "}, ("invalid_subject", None)),
        ({"subject": "Hi\nBcc: x@y.z"}, ("invalid_subject", None)),
        ({"subject": "s" * 999}, ("subject_too_long", {"limit": "998"})),
        ({"text": None}, ("empty_email", None)),
        ({"text": "  "}, ("empty_email", None)),
        ({"html": "<p>Hi</p>", "text": ""}, ("empty_email", None)),
        ({"text": "x" * 9_000_001}, ("email_too_large", {"limit": "9000000"})),
        ({"tags": {"bad key": "x"}}, ("invalid_tags", None)),
        ({"send_at": "2026-11-23T11:00:00+00:00"}, ("send_at_in_past", None)),
        ({"send_at": "2026-12-28T12:00:01+00:00"}, ("send_at_too_far", {"days": "35"})),
    ],
)  # fmt: skip
async def test_send_email_input_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    data: dict[str, Any],
    expected: tuple[str, dict[str, str] | None],
) -> None:
    """Bad email input is refused with a translated error, before anything is sent."""
    emulator.reset_requests()
    fields = {**VALID["send_email"], **data}
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            init_integration,
            "send_email",
            **{key: value for key, value in fields.items() if value is not None},
        )
    assert err.value.translation_domain == DOMAIN
    assert (
        err.value.translation_key,
        err.value.translation_placeholders,
    ) == expected
    assert sends(emulator) == 0


async def test_send_on_untracked_channel_is_not_followed(
    hass: HomeAssistant, emulator: Emulator, mock_config_entry: MockConfigEntry
) -> None:
    """A channel left out of the options can still be sent on."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**DEFAULT_OPTIONS, CONF_CHANNELS: ["messages"]}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    response = await push_door(hass, mock_config_entry, user_ids=[PUSH_USER])
    assert response["tracked"] is True
    assert "push_notifications" not in mock_config_entry.runtime_data.coordinators


async def test_get_operation(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    snapshot: SnapshotAssertion,
) -> None:
    """An operation is answered with its stats, times and every resource."""
    coordinator = init_integration.runtime_data.coordinators["messages"]
    latest = coordinator.data.latest
    response = await call(
        hass,
        init_integration,
        "get_operation",
        channel="messages",
        operation_id=latest.id,
    )
    assert response["operation_id"] == latest.id
    assert response["channel"] == "messages"
    assert len(response["resources"]) == latest.stats.total
    assert response["more_resources"] is False
    assert response == snapshot


@pytest.mark.parametrize(
    ("recipients", "listed", "more", "pages"),
    [(2500, 2500, False, 3), (10_001, 10_000, True, 10)],
    ids=["every page", "bounded"],
)
async def test_get_operation_reads_every_page(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    *,
    recipients: int,
    listed: int,
    more: bool,
    pages: int,
) -> None:
    """Every resource is answered, in pages of 1,000, up to 10 pages."""
    plan = emulator.world.send(
        "Messages",
        emulator.clock(),
        addresses=tuple(f"+1555{index:07d}" for index in range(recipients)),
        send_at=None,
        tags={},
    )
    emulator.reset_requests()
    response = await call(
        hass,
        init_integration,
        "get_operation",
        channel="messages",
        operation_id=plan.id,
    )
    assert len(response["resources"]) == listed
    assert len({resource["id"] for resource in response["resources"]}) == listed
    assert response["resources"][-1]["to"] == f"+1555{listed - 1:07d}"
    assert response["more_resources"] is more
    assert emulator.requests["GET /v1/{channel}"] == pages


@pytest.mark.parametrize(
    ("operation_id", "translation_key"),
    [
        ("comms_operation_../../Messages", "invalid_operation_id"),
        ("SM0123456789abcdef0123456789abcdef", "invalid_operation_id"),
        (UNKNOWN_OPERATION, "operation_not_found"),
    ],
)
async def test_get_operation_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    operation_id: str,
    translation_key: str,
) -> None:
    """A malformed or unknown id gets a clear, translated error."""
    emulator.reset_requests()
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            init_integration,
            "get_operation",
            channel="emails",
            operation_id=operation_id,
        )
    assert err.value.translation_key == translation_key
    if translation_key == "invalid_operation_id":
        assert emulator.requests["total"] == 0


async def get_latest_listing_failing(
    hass: HomeAssistant, entry: MockConfigEntry, error: Exception
) -> dict[str, Any]:
    """Call get_operation for the latest message operation, its listing failing."""
    latest = entry.runtime_data.coordinators["messages"].data.latest
    with patch(
        "custom_components.twilio_comms.api.TwilioCommsClient.iter_resources",
        side_effect=error,
    ):
        return await call(
            hass, entry, "get_operation", channel="messages", operation_id=latest.id
        )


async def test_get_operation_resources_failing(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A 404 of the resources, the operation read, answers the operation; else fails."""
    latest = init_integration.runtime_data.coordinators["messages"].data.latest
    response = await get_latest_listing_failing(
        hass, init_integration, TwilioCommsNotFoundError("HTTP 404", status=404)
    )
    assert response["operation_id"] == latest.id
    assert response["resources"] is None
    assert response["more_resources"] is None
    with pytest.raises(HomeAssistantError) as err:
        await get_latest_listing_failing(
            hass, init_integration, TwilioCommsServerError("HTTP 500", status=500)
        )
    assert err.value.translation_key == "request_http_error"


async def test_get_operation_garbage_answer(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """An answer that is not JSON is a translated failure, not a crash."""
    latest = init_integration.runtime_data.coordinators["messages"].data.latest
    emulator.config.faults.malformed_json = 1.0
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            init_integration,
            "get_operation",
            channel="messages",
            operation_id=latest.id,
        )
    assert err.value.translation_key == "request_invalid_response"


async def test_actions_need_a_loaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An unknown or unloaded entry is refused with Home Assistant's own errors."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "send_message",
            {
                ATTR_CONFIG_ENTRY_ID: "nope",
                "recipients": ["+15558675310"],
                "text": "Hi",
            },
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "service_config_entry_not_found"
    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await send_hi(hass, init_integration)
    assert err.value.translation_key == "service_config_entry_not_loaded"


def test_a_request_the_client_refuses_is_an_input_error() -> None:
    """A client rule without a message of its own still reads as the user's input.

    Its English text stays in the chain, never in the translated message.
    """
    err = invalid_request(TwilioCommsValidationError("A rule of the client's"))
    assert err.translation_key == "invalid_request"
    assert err.translation_placeholders is None
