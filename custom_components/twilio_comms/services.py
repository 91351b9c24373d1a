"""Actions of the Twilio Comms integration: look up an operation, send."""

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .api import (
    MAX_PAGE_SIZE,
    Channel,
    CommsResource,
    EmailAddress,
    EmailSendRequest,
    MessageRecipient,
    MessageSender,
    MessageSendRequest,
    PushNotificationSendRequest,
    PushPriority,
    PushProvider,
    PushRecipient,
    RecipientChannel,
    SenderChannel,
    SendResult,
    TwilioCommsClient,
    TwilioCommsError,
    TwilioCommsInvalidIdError,
    TwilioCommsNotFoundError,
    TwilioCommsPageLimitError,
    TwilioCommsValidationError,
)
from .const import DOMAIN, LOGGER
from .coordinator import TwilioCommsConfigEntry
from .helpers import (
    async_send,
    invalid_request,
    operation_attributes,
    option_validator,
    parse_address,
    sender_channel_for,
    shown,
    translated_error,
)
from .recipients import MAX_LISTING_PAGES

SERVICE_GET_OPERATION: Final = "get_operation"
SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_SEND_PUSH_NOTIFICATION: Final = "send_push_notification"
SERVICE_SEND_EMAIL: Final = "send_email"

ATTR_CHANNEL: Final = "channel"
ATTR_OPERATION_ID: Final = "operation_id"
ATTR_RECIPIENTS: Final = "recipients"
ATTR_RECIPIENT_CHANNEL: Final = "recipient_channel"
ATTR_TEXT: Final = "text"
ATTR_SENDER: Final = "sender"
ATTR_SENDER_CHANNEL: Final = "sender_channel"
ATTR_SENDER_ID: Final = "sender_id"
ATTR_MEDIA_URLS: Final = "media_urls"
ATTR_SEND_AT: Final = "send_at"
ATTR_TAGS: Final = "tags"
ATTR_DEVICES: Final = "devices"
ATTR_DEVICE_TOKENS: Final = "device_tokens"
ATTR_TOKEN: Final = "token"
ATTR_PROVIDER: Final = "provider"
ATTR_USER_IDS: Final = "user_ids"
ATTR_TITLE: Final = "title"
ATTR_BODY: Final = "body"
ATTR_PRIORITY: Final = "priority"
ATTR_SUBJECT: Final = "subject"
ATTR_HTML: Final = "html"
ATTR_SENDER_NAME: Final = "sender_name"

# How far ahead a send can be scheduled. The Comms scheduling guide gives no
# horizon; Twilio Messaging's scheduler, which Comms messages go out through,
# takes at most 35 days (errors 35114 and 35115), so a later time is refused
# here, before anything is sent.
MAX_SCHEDULE_AHEAD: Final = timedelta(days=35)

# The longest send_message waits for the ids of the messages it made, when
# its response is asked for: one listing, which an automation waits for.
MESSAGE_IDS_WAIT: Final = timedelta(seconds=5)

# The error of each field that holds phone or WhatsApp addresses.
_INVALID_ADDRESSES: Final = {
    ATTR_RECIPIENTS: "invalid_recipient",
    ATTR_SENDER: "invalid_sender",
}

_STRINGS: Final = vol.All(cv.ensure_list, [cv.string])
_TAGS: Final = vol.Schema({cv.string: cv.string})


_DEVICES: Final = vol.All(
    cv.ensure_list,
    [
        vol.Schema(
            {
                vol.Required(ATTR_TOKEN): cv.string,
                vol.Required(ATTR_PROVIDER): option_validator(PushProvider),
            }
        )
    ],
)

GET_OPERATION_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_CHANNEL): vol.Coerce(Channel),
        vol.Required(ATTR_OPERATION_ID): cv.string,
    }
)

SEND_MESSAGE_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_RECIPIENTS): vol.All(_STRINGS, vol.Length(min=1)),
        vol.Optional(
            ATTR_RECIPIENT_CHANNEL, default=RecipientChannel.PHONE
        ): option_validator(RecipientChannel),
        vol.Required(ATTR_TEXT): cv.string,
        vol.Exclusive(ATTR_SENDER, "sender"): cv.string,
        vol.Exclusive(ATTR_SENDER_ID, "sender"): cv.string,
        vol.Optional(ATTR_SENDER_CHANNEL): option_validator(SenderChannel),
        vol.Optional(ATTR_MEDIA_URLS): _STRINGS,
        vol.Optional(ATTR_SEND_AT): cv.datetime,
        vol.Optional(ATTR_TAGS): _TAGS,
    }
)

SEND_PUSH_NOTIFICATION_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DEVICES): _DEVICES,
        # The older form: tokens that all share one provider.
        vol.Optional(ATTR_DEVICE_TOKENS): _STRINGS,
        vol.Optional(ATTR_PROVIDER): option_validator(PushProvider),
        vol.Optional(ATTR_USER_IDS): _STRINGS,
        vol.Required(ATTR_TITLE): cv.string,
        vol.Required(ATTR_BODY): cv.string,
        vol.Optional(ATTR_PRIORITY): option_validator(PushPriority),
        vol.Optional(ATTR_TAGS): _TAGS,
    }
)


def _name_needs_sender(data: dict[str, Any]) -> dict[str, Any]:
    """Refuse a sender name without the sender address it names."""
    if ATTR_SENDER_NAME in data and ATTR_SENDER not in data:
        raise vol.Invalid("sender_name needs a sender", path=[ATTR_SENDER_NAME])
    return data


SEND_EMAIL_SCHEMA: Final = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Required(ATTR_RECIPIENTS): vol.All(_STRINGS, vol.Length(min=1)),
            vol.Required(ATTR_SUBJECT): cv.string,
            # Either or both; the client refuses neither.
            vol.Optional(ATTR_HTML): cv.string,
            vol.Optional(ATTR_TEXT): cv.string,
            vol.Optional(ATTR_SENDER): cv.string,
            vol.Optional(ATTR_SENDER_NAME): cv.string,
            vol.Optional(ATTR_SEND_AT): cv.datetime,
            vol.Optional(ATTR_TAGS): _TAGS,
        }
    ),
    _name_needs_sender,
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_OPERATION,
        _async_get_operation,
        schema=GET_OPERATION_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_PUSH_NOTIFICATION,
        _async_send_push_notification,
        schema=SEND_PUSH_NOTIFICATION_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_EMAIL,
        _async_send_email,
        schema=SEND_EMAIL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )


def _loaded_entry(call: ServiceCall) -> TwilioCommsConfigEntry:
    """Return the loaded Twilio Comms entry the call names, or raise."""
    entry: TwilioCommsConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    return entry


async def _async_get_operation(call: ServiceCall) -> ServiceResponse:
    """Answer an operation's status, stats, times and resources."""
    entry = _loaded_entry(call)
    channel: Channel = call.data[ATTR_CHANNEL]
    operation_id: str = call.data[ATTR_OPERATION_ID].strip()
    client = entry.runtime_data.client
    try:
        # The client checks the id before it becomes part of a URL.
        operation = await client.get_operation(channel, operation_id)
    except TwilioCommsInvalidIdError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="invalid_operation_id"
        ) from err
    except TwilioCommsNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="operation_not_found",
            translation_placeholders={"operation_id": shown(operation_id)},
        ) from err
    except TwilioCommsError as err:
        raise translated_error(call.hass, err, entry, channel) from err
    try:
        listed = await _async_resources(client, channel, operation_id)
    except TwilioCommsNotFoundError:
        # The operation exists: its resources are what cannot be listed (the
        # family's listing may be missing, or they are past retention).
        listed = None
    except TwilioCommsError as err:
        raise translated_error(call.hass, err, entry, channel) from err
    return {
        ATTR_CHANNEL: str(channel),
        **operation_attributes(operation),
        "resources": None
        if listed is None
        else [_resource_attributes(resource) for resource in listed[0]],
        "more_resources": None if listed is None else listed[1],
    }


async def _async_resources(
    client: TwilioCommsClient, channel: Channel, operation_id: str
) -> tuple[list[CommsResource], bool]:
    """Return an operation's resources, and whether there are more than were read.

    At most MAX_LISTING_PAGES pages of 1,000: every recipient a send may have.
    """
    resources: list[CommsResource] = []
    try:
        async for resource in client.iter_resources(
            channel, operation_id, page_size=MAX_PAGE_SIZE, max_pages=MAX_LISTING_PAGES
        ):
            # A loop, not a comprehension: what was read before the page
            # bound must survive it.
            resources.append(resource)  # noqa: PERF401
    except TwilioCommsPageLimitError:
        return resources, True
    return resources, False


def _resource_attributes(resource: CommsResource) -> dict[str, Any]:
    """Return what get_operation tells of one message, notification or email."""
    return {
        "id": resource.id,
        "status": resource.status,
        "to": resource.to,
        "updated_at": resource.updated_at.isoformat() if resource.updated_at else None,
    }


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    """Send a message to phone or WhatsApp recipients."""
    entry = _loaded_entry(call)
    data = call.data
    channel: RecipientChannel = data[ATTR_RECIPIENT_CHANNEL]
    recipients = []
    for value in data[ATTR_RECIPIENTS]:
        if (parsed := parse_address(value, channel)) is None:
            raise _invalid_address(ATTR_RECIPIENTS, value)
        recipients.append(MessageRecipient(address=parsed[0], channel=parsed[1]))
    send_at = _send_at(data)
    try:
        request = MessageSendRequest(
            to=recipients,
            text=data[ATTR_TEXT],
            media_urls=data.get(ATTR_MEDIA_URLS, []),
            sender=_sender(data, channel),
            send_at=[send_at] if send_at else [],
            tags=data.get(ATTR_TAGS, {}),
        )
    except TwilioCommsValidationError as err:
        raise invalid_request(err) from err
    result = await async_send(call.hass, entry, request, send_at=send_at)
    response = _send_response(result)
    if call.return_response and result.operation_id is not None:
        response["messages"] = await _async_messages(entry, result.operation_id)
    return response


async def _async_messages(
    entry: TwilioCommsConfigEntry, operation_id: str
) -> list[dict[str, Any]] | None:
    """Return the id of each message a send made and whom it went to, or None.

    One listing, waited for MESSAGE_IDS_WAIT at most: the send was made, so
    a listing that fails or is slow leaves the ids out rather than fail it.
    What it finds feeds the recipients' last message status too.
    """
    client = entry.runtime_data.client
    try:
        async with asyncio.timeout(MESSAGE_IDS_WAIT.total_seconds()):
            resources = [
                resource
                async for resource in client.iter_resources(
                    Channel.MESSAGES,
                    operation_id,
                    page_size=MAX_PAGE_SIZE,
                    max_pages=MAX_LISTING_PAGES,
                )
            ]
    except (TimeoutError, TwilioCommsError) as err:
        LOGGER.debug("Listing the messages of %s failed: %s", operation_id, err)
        return None
    entry.runtime_data.recipients.async_observe(operation_id, resources)
    return [{"to": resource.to, "message_id": resource.id} for resource in resources]


def _invalid_address(field: str, address: str) -> ServiceValidationError:
    """Return the error for an address that is not E.164, repeated cut short."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=_INVALID_ADDRESSES[field],
        translation_placeholders={"address": shown(address)},
    )


def _sender(data: Mapping[str, Any], channel: RecipientChannel) -> MessageSender | None:
    """Return the sender a call asks for: an address, a sender id, or none."""
    if (sender_id := data.get(ATTR_SENDER_ID)) is not None:
        return MessageSender(sender_id=sender_id)
    if (address := data.get(ATTR_SENDER)) is None:
        return None
    # The sender's channel follows the recipients' (or its own whatsapp:
    # prefix) unless it is given.
    parsed = parse_address(address, channel)
    if parsed is None:
        raise _invalid_address(ATTR_SENDER, address)
    sender_channel = data.get(ATTR_SENDER_CHANNEL) or sender_channel_for(parsed[1])
    return MessageSender(address=parsed[0], channel=sender_channel)


def _send_at(data: Mapping[str, Any]) -> datetime | None:
    """Return the requested send time in UTC, checked to be in the future.

    A time without a zone is in Home Assistant's time zone, as the UI shows it.
    """
    if (when := data.get(ATTR_SEND_AT)) is None:
        return None
    try:
        when = dt_util.as_utc(
            when
            if when.tzinfo
            else when.replace(tzinfo=dt_util.get_default_time_zone())
        )
    except OverflowError:
        # Near year 9999, UTC is past the last datetime: far too far ahead.
        when = datetime.max.replace(tzinfo=UTC)
    now = dt_util.utcnow()
    if when <= now:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="send_at_in_past"
        )
    if when > now + MAX_SCHEDULE_AHEAD:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="send_at_too_far",
            translation_placeholders={"days": str(MAX_SCHEDULE_AHEAD.days)},
        )
    return when


async def _async_send_push_notification(call: ServiceCall) -> ServiceResponse:
    """Send a push notification to devices and/or push users."""
    entry = _loaded_entry(call)
    data = call.data
    tokens: list[str] = data.get(ATTR_DEVICE_TOKENS, [])
    devices: list[dict[str, Any]] = data.get(ATTR_DEVICES, [])
    user_ids: list[str] = [value.strip() for value in data.get(ATTR_USER_IDS, [])]
    if not tokens and not devices and not user_ids:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_push_recipients"
        )
    # The older form's tokens share one provider; each device has its own,
    # so one call reaches FCM and APN.
    provider: PushProvider | None = data.get(ATTR_PROVIDER)
    try:
        request = PushNotificationSendRequest(
            to=[
                *(PushRecipient(token=token, provider=provider) for token in tokens),
                *(
                    PushRecipient(
                        token=device[ATTR_TOKEN], provider=device[ATTR_PROVIDER]
                    )
                    for device in devices
                ),
                *(PushRecipient(user_id=user_id) for user_id in user_ids),
            ],
            title=data[ATTR_TITLE],
            body=data[ATTR_BODY],
            priority=data.get(ATTR_PRIORITY, PushPriority.HIGH),
            tags=data.get(ATTR_TAGS, {}),
        )
    except TwilioCommsValidationError as err:
        raise invalid_request(err) from err
    return _send_response(await async_send(call.hass, entry, request))


async def _async_send_email(call: ServiceCall) -> ServiceResponse:
    """Send an email to addresses, with an HTML and/or text body."""
    entry = _loaded_entry(call)
    data = call.data
    send_at = _send_at(data)
    try:
        # The client checks each address; its error names the one refused.
        request = EmailSendRequest(
            to=[EmailAddress(address=value.strip()) for value in data[ATTR_RECIPIENTS]],
            subject=data[ATTR_SUBJECT],
            html=data.get(ATTR_HTML),
            text=data.get(ATTR_TEXT),
            sender=None
            if (sender := data.get(ATTR_SENDER)) is None
            else EmailAddress(address=sender.strip(), name=data.get(ATTR_SENDER_NAME)),
            send_at=[send_at] if send_at else [],
            tags=data.get(ATTR_TAGS, {}),
        )
    except TwilioCommsValidationError as err:
        raise invalid_request(err) from err
    return _send_response(await async_send(call.hass, entry, request, send_at=send_at))


def _send_response(result: SendResult) -> dict[str, Any]:
    """Return what a send action answers: the operation that tracks it."""
    return {ATTR_OPERATION_ID: result.operation_id, "tracked": result.tracked}
