"""Event entities of the Twilio Comms integration."""

from typing import Final, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import OperationStatus
from .coordinator import ChannelCoordinator, TwilioCommsConfigEntry
from .entity import TwilioCommsEntity
from .helpers import UNRECORDED_OPERATION_ATTRIBUTES, operation_attributes

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


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the operation event entity of every tracked channel."""
    async_add_entities(TwilioCommsOperationEvent.for_channels(entry, [OPERATIONS]))


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
