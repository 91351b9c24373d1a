"""Tests of recipient subentries and their notify entities."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.notify import (
    ATTR_MESSAGE,
    ATTR_TITLE,
    DOMAIN as NOTIFY_DOMAIN,
    SERVICE_SEND_MESSAGE,
)
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigSubentryDataWithId,
)
from homeassistant.const import ATTR_ENTITY_ID, CONF_NAME, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from comms_emulator import Emulator
from comms_emulator.lifecycle import OperationPlan
from custom_components.twilio_comms.const import (
    CONF_ADDRESS,
    CONF_CHANNELS,
    CONF_RECIPIENT_CHANNEL,
    CONF_SENDER,
    CONF_SENDER_CHANNEL,
    DOMAIN,
    SENT_UPDATE_INTERVAL,
    SUBENTRY_RECIPIENT,
)

from .common import ALICE_SUBENTRY, SECRETS

ALICE = "notify.alice"
ANN = "notify.ann"

# An email recipient beside Alice, with a sender address of its own; the
# address is kept as typed, and is one recipient whatever its case.
ANN_ID = "01KTWC0MMSTESTRECIPIENT002"
ANN_SUBENTRY = ConfigSubentryDataWithId(
    subentry_id=ANN_ID,
    data={
        CONF_ADDRESS: "Ann@Example.com",
        CONF_RECIPIENT_CHANNEL: "email",
        CONF_SENDER: "alerts@example.com",
    },
    subentry_type=SUBENTRY_RECIPIENT,
    title="Ann",
    unique_id="EMAIL:ann@example.com",
)


@pytest.fixture
def mock_config_entry(
    mock_config_entry_with_recipient: MockConfigEntry,
) -> MockConfigEntry:
    """Return the emulated account with one recipient, Alice."""
    return mock_config_entry_with_recipient


def sent_messages(emulator: Emulator) -> list[OperationPlan]:
    """Return the Messages operations made by send requests, oldest first."""
    return [
        plan for plan in emulator.world.channels["Messages"].plans if plan.submitted
    ]


def sent_emails(emulator: Emulator) -> list[OperationPlan]:
    """Return the Emails operations made by send requests, oldest first."""
    return [plan for plan in emulator.world.channels["Emails"].plans if plan.submitted]


@pytest.fixture
def with_ann(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """Return the emulated account with Alice and Ann, an email recipient."""
    return MockConfigEntry(
        domain=mock_config_entry.domain,
        entry_id=mock_config_entry.entry_id,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        options=dict(mock_config_entry.options),
        subentries_data=[ALICE_SUBENTRY, ANN_SUBENTRY],
    )


@pytest.fixture
async def init_with_ann(
    hass: HomeAssistant, emulator: Emulator, with_ann: MockConfigEntry
) -> MockConfigEntry:
    """Set up the account with Alice and Ann against the emulator."""
    with_ann.add_to_hass(hass)
    await hass.config_entries.async_setup(with_ann.entry_id)
    await hass.async_block_till_done()
    return with_ann


def channel_device(
    device_registry: dr.DeviceRegistry, entry: MockConfigEntry, channel: str
) -> dr.DeviceEntry:
    """Return the device of one of an account's channels."""
    return next(
        candidate
        for candidate in dr.async_entries_for_config_entry(
            device_registry, entry.entry_id
        )
        if (DOMAIN, f"{entry.unique_id}_{channel}") in candidate.identifiers
    )


async def notify(hass: HomeAssistant, entity_id: str, **data: Any) -> None:
    """Send a message through a notify entity, as an automation would."""
    await hass.services.async_call(
        NOTIFY_DOMAIN,
        SERVICE_SEND_MESSAGE,
        {ATTR_ENTITY_ID: entity_id, **data},
        blocking=True,
    )


async def recipient_form(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str | None = None
) -> dict[str, Any]:
    """Open the form that adds a recipient, or that edits the one given."""
    context = (
        {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
        if subentry_id
        else {"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context=context
    )
    assert result["step_id"] == ("reconfigure" if subentry_id else "user")
    return dict(result)


def suggested(form: dict[str, Any]) -> dict[str, Any]:
    """Return the values a form suggests, by field."""
    return {
        str(key): key.description["suggested_value"]
        for key in form["data_schema"].schema
        if key.description
    }


async def test_recipient_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Each recipient is a notify entity on a device of its own."""
    entity = entity_registry.async_get(ALICE)
    assert entity is not None
    assert entity.config_subentry_id == next(iter(init_integration.subentries))
    assert entity == snapshot(name="entity")
    assert hass.states.get(ALICE) == snapshot(name="state")
    device = device_registry.async_get(entity.device_id)
    assert device.name == "Alice"
    # It hangs under the account's Messages device, which sends for it.
    messages = next(
        candidate
        for candidate in dr.async_entries_for_config_entry(
            device_registry, init_integration.entry_id
        )
        if (DOMAIN, f"{init_integration.unique_id}_messages") in candidate.identifiers
    )
    assert device.via_device_id == messages.id


@pytest.mark.usefixtures("emulator")
async def test_recipient_without_tracked_messages(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """With Messages untracked, a recipient's device stands on its own and works."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={**mock_config_entry.options, CONF_CHANNELS: ["push_notifications"]},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    device = device_registry.async_get(entity_registry.async_get(ALICE).device_id)
    assert device.via_device_id is None
    await notify(hass, ALICE, **{ATTR_MESSAGE: "Door open"})


async def test_notify_sends_and_follows(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """notify.send_message texts the recipient from its sender and records the send."""
    assert hass.states.get(ALICE).state == STATE_UNKNOWN
    await notify(hass, ALICE, **{ATTR_MESSAGE: "Door open", ATTR_TITLE: "Garage"})
    (ours,) = sent_messages(emulator)
    assert emulator.requests["POST /v1/{channel}"] == 1
    assert ours.submitted == {
        "to": [{"address": "+15558675310", "channel": "PHONE"}],
        "content": {"text": "Garage\nDoor open"},
        "from": {"address": "+15550001111", "channel": "SMS"},
    }
    state = hass.states.get(ALICE)
    assert state.state == "2026-11-23T12:00:00+00:00"
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = init_integration.runtime_data.coordinators["messages"]
    assert ours.id in coordinator.data.operations
    assert coordinator.update_interval == SENT_UPDATE_INTERVAL


async def test_notify_failure_is_translated_and_not_recorded(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """A send Twilio refuses raises a translated error and records nothing."""
    emulator.config.faults.rate_limit = 1.0
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, ALICE, **{ATTR_MESSAGE: "Door open"})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "request_rate_limited"
    assert hass.states.get(ALICE).state == STATE_UNKNOWN
    for secret in SECRETS:
        assert secret not in str(err.value.translation_placeholders)


async def test_add_recipient(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    emulator: Emulator,
) -> None:
    """A recipient added in the UI becomes a notify entity; a bad number is refused."""
    result = await recipient_form(hass, init_integration)
    user_input = {
        CONF_NAME: "Bob",
        CONF_ADDRESS: "555 0100",
        CONF_RECIPIENT_CHANNEL: "phone",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {CONF_ADDRESS: "invalid_address"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**user_input, CONF_ADDRESS: "whatsapp:+44 20 7946 0100", CONF_SENDER: "x"},
    )
    assert result["errors"] == {CONF_SENDER: "invalid_sender"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_ADDRESS: "whatsapp:+44 20 7946 0100"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Bob"
    assert result["data"] == {
        CONF_ADDRESS: "+442079460100",
        CONF_RECIPIENT_CHANNEL: "whatsapp",
        CONF_SENDER: None,
        CONF_SENDER_CHANNEL: None,
    }
    # The API's spelling, as the ids of recipients added before had it.
    assert result["unique_id"] == "WHATSAPP:+442079460100"
    await hass.async_block_till_done()
    assert hass.states.get("notify.bob") is not None
    assert entity_registry.async_get("notify.bob").config_subentry_id is not None
    await notify(hass, "notify.bob", **{ATTR_MESSAGE: "Hello"})
    assert sent_messages(emulator)[-1].submitted["to"] == [
        {"address": "+442079460100", "channel": "WHATSAPP"}
    ]


async def test_add_same_recipient_twice_aborts(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The same number on the same channel cannot be added twice."""
    result = await recipient_form(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Alice again",
            CONF_ADDRESS: "+1 555 867 5310",
            CONF_RECIPIENT_CHANNEL: "phone",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_edit_recipient(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """Editing a recipient shows its values and sends to the new number afterwards."""
    subentry_id = next(iter(init_integration.subentries))
    result = await recipient_form(hass, init_integration, subentry_id)
    assert suggested(result) == {
        CONF_NAME: "Alice",
        CONF_ADDRESS: "+15558675310",
        # Alice was stored with the API's PHONE; the form offers phone.
        CONF_RECIPIENT_CHANNEL: "phone",
        CONF_SENDER: "+15550001111",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Alice",
            CONF_ADDRESS: "+15558675399",
            CONF_RECIPIENT_CHANNEL: "phone",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    subentry = init_integration.subentries[subentry_id]
    assert subentry.data[CONF_ADDRESS] == "+15558675399"
    assert subentry.data[CONF_SENDER] is None

    await notify(hass, ALICE, **{ATTR_MESSAGE: "New number"})
    ours = sent_messages(emulator)[-1]
    assert ours.submitted["to"] == [{"address": "+15558675399", "channel": "PHONE"}]
    assert "from" not in ours.submitted


async def test_remove_recipient(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Removing a recipient removes its entity and device."""
    subentry_id = next(iter(init_integration.subentries))
    device_id = entity_registry.async_get(ALICE).device_id
    assert hass.config_entries.async_remove_subentry(init_integration, subentry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(ALICE) is None
    assert hass.states.get(ALICE) is None
    assert device_registry.async_get(device_id) is None


async def test_whatsapp_sender_keeps_its_channel(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """A whatsapp: sender sends on WhatsApp, as in the action, and shows so when edited."""
    result = await recipient_form(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Bob",
            CONF_ADDRESS: "+442079460100",
            CONF_RECIPIENT_CHANNEL: "phone",
            CONF_SENDER: "whatsapp:+15550001111",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await notify(hass, "notify.bob", **{ATTR_MESSAGE: "Hi"})
    assert sent_messages(emulator)[-1].submitted["from"] == {
        "address": "+15550001111",
        "channel": "WHATSAPP",
    }
    subentry_id = next(
        key for key, sub in init_integration.subentries.items() if sub.title == "Bob"
    )
    result = await recipient_form(hass, init_integration, subentry_id)
    assert suggested(result)[CONF_SENDER] == "whatsapp:+15550001111"


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({ATTR_MESSAGE: "  "}, "empty_text"),
        # A title alone is no message.
        ({ATTR_MESSAGE: "  ", ATTR_TITLE: "Title"}, "empty_text"),
        # Past Twilio's 1600 characters, with the title's line.
        ({ATTR_MESSAGE: "x" * 1600, ATTR_TITLE: "Title"}, "text_too_long"),
    ],
)
async def test_notify_input_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    emulator: Emulator,
    data: dict[str, str],
    translation_key: str,
) -> None:
    """A message Twilio would refuse is an input error, saying why; nothing is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, ALICE, **data)
    assert err.value.translation_key == translation_key
    assert emulator.requests["POST /v1/{channel}"] == 0


# ------------------------------------------------------------ email recipients


async def test_email_recipient_sends_and_follows(
    hass: HomeAssistant,
    init_with_ann: MockConfigEntry,
    emulator: Emulator,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """An email recipient's notify entity emails it: the title is the subject.

    The message is the text, and HTML made from it, escaped, as send_email
    makes it; the recipient's name addresses it; the send is followed on the
    Emails channel, whose device the recipient's hangs under. Alice, a phone
    recipient beside it, still texts.
    """
    entity = entity_registry.async_get(ANN)
    assert entity.config_subentry_id == ANN_ID
    device = device_registry.async_get(entity.device_id)
    assert device.name == "Ann"
    emails = channel_device(device_registry, init_with_ann, "emails")
    assert device.via_device_id == emails.id

    await notify(
        hass,
        ANN,
        **{ATTR_MESSAGE: "Door <open> & lit\n\nSince 9:00", ATTR_TITLE: "Garage"},
    )
    (ours,) = sent_emails(emulator)
    assert ours.submitted == {
        "to": [{"address": "Ann@Example.com", "name": "Ann"}],
        "content": {
            "subject": "Garage",
            "html": "<p>Door &lt;open&gt; &amp; lit</p><p>Since 9:00</p>",
            "text": "Door <open> & lit\n\nSince 9:00",
        },
        "from": {"address": "alerts@example.com"},
    }
    assert hass.states.get(ANN).state == "2026-11-23T12:00:00+00:00"
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = init_with_ann.runtime_data.coordinators["emails"]
    assert ours.id in coordinator.data.operations
    assert coordinator.update_interval == SENT_UPDATE_INTERVAL

    await notify(hass, ALICE, **{ATTR_MESSAGE: "Door open"})
    assert sent_messages(emulator)[-1].submitted["to"] == [
        {"address": "+15558675310", "channel": "PHONE"}
    ]


async def test_email_without_title_has_the_default_subject(
    hass: HomeAssistant, init_integration: MockConfigEntry, emulator: Emulator
) -> None:
    """Without a title the subject is Home Assistant's default notification title.

    A recipient added without a name is titled with its address, and its
    emails name no one; without a sender, the email names none.
    """
    result = await recipient_form(hass, init_integration)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: " ",
            CONF_ADDRESS: " bob@example.com ",
            CONF_RECIPIENT_CHANNEL: "email",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "bob@example.com"
    await hass.async_block_till_done()
    (entity_id,) = [
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if entry.domain == NOTIFY_DOMAIN and entry.entity_id != ALICE
    ]
    await notify(hass, entity_id, **{ATTR_MESSAGE: "Door open", ATTR_TITLE: " "})
    (ours,) = sent_emails(emulator)
    assert ours.submitted == {
        "to": [{"address": "bob@example.com"}],
        "content": {
            "subject": "Home Assistant",
            "html": "<p>Door open</p>",
            "text": "Door open",
        },
    }


async def test_email_title_over_lines_is_one_subject_line(
    hass: HomeAssistant, init_with_ann: MockConfigEntry, emulator: Emulator
) -> None:
    """A title over several lines (a template's, say) is the subject on one line."""
    await notify(
        hass,
        ANN,
        **{ATTR_MESSAGE: "Door open", ATTR_TITLE: " Garage\r\n  Door\u2028open "},
    )
    assert (
        sent_emails(emulator)[-1].submitted["content"]["subject"] == "Garage Door open"
    )


async def test_add_email_recipient(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """An email recipient's address, sender and name are checked as the client would."""
    result = await recipient_form(hass, init_integration)
    user_input = {
        CONF_NAME: "Ann",
        CONF_ADDRESS: "Ann <ann@example.com>",
        CONF_RECIPIENT_CHANNEL: "email",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {CONF_ADDRESS: "invalid_email_address"}
    # A phone number is no email address, and an email address is no number.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_ADDRESS: "+15558675310"}
    )
    assert result["errors"] == {CONF_ADDRESS: "invalid_email_address"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            **user_input,
            CONF_ADDRESS: "ann@example.com",
            CONF_RECIPIENT_CHANNEL: "phone",
        },
    )
    assert result["errors"] == {CONF_ADDRESS: "invalid_address"}
    user_input[CONF_ADDRESS] = "ann@example.com"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_SENDER: "+15550001111"}
    )
    assert result["errors"] == {CONF_SENDER: "invalid_email_sender"}
    # The name addresses its emails: no longer than the client allows.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_NAME: "A" * 257}
    )
    assert result["errors"] == {CONF_NAME: "invalid_email_name"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_SENDER: " alerts@example.com "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Ann"
    assert result["data"] == {
        CONF_ADDRESS: "ann@example.com",
        CONF_RECIPIENT_CHANNEL: "email",
        CONF_SENDER: "alerts@example.com",
    }
    assert result["unique_id"] == "EMAIL:ann@example.com"
    await hass.async_block_till_done()
    assert entity_registry.async_get(ANN).config_subentry_id is not None
    # Alice, the phone recipient, is unchanged beside it.
    assert hass.states.get(ALICE) is not None


async def test_add_same_email_recipient_twice_aborts(
    hass: HomeAssistant, init_with_ann: MockConfigEntry
) -> None:
    """The same email address, in any case, cannot be added twice."""
    result = await recipient_form(hass, init_with_ann)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            CONF_NAME: "Ann again",
            CONF_ADDRESS: "ann@EXAMPLE.com",
            CONF_RECIPIENT_CHANNEL: "email",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_edit_email_recipient(
    hass: HomeAssistant, init_with_ann: MockConfigEntry, emulator: Emulator
) -> None:
    """Editing an email recipient shows its values; it emails the new address after.

    Editing it into the address of itself is no duplicate.
    """
    subentry_id = ANN_ID
    result = await recipient_form(hass, init_with_ann, subentry_id)
    assert suggested(result) == {
        CONF_NAME: "Ann",
        CONF_ADDRESS: "Ann@Example.com",
        CONF_RECIPIENT_CHANNEL: "email",
        CONF_SENDER: "alerts@example.com",
    }
    user_input = {
        CONF_NAME: "Ann Lee",
        CONF_ADDRESS: "ann.lee@example.org",
        CONF_RECIPIENT_CHANNEL: "email",
    }
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**user_input, CONF_ADDRESS: "ann.lee@"}
    )
    assert result["errors"] == {CONF_ADDRESS: "invalid_email_address"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    subentry = init_with_ann.subentries[subentry_id]
    assert subentry.title == "Ann Lee"
    assert subentry.unique_id == "EMAIL:ann.lee@example.org"
    assert subentry.data[CONF_SENDER] is None

    await notify(hass, ANN, **{ATTR_MESSAGE: "New address"})
    ours = sent_emails(emulator)[-1]
    assert ours.submitted["to"] == [
        {"address": "ann.lee@example.org", "name": "Ann Lee"}
    ]
    assert "from" not in ours.submitted


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({ATTR_MESSAGE: "  "}, "empty_email"),
        # A title alone is no email.
        ({ATTR_MESSAGE: " ", ATTR_TITLE: "Garage"}, "empty_email"),
        # A subject is one header line of at most 998 characters.
        ({ATTR_MESSAGE: "Door open", ATTR_TITLE: "G" * 999}, "subject_too_long"),
    ],
)
async def test_email_notify_input_errors(
    hass: HomeAssistant,
    init_with_ann: MockConfigEntry,
    emulator: Emulator,
    data: dict[str, str],
    translation_key: str,
) -> None:
    """An email the client would refuse is an input error, saying why; nothing is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await notify(hass, ANN, **data)
    assert err.value.translation_key == translation_key
    assert emulator.requests["POST /v1/{channel}"] == 0


async def test_email_notify_failure_is_translated_and_not_recorded(
    hass: HomeAssistant, init_with_ann: MockConfigEntry, emulator: Emulator
) -> None:
    """An email Twilio refuses raises a translated error naming Emails."""
    emulator.config.faults.server_error = 1.0
    with pytest.raises(HomeAssistantError) as err:
        await notify(hass, ANN, **{ATTR_MESSAGE: "Door open"})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "request_http_error"
    assert err.value.translation_placeholders == {"channel": "Emails", "status": "500"}
    assert hass.states.get(ANN).state == STATE_UNKNOWN
    assert sent_emails(emulator) == []


async def test_remove_email_recipient(
    hass: HomeAssistant,
    init_with_ann: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Removing an email recipient removes its entity and device, not Alice's."""
    device_id = entity_registry.async_get(ANN).device_id
    assert hass.config_entries.async_remove_subentry(init_with_ann, ANN_ID)
    await hass.async_block_till_done()
    assert entity_registry.async_get(ANN) is None
    assert hass.states.get(ANN) is None
    assert device_registry.async_get(device_id) is None
    assert hass.states.get(ALICE) is not None
