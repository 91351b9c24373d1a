"""The demo's Lovelace dashboard, built from the entity registry."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# Where the dashboard lives: /twilio-comms/overview.
DASHBOARD_URL_PATH: Final = "twilio-comms"
DASHBOARD_TITLE: Final = "Twilio Comms"
DASHBOARD_ICON: Final = "mdi:message-processing"
VIEW_PATH: Final = "overview"

# The integration's platform name in the entity registry.
PLATFORM: Final = "twilio_comms"

# Channels in the order the dashboard shows them, with their titles and icons.
CHANNEL_TITLES: Final = {
    "messages": ("Messages", "mdi:message-text"),
    "push_notifications": ("Push notifications", "mdi:cellphone-message"),
    "emails": ("Emails", "mdi:email-outline"),
}

# Status tiles shown per channel, in this order, with short names: the
# section's heading already says which channel.
TILES: Final = {
    "latest_operation_status": "Latest status",
    "delivery_problem": "Delivery problem",
    "failure_rate": "Failure rate",
    "active_operations": "Active operations",
}

# Window totals shown per channel, when the channel has them (push has no
# delivered), in this order.
TOTALS: Final = ("sent", "delivered", "failed", "queued")

# The label of the button that sends a test message from the dashboard.
SEND_BUTTON: Final = "Send a test message"

# The totals the history graphs draw, each graph all channels.
GRAPHED: Final = {"sent": "Sent", "failed": "Failed"}

# The activity row spans the view's three columns, which makes its grid 36
# cells wide: two graphs and the logbook side by side, a column each, of one
# fixed height (the logbook scrolls its events inside).
ACTIVITY_SPAN: Final = 3
ACTIVITY_CARD_SIZE: Final = {"columns": 12, "rows": 6}

# How far back the history graph and the logbook look.
HISTORY_HOURS: Final = 0.5
LOGBOOK_HOURS: Final = 24


@dataclass(frozen=True, slots=True)
class ChannelEntity:
    """One entity of the integration: its channel, its key and its entity id."""

    channel: str
    key: str
    entity_id: str


def channel_entities(
    registry: Iterable[Mapping[str, Any]], entry_unique_id: str | None = None
) -> list[ChannelEntity]:
    """Return the enabled entities of the integration from registry entries.

    Unique ids are `{account_sid}_{channel}_{key}` and the translation key is
    the description key, so the channel is what lies between the two.
    """
    found: list[ChannelEntity] = []
    for entry in registry:
        if entry.get("platform") != PLATFORM or entry.get("disabled_by"):
            continue
        unique_id: str = entry["unique_id"]
        key: str | None = entry.get("translation_key")
        if not key or not unique_id.endswith(f"_{key}"):
            continue
        prefix, _, rest = unique_id.removesuffix(f"_{key}").partition("_")
        if entry_unique_id is not None and prefix != entry_unique_id:
            continue
        found.append(ChannelEntity(channel=rest, key=key, entity_id=entry["entity_id"]))
    return found


def recipient_entities(registry: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return the notify entities of the integration's recipients."""
    return [
        entry["entity_id"]
        for entry in registry
        if entry.get("platform") == PLATFORM
        and entry["entity_id"].startswith("notify.")
        and not entry.get("disabled_by")
    ]


def _send_cards(recipients: Iterable[str]) -> list[dict[str, Any]]:
    """Return a recipient's last-sent tile and a button that texts it."""
    cards: list[dict[str, Any]] = []
    for entity_id in list(recipients)[:1]:
        cards.append(
            {
                "type": "tile",
                "entity": entity_id,
                "name": "Last sent from Home Assistant",
                "grid_options": {"columns": 6},
            }
        )
        cards.append(
            {
                "type": "button",
                "name": SEND_BUTTON,
                "icon": "mdi:message-arrow-right-outline",
                "show_state": False,
                "grid_options": {"columns": 6, "rows": 1},
                "tap_action": {
                    "action": "perform-action",
                    "perform_action": "notify.send_message",
                    "target": {"entity_id": entity_id},
                    "data": {"message": "Test message from the Twilio Comms demo"},
                },
            }
        )
    return cards


def _channel_section(
    title: str,
    icon: str,
    by_key: Mapping[str, str],
    extra: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Return the section of one channel: status tiles and its window totals."""
    cards: list[dict[str, Any]] = [{"type": "heading", "heading": title, "icon": icon}]
    cards.extend(
        {
            "type": "tile",
            "entity": by_key[key],
            "name": name,
            "grid_options": {"columns": 6},
        }
        for key, name in TILES.items()
        if key in by_key
    )
    if totals := [key for key in TOTALS if key in by_key]:
        cards.append(
            {
                "type": "glance",
                "title": "Window totals",
                "columns": len(totals),
                "state_color": False,
                "entities": [
                    {"entity": by_key[key], "name": key.title()} for key in totals
                ],
            }
        )
    if rows := [
        {"entity": by_key[key], "name": name, **extra}
        for key, name, extra in (
            ("latest_operation_time", "Newest operation", {"format": "relative"}),
            ("operations_in_window", "Operations in window", {}),
        )
        if key in by_key
    ]:
        cards.append({"type": "entities", "entities": rows})
    cards.extend(extra)
    return {"type": "grid", "cards": cards}


def _activity_section(
    by_channel: Mapping[str, Mapping[str, str]],
) -> dict[str, Any]:
    """Return the full-width section of history graphs and operation events."""
    cards: list[dict[str, Any]] = [
        {"type": "heading", "heading": "Activity", "icon": "mdi:chart-line"}
    ]
    for key, name in GRAPHED.items():
        if graphed := [
            {"entity": by_key[key], "name": CHANNEL_TITLES[channel][0]}
            for channel, by_key in by_channel.items()
            if key in by_key
        ]:
            cards.append(
                {
                    "type": "history-graph",
                    "title": f"{name} (window totals)",
                    "hours_to_show": HISTORY_HOURS,
                    "entities": graphed,
                    "grid_options": ACTIVITY_CARD_SIZE,
                }
            )
    if events := [
        by_key["operations"] for by_key in by_channel.values() if "operations" in by_key
    ]:
        cards.append(
            {
                "type": "logbook",
                "title": "Operation events",
                "target": {"entity_id": events},
                "hours_to_show": LOGBOOK_HOURS,
                "grid_options": ACTIVITY_CARD_SIZE,
            }
        )
    return {"type": "grid", "cards": cards, "column_span": ACTIVITY_SPAN}


def build_dashboard(
    entities: Iterable[ChannelEntity], recipients: Iterable[str] = ()
) -> dict[str, Any]:
    """Return the Lovelace configuration of the Twilio Comms dashboard.

    The Messages section ends with a recipient's notify entity and a button
    that sends through it, when there is a recipient.
    """
    found: dict[str, dict[str, str]] = {}
    for entity in entities:
        found.setdefault(entity.channel, {})[entity.key] = entity.entity_id
    # Known channels in their order; a channel this module does not know yet
    # is left out rather than shown without a title.
    by_channel = {
        channel: found[channel] for channel in CHANNEL_TITLES if channel in found
    }
    sends = {"messages": _send_cards(recipients)}
    sections = [
        _channel_section(title, icon, by_channel[channel], sends.get(channel, ()))
        for channel, (title, icon) in CHANNEL_TITLES.items()
        if channel in by_channel
    ]
    sections.append(_activity_section(by_channel))
    return {
        "title": DASHBOARD_TITLE,
        "views": [
            {
                "title": "Overview",
                "path": VIEW_PATH,
                "icon": DASHBOARD_ICON,
                "type": "sections",
                "max_columns": 3,
                "sections": sections,
            }
        ],
    }
