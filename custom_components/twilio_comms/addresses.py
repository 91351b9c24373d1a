"""Phone and WhatsApp addresses, as actions and recipients accept them."""

import re
from typing import Final

from .api import RecipientChannel, SenderChannel

# E.164: a plus, a country code that does not start with 0, at most 15 digits.
_E164: Final = re.compile(r"\+[1-9][0-9]{6,14}", re.ASCII)

# Twilio's classic spelling of a WhatsApp address; it selects the channel.
WHATSAPP_PREFIX: Final = "whatsapp:"

# Separators people type inside phone numbers; E.164 has none.
_SEPARATORS: Final = re.compile(r"[\s().-]")


def parse_address(
    value: str, channel: RecipientChannel
) -> tuple[str, RecipientChannel] | None:
    """Return an address in E.164 and the channel it is on, or None if invalid.

    A `whatsapp:` prefix selects WhatsApp whatever channel was given.
    """
    text = value.strip()
    if text.lower().startswith(WHATSAPP_PREFIX):
        text = text[len(WHATSAPP_PREFIX) :]
        channel = RecipientChannel.WHATSAPP
    number = _SEPARATORS.sub("", text)
    if _E164.fullmatch(number) is None:
        return None
    return number, channel


def sender_channel_for(channel: RecipientChannel) -> SenderChannel:
    """Return the sender channel that reaches recipients on a channel."""
    if channel is RecipientChannel.WHATSAPP:
        return SenderChannel.WHATSAPP
    return SenderChannel.SMS
