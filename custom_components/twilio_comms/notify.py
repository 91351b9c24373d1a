"""Notify entities of the Twilio Comms integration: one per recipient subentry.

A phone or WhatsApp recipient's entity sends text messages; an email
recipient's sends emails. Assist's send tool (llm.py) texts a recipient
through the same helper its entity uses.
"""

from collections.abc import Callable
from typing import override

from homeassistant.components.notify import (
    ATTR_TITLE_DEFAULT,
    NotifyEntity,
    NotifyEntityFeature,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    Channel,
    EmailAddress,
    EmailSendRequest,
    MessageRecipient,
    MessageSender,
    MessageSendRequest,
    RecipientChannel,
    SenderChannel,
    SendRequest,
    SendResult,
    TwilioCommsValidationError,
)
from .const import (
    CONF_ADDRESS,
    CONF_RECIPIENT_CHANNEL,
    CONF_SENDER,
    CONF_SENDER_CHANNEL,
    RECIPIENT_EMAIL,
)
from .coordinator import TwilioCommsConfigEntry
from .entity import channel_device_id, recipient_device_info, recipient_unique_id
from .helpers import async_send, from_option, invalid_request, sender_channel_for

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a notify entity for each recipient of the account."""
    # Recipients are the only kind of subentry.
    for subentry in entry.subentries.values():
        entity: TwilioCommsRecipientNotify = (
            TwilioCommsMessageNotify(entry, subentry)
            if is_text_recipient(subentry)
            else TwilioCommsEmailNotify(entry, subentry)
        )
        async_add_entities([entity], config_subentry_id=subentry.subentry_id)


def is_text_recipient(subentry: ConfigSubentry) -> bool:
    """Return whether a recipient is texted (phone or WhatsApp), not emailed."""
    channel: str = subentry.data[CONF_RECIPIENT_CHANNEL]
    return channel != RECIPIENT_EMAIL


def _text_request(subentry: ConfigSubentry, text: str) -> MessageSendRequest:
    """Return the request that texts a phone or WhatsApp recipient."""
    # Recipients added before the options were lower case hold the API's
    # PHONE or WHATSAPP; from_option reads both, so they keep working.
    channel = from_option(RecipientChannel, subentry.data[CONF_RECIPIENT_CHANNEL])
    sender = subentry.data.get(CONF_SENDER)
    sender_channel = subentry.data.get(CONF_SENDER_CHANNEL)
    return MessageSendRequest(
        to=[MessageRecipient(address=subentry.data[CONF_ADDRESS], channel=channel)],
        text=text,
        sender=MessageSender(
            address=sender,
            channel=SenderChannel(sender_channel)
            if sender_channel
            else sender_channel_for(channel),
        )
        if sender
        else None,
    )


async def _async_build_and_send(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    build: Callable[[], SendRequest],
) -> SendResult:
    """Build a request (its refusal is an input error), send and follow it.

    Built at each send, so that a stored address the client refuses is an
    input error of the send, not a platform that fails.
    """
    try:
        request = build()
    except TwilioCommsValidationError as err:
        raise invalid_request(err) from err
    return await async_send(hass, entry, request)


async def async_send_text(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    subentry: ConfigSubentry,
    text: str,
) -> SendResult:
    """Text a phone or WhatsApp recipient, as its notify entity does."""
    return await _async_build_and_send(
        hass, entry, lambda: _text_request(subentry, text)
    )


class TwilioCommsRecipientNotify(NotifyEntity):
    """Sends to one recipient through the Comms API, on the channel of its kind."""

    _attr_has_entity_name = True
    _attr_name = None
    _attr_supported_features = NotifyEntityFeature.TITLE

    # The channel the recipient's sends go to, whose device sends for it.
    channel: Channel

    def __init__(self, entry: TwilioCommsConfigEntry, subentry: ConfigSubentry) -> None:
        """Initialise the entity of a recipient subentry."""
        self._entry = entry
        self._subentry = subentry
        self._attr_unique_id = recipient_unique_id(entry, subentry)
        self._attr_device_info = recipient_device_info(entry, subentry)

    @override
    async def async_added_to_hass(self) -> None:
        """Link the recipient's device to the channel device it sends through.

        The link is set on the registry entry by device id: DeviceInfo's
        via_device is deprecated from Home Assistant 2026.8, and its
        replacement is unknown to older releases.
        """
        await super().async_added_to_hass()
        sender = channel_device_id(self.hass, self._entry, self.channel)
        if self.device_entry is not None and sender is not None:
            dr.async_get(self.hass).async_update_device(
                self.device_entry.id, via_device_id=sender
            )


class TwilioCommsMessageNotify(TwilioCommsRecipientNotify):
    """Texts a phone number or WhatsApp address."""

    channel = Channel.MESSAGES

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message, with the title as its first line if there is one.

        A title alone is no message: a blank message goes to the client as it
        is, and the client refuses an empty text.
        """
        text = f"{title}\n{message}" if title and message.strip() else message
        # notify.send_message records the send in the entity's state once
        # this returns; an error raised here records nothing.
        await async_send_text(self.hass, self._entry, self._subentry, text)


class TwilioCommsEmailNotify(TwilioCommsRecipientNotify):
    """Emails an address."""

    channel = Channel.EMAILS

    def __init__(self, entry: TwilioCommsConfigEntry, subentry: ConfigSubentry) -> None:
        """Initialise the entity of an email recipient, addressed by its name."""
        super().__init__(entry, subentry)
        # A recipient added without a name is titled with its address, which
        # is no display name.
        self._address = subentry.data[CONF_ADDRESS]
        self._name = subentry.title if subentry.title != self._address else None
        self._sender_address: str | None = subentry.data.get(CONF_SENDER)

    @override
    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Email the message as its text, and as HTML made from it, under the title.

        Without a title, the subject is Home Assistant's default notification
        title, as its other email notifiers use. A title over several lines
        (a template's, often) is the subject on one line, its whitespace runs
        made single spaces: a subject is one header line. A blank message is
        refused.
        """
        subject = " ".join((title or "").split()) or ATTR_TITLE_DEFAULT

        def build() -> EmailSendRequest:
            return EmailSendRequest(
                to=[EmailAddress(address=self._address, name=self._name)],
                subject=subject,
                text=message,
                sender=EmailAddress(address=self._sender_address)
                if self._sender_address
                else None,
            )

        await _async_build_and_send(self.hass, self._entry, build)
