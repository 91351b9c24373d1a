"""Sensors of the Twilio Comms integration."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, override

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import (
    CHANNEL_COUNTERS,
    ChannelData,
    MessageStatus,
    Operation,
    OperationStatus,
)
from .coordinator import TwilioCommsConfigEntry
from .entity import TwilioCommsEntity, recipient_device_info, recipient_unique_id
from .helpers import UNRECORDED_OPERATION_ATTRIBUTES, operation_attributes
from .recipients import RecipientStatus

PARALLEL_UPDATES = 0


def _counter(
    key: str, *, enabled: bool = True, category: EntityCategory | None = None
) -> SensorEntityDescription:
    """Return the description of a window total: a measurement, named as its counter."""
    return SensorEntityDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=enabled,
        entity_category=category,
    )


# The window total of each counter any channel reports, in the order of
# CHANNEL_COUNTERS, which says which channel reports which. The totals a
# dashboard needs at a glance are enabled; the rest are there for those who
# look for them. Undelivered stands beside failed: for SMS, a carrier not
# delivering is the commoner way for a send to miss. Attempts, recipients and
# the total describe the bookkeeping of a send rather than its outcome.
COUNTER_SENSORS: Final = (
    _counter("total", enabled=False, category=EntityCategory.DIAGNOSTIC),
    _counter("recipients", enabled=False, category=EntityCategory.DIAGNOSTIC),
    _counter("attempts", enabled=False, category=EntityCategory.DIAGNOSTIC),
    _counter("unaddressable", enabled=False),
    _counter("scheduled", enabled=False),
    _counter("queued"),
    _counter("sent"),
    _counter("delivered"),
    _counter("read", enabled=False),
    _counter("opened", enabled=False),
    _counter("undelivered"),
    _counter("failed"),
    _counter("canceled", enabled=False),
)

# The ENUM sensor's options, in lifecycle order; UNKNOWN stays a state of its
# own so an unreadable status is visible rather than hidden.
STATUS_OPTIONS: Final = [status.value for status in OperationStatus]


@dataclass(frozen=True, kw_only=True)
class TwilioCommsSensorEntityDescription(SensorEntityDescription):
    """Describes a Twilio Comms sensor."""

    value_fn: Callable[[ChannelData], StateType | datetime]
    attributes_fn: Callable[[ChannelData], Mapping[str, Any] | None] = lambda _: None


def _latest_attributes(operation: Operation) -> dict[str, Any]:
    """Return what the latest status sensor tells of its operation besides its state.

    Its status is the sensor's state, and its creation time is the latest
    operation time sensor's: attributes would only repeat them.
    """
    attributes = operation_attributes(operation)
    del attributes["status"], attributes["created_at"]
    return attributes


OPERATION_SENSORS: Final[tuple[TwilioCommsSensorEntityDescription, ...]] = (
    TwilioCommsSensorEntityDescription(
        key="latest_operation_status",
        translation_key="latest_operation_status",
        device_class=SensorDeviceClass.ENUM,
        options=STATUS_OPTIONS,
        value_fn=lambda data: data.latest.status.value if data.latest else None,
        attributes_fn=lambda data: (
            _latest_attributes(data.latest) if data.latest else None
        ),
    ),
    TwilioCommsSensorEntityDescription(
        key="latest_operation_time",
        translation_key="latest_operation_time",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.latest.created_at if data.latest else None,
    ),
    TwilioCommsSensorEntityDescription(
        key="active_operations",
        translation_key="active_operations",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: data.active_count,
    ),
    TwilioCommsSensorEntityDescription(
        key="failure_rate",
        translation_key="failure_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda data: data.failure_rate,
    ),
    TwilioCommsSensorEntityDescription(
        key="operations_in_window",
        translation_key="operations_in_window",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: len(data.operations),
        # More operations than one listing may read: the oldest are missing.
        attributes_fn=lambda data: {"truncated": data.truncated},
    ),
)


def _lifetime(figure: str) -> TwilioCommsSensorEntityDescription:
    """Return the description of a lifetime figure: it only grows (tracker invariant 10)."""
    return TwilioCommsSensorEntityDescription(
        key=f"lifetime_{figure}",
        translation_key=f"lifetime_{figure}",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda data: data.lifetime.get(figure),
    )


# What long-term statistics chart per day or month, since window totals move
# both ways as the window slides: recipients Twilio finished with, those it
# did not reach (failed or undelivered) and those it reached.
LIFETIME_SENSORS: Final = (
    _lifetime("finished"),
    _lifetime("not_reached"),
    _lifetime("delivered"),
)


# Each recipient's: the status of the last message sent to it from Home
# Assistant, in lifecycle order, then the outcomes that end it.
LAST_MESSAGE_STATUS_SENSOR: Final = SensorEntityDescription(
    key="last_message_status",
    translation_key="last_message_status",
    device_class=SensorDeviceClass.ENUM,
    options=[status.value for status in MessageStatus],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of every tracked channel: its counters, then the rest."""
    sensors: list[SensorEntity] = []
    for coordinator in entry.runtime_data.coordinators.values():
        counters = CHANNEL_COUNTERS[coordinator.channel]
        sensors += (
            TwilioCommsCounterSensor(coordinator=coordinator, description=description)
            for description in COUNTER_SENSORS
            if description.key in counters
        )
        sensors += (
            TwilioCommsSensor(coordinator=coordinator, description=description)
            for description in (*OPERATION_SENSORS, *LIFETIME_SENSORS)
        )
    async_add_entities(sensors)
    # Recipients are the only kind of subentry.
    for subentry in entry.subentries.values():
        async_add_entities(
            [TwilioCommsRecipientStatusSensor(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class TwilioCommsCounterSensor(TwilioCommsEntity, SensorEntity):
    """A sensor reading one window total of a channel: its description's key."""

    @property
    @override
    def native_value(self) -> int | None:
        """Return the total, or None while no operation reported the counter."""
        return self.coordinator.data.totals.get(self.entity_description.key)


class TwilioCommsSensor(TwilioCommsEntity, SensorEntity):
    """A sensor reading one value of a channel's data."""

    entity_description: TwilioCommsSensorEntityDescription
    _unrecorded_attributes = UNRECORDED_OPERATION_ATTRIBUTES

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return details of the latest operation, where the sensor has them."""
        return self.entity_description.attributes_fn(self.coordinator.data)


class TwilioCommsRecipientStatusSensor(RestoreSensor):
    """The status of the last message sent to a recipient, on the recipient's device.

    The entry's recipients hold it; this shows it, and gives it back to them
    after a restart.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description = LAST_MESSAGE_STATUS_SENSOR

    def __init__(self, entry: TwilioCommsConfigEntry, subentry: ConfigSubentry) -> None:
        """Initialise the sensor of a recipient subentry."""
        self._recipients = entry.runtime_data.recipients
        self._subentry_id = subentry.subentry_id
        self._attr_unique_id = (
            f"{recipient_unique_id(entry, subentry)}_{self.entity_description.key}"
        )
        self._attr_device_info = recipient_device_info(entry, subentry)

    @override
    async def async_added_to_hass(self) -> None:
        """Take back the status from before a restart, then follow the recipient's."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_state()) is not None and (
            restored := RecipientStatus.restored(last.state, last.attributes)
        ) is not None:
            self._recipients.async_restore(self._subentry_id, restored)
        self.async_on_remove(
            self._recipients.async_listen(self._subentry_id, self.async_write_ha_state)
        )

    @property
    @override
    def native_value(self) -> str | None:
        """Return the status, or None before the first message."""
        held = self._recipients.get(self._subentry_id)
        return held.status.value if held else None

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return when the status changed, and the operation and message it is of."""
        held = self._recipients.get(self._subentry_id)
        return held.as_attributes() if held else None
