"""The shipped dashboard, dashboards/twilio_comms.yaml, against a real instance.

It names entity ids, which a user pastes as they are: every one must be an
entity a first account creates, enabled by default, with a state.
"""

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util.yaml import parse_yaml
import pytest

from tools.develop.dashboard import DASHBOARD_FILE, entity_ids


def missing_entities(hass: HomeAssistant, config: Any) -> list[str]:
    """Return the entity ids the configuration names that have no usable state."""
    return sorted(
        entity_id
        for entity_id in entity_ids(config)
        if (state := hass.states.get(entity_id)) is None or state.state == "unavailable"
    )


@pytest.mark.usefixtures("init_integration")
async def test_dashboard_names_only_entities_a_first_account_has(
    hass: HomeAssistant,
) -> None:
    """Every entity of the dashboard exists after setting up one account."""
    config = parse_yaml(DASHBOARD_FILE.read_text("utf-8"))
    assert isinstance(config, dict)
    assert [view["path"] for view in config["views"]] == ["overview"]
    named = entity_ids(config)
    # Each channel's status, problem sensor and events are on it.
    for channel in ("messages", "push_notifications", "emails"):
        assert {
            f"sensor.{channel}_latest_operation_status",
            f"binary_sensor.{channel}_delivery_problem",
            f"event.{channel}_operations",
        } <= named
    assert missing_entities(hass, config) == []


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        ("sensor.messages_latest_operation_status", "sensor.messages_status"),
        ("sensor.emails_queued", "sensor.emails_queue"),
        ("event.push_notifications_operations", "event.push_operations"),
    ],
    ids=["tile", "glance row", "logbook target"],
)
@pytest.mark.usefixtures("init_integration")
async def test_a_wrong_entity_id_is_caught(
    hass: HomeAssistant, right: str, wrong: str
) -> None:
    """An id the instance lacks is reported, wherever a card names it."""
    text = DASHBOARD_FILE.read_text("utf-8")
    assert right in text
    config = parse_yaml(text.replace(right, wrong))
    assert missing_entities(hass, config) == [wrong]
