"""The translations the integration uses are in en.json, and nothing else is.

tests/translation_usage.py reads what the entity descriptions, the flows,
services.yaml and the exception keys name; each test here runs it on the
integration or on en.json or icons.json changed on purpose.
"""

import json
from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.twilio_comms.const import CONF_INSTANT_UPDATES

from . import translation_usage
from .translation_usage import check_translations, entity_keys
from .validity import INTEGRATION_DIR

STRINGS = INTEGRATION_DIR / "translations" / "en.json"


def test_translations_match_the_code() -> None:
    """Every key the code, services.yaml and icons.json use is in en.json, and back."""
    assert check_translations() == []


def _changed(data: Any, change: Any) -> Any:
    copy = json.loads(json.dumps(data))
    change(copy)
    return copy


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["exceptions"].pop("rate_limited"), "exceptions.rate_limited.message"),
        (lambda s: s["exceptions"].pop("update_timeout"), "exceptions.update_timeout.message"),
        (lambda s: s["exceptions"].pop("too_many_recipients"), "exceptions.too_many_recipients.message"),
        (lambda s: s["issues"]["channel_not_entitled"].pop("description"), "issues.channel_not_entitled.description"),
        (lambda s: s["config"]["abort"].pop("already_in_progress"), "config.abort.already_in_progress"),
        (lambda s: s["config"]["abort"].pop("reconfigure_successful"), "config.abort.reconfigure_successful"),
        (lambda s: s["config"]["error"].pop("invalid_account_sid"), "config.error.invalid_account_sid"),
        (lambda s: s["config"]["step"]["user"]["menu_options"].pop("api_key"), "config.step.user.menu_options.api_key"),
        (lambda s: s["config"]["step"].pop("reauth_confirm"), "config.step.reauth_confirm"),
        (lambda s: s["options"]["error"].pop("no_channels"), "options.error.no_channels"),
        (lambda s: s["config_subentries"]["recipient"]["initiate_flow"].pop("reconfigure"), "config_subentries.recipient.initiate_flow.reconfigure"),
        (lambda s: s["config_subentries"]["recipient"]["error"].pop("invalid_sender"), "config_subentries.recipient.error.invalid_sender"),
        (lambda s: s["entity"]["sensor"].pop("opened"), "entity.sensor.opened.name"),
        (lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].pop("unknown"), "entity.sensor.latest_operation_status.state.unknown"),
        (lambda s: s["entity"]["event"]["operations"]["state_attributes"]["event_type"]["state"].pop("operation_canceled"), "entity.event.operations.state_attributes.event_type.state.operation_canceled"),
        (lambda s: s["device"].pop("emails_of_account"), "device.emails_of_account.name"),
        (lambda s: s["services"]["send_message"]["fields"]["text"].pop("name"), "services.send_message.fields.text.name"),
        (lambda s: s["selector"]["channels"]["options"].pop("emails"), "selector.channels.options.emails"),
        # Only the recipient form offers it, not send_message's selector.
        (lambda s: s["selector"]["recipient_channel"]["options"].pop("email"), "selector.recipient_channel.options.email"),
        (lambda s: s["config_subentries"]["recipient"]["error"].pop("invalid_email_name"), "config_subentries.recipient.error.invalid_email_name"),
    ],
)  # fmt: skip
def test_translation_check_catches_a_missing_key(change: Any, expected: str) -> None:
    """A key the code, a description, a flow or services.yaml names must be in en.json."""
    strings = _changed(json.loads(STRINGS.read_text("utf-8")), change)
    # An event type without text has an icon without text, too.
    assert check_translations(strings)[0] == f"missing in en.json: {expected}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["exceptions"].update(never={"message": "Never raised"}), "exceptions.never.message"),
        (lambda s: s["config"]["error"].update(stale="Gone"), "config.error.stale"),
        (lambda s: s["config"]["abort"].update(reauth_failed="Gone"), "config.abort.reauth_failed"),
        (lambda s: s["options"]["step"].update(extra={"title": "Extra"}), "options.step.extra.title"),
        (lambda s: s["config_subentries"]["recipient"]["abort"].update(unique_id_mismatch="x"), "config_subentries.recipient.abort.unique_id_mismatch"),
        (lambda s: s["entity"]["sensor"].update(ghost={"name": "Ghost"}), "entity.sensor.ghost.name"),
        (lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].update(failed="Failed"), "entity.sensor.latest_operation_status.state.failed"),
        (lambda s: s["entity"]["event"]["operations"]["state_attributes"]["event_type"]["state"].update(operation_failed="x"), "entity.event.operations.state_attributes.event_type.state.operation_failed"),
        (lambda s: s["device"].update(sms={"name": "SMS"}), "device.sms.name"),
        (lambda s: s["issues"].update(old={"title": "Old"}), "issues.old.title"),
        (lambda s: s["services"].update(send={"name": "Send"}), "services.send.name"),
        (lambda s: s["selector"]["push_priority"]["options"].update(low="Low"), "selector.push_priority.options.low"),
    ],
)  # fmt: skip
def test_translation_check_catches_an_unused_key(change: Any, expected: str) -> None:
    """A key nothing in the integration names is reported."""
    strings = _changed(json.loads(STRINGS.read_text("utf-8")), change)
    assert check_translations(strings) == [f"unused in en.json: {expected}"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda i: i["entity"]["sensor"].update(ghost={"default": "mdi:ghost"}), "icon: entity.sensor.ghost"),
        (lambda i: i["entity"]["sensor"].pop("opened"), "no icon: entity.sensor.opened"),
        (lambda i: i["services"].update(send={"service": "mdi:send"}), "icon: services.send"),
        (lambda i: i["services"].pop("get_operation"), "no icon: services.get_operation"),
        (lambda i: i["entity"]["sensor"]["failed"].update(state={"boom": "mdi:bomb"}), "icon without text: entity.sensor.failed.state.boom"),
    ],
)  # fmt: skip
def test_translation_check_catches_icons(change: Any, expected: str) -> None:
    """An icon of nothing, an entity or action without one, an icon of no state."""
    icons = _changed(json.loads((INTEGRATION_DIR / "icons.json").read_text()), change)
    assert check_translations(icons=icons) == [expected]


def test_translation_check_reports_a_key_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception key that is neither a literal nor a table lookup is reported."""
    copy = tmp_path / "twilio_comms"
    shutil.copytree(INTEGRATION_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "helpers.py").write_text(
        (copy / "helpers.py").read_text("utf-8")
        + "\n\ndef fail(key):\n    raise HomeAssistantError(\n"
        "        translation_domain=DOMAIN,\n        translation_key=key,\n    )\n",
        "utf-8",
    )
    monkeypatch.setattr(translation_usage, "INTEGRATION_DIR", copy)
    assert check_translations() == ["helpers.py: a translation_key is unreadable"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "emulator")
async def test_descriptions_are_every_runtime_entity(
    hass: HomeAssistant,
    mock_config_entry_with_recipient: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The entities a running instance creates are those the descriptions give.

    Every channel, every entity enabled, a recipient that was sent to; and
    every attribute label in en.json names an attribute the entity really has.
    """
    entry = mock_config_entry_with_recipient
    # Instant updates on, for the entity of messages received.
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_INSTANT_UPDATES: True}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.services.async_call(
        "notify",
        "send_message",
        {"entity_id": "notify.alice", "message": "Hi"},
        blocking=True,
    )
    entities = entity_keys(set(), set())
    entries = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    strings = json.loads(STRINGS.read_text("utf-8"))
    described = {
        ("entity", entry.domain, entry.translation_key)
        for entry in entries
        if entry.translation_key
    }
    assert described == entities
    for entry in entries:
        if entry.translation_key is None:
            continue
        text = strings["entity"][entry.domain][entry.translation_key]
        state = hass.states.get(entry.entity_id)
        assert state is not None
        assert set(text.get("state_attributes", {})) <= set(state.attributes)
