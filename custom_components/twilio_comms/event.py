"""Event entities of the Twilio Comms integration."""

from typing import Final, override

from homeassistant.components.event import (
    DOMAIN as EVENT_DOMAIN,
    EventEntity,
    EventEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Channel, Message, OperationStatus
from .const import DOMAIN
from .coordinator import ChannelCoordinator, TwilioCommsConfigEntry
from .entity import TwilioCommsEntity, channel_entity_unique_id
from .helpers import UNRECORDED_OPERATION_ATTRIBUTES, operation_attributes
from .instant_updates import inbound_signal

PARALLEL_UPDATES = 0

# The event type fired when an operation is seen entering each status.
EVENT_TYPES: Final = {
    OperationStatus.SCHEDULED: "operation_scheduled",
    OperationStatus.PROCESSING: "operation_processing",
    OperationStatus.COMPLETED: "operation_completed",
    OperationStatus.CANCELED: "operation_canceled",
}

OPERATIONS = EventEntityDescription(
    key="operations",
    translation_key="operations",
    event_types=list(EVENT_TYPES.values()),
)


INBOUND_MESSAGE_RECEIVED: Final = "message_received"

INBOUND_MESSAGES = EventEntityDescription(
    key="inbound_messages",
    translation_key="inbound_messages",
    event_types=[INBOUND_MESSAGE_RECEIVED],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the operation event entity of every tracked channel.

    Messages received come only as events: with Instant updates on, the
    Messages device gets an entity for them too.
    """
    async_add_entities(TwilioCommsOperationEvent.for_channels(entry, [OPERATIONS]))
    coordinator = entry.runtime_data.coordinators.get(Channel.MESSAGES)
    if coordinator is not None and entry.runtime_data.instant_updates is not None:
        async_add_entities(
            [
                TwilioCommsInboundEvent(
                    coordinator=coordinator, description=INBOUND_MESSAGES
                )
            ]
        )
        return
    # Instant updates off: the entity of an earlier setup has nothing to show.
    registry = er.async_get(hass)
    unique_id = channel_entity_unique_id(entry, Channel.MESSAGES, INBOUND_MESSAGES.key)
    if entity_id := registry.async_get_entity_id(EVENT_DOMAIN, DOMAIN, unique_id):
        registry.async_remove(entity_id)


class TwilioCommsOperationEvent(TwilioCommsEntity, EventEntity):
    """Fires once for each operation status change the coordinator observes."""

    _unrecorded_attributes = UNRECORDED_OPERATION_ATTRIBUTES

    def __init__(
        self, *, coordinator: ChannelCoordinator, description: EventEntityDescription
    ) -> None:
        """Initialise the entity, taking bearings on the data already there."""
        super().__init__(coordinator=coordinator, description=description)
        # Transitions of refreshes before the entity existed are history, not
        # news: only refreshes after this one can fire.
        data = coordinator.data
        self._last_serial = data.refresh_serial if data else 0

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Fire the transitions of a refresh not reported yet."""
        data = self.coordinator.data
        if data is None or data.refresh_serial == self._last_serial:
            super()._handle_coordinator_update()
            return
        self._last_serial = data.refresh_serial
        if not data.transitions:
            super()._handle_coordinator_update()
            return
        # Each event gets a state write of its own, so an automation triggers
        # once per transition even when a poll brings several.
        for transition in data.transitions:
            operation = transition.operation
            self._trigger_event(
                EVENT_TYPES[operation.status], operation_attributes(operation)
            )
            self.async_write_ha_state()


class TwilioCommsInboundEvent(TwilioCommsEntity, EventEntity):
    """Fires for each message the account receives, as Event Streams tells it."""

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for the messages instant updates read."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, inbound_signal(self.coordinator.config_entry), self._received
            )
        )

    @callback
    def _received(self, message: Message) -> None:
        self._trigger_event(
            INBOUND_MESSAGE_RECEIVED,
            {
                "from": message.from_address,
                "to": message.to_address,
                "message": message.text,
                "message_id": message.id,
            },
        )
        self.async_write_ha_state()
