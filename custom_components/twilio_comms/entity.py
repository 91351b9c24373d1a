"""Base entity of the Twilio Comms integration."""

from collections.abc import Iterable
from typing import Final, Self

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Channel
from .const import DOMAIN
from .coordinator import ChannelCoordinator, TwilioCommsConfigEntry

# A channel device's name when there are several accounts: it also names
# the account, as a placeholder.
ACCOUNT_DEVICE_KEYS: Final = {
    Channel.MESSAGES: "messages_of_account",
    Channel.PUSH_NOTIFICATIONS: "push_notifications_of_account",
    Channel.EMAILS: "emails_of_account",
}


def channel_device_identifier(entry: ConfigEntry, channel: Channel) -> tuple[str, str]:
    """Return the device identifier of one channel of an account."""
    return (DOMAIN, f"{entry.unique_id}_{channel}")


def channel_device_id(
    hass: HomeAssistant, entry: ConfigEntry, channel: Channel
) -> str | None:
    """Return the registry id of a channel's device, if the channel is tracked."""
    identifier = channel_device_identifier(entry, channel)
    # Looking devices up by entry works the same on every supported release.
    return next(
        (
            device.id
            for device in dr.async_entries_for_config_entry(
                dr.async_get(hass), entry.entry_id
            )
            if identifier in device.identifiers
        ),
        None,
    )


def channel_device_info(
    hass: HomeAssistant, entry: ConfigEntry, channel: Channel
) -> DeviceInfo:
    """Return the service device of one channel of an account.

    With one account a channel's device is its channel ("Messages"); with
    several, each carries its account's title, so devices and the entity ids
    made from them tell the accounts apart (not sensor.messages_sent_2).
    """
    accounts = hass.config_entries.async_entries(
        DOMAIN, include_ignore=False, include_disabled=False
    )
    shared = len(accounts) > 1
    return DeviceInfo(
        identifiers={channel_device_identifier(entry, channel)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Twilio",
        model="Comms API",
        translation_key=ACCOUNT_DEVICE_KEYS[channel] if shared else channel,
        translation_placeholders={"account": entry.title} if shared else None,
    )


def channel_entity_unique_id(entry: ConfigEntry, channel: Channel, key: str) -> str:
    """Return the unique id of one of a channel device's entities."""
    return f"{entry.unique_id}_{channel}_{key}"


def recipient_unique_id(entry: ConfigEntry, subentry: ConfigSubentry) -> str:
    """Return the unique id of a recipient's notify entity, and of its device."""
    return f"{entry.unique_id}_{subentry.subentry_id}"


def recipient_device_info(entry: ConfigEntry, subentry: ConfigSubentry) -> DeviceInfo:
    """Return the device of a recipient subentry: its notify entity and status sensor."""
    return DeviceInfo(
        identifiers={(DOMAIN, recipient_unique_id(entry, subentry))},
        name=subentry.title,
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Twilio",
        model="Comms API recipient",
    )


class TwilioCommsEntity(CoordinatorEntity[ChannelCoordinator]):
    """An entity of one channel's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, *, coordinator: ChannelCoordinator, description: EntityDescription
    ) -> None:
        """Initialise the entity from its channel's coordinator."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        channel = coordinator.channel
        self.entity_description = description
        self._attr_unique_id = channel_entity_unique_id(entry, channel, description.key)
        self._attr_device_info = channel_device_info(coordinator.hass, entry, channel)

    @classmethod
    def for_channels(
        cls, entry: TwilioCommsConfigEntry, descriptions: Iterable[EntityDescription]
    ) -> list[Self]:
        """Return an entity of each description for every tracked channel."""
        return [
            cls(coordinator=coordinator, description=description)
            for coordinator in entry.runtime_data.coordinators.values()
            for description in descriptions
        ]
