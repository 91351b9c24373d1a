"""Tests of the tools Twilio Comms gives Assist and LLM agents (llm.py).

Each tool is fetched and called through Home Assistant's own LLM API, as a
conversation agent does, against the emulator.
"""

from datetime import timedelta
import json
import re
from typing import Any, Final

from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from comms_emulator import Emulator
from custom_components.twilio_comms.const import (
    CONF_ADDRESS,
    CONF_CHANNELS,
    CONF_RECIPIENT_CHANNEL,
    CONF_WINDOW_HOURS,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)

from .common import ACCOUNT_SID, ALICE_SUBENTRY, SECRETS
from .test_notify import ANN_SUBENTRY, sent_messages

# Home Assistant 2026.8 added the platform; older releases load no tools.
pytest.importorskip("homeassistant.components.llm")

REPORT: Final = "twilio_comms__get_sending_report"
SEND: Final = "twilio_comms__send_text_message"
ALICE: Final = "notify.alice"
SEND_ROUTE: Final = "POST /v1/{channel}"
GET_ROUTE: Final = "GET /v1/{channel}/Operations/{operation_id}"

# A phone number in E.164 (timestamps' +00:00 is none).
E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")

# The most text one answer of a tool may hold, for one account.
MAX_ANSWER: Final = 6000


def llm_context(assistant: str = "conversation") -> llm.LLMContext:
    """Return the context a conversation agent calls tools in."""
    return llm.LLMContext(
        platform="test",
        context=Context(),
        language="en",
        assistant=assistant,
        device_id=None,
    )


async def agent_tools(hass: HomeAssistant) -> llm.APIInstance:
    """Return the Assist API as an agent gets it for one conversation turn."""
    return await llm.async_get_api(hass, llm.LLM_API_ASSIST, llm_context())


def ours(api: llm.APIInstance) -> dict[str, llm.Tool]:
    """Return the integration's tools among the API's, by name."""
    return {tool.name: tool for tool in api.tools if tool.integration == DOMAIN}


async def call(hass: HomeAssistant, name: str, **args: Any) -> llm.ToolResult:
    """Call a tool through the API, as an agent does."""
    api = await agent_tools(hass)
    return await api.async_call_tool(llm.ToolInput(tool_name=name, tool_args=args))


@pytest.fixture(autouse=True)
async def assist(hass: HomeAssistant) -> None:
    """Set up what serves the Assist API: exposure settings and the LLM API."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "llm", {})


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry_with_recipient: MockConfigEntry,
) -> MockConfigEntry:
    """Set up the account with Alice, her notify entity exposed to Assist."""
    entry = mock_config_entry_with_recipient
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    async_expose_entity(hass, "conversation", ALICE, True)
    return entry


async def setup_entry(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    subentries: list[ConfigSubentryDataWithId],
    **options: Any,
) -> MockConfigEntry:
    """Set up a copy of an entry with other recipients and options."""
    changed = MockConfigEntry(
        domain=entry.domain,
        entry_id=entry.entry_id,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options={**entry.options, **options},
        subentries_data=subentries,
    )
    changed.add_to_hass(hass)
    await hass.config_entries.async_setup(changed.entry_id)
    await hass.async_block_till_done()
    return changed


@pytest.mark.usefixtures("init_integration")
async def test_report_tells_the_emulators_figures(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The report tool answers "how did today's messages do?" with Twilio's figures."""
    tool = ours(await agent_tools(hass))[REPORT]
    assert tool.annotations.read_only
    assert tool.annotations.idempotent
    assert not tool.annotations.destructive
    emulator.reset_requests()

    result = await call(hass, REPORT)

    assert not result.error
    # Answered from what the integration polled: no request to Twilio.
    assert emulator.requests["total"] == 0
    (account,) = result.data["accounts"]
    assert account["window_hours"] == 24
    assert set(account["channels"]) == {"messages", "push_notifications", "emails"}
    messages = account["channels"]["messages"]
    truth = emulator.truth("Messages")
    assert messages["available"]
    assert messages["totals"] == truth["totals"]
    assert messages["operations"] == len(truth["operations"])
    assert messages["failure_rate"] == float(
        hass.states.get("sensor.messages_failure_rate").state
    )
    latest = truth["operations"][0]
    assert messages["latest_operation"]["operation_id"] == latest["id"]
    assert messages["latest_operation"]["status"] == latest["status"].lower()
    assert messages["latest_operation"]["stats"] == latest["stats"]
    # "Did the last push go out?"
    push = account["channels"]["push_notifications"]["latest_operation"]
    latest_push = emulator.truth("PushNotifications")["operations"][0]
    assert push["operation_id"] == latest_push["id"]
    assert push["status"] == latest_push["status"].lower()


async def test_send_tool_texts_the_recipient(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """The send tool texts Alice, and the report tool then tells how that send is doing."""
    tool = ours(await agent_tools(hass))[SEND]
    assert tool.annotations.destructive
    assert tool.annotations.open_world
    assert not tool.annotations.read_only
    assert not tool.annotations.idempotent

    result = await call(hass, SEND, recipient="Alice", message="Dinner is ready")

    assert not result.error
    (plan,) = sent_messages(emulator)
    assert emulator.requests[SEND_ROUTE] == 1
    # As her notify entity sends: to her number, from her sender.
    assert plan.submitted == {
        "to": [{"address": "+15558675310", "channel": "PHONE"}],
        "content": {"text": "Dinner is ready"},
        "from": {"address": "+15550001111", "channel": "SMS"},
    }
    assert result.data == {"recipient": "Alice", "operation_id": plan.id}
    # The integration follows its send, so the report knows it at once.
    await hass.async_block_till_done(wait_background_tasks=True)
    followed = await call(hass, REPORT, operation_id=plan.id)
    assert followed.data["channel"] == "messages"
    assert followed.data["operation_id"] == plan.id
    coordinator = init_integration.runtime_data.coordinators["messages"]
    operation = coordinator.data.operations[plan.id]
    assert followed.data["status"] == operation.status.value
    assert followed.data["stats"] == operation.stats.as_dict()


@pytest.mark.usefixtures("init_integration")
async def test_recipient_answers_to_its_aliases(
    hass: HomeAssistant, emulator: Emulator, entity_registry: er.EntityRegistry
) -> None:
    """An alias given to the notify entity is a name the tool texts by, as Assist's."""
    entity_registry.async_update_entity(ALICE, aliases=[er.COMPUTED_NAME, "Mum"])
    result = await call(hass, SEND, recipient="Mum", message="On my way")
    assert result.data["recipient"] == "Mum"
    (plan,) = sent_messages(emulator)
    assert plan.submitted["to"] == [{"address": "+15558675310", "channel": "PHONE"}]
    assert not (await call(hass, SEND, recipient="Alice", message="Hi")).error


@pytest.mark.usefixtures("init_integration")
async def test_unknown_recipient_sends_nothing(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A name that is no recipient is an error naming those there are, and no send."""
    result = await call(hass, SEND, recipient="+15551234567", message="Hi")

    assert result.error
    assert result.data == {
        "error": "No recipient named +15551234567; the recipients are Alice"
    }
    assert emulator.requests[SEND_ROUTE] == 0
    assert sent_messages(emulator) == []


@pytest.mark.usefixtures("init_integration")
async def test_send_tool_input_errors(hass: HomeAssistant, emulator: Emulator) -> None:
    """A blank text is refused as notify refuses it; a missing one fails the schema."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SEND, recipient="Alice", message="  ")
    assert err.value.translation_key == "empty_text"
    with pytest.raises(vol.Invalid, match="message"):
        await call(hass, SEND, recipient="Alice")
    assert emulator.requests[SEND_ROUTE] == 0


@pytest.mark.usefixtures("init_integration")
async def test_twilio_failure_of_a_send_is_translated(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """What Twilio refuses reads as notify's error does."""
    emulator.config.faults.rate_limit = 1.0
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SEND, recipient="Alice", message="Hi")
    assert err.value.translation_key == "request_rate_limited"
    assert sent_messages(emulator) == []


@pytest.mark.usefixtures("emulator")
async def test_send_tool_only_for_exposed_recipients(
    hass: HomeAssistant, mock_config_entry_with_recipient: MockConfigEntry
) -> None:
    """A recipient is texted only once the user exposed its notify entity to Assist."""
    await setup_entry(hass, mock_config_entry_with_recipient, [ALICE_SUBENTRY])
    assert set(ours(await agent_tools(hass))) == {REPORT}
    async_expose_entity(hass, "conversation", ALICE, True)
    tools = ours(await agent_tools(hass))
    assert set(tools) == {REPORT, SEND}
    # Exposed to one assistant is not exposed to another.
    other = await llm.async_get_api(
        hass, llm.LLM_API_ASSIST, llm_context("cloud.alexa")
    )
    assert set(ours(other)) == {REPORT}


@pytest.mark.usefixtures("emulator")
async def test_no_send_tool_without_the_messages_channel(
    hass: HomeAssistant, mock_config_entry_with_recipient: MockConfigEntry
) -> None:
    """An account that does not track Messages offers no texts, and reports what it tracks."""
    await setup_entry(
        hass,
        mock_config_entry_with_recipient,
        [ALICE_SUBENTRY],
        **{CONF_CHANNELS: ["push_notifications"]},
    )
    async_expose_entity(hass, "conversation", ALICE, True)
    assert set(ours(await agent_tools(hass))) == {REPORT}
    result = await call(hass, REPORT)
    assert set(result.data["accounts"][0]["channels"]) == {"push_notifications"}


@pytest.mark.usefixtures("emulator")
async def test_email_recipients_are_not_texted(
    hass: HomeAssistant, mock_config_entry_with_recipient: MockConfigEntry
) -> None:
    """Only phone and WhatsApp recipients are offered to the send tool."""
    await setup_entry(
        hass, mock_config_entry_with_recipient, [ALICE_SUBENTRY, ANN_SUBENTRY]
    )
    async_expose_entity(hass, "conversation", ALICE, True)
    async_expose_entity(hass, "conversation", "notify.ann", True)
    result = await call(hass, SEND, recipient="Ann", message="Hi")
    assert result.data == {"error": "No recipient named Ann; the recipients are Alice"}


@pytest.mark.usefixtures("emulator")
async def test_a_name_two_recipients_share_texts_neither(
    hass: HomeAssistant, mock_config_entry_with_recipient: MockConfigEntry
) -> None:
    """Two recipients called Alice: the tool cannot tell them apart, so offers neither."""
    other_alice = ConfigSubentryDataWithId(
        subentry_id="01KTWC0MMSTESTRECIPIENT003",
        data={CONF_ADDRESS: "+15558675399", CONF_RECIPIENT_CHANNEL: "phone"},
        subentry_type=SUBENTRY_RECIPIENT,
        title="Alice",
        unique_id="PHONE:+15558675399",
    )
    await setup_entry(
        hass, mock_config_entry_with_recipient, [ALICE_SUBENTRY, other_alice]
    )
    async_expose_entity(hass, "conversation", ALICE, True)
    async_expose_entity(hass, "conversation", "notify.alice_2", True)
    assert set(ours(await agent_tools(hass))) == {REPORT}


async def test_no_tools_without_a_loaded_account(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """An account not loaded has no tools, and other LLM APIs get none."""
    assert set(ours(await agent_tools(hass))) == {REPORT, SEND}
    # pylint: disable-next=import-outside-toplevel
    from homeassistant.components.llm import async_get_tools  # noqa: PLC0415

    other_api = await async_get_tools(hass, llm_context(), "another_api")
    assert not [tool for tool in other_api.tools if tool.integration == DOMAIN]
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert ours(await agent_tools(hass)) == {}


@pytest.mark.usefixtures("init_integration")
async def test_operation_in_the_window_is_answered_without_a_request(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """An operation the window holds is answered from it."""
    push = emulator.truth("PushNotifications")["operations"][3]
    emulator.reset_requests()
    result = await call(hass, REPORT, operation_id=f" {push['id']} ")
    assert emulator.requests["total"] == 0
    assert result.data["channel"] == "push_notifications"
    assert result.data["operation_id"] == push["id"]
    assert result.data["status"] == push["status"].lower()
    assert result.data["stats"] == push["stats"]


@pytest.mark.usefixtures("emulator")
async def test_operation_older_than_the_window_is_read_from_twilio(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry_with_recipient: MockConfigEntry,
) -> None:
    """An operation older than the window is asked for, channel by channel."""
    await setup_entry(
        hass,
        mock_config_entry_with_recipient,
        [ALICE_SUBENTRY],
        **{CONF_WINDOW_HOURS: 1},
    )
    window_start = emulator.clock() - timedelta(hours=1)
    recent = {op["id"] for op in emulator.truth("Emails", window_start)["operations"]}
    old = next(
        op for op in emulator.truth("Emails")["operations"] if op["id"] not in recent
    )
    emulator.reset_requests()
    result = await call(hass, REPORT, operation_id=old["id"])
    assert result.data["channel"] == "emails"
    assert result.data["operation_id"] == old["id"]
    assert result.data["status"] == old["status"].lower()
    # Messages and Push Notifications answered 404 first, then Emails.
    assert emulator.requests[GET_ROUTE] == 3


@pytest.mark.usefixtures("init_integration")
async def test_operation_lookup_errors(hass: HomeAssistant, emulator: Emulator) -> None:
    """An id that is none, or no operation's, is an error, repeated cut short."""
    result = await call(hass, REPORT, operation_id="x" * 10_000)
    assert result.error
    assert len(json.dumps(result.data)) < 200
    missing = "comms_operation_01jx0000000000000000000000"
    result = await call(hass, REPORT, operation_id=missing)
    assert result.data == {
        "error": f"No operation {missing[:40]}… on any tracked channel; Twilio "
        "keeps operations for 7 days"
    }
    # One request per tracked channel, then nothing more.
    assert emulator.requests[GET_ROUTE] == 3
    emulator.credentials.clear()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, REPORT, operation_id=missing)
    assert err.value.translation_key == "invalid_auth"


@pytest.mark.usefixtures("emulator")
async def test_channel_that_failed_to_load_is_unavailable(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry_with_recipient: MockConfigEntry,
) -> None:
    """A channel whose first refresh failed is reported unavailable, the others as usual."""
    emulator.entitled.discard("PushNotifications")
    await setup_entry(hass, mock_config_entry_with_recipient, [ALICE_SUBENTRY])
    channels = (await call(hass, REPORT)).data["accounts"][0]["channels"]
    assert channels["push_notifications"] == {"available": False}
    assert channels["messages"]["available"]


async def test_answers_are_bounded_and_tell_no_secret_or_number(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """No answer holds a credential, a phone number, or more than a bounded text."""
    operation_id = emulator.truth("Messages")["operations"][0]["id"]
    answers = [
        await call(hass, REPORT),
        await call(hass, REPORT, operation_id=operation_id),
        await call(hass, REPORT, operation_id="comms_operation_" + "a" * 5000),
        await call(hass, SEND, recipient="Bob" * 5000, message="Hi"),
        await call(hass, SEND, recipient="Alice", message="Hi"),
    ]
    await hass.async_block_till_done(wait_background_tasks=True)
    answers.append(await call(hass, REPORT))
    # Every number the emulator's operations went to, and the senders.
    numbers = {
        address
        for channel in emulator.world.channels.values()
        for plan in channel.plans
        for address in plan.addresses
    } | {"+15550001111", "+15558675310"}
    for answer in answers:
        text = json.dumps(answer.data)
        assert len(text) < MAX_ANSWER
        assert E164.search(text) is None, text
        assert not [number for number in numbers if number in text]
        for secret in (*SECRETS, ACCOUNT_SID):
            assert secret not in text
