"""Diagnostics of the Twilio Comms integration."""

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import (
    CONF_ACCOUNT_SID,
    CONF_ADDRESS,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_SENDER,
)
from .coordinator import TwilioCommsConfigEntry
from .helpers import override_origin

# Secrets, the SIDs that identify the account, and recipients' numbers and
# names (diagnostics get shared in public issue trackers). Operation data
# holds no phone number or push token: the summary below carries ids,
# statuses and counters only.
TO_REDACT = {
    CONF_ACCOUNT_SID,
    CONF_ADDRESS,
    CONF_SENDER,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    "title",
    "unique_id",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: TwilioCommsConfigEntry
) -> dict[str, Any]:
    """Return redacted diagnostics for a config entry."""
    redacted = async_redact_data(entry.as_dict(), TO_REDACT)
    if entry.state is not ConfigEntryState.LOADED:
        # Failed setup, or asked for mid-reload: nothing runs to describe.
        return {"entry": redacted, "state": entry.state.value, "channels": {}}
    channels: dict[str, Any] = {}
    for key, coordinator in entry.runtime_data.coordinators.items():
        data = coordinator.data
        channels[key] = {
            "last_update_success": coordinator.last_update_success,
            "update_interval_seconds": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
            "data": None
            if data is None
            else {
                "operations_in_window": len(data.operations),
                "active_operations": data.active_count,
                "totals": dict(data.totals),
                "failure_rate": data.failure_rate,
                "lifetime": dict(data.lifetime),
                "latest_operation": {
                    "status": data.latest.status.value,
                    "raw_status": data.latest.raw_status,
                    "created_at": data.latest.created_at,
                    "updated_at": data.latest.updated_at,
                    "stats": data.latest.stats.as_dict(),
                }
                if data.latest
                else None,
            },
        }
    return {
        "entry": redacted,
        # A development override sends everything elsewhere: say so first.
        "base_url_override": override_origin(entry.runtime_data.client),
        "channels": channels,
        "recipients": entry.runtime_data.recipients.diagnostics(),
        "instant_updates": None
        if (stream := entry.runtime_data.instant_updates) is None
        else stream.diagnostics(),
    }
