"""The demo's dashboard is the shipped one, plus the recipient and a button that texts it."""

from tools.develop.dashboard import (
    DEMO_HISTORY_HOURS,
    DEMO_STATISTICS_DAYS,
    DEMO_STATISTICS_PERIOD,
    SEND_BUTTON,
    STATUS_TILE,
    demo_dashboard,
    entity_ids,
    load_dashboard,
)

DEMO_ENTITIES = {
    "recipient": "notify.demo_phone",
    "status": "sensor.demo_phone_last_message_status",
    "received": "event.messages_messages_received",
}


def test_demo_adds_the_recipient_and_a_send_button_to_messages() -> None:
    """The Messages section ends with them; nothing else changes but the graphs' spans."""
    shipped = load_dashboard()
    demo = demo_dashboard(shipped, **DEMO_ENTITIES)
    (messages, *others) = demo["views"][0]["sections"]
    (shipped_messages, *shipped_others) = shipped["views"][0]["sections"]
    assert messages["cards"][0]["heading"] == "Messages"
    tile, status, button, received = messages["cards"][-4:]
    assert messages["cards"][:-4] == shipped_messages["cards"]
    assert tile["entity"] == "notify.demo_phone"
    assert (status["entity"], status["name"]) == (
        "sensor.demo_phone_last_message_status",
        STATUS_TILE,
    )
    assert received["entity"] == "event.messages_messages_received"
    assert button["name"] == SEND_BUTTON
    assert button["tap_action"] == {
        "action": "perform-action",
        "perform_action": "notify.send_message",
        "target": {"entity_id": "notify.demo_phone"},
        "data": {"message": "Test message from the Twilio Comms demo"},
    }
    graphs = [
        card
        for section in others
        for card in section["cards"]
        if card["type"] == "history-graph"
    ]
    assert [graph["hours_to_show"] for graph in graphs] == [DEMO_HISTORY_HOURS] * 2
    (statistics,) = (
        card
        for section in others
        for card in section["cards"]
        if card["type"] == "statistics-graph"
    )
    assert (statistics["period"], statistics["days_to_show"]) == (
        DEMO_STATISTICS_PERIOD,
        DEMO_STATISTICS_DAYS,
    )
    assert len(others) == len(shipped_others)
    # The shipped configuration itself is left as it was.
    assert shipped == load_dashboard()
    assert entity_ids(demo) == entity_ids(shipped) | set(DEMO_ENTITIES.values())


def test_entity_ids_are_found_wherever_a_card_names_them() -> None:
    """A card's entity, rows as ids or as objects, and an action's target."""
    config = {
        "views": [
            {
                "cards": [
                    {"type": "tile", "entity": "sensor.a"},
                    {
                        "type": "entities",
                        "entities": ["sensor.b", {"entity": "sensor.c"}],
                    },
                    {"type": "logbook", "target": {"entity_id": ["event.d"]}},
                    {
                        "type": "button",
                        "tap_action": {"target": {"entity_id": "notify.e"}},
                    },
                    {"type": "markdown", "content": "sensor.not_an_entity_field"},
                ]
            }
        ]
    }
    assert entity_ids(config) == {
        "sensor.a",
        "sensor.b",
        "sensor.c",
        "event.d",
        "notify.e",
    }
