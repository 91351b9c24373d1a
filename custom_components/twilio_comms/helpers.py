"""API calls a user asked for (actions, notify): errors translated, sends followed."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    Channel,
    SendResult,
    TwilioCommsAuthenticationError,
    TwilioCommsBadRequestError,
    TwilioCommsClient,
    TwilioCommsError,
    TwilioCommsForbiddenError,
    TwilioCommsInputTooLongError,
    TwilioCommsNotFoundError,
    TwilioCommsRateLimitError,
    TwilioCommsRequestTooLargeError,
    TwilioCommsValidationError,
)
from .const import DOMAIN, LOGGER
from .coordinator import TwilioCommsConfigEntry
from .errors import REQUEST_FAILURES, failure_of, failure_placeholders

# Characters of a user's input an error message repeats; the rest is cut.
MAX_ECHO_LENGTH: Final = 40

# The error of each field the client bounds, by the name it gives the field.
_TOO_LONG: Final = {
    "text": "text_too_long",
    "media_url": "media_url_too_long",
    "sender_id": "sender_id_too_long",
    "push_content": "push_content_too_long",
    "device_token": "device_token_too_long",
}

# The error of each field the client refuses for another reason than its
# length, and the placeholder that repeats the refused value, if it has one.
_REFUSED: Final = {
    "media_url": "invalid_media_url",
    "tags": "invalid_tags",
    "user_id": "invalid_push_user_id",
}
_REFUSED_PLACEHOLDERS: Final = {"media_url": "url", "user_id": "user_id"}


def shown(value: str) -> str:
    """Return a user's input as an error repeats it: at most MAX_ECHO_LENGTH characters."""
    if len(value) <= MAX_ECHO_LENGTH:
        return value
    return value[:MAX_ECHO_LENGTH] + "…"


def build_request[T](make: Callable[[], T]) -> T:
    """Build a send request, turning what the client rejects into an input error."""
    try:
        return make()
    except TwilioCommsValidationError as err:
        raise _invalid_request(err) from err


def _invalid_request(err: TwilioCommsValidationError) -> ServiceValidationError:
    """Return the input error for a request the client refused to send.

    The client's request models are where sends are validated; the field it
    names picks the message. A rule without a message of its own reads as
    invalid_request, and the client's English text stays in the chain.
    """
    if isinstance(err, TwilioCommsInputTooLongError):
        # Each field has its own message, which never repeats the input.
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=_TOO_LONG[err.field],
            translation_placeholders={"limit": str(err.limit)},
        )
    if err.field in _REFUSED:
        placeholder = _REFUSED_PLACEHOLDERS.get(err.field)
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=_REFUSED[err.field],
            translation_placeholders={placeholder: shown(err.value)}
            if placeholder and err.value is not None
            else None,
        )
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key="invalid_request"
    )


def translated_error(
    hass: HomeAssistant,
    err: TwilioCommsError,
    entry: TwilioCommsConfigEntry,
    channel: Channel,
) -> HomeAssistantError:
    """Return the Home Assistant error that tells the user what went wrong.

    What the user can fix in their input is a ServiceValidationError; what
    Twilio or the connection did is a HomeAssistantError.
    """
    if isinstance(err, TwilioCommsAuthenticationError):
        # The coordinators would find out at their next poll; asking now
        # saves the user a wait.
        entry.async_start_reauth(hass)
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        )
    if isinstance(err, (TwilioCommsForbiddenError, TwilioCommsNotFoundError)):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="channel_not_entitled",
            translation_placeholders={"channel": channel.title},
        )
    if isinstance(err, TwilioCommsRateLimitError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_rate_limited",
            translation_placeholders={"retry_after": str(round(err.retry_after))},
        )
    if isinstance(err, TwilioCommsRequestTooLargeError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_too_large",
            translation_placeholders={"channel": channel.title},
        )
    if isinstance(err, TwilioCommsBadRequestError):
        # Twilio's own words (or the HTTP reason) are the only detail there is.
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_rejected",
            translation_placeholders={
                "status": str(err.status),
                "detail": err.detail or "-",
            },
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=REQUEST_FAILURES[failure_of(err)],
        translation_placeholders={
            "channel": channel.title,
            **failure_placeholders(err),
        },
    )


async def async_send(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    channel: Channel,
    send: Callable[[TwilioCommsClient], Awaitable[SendResult]],
    *,
    send_at: datetime | None = None,
) -> SendResult:
    """Send through the entry's client; follow the operation in the background.

    This returns as soon as Twilio accepted the send. The operation shows up in the channel's sensors and events when that
    channel is tracked; otherwise the send is only made.
    """
    try:
        result = await send(entry.runtime_data.client)
    except TwilioCommsError as err:
        raise translated_error(hass, err, entry, channel) from err
    coordinator = entry.runtime_data.coordinators.get(channel)
    if result.operation_id is None:
        LOGGER.warning(
            "Twilio accepted a %s send without naming its operation; it cannot be"
            " followed",
            channel.title,
        )
    elif coordinator is not None:
        coordinator.async_follow(result.operation_id, send_at)
    return result
