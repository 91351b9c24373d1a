"""Base entity of the Twilio Comms integration."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, ChannelKey
from .coordinator import ChannelCoordinator


def channel_device_identifier(entry: ConfigEntry, key: ChannelKey) -> tuple[str, str]:
    """Return the device identifier of one channel of an account."""
    return (DOMAIN, f"{entry.unique_id}_{key}")


class TwilioCommsEntity(CoordinatorEntity[ChannelCoordinator]):
    """An entity of one channel's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, *, coordinator: ChannelCoordinator, description: EntityDescription
    ) -> None:
        """Initialise the entity from its channel's coordinator."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        key = coordinator.channel_key
        self.entity_description = description
        self._attr_unique_id = f"{entry.unique_id}_{key}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={channel_device_identifier(entry, key)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Twilio",
            model="Comms API",
            translation_key=key,
        )
