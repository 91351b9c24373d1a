"""Binary sensors of the Twilio Comms integration."""

from collections.abc import Mapping
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import failure_rate
from .const import CONF_FAILURE_THRESHOLD
from .coordinator import TwilioCommsConfigEntry
from .entity import TwilioCommsEntity

PARALLEL_UPDATES = 0

DELIVERY_PROBLEM = BinarySensorEntityDescription(
    key="delivery_problem",
    translation_key="delivery_problem",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the delivery problem sensor of every tracked channel."""
    async_add_entities(
        TwilioCommsDeliveryProblem.for_channels(entry, [DELIVERY_PROBLEM])
    )


class TwilioCommsDeliveryProblem(TwilioCommsEntity, BinarySensorEntity):
    """On when sends fail more than the user accepts."""

    # It moves with each operation that finishes; the operation's id, and
    # whether it was above the threshold, tell the story in history.
    _unrecorded_attributes = frozenset({"latest_operation_failure_rate"})

    @property
    def _reasons(self) -> dict[str, Any]:
        """Return the two signals this sensor combines, and their inputs.

        The window's failure rate itself is the failure rate sensor's state,
        so it is not repeated here.
        """
        data = self.coordinator.data
        threshold = float(self.coordinator.config_entry.options[CONF_FAILURE_THRESHOLD])
        rate = data.failure_rate
        latest = data.latest_terminal
        latest_rate = failure_rate(latest.stats.as_dict()) if latest else None
        return {
            "failure_threshold": threshold,
            "failure_rate_exceeded": rate is not None and rate > threshold,
            "latest_operation_id": latest.id if latest else None,
            "latest_operation_failure_rate": latest_rate,
            "latest_operation_failure_rate_exceeded": latest_rate is not None
            and latest_rate > threshold,
        }

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the window or the latest finished operation fails too often."""
        reasons = self._reasons
        return bool(
            reasons["failure_rate_exceeded"]
            or reasons["latest_operation_failure_rate_exceeded"]
        )

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Return which of the signals is on."""
        return self._reasons
