"""The translations the integration uses are in en.json, and nothing else is.

tests/translation_usage.py collects what the code, services.yaml and icons.json
use; each test here runs it on the integration or on a copy broken on purpose.
"""

import json
from pathlib import Path
import shutil
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .translation_usage import RESOLVERS, check_translations, collect_usage
from .validity import INTEGRATION_DIR


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


# Problems the checks find in the integration as it stands, reported to its
# authors rather than fixed here. The test fails when one is fixed (drop it
# from this list) and when a new one appears.
KNOWN_TRANSLATION_PROBLEMS: list[str] = []


def test_translations_match_the_code() -> None:
    """Every key the code, services.yaml and icons.json use is in en.json, and back."""
    assert check_translations(INTEGRATION_DIR) == KNOWN_TRANSLATION_PROBLEMS


def test_translation_resolvers_are_all_needed() -> None:
    """Each RESOLVERS entry is still used: a stale one would hide nothing."""
    usage = collect_usage(INTEGRATION_DIR)
    assert usage.unresolved == []
    for (module, source), (expression, reason) in RESOLVERS.items():
        assert reason
        assert source in (INTEGRATION_DIR / f"{module}.py").read_text("utf-8")
        assert expression


@pytest.fixture
def integration_copy(tmp_path: Path) -> Path:
    """Return a copy of the integration to break."""
    copy = tmp_path / "twilio_comms"
    shutil.copytree(INTEGRATION_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _edit_json(path: Path, change: Any) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    _write_json(path, data)


def _problems(copy: Path) -> list[str]:
    return [
        problem
        for problem in check_translations(copy)
        if problem not in KNOWN_TRANSLATION_PROBLEMS
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["exceptions"].pop("rate_limited"),
            "missing in en.json: exceptions.rate_limited.message",
        ),
        (
            lambda s: s["config"]["abort"].pop("reconfigure_successful"),
            "missing in en.json: config.abort.reconfigure_successful",
        ),
        (
            lambda s: s["config"]["step"]["user"]["menu_options"].pop("api_key"),
            "missing in en.json: config.step.user.menu_options.api_key",
        ),
        (
            lambda s: s["options"]["error"].pop("no_channels"),
            "missing in en.json: options.error.no_channels",
        ),
        (
            lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].pop(
                "unknown"
            ),
            "missing in en.json: entity.sensor.latest_operation_status.state.unknown",
        ),
        (
            lambda s: s["entity"]["sensor"].pop("opened"),
            "missing in en.json: entity.sensor.opened.name",
        ),
        (
            lambda s: s["entity"]["event"]["operations"]["state_attributes"][
                "event_type"
            ]["state"].pop("operation_canceled"),
            "event_type.state.operation_canceled",
        ),
        (
            lambda s: s["device"].pop("emails"),
            "missing in en.json: device.emails.name",
        ),
        (
            lambda s: s["issues"]["channel_not_entitled"].pop("description"),
            "missing in en.json: issues.channel_not_entitled.description",
        ),
        (
            lambda s: s["selector"]["channels"]["options"].pop("emails"),
            "missing in en.json: selector.channels.options.emails",
        ),
        (
            lambda s: s["config"]["error"].update(stale="Gone"),
            "unused in en.json: config.error.stale",
        ),
        (
            lambda s: s["config"]["step"].update(old_step={"title": "Old"}),
            "unused in en.json: config.step.old_step.title",
        ),
        (
            lambda s: s["config"]["step"]["auth_token"]["data"].update(region="R"),
            "unused in en.json: config.step.auth_token.data.region",
        ),
        (
            lambda s: s["config"]["step"]["api_key"]["data"].pop("api_key_sid"),
            "config.step.api_key.data_description.api_key_sid has no data label",
        ),
        (
            lambda s: s["entity"]["sensor"].update(ghost={"name": "Ghost"}),
            "unused in en.json: entity.sensor.ghost.name",
        ),
        (
            lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].update(
                failed="Failed"
            ),
            "unused in en.json: entity.sensor.latest_operation_status.state.failed",
        ),
        (
            lambda s: s["exceptions"].update(never={"message": "Never raised"}),
            "unused in en.json: exceptions.never.message",
        ),
        (
            lambda s: s.update(services={"send": {"name": "Send"}}),
            "unused in en.json: services.send.name",
        ),
    ],
)
def test_translation_check_catches_en_json(
    integration_copy: Path, change: Any, expected: str
) -> None:
    """A key the code needs that en.json lacks, or one nothing uses, is reported."""
    _edit_json(integration_copy / "translations" / "en.json", change)
    problems = _problems(integration_copy)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda i: i["entity"]["sensor"].update(ghost={"default": "mdi:ghost"}),
            "icons.json: entity.sensor.ghost is not used",
        ),
        (
            lambda i: i["entity"]["sensor"]["failed"].update(
                state={"boom": "mdi:bomb"}
            ),
            "icons.json: entity.sensor.failed.state.boom is not a state",
        ),
        (
            lambda i: i["entity"]["event"]["operations"]["state_attributes"][
                "event_type"
            ]["state"].update(operation_failed="mdi:x"),
            "event_type.state.operation_failed has no text",
        ),
        (
            lambda i: i.update(services={"send": {"service": "mdi:send"}}),
            "icons.json: services.send is not an action",
        ),
        (lambda i: i.update(triggers={}), "icons.json: unknown section 'triggers'"),
    ],
)
def test_translation_check_catches_icons(
    integration_copy: Path, change: Any, expected: str
) -> None:
    """An icon for a key, state or action that does not exist is reported."""
    _edit_json(integration_copy / "icons.json", change)
    problems = _problems(integration_copy)
    assert any(expected in problem for problem in problems), problems


SERVICES_YAML = """\
send_digest:
  fields:
    config_entry_id:
      required: true
      selector:
        config_entry:
          integration: twilio_comms
    advanced:
      collapsed: true
      fields:
        channel:
          selector:
            select:
              translation_key: send_channel
              options:
                - messages
                - value: emails
                  label: Emails
"""


def test_translation_check_covers_services_yaml(integration_copy: Path) -> None:
    """Actions, their fields, sections, select options and icons need text."""
    (integration_copy / "services.yaml").write_text(SERVICES_YAML, "utf-8")
    problems = _problems(integration_copy)
    for key in (
        "services.send_digest.name",
        "services.send_digest.description",
        "services.send_digest.fields.config_entry_id.name",
        "services.send_digest.fields.config_entry_id.description",
        "services.send_digest.sections.advanced.name",
        "services.send_digest.fields.channel.name",
        "selector.send_channel.options.messages",
        "selector.send_channel.options.emails",
    ):
        assert f"missing in en.json: {key}" in problems
    assert "icons.json: action 'send_digest' has no icon" in problems


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text("utf-8") + code, "utf-8")


def test_translation_check_reads_new_flow_code(integration_copy: Path) -> None:
    """Steps, errors, aborts and progress of added flows are collected."""
    _append(
        integration_copy / "config_flow.py",
        """

class ExtraOptionsFlow(OptionsFlow):
    async def async_step_extra(self, user_input=None):
        if user_input:
            return self.async_abort(reason="extra_done")
        return self.async_show_form(step_id="extra", errors={"base": "extra_error"})

    async def async_step_wait(self, user_input=None):
        return self.async_show_progress(step_id="wait", progress_action="waiting")
""",
    )
    problems = _problems(integration_copy)
    for key in (
        "options.abort.extra_done",
        "options.step.extra",
        "options.error.extra_error",
        "options.step.wait",
        "options.progress.waiting",
    ):
        assert f"missing in en.json: {key}" in problems


def test_translation_check_reads_config_subentries(integration_copy: Path) -> None:
    """A config subentry flow needs its type's labels and steps."""
    _append(
        integration_copy / "config_flow.py",
        """

class SubentryHost(ConfigFlow):
    @classmethod
    def async_get_supported_subentry_types(cls, config_entry):
        return {"team": TeamSubentryFlow}


class TeamSubentryFlow(ConfigSubentryFlow):
    async def async_step_user(self, user_input=None):
        if user_input is not None:
            return self.async_abort(reason="team_exists")
        return self.async_show_form(step_id="user")

    async def async_step_reconfigure(self, user_input=None):
        return self.async_update_and_abort(self._get_entry(), self._get_reconfigure_subentry())
""",
    )
    problems = _problems(integration_copy)
    for key in (
        "config_subentries.team.entry_type",
        "config_subentries.team.initiate_flow.user",
        "config_subentries.team.initiate_flow.reconfigure",
        "config_subentries.team.step.user",
        "config_subentries.team.abort.team_exists",
        "config_subentries.team.abort.reconfigure_successful",
    ):
        assert f"missing in en.json: {key}" in problems


def test_translation_check_reads_new_platforms_and_actions(
    integration_copy: Path,
) -> None:
    """A new platform's entities, exceptions and registered actions are collected."""
    (integration_copy / "notify.py").write_text(
        """
RECIPIENT = NotifyEntityDescription(key="digest", translation_key="digest")


class Recipient(NotifyEntity):
    _attr_translation_key = "sms_recipient"

    async def async_send_digest(self, message, title=None):
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="send_failed"
        )
""",
        "utf-8",
    )
    _append(
        integration_copy / "__init__.py",
        """

async def async_setup(hass, config):
    hass.services.async_register(DOMAIN, "send_digest", _send)
    return True
""",
    )
    problems = _problems(integration_copy)
    for key in (
        "entity.notify.digest.name",
        "entity.notify.sms_recipient.name",
        "exceptions.send_failed.message",
    ):
        assert f"missing in en.json: {key}" in problems
    assert "action 'send_digest' is registered but not in services.yaml" in problems


def test_translation_check_reports_what_it_cannot_resolve(
    integration_copy: Path,
) -> None:
    """A translation key from a parameter nobody explained is reported, not skipped."""
    _append(
        integration_copy / "coordinator.py",
        """

def fail(reason):
    raise UpdateFailed(translation_domain=DOMAIN, translation_key=reason)
""",
    )
    assert any(
        problem.startswith("cannot resolve coordinator.py:")
        and problem.endswith(": reason")
        for problem in _problems(integration_copy)
    )


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_static_collector_sees_every_runtime_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The entities the integration really creates use keys the collector found.

    Cross-checks the ast-based collector against a running instance (every
    channel, every entity enabled), and every entity's attribute translations.
    """
    usage = collect_usage(INTEGRATION_DIR)
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert entries
    strings = json.loads(
        (INTEGRATION_DIR / "translations" / "en.json").read_text("utf-8")
    )
    for entry in entries:
        assert (entry.domain, entry.translation_key) in usage.entities, entry.entity_id
        text = strings["entity"][entry.domain][entry.translation_key]
        state = hass.states.get(entry.entity_id)
        assert state is not None
        # Attribute labels in en.json name attributes the entity really has.
        assert set(text.get("state_attributes", {})) <= set(state.attributes)
