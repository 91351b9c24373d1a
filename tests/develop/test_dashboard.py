"""The demo dashboard is built from whatever the entity registry holds."""

from typing import Any

from tools.develop.dashboard import (
    ACTIVITY_SPAN,
    SEND_BUTTON,
    ChannelEntity,
    build_dashboard,
    channel_entities,
    recipient_entities,
)

ACCOUNT = "AC00000000000000000000000000000001"


def _entry(channel: str, key: str, entity_id: str, **extra: Any) -> dict[str, Any]:
    """Return an entity registry entry as config/entity_registry/list gives it."""
    return {
        "platform": "twilio_comms",
        "unique_id": f"{ACCOUNT}_{channel}_{key}",
        "translation_key": key,
        "entity_id": entity_id,
        "disabled_by": None,
        **extra,
    }


def test_channel_entities_parse_unique_ids() -> None:
    """Channels come from unique ids, underscores included; others are skipped."""
    registry = [
        _entry("messages", "sent", "sensor.messages_sent"),
        _entry("push_notifications", "latest_operation_status", "sensor.push_status"),
        _entry(
            "emails",
            "undelivered",
            "sensor.emails_undelivered",
            disabled_by="integration",
        ),
        {
            "platform": "sun",
            "unique_id": "x_sent",
            "translation_key": "sent",
            "entity_id": "sensor.sun",
        },
        _entry(
            "messages",
            "sent",
            "sensor.other_account_sent",
            unique_id="AC9_messages_sent",
        ),
    ]
    assert channel_entities(registry, ACCOUNT) == [
        ChannelEntity("messages", "sent", "sensor.messages_sent"),
        ChannelEntity(
            "push_notifications", "latest_operation_status", "sensor.push_status"
        ),
    ]


def test_dashboard_has_a_section_per_channel_and_an_activity_row() -> None:
    """Channels in a fixed order, renamed entity ids honoured, activity last."""
    entities = [
        ChannelEntity("emails", "sent", "sensor.renamed_email_sends"),
        ChannelEntity("messages", "latest_operation_status", "sensor.messages_status"),
        ChannelEntity("messages", "sent", "sensor.messages_sent"),
        ChannelEntity("messages", "failed", "sensor.messages_failed"),
        ChannelEntity("messages", "operations", "event.messages_operations"),
        ChannelEntity("faxes", "sent", "sensor.faxes_sent"),
    ]
    view = build_dashboard(entities)["views"][0]
    sections = view["sections"]
    headings = [section["cards"][0].get("heading") for section in sections]
    assert headings == ["Messages", "Emails", "Activity"]
    messages = sections[0]["cards"]
    assert {
        "type": "tile",
        "entity": "sensor.messages_status",
        "name": "Latest status",
        "grid_options": {"columns": 6},
    } in messages
    glance = next(card for card in messages if card["type"] == "glance")
    assert [row["entity"] for row in glance["entities"]] == [
        "sensor.messages_sent",
        "sensor.messages_failed",
    ]
    activity = sections[-1]
    assert activity["column_span"] == ACTIVITY_SPAN
    graphs = [card for card in activity["cards"] if card["type"] == "history-graph"]
    assert [[row["entity"] for row in graph["entities"]] for graph in graphs] == [
        ["sensor.messages_sent", "sensor.renamed_email_sends"],
        ["sensor.messages_failed"],
    ]
    logbook = next(card for card in activity["cards"] if card["type"] == "logbook")
    assert logbook["target"] == {"entity_id": ["event.messages_operations"]}
    assert "faxes" not in str(view)


def test_recipient_gets_a_send_button_in_the_messages_section() -> None:
    """The first recipient's notify entity, and a button that sends through it."""
    registry = [
        {"platform": "twilio_comms", "entity_id": "notify.demo_phone"},
        {"platform": "twilio_comms", "entity_id": "notify.off", "disabled_by": "user"},
        {"platform": "other", "entity_id": "notify.elsewhere"},
    ]
    recipients = recipient_entities(registry)
    assert recipients == ["notify.demo_phone"]
    entities = [ChannelEntity("messages", "sent", "sensor.messages_sent")]
    (messages, _activity) = build_dashboard(entities, recipients)["views"][0][
        "sections"
    ]
    button = messages["cards"][-1]
    assert button["name"] == SEND_BUTTON
    assert button["tap_action"] == {
        "action": "perform-action",
        "perform_action": "notify.send_message",
        "target": {"entity_id": "notify.demo_phone"},
        "data": {"message": "Test message from the Twilio Comms demo"},
    }
    assert messages["cards"][-2]["entity"] == "notify.demo_phone"
    # Without a recipient there is nothing to send with.
    (messages, _activity) = build_dashboard(entities)["views"][0]["sections"]
    assert all(card["type"] != "button" for card in messages["cards"])
