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

# Status tiles shown per channel, in this order.
TILES: Final = (
    "latest_operation_status",
    "delivery_problem",
    "failure_rate",
    "active_operations",
)

# Window totals shown per channel, when the channel has them (push has no
# delivered), in this order.
TOTALS: Final = ("sent", "delivered", "failed", "queued")

# How far back the history graph and the logbook look.
HISTORY_HOURS: Final = 6
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


def _channel_section(
    title: str, icon: str, by_key: Mapping[str, str]
) -> dict[str, Any]:
    """Return the section of one channel: status tiles and its window totals."""
    cards: list[dict[str, Any]] = [
        {"type": "heading", "heading": title, "icon": icon},
    ]
    cards.extend(
        {"type": "tile", "entity": by_key[key], "grid_options": {"columns": 6}}
        for key in TILES
        if key in by_key
    )
    totals = [key for key in TOTALS if key in by_key]
    if totals:
        cards.append(
            {
                "type": "glance",
                "title": f"{title}: window totals",
                "columns": len(totals),
                "state_color": False,
                "entities": [
                    {"entity": by_key[key], "name": key.title()} for key in totals
                ],
            }
        )
    if latest := by_key.get("latest_operation_time"):
        cards.append(
            {
                "type": "entities",
                "entities": [
                    {"entity": latest, "format": "relative"},
                    *(
                        [by_key["operations_in_window"]]
                        if "operations_in_window" in by_key
                        else []
                    ),
                ],
            }
        )
    return {"type": "grid", "cards": cards}


def build_dashboard(entities: Iterable[ChannelEntity]) -> dict[str, Any]:
    """Return the Lovelace configuration of the Twilio Comms dashboard."""
    by_channel: dict[str, dict[str, str]] = {}
    for entity in entities:
        by_channel.setdefault(entity.channel, {})[entity.key] = entity.entity_id
    sections: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    events: list[str] = []
    for channel, (title, icon) in CHANNEL_TITLES.items():
        if not (by_key := by_channel.get(channel)):
            continue
        sections.append(_channel_section(title, icon, by_key))
        history.extend(
            {"entity": by_key[key], "name": f"{title} {key}"}
            for key in ("sent", "failed")
            if key in by_key
        )
        if "operations" in by_key:
            events.append(by_key["operations"])
    activity: list[dict[str, Any]] = [
        {"type": "heading", "heading": "Activity", "icon": "mdi:chart-line"}
    ]
    if history:
        activity.append(
            {
                "type": "history-graph",
                "title": "Sent and failed in the window",
                "hours_to_show": HISTORY_HOURS,
                "entities": history,
                "grid_options": {"columns": "full"},
            }
        )
    if events:
        activity.append(
            {
                "type": "logbook",
                "title": "Recent operation events",
                "target": {"entity_id": events},
                "hours_to_show": LOGBOOK_HOURS,
                "grid_options": {"columns": "full", "rows": 6},
            }
        )
    sections.append({"type": "grid", "cards": activity, "column_span": 3})
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
