"""README's YAML examples, loaded into Home Assistant and run against the emulator.

Every ```yaml block of README.md is one of: an action call, automations, a
script, or a dashboard card. Each is exercised here as a user would use it,
and a block no test knows fails the suite, so no example can rot.
"""

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
import re
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import parse_yaml
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from comms_emulator import Emulator
from custom_components.twilio_comms.const import CONF_FAILURE_THRESHOLD

from .common import DEFAULT_OPTIONS
from .soak import poll
from .validity import REPO_ROOT

YAML_BLOCK: Final = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def readme_examples() -> list[Any]:
    """Return README's YAML blocks, parsed."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return [parse_yaml(block) for block in YAML_BLOCK.findall(text)]


def example_key(example: Any) -> str:
    """Return what names an example: its action, automation, script or card."""
    if "action" in example:
        return f"action {example['action']}"
    if "automation" in example:
        return f"automation {example['automation'][0]['alias']}"
    if "script" in example:
        return f"script {next(iter(example['script']))}"
    return f"card {example['type']}"


def example(key: str) -> Any:
    """Return the README example with a key."""
    return next(item for item in readme_examples() if example_key(item) == key)


def notifications(hass: HomeAssistant) -> list[str]:
    """Return the messages of the persistent notifications shown."""
    shown = persistent_notification._async_get_or_create_notifications(hass)  # noqa: SLF001
    return [notification["message"] for notification in shown.values()]


async def test_every_example_is_exercised() -> None:
    """README's examples are exactly those this module runs."""
    assert [example_key(item) for item in readme_examples()] == list(SCENARIOS)


async def run_action_examples(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Run Actions' examples in README's order, as one script: each one works."""
    examples = [item for item in readme_examples() if "action" in item]
    assert await async_setup_component(
        hass, "script", {"script": {"readme_actions": {"sequence": examples}}}
    )
    await hass.services.async_call("script", "readme_actions", blocking=True)
    sent = [plan for log in emulator.world.channels.values() for plan in log.plans]
    assert {plan.channel for plan in sent if plan.submitted is not None} == {
        "Messages",
        "PushNotifications",
        "Emails",
    }


async def run_failures_automation(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Check a send completing with failures notifies the phone with its figures."""
    calls = async_mock_service(hass, "notify", "mobile_app_my_phone")
    assert await async_setup_component(
        hass, "automation", example("automation Twilio send finished with failures")
    )
    await poll(hass, freezer, timedelta(hours=8))
    calls.clear()
    plan = emulator.world.send(
        "Messages",
        emulator.clock(),
        addresses=("+15551230000",) * 300,
        send_at=None,
        tags={},
    )
    assert plan.failed > 0
    await poll(hass, freezer, timedelta(minutes=30))
    messages = [call.data["message"] for call in calls]
    assert any(
        plan.id in message and "of 300 sends failed" in message for message in messages
    )


async def run_alarm_automation(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Check the alarm going off texts Alice through her notify entity."""
    assert await async_setup_component(
        hass, "automation", example("automation Alarm: text Alice")
    )
    hass.states.async_set("alarm_control_panel.home", "armed_away")
    hass.states.async_set("alarm_control_panel.home", "triggered")
    await hass.async_block_till_done()
    texts = [
        plan.submitted["content"]["text"]
        for plan in emulator.world.channels["Messages"].plans
        if plan.submitted is not None
    ]
    assert len(texts) == 1
    assert texts[0].startswith("Alarm\nThe alarm went off at ")


async def run_text_and_confirm_script(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Check the script waits for its own send's final event, then reports it."""
    assert await async_setup_component(
        hass, "script", example("script text_and_confirm")
    )
    # Other operations keep firing meanwhile; the wait must pick ours.
    emulator.world.set_live_interval(10, emulator.clock())
    # Not a task Home Assistant tracks: the polls below wait for those, and
    # this one waits for them.
    running = asyncio.get_running_loop().create_task(
        hass.services.async_call("script", "text_and_confirm", blocking=True)
    )
    await poll(hass, freezer, timedelta(seconds=1))
    ours = [p for p in emulator.world.channels["Messages"].plans if p.submitted]
    assert len(ours) == 1
    for _ in range(12):
        await poll(hass, freezer, timedelta(seconds=5))
    await asyncio.wait_for(running, timeout=5)
    final = "canceled" if ours[0].cancel_at else "completed"
    assert any(
        f"Operation {ours[0].id} is {final}" in message
        for message in notifications(hass)
    )


async def run_problem_automation(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Check a 10-minute delivery problem raises a notification with the rate."""
    entry = hass.config_entries.async_entries("twilio_comms")[0]
    hass.config_entries.async_update_entry(
        entry, options={**DEFAULT_OPTIONS, CONF_FAILURE_THRESHOLD: 0.0}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.messages_delivery_problem").state == "on"
    assert await async_setup_component(
        hass, "automation", example("automation Twilio delivery problem")
    )
    # The trigger needs a change to "on"; then it must hold for 10 minutes.
    hass.states.async_set("binary_sensor.messages_delivery_problem", "off")
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(6):
        await poll(hass, freezer, timedelta(minutes=2))
    assert any(
        message.startswith("Failure rate ") and "(threshold 0.0 %)" in message
        for message in notifications(hass)
    )


async def run_card(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Every entity the card shows exists and is enabled by default."""
    for entity_id in example("card entities")["entities"]:
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert state.state != "unavailable", entity_id


async def run_statistics_card(
    hass: HomeAssistant, emulator: Emulator, freezer: FrozenDateTimeFactory
) -> None:
    """Every entity the graph charts has a count that statistics sum up."""
    for row in example("card statistics-graph")["entities"]:
        state = hass.states.get(row["entity"])
        assert state is not None, row
        assert state.attributes["state_class"] == "total_increasing", row
        assert int(state.state) >= 0, row


type Scenario = Callable[
    [HomeAssistant, Emulator, FrozenDateTimeFactory], Coroutine[Any, Any, None]
]

# README's examples in README's order, and what runs each of them.
SCENARIOS: Final[dict[str, Scenario]] = {
    "action twilio_comms.send_message": run_action_examples,
    "action twilio_comms.send_push_notification": run_action_examples,
    "action twilio_comms.send_email": run_action_examples,
    "action twilio_comms.get_operation": run_action_examples,
    "card statistics-graph": run_statistics_card,
    "card entities": run_card,
    "automation Twilio send finished with failures": run_failures_automation,
    "automation Alarm: text Alice": run_alarm_automation,
    "script text_and_confirm": run_text_and_confirm_script,
    "automation Twilio delivery problem": run_problem_automation,
}


@pytest.mark.parametrize(
    "scenario",
    list(dict.fromkeys(SCENARIOS.values())),
    ids=lambda scenario: scenario.__name__,
)
async def test_example(
    hass: HomeAssistant,
    emulator: Emulator,
    mock_config_entry_with_recipient: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    scenario: Scenario,
) -> None:
    """Run one of README's examples in a Home Assistant with the integration."""
    assert await async_setup_component(hass, "persistent_notification", {})
    mock_config_entry_with_recipient.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry_with_recipient.entry_id)
    await hass.async_block_till_done()
    await scenario(hass, emulator, freezer)
