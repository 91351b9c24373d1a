"""The demo's dashboard: the one users get, dashboards/twilio_comms.yaml, and a send button.

The shipped file names the entity ids a first account gets; the demo adds
what only it has, a recipient to send a test message to with its last
message status, and the messages received of Instant updates; and it draws
its graphs over the half hour a demo has been running.
"""

from collections.abc import Iterator
import copy
from pathlib import Path
from typing import Any, Final

from homeassistant.util.yaml import load_yaml_dict

DASHBOARD_FILE: Final = (
    Path(__file__).resolve().parents[2] / "dashboards" / "twilio_comms.yaml"
)

# Where the demo saves it: /twilio-comms/overview (the file's view path).
DASHBOARD_URL_PATH: Final = "twilio-comms"
DASHBOARD_TITLE: Final = "Twilio Comms"
DASHBOARD_ICON: Final = "mdi:message-processing"
VIEW_PATH: Final = "overview"

# The label of the button that sends a test message from the dashboard.
SEND_BUTTON: Final = "Send a test message"
# The label of the recipient's last message status.
STATUS_TILE: Final = "Message status"
# The label of the messages received, with Instant updates.
RECEIVED_TILE: Final = "Received"
# The section the recipient's cards end.
SEND_SECTION: Final = "Messages"
# Where a card names entities: a card's entity, a row list (of ids or of
# rows with an entity), an action's target.
ENTITY_KEYS: Final = frozenset({"entity", "entities", "entity_id"})
# How far back the demo's history graphs look: it has not run for longer.
DEMO_HISTORY_HOURS: Final = 0.5
# Statistics the demo charts: five-minute bars over its first day.
DEMO_STATISTICS_PERIOD: Final = "5minute"
DEMO_STATISTICS_DAYS: Final = 1


def load_dashboard() -> dict[str, Any]:
    """Return the shipped dashboard's configuration."""
    return load_yaml_dict(DASHBOARD_FILE)


def _cards(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every card of every view's sections."""
    for view in config["views"]:
        for section in view.get("sections", []):
            yield from section.get("cards", [])


def entity_ids(config: Any) -> set[str]:
    """Return the entity ids a dashboard configuration names, anywhere in it."""
    if isinstance(config, list):
        return {entity_id for item in config for entity_id in entity_ids(item)}
    if not isinstance(config, dict):
        return set()
    found: set[str] = set()
    for key, value in config.items():
        if key in ENTITY_KEYS:
            values = value if isinstance(value, list) else [value]
            found.update(item for item in values if isinstance(item, str))
        found |= entity_ids(value)
    return found


def demo_dashboard(
    config: dict[str, Any], *, recipient: str, status: str, received: str
) -> dict[str, Any]:
    """Return the shipped dashboard with the demo's send button.

    The recipient's notify entity (its last send), its last message status
    (what Instant updates move within a second), a button that texts it and
    the Messages received event entity end the Messages section: the shipped
    file cannot name them, since they exist only with a recipient, and with
    Instant updates on.
    """
    demo = copy.deepcopy(config)
    for card in _cards(demo):
        if card["type"] == "history-graph":
            card["hours_to_show"] = DEMO_HISTORY_HOURS
        if card["type"] == "statistics-graph":
            card["period"] = DEMO_STATISTICS_PERIOD
            card["days_to_show"] = DEMO_STATISTICS_DAYS
    section = next(
        section
        for section in demo["views"][0]["sections"]
        if section["cards"][0].get("heading") == SEND_SECTION
    )
    section["cards"] += [
        {
            "type": "tile",
            "entity": recipient,
            "name": "Last sent",
            "grid_options": {"columns": 6},
        },
        {
            "type": "tile",
            "entity": status,
            "name": STATUS_TILE,
            "grid_options": {"columns": 6},
        },
        {
            "type": "button",
            "name": SEND_BUTTON,
            "icon": "mdi:message-arrow-right-outline",
            "show_state": False,
            "grid_options": {"columns": 6, "rows": 1},
            "tap_action": {
                "action": "perform-action",
                "perform_action": "notify.send_message",
                "target": {"entity_id": recipient},
                "data": {"message": "Test message from the Twilio Comms demo"},
            },
        },
        {
            "type": "tile",
            "entity": received,
            "name": RECEIVED_TILE,
            "grid_options": {"columns": 6},
        },
    ]
    return demo
