"""The notify-on-failed-operation blueprint, run by Home Assistant's automation."""

from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.twilio_comms.const import DOMAIN
from custom_components.twilio_comms.event import EVENT_TYPES

from .validity import REPO_ROOT

BLUEPRINT = (
    REPO_ROOT / "blueprints" / "automation" / DOMAIN / "notify_on_failed_operation.yaml"
)
ENTITY_ID = "event.messages_operations"


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """Give the test instance a config dir holding the blueprint."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints" / "automation" / DOMAIN
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    return tmp_path


def _attributes(event_type: str, failed: int, total: int = 10) -> dict[str, Any]:
    """Return the attributes the Operations event entity has after an event.

    The names are those of event.py/helpers.py: the event type, the entity's
    event types, and operation_attributes() as event data.
    """
    return {
        "event_type": event_type,
        "event_types": list(EVENT_TYPES.values()),
        "operation_id": "OP00000000000000000000000000000001",
        "status": event_type.removeprefix("operation_"),
        "created_at": "2026-11-23T11:00:00+00:00",
        "updated_at": "2026-11-23T11:05:00+00:00",
        "stats": {"total": total, "sent": total - failed, "failed": failed},
        "failed": failed,
        "friendly_name": "Messages Operations",
    }


async def _setup(hass: HomeAssistant, inputs: dict[str, Any]) -> None:
    """Set up one automation from the blueprint."""
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": f"{DOMAIN}/notify_on_failed_operation.yaml",
                    "input": {"operations_event": ENTITY_ID, **inputs},
                }
            }
        },
    )
    await hass.async_block_till_done()


async def _fire(hass: HomeAssistant, second: int, event_type: str, failed: int) -> None:
    """Write the state an event leaves on the entity (a new timestamp)."""
    hass.states.async_set(
        ENTITY_ID,
        f"2026-11-23T12:00:{second:02d}.000+00:00",
        _attributes(event_type, failed),
    )
    await hass.async_block_till_done()


def test_blueprint_is_valid() -> None:
    """Home Assistant's blueprint model accepts the file."""
    blueprint = models.Blueprint(
        load_yaml_dict(str(BLUEPRINT)),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None
    assert set(blueprint.inputs) == {
        "operations_event",
        "minimum_failed",
        "notify_targets",
        "notify_actions",
    }
    assert blueprint.metadata["source_url"].startswith(
        "https://github.com/twilio-comms-ha/twilio_comms/"
    )


async def test_notifies_only_for_completed_operations_with_failures(
    hass: HomeAssistant, config_dir: Path
) -> None:
    """The actions run for a completed operation with failures, and only then."""
    calls = async_mock_service(hass, "notify", "test_phone")
    hass.states.async_set(ENTITY_ID, "unknown", _attributes("operation_scheduled", 0))
    await _setup(
        hass,
        {
            "notify_actions": [
                {
                    "action": "notify.test_phone",
                    "data": {"message": "{{ message }}", "title": "{{ failed }}"},
                }
            ]
        },
    )

    await _fire(hass, 1, "operation_processing", 3)
    await _fire(hass, 2, "operation_completed", 0)
    await _fire(hass, 3, "operation_canceled", 4)
    assert calls == []

    await _fire(hass, 4, "operation_completed", 3)
    assert len(calls) == 1
    assert calls[0].data == {
        "message": "3 of 10 sends failed (Messages Operations, operation "
        "OP00000000000000000000000000000001).",
        "title": 3,
    }


async def test_ignores_restored_and_recovering_states(
    hass: HomeAssistant, config_dir: Path
) -> None:
    """A state restored at startup or after unavailable is not a new event."""
    calls = async_mock_service(hass, "notify", "test_phone")
    await _setup(hass, {"notify_actions": [{"action": "notify.test_phone"}]})

    # First state of the entity (startup, restored last event).
    await _fire(hass, 1, "operation_completed", 5)
    hass.states.async_set(ENTITY_ID, "unavailable", {})
    await hass.async_block_till_done()
    await _fire(hass, 1, "operation_completed", 5)
    assert calls == []


async def test_notify_entities_and_threshold(
    hass: HomeAssistant, config_dir: Path
) -> None:
    """Notify entities get notify.send_message; the threshold is respected."""
    calls: list[ServiceCall] = async_mock_service(hass, "notify", "send_message")
    hass.states.async_set(ENTITY_ID, "unknown", _attributes("operation_scheduled", 0))
    await _setup(
        hass,
        {
            "notify_targets": {"entity_id": "notify.my_phone"},
            "minimum_failed": 5,
        },
    )

    await _fire(hass, 1, "operation_completed", 4)
    assert calls == []

    await _fire(hass, 2, "operation_completed", 5)
    assert len(calls) == 1
    assert calls[0].data["entity_id"] == ["notify.my_phone"]
    assert calls[0].data["message"].startswith("5 of 10 sends failed")
    assert calls[0].data["title"] == "Twilio send finished with failures"
