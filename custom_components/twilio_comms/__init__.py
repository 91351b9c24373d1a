"""The Twilio Comms integration."""

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType

from .api import Channel
from .const import (
    CONF_AUTH_TOKEN,
    CONF_CHANNELS,
    CONF_CREDENTIAL_KIND,
    CONF_INSTANT_UPDATES,
    DOMAIN,
    CredentialKind,
)
from .coordinator import (
    ChannelCoordinator,
    LifetimeStore,
    TwilioCommsConfigEntry,
    TwilioCommsRuntimeData,
    not_entitled_issue_id,
)
from .entity import channel_device_identifier, channel_device_info
from .helpers import build_client, warn_if_overridden
from .instant_updates import InstantUpdates, async_remove_instant_updates
from .recipients import Recipients
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.EVENT,
    Platform.NOTIFY,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, which work with any loaded entry."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: TwilioCommsConfigEntry) -> bool:
    """Set up Twilio Comms from a config entry."""
    client = build_client(hass, entry.data)
    warn_if_overridden(client)
    tracked = [Channel(key) for key in entry.options[CONF_CHANNELS]]
    lifetime = LifetimeStore(hass, entry)
    await lifetime.async_load()
    recipients = Recipients(client, entry)
    coordinators = {
        channel: ChannelCoordinator(
            hass, entry, client, channel, lifetime, recipients=recipients
        )
        for channel in tracked
    }
    _remove_untracked_channels(hass, entry, tracked)

    # Channels refresh side by side, and one channel failing must not keep
    # the others from loading: only a credential failure, or every channel
    # failing, stops the setup.
    results = await asyncio.gather(
        *(
            coordinator.async_config_entry_first_refresh()
            for coordinator in coordinators.values()
        ),
        return_exceptions=True,
    )
    failures = [result for result in results if isinstance(result, BaseException)]
    for failure in failures:
        if not isinstance(failure, ConfigEntryNotReady):
            raise failure
    if failures and len(failures) == len(results):
        raise failures[0]

    instant_updates = None
    # Only Messages has events; without it, the option does nothing.
    if entry.options.get(CONF_INSTANT_UPDATES, False) and Channel.MESSAGES in tracked:
        instant_updates = await InstantUpdates.async_load(
            hass, entry, client, _auth_token(entry)
        )
    entry.runtime_data = TwilioCommsRuntimeData(
        client=client,
        lifetime=lifetime,
        coordinators=coordinators,
        recipients=recipients,
        instant_updates=instant_updates,
    )
    # The channel devices exist before any platform adds entities, so the
    # recipients' devices can name the Messages device as the one they go
    # through.
    device_registry = dr.async_get(hass)
    for channel in coordinators:
        device_registry.async_get_or_create(
            config_entry_id=entry.entry_id, **channel_device_info(hass, entry, channel)
        )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Twilio's side of instant updates is checked, made or removed in the
    # background: polling works meanwhile, and whatever Twilio says about it
    # must never fail the setup.
    if instant_updates is not None:
        entry.async_create_background_task(
            hass, instant_updates.async_start(), f"{DOMAIN} instant updates"
        )
    else:
        entry.async_create_background_task(
            hass,
            async_remove_instant_updates(hass, entry, client),
            f"{DOMAIN} instant updates off",
        )
    # Options and recipient subentries change what is set up: reload.
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    return True


async def _async_update_listener(
    hass: HomeAssistant, entry: TwilioCommsConfigEntry
) -> None:
    """Reload the entry after its options or subentries changed."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


def _auth_token(entry: TwilioCommsConfigEntry) -> str | None:
    """Return the Auth Token deliveries are signed with; API key entries have none."""
    if entry.data[CONF_CREDENTIAL_KIND] == CredentialKind.AUTH_TOKEN:
        return str(entry.data[CONF_AUTH_TOKEN])
    return None


def _remove_untracked_channels(
    hass: HomeAssistant, entry: TwilioCommsConfigEntry, tracked: list[Channel]
) -> None:
    """Drop the devices and repair issues of channels no longer tracked."""
    untracked = [channel for channel in Channel if channel not in tracked]
    for channel in untracked:
        ir.async_delete_issue(hass, DOMAIN, not_entitled_issue_id(entry, channel))
    stale = {channel_device_identifier(entry, channel) for channel in untracked}
    device_registry = dr.async_get(hass)
    # Looking devices up by entry, then removing them, is the one way that is
    # current (no deprecation warning) on every supported release.
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if device.identifiers & stale:
            device_registry.async_remove_device(device.id)


async def async_unload_entry(
    hass: HomeAssistant, entry: TwilioCommsConfigEntry
) -> bool:
    """Unload a config entry, writing its lifetime counts for the next setup.

    What a last refresh counts after this write is counted again from the
    marks written with it, never twice (the tracker's invariant 10).
    """
    await entry.runtime_data.lifetime.async_save()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: TwilioCommsConfigEntry
) -> None:
    """Remove the entry's repair issues, lifetime counts and event stream with it."""
    for channel in Channel:
        ir.async_delete_issue(hass, DOMAIN, not_entitled_issue_id(entry, channel))
    await LifetimeStore(hass, entry).async_remove()
    await async_remove_instant_updates(hass, entry, build_client(hass, entry.data))
