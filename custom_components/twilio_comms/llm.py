"""Tools Twilio Comms gives Assist and LLM agents: how sends went, and a text.

Home Assistant 2026.8 and later load this platform; older releases never
import it, and the integration works there without it.
"""

from typing import Any, Final, override

from homeassistant.components.homeassistant import async_should_expose
from homeassistant.components.llm import LLMTools
from homeassistant.components.notify import DOMAIN as NOTIFY_DOMAIN
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, entity_registry as er, intent
from homeassistant.helpers.llm import (
    LLM_API_ASSIST,
    LLMContext,
    Tool,
    ToolAnnotations,
    ToolInput,
    ToolResult,
)
import voluptuous as vol

from .api import (
    Channel,
    ChannelData,
    Operation,
    TwilioCommsError,
    TwilioCommsInvalidIdError,
    TwilioCommsNotFoundError,
)
from .const import CONF_WINDOW_HOURS, DOMAIN
from .coordinator import ChannelCoordinator, TwilioCommsConfigEntry
from .entity import recipient_unique_id
from .helpers import operation_attributes, shown, translated_error
from .notify import async_send_text, is_text_recipient

ATTR_OPERATION_ID: Final = "operation_id"
ATTR_RECIPIENT: Final = "recipient"
ATTR_MESSAGE: Final = "message"

type Recipient = tuple[TwilioCommsConfigEntry, ConfigSubentry]


def _error(message: str) -> ToolResult:
    """Return a tool's answer that it could not do what it was asked."""
    return ToolResult(data={"error": message}, error=True)


def _operation_report(channel: Channel, operation: Operation) -> dict[str, Any]:
    """Return what an agent is told of one operation: its channel, status and stats."""
    return {"channel": str(channel), **operation_attributes(operation)}


def _channel_report(coordinator: ChannelCoordinator) -> dict[str, Any]:
    """Return a channel's window as its sensors show it."""
    # None, though not typed so, when the channel failed its first refresh
    # and the others loaded: there is nothing to tell yet.
    data: ChannelData | None = coordinator.data
    if data is None:
        return {"available": False}
    return {
        "available": coordinator.last_update_success,
        "operations": len(data.operations),
        # More operations than one listing may read: the oldest are missing.
        "truncated": data.truncated,
        "active_operations": data.active_count,
        "totals": dict(data.totals),
        "failure_rate": data.failure_rate,
        "latest_operation": None
        if data.latest is None
        else _operation_report(coordinator.channel, data.latest),
    }


class SendingReportTool(Tool):
    """Tells how each tracked channel's sends went, or how one operation did."""

    name = f"{DOMAIN}__get_sending_report"
    title = "Get the Twilio sending report"
    description = (
        "Report how messages (SMS, WhatsApp), push notifications and emails "
        "sent through Twilio did, per account and channel, over the last "
        "window_hours: totals by status, the failure rate in percent and the "
        "latest operation (one send, to one or many recipients). Given an "
        "operation_id, report that operation's status and stats instead."
    )
    # It reads the account's own sends and sends nothing.
    annotations = ToolAnnotations(
        read_only=True, destructive=False, idempotent=True, open_world=False
    )
    integration = DOMAIN
    parameters = vol.Schema({vol.Optional(ATTR_OPERATION_ID): cv.string})

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Answer the report, or the operation asked for."""
        data = self.parameters(tool_input.tool_args)
        entries: list[TwilioCommsConfigEntry] = (
            hass.config_entries.async_loaded_entries(DOMAIN)
        )
        if (operation_id := data.get(ATTR_OPERATION_ID)) is not None:
            return await _async_operation(hass, entries, operation_id.strip())
        return ToolResult(
            data={
                "accounts": [
                    {
                        "account": entry.title,
                        "window_hours": entry.options[CONF_WINDOW_HOURS],
                        "channels": {
                            str(channel): _channel_report(coordinator)
                            for channel, coordinator in (
                                entry.runtime_data.coordinators.items()
                            )
                        },
                    }
                    for entry in entries
                ]
            }
        )


async def _async_operation(
    hass: HomeAssistant, entries: list[TwilioCommsConfigEntry], operation_id: str
) -> ToolResult:
    """Answer one operation: from a channel's window, or else from Twilio."""
    for entry in entries:
        for channel, coordinator in entry.runtime_data.coordinators.items():
            if coordinator.data and (
                operation := coordinator.data.operations.get(operation_id)
            ):
                return ToolResult(data=_operation_report(channel, operation))
    # Older than the window. An id does not say its channel: each tracked
    # channel is asked in turn, at most one request each.
    for entry in entries:
        client = entry.runtime_data.client
        for channel in entry.runtime_data.coordinators:
            try:
                operation = await client.get_operation(channel, operation_id)
            except TwilioCommsInvalidIdError:
                return _error(f"{shown(operation_id)} is not an operation id")
            except TwilioCommsNotFoundError:
                continue
            except TwilioCommsError as err:
                raise translated_error(hass, err, entry, channel) from err
            return ToolResult(data=_operation_report(channel, operation))
    return _error(
        f"No operation {shown(operation_id)} on any tracked channel; Twilio "
        "keeps operations for 7 days"
    )


class SendTextTool(Tool):
    """Texts one of the recipients the user configured and exposed, by name."""

    name = f"{DOMAIN}__send_text_message"
    title = "Send a text message"
    description = (
        "Send a text message (SMS or WhatsApp) through Twilio to one of the "
        "recipients the user set up, by name. It reaches a person and cannot "
        "be undone: confirm the recipient and the text with the user first. "
        "The answer's operation_id is what the sending report tool reports "
        "on once Twilio has processed it."
    )
    # It reaches a person outside Home Assistant, and a second call is a
    # second message.
    annotations = ToolAnnotations(
        read_only=False, destructive=True, idempotent=False, open_world=True
    )
    integration = DOMAIN

    def __init__(self, recipients: dict[str, Recipient]) -> None:
        """Initialise the tool for the recipients it may text, by name."""
        self._recipients = recipients
        self.parameters = vol.Schema(
            {
                vol.Required(ATTR_RECIPIENT): vol.In(sorted(recipients)),
                vol.Required(ATTR_MESSAGE): cv.string,
            }
        )

    @override
    async def async_call(
        self, hass: HomeAssistant, tool_input: ToolInput, llm_context: LLMContext
    ) -> ToolResult:
        """Text the recipient; a name not among the recipients sends nothing."""
        # Checked before the schema, whose error would not say who there is.
        name = str(tool_input.tool_args.get(ATTR_RECIPIENT, ""))
        if name not in self._recipients:
            return _error(
                f"No recipient named {shown(name)}; the recipients are "
                f"{', '.join(sorted(self._recipients))}"
            )
        data = self.parameters(tool_input.tool_args)
        entry, subentry = self._recipients[name]
        result = await async_send_text(hass, entry, subentry, data[ATTR_MESSAGE])
        return ToolResult(
            data={ATTR_RECIPIENT: name, ATTR_OPERATION_ID: result.operation_id}
        )


def _recipients(
    hass: HomeAssistant, entries: list[TwilioCommsConfigEntry], assistant: str
) -> dict[str, Recipient]:
    """Return the recipients an assistant may text, by each name they answer to.

    Those of accounts tracking Messages, whose notify entity is exposed to
    the assistant: a text is sent only where the user allowed it.
    """
    registry = er.async_get(hass)
    named: dict[str, list[Recipient]] = {}
    for entry in entries:
        if Channel.MESSAGES not in entry.runtime_data.coordinators:
            continue
        for subentry in entry.subentries.values():
            entity_id = registry.async_get_entity_id(
                NOTIFY_DOMAIN, DOMAIN, recipient_unique_id(entry, subentry)
            )
            if (
                not is_text_recipient(subentry)
                or entity_id is None
                or (state := hass.states.get(entity_id)) is None
                or not async_should_expose(hass, assistant, entity_id)
            ):
                continue
            for name in intent.async_get_entity_aliases(
                hass, registry.async_get(entity_id), state=state
            ):
                named.setdefault(name, []).append((entry, subentry))
    # A name two recipients answer to could text the wrong person: it is
    # offered for neither.
    return {name: found[0] for name, found in named.items() if len(found) == 1}


@callback
def async_get_tools(
    hass: HomeAssistant, llm_context: LLMContext, api_id: str
) -> LLMTools | None:
    """Return the tools of the loaded accounts, for the Assist API."""
    if api_id != LLM_API_ASSIST:
        return None
    entries: list[TwilioCommsConfigEntry] = hass.config_entries.async_loaded_entries(
        DOMAIN
    )
    if not entries:
        return None
    tools: list[Tool] = [SendingReportTool()]
    if recipients := _recipients(hass, entries, llm_context.assistant):
        tools.append(SendTextTool(recipients))
    return LLMTools(tools=tools)
