"""What setup, the config flow, the actions and notify share.

The client an entry's data builds (and the development override of where it
sends), phone and WhatsApp addresses, the select options that stand for the
API's upper-case values, how an operation reads in Home Assistant, and how a
failed request reads: a translated error, for a poll and for a user's request.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import os
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import voluptuous as vol
from yarl import URL

from .api import (
    DEFAULT_BASE_URL,
    DEFAULT_EVENTS_BASE_URL,
    DEFAULT_REST_BASE_URL,
    Channel,
    Credentials,
    Operation,
    RecipientChannel,
    SenderChannel,
    SendRequest,
    SendResult,
    TwilioCommsAuthenticationError,
    TwilioCommsBadRequestError,
    TwilioCommsClient,
    TwilioCommsConnectionError,
    TwilioCommsError,
    TwilioCommsForbiddenError,
    TwilioCommsInputTooLongError,
    TwilioCommsInvalidResponseError,
    TwilioCommsNotFoundError,
    TwilioCommsRateLimitError,
    TwilioCommsRequestTooLargeError,
    TwilioCommsResponseError,
    TwilioCommsTimeoutError,
    TwilioCommsValidationError,
    failure_rate,
    is_loopback_host,
)
from .const import (
    BASE_URL_ENV,
    CONF_ACCOUNT_SID,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_CREDENTIAL_KIND,
    DOMAIN,
    LOGGER,
    CredentialKind,
)

if TYPE_CHECKING:
    # The coordinator imports its failures from here: only type checking
    # imports it back.
    from .coordinator import TwilioCommsConfigEntry

# ---------------------------------------------------------------- the client


def build_client(hass: HomeAssistant, data: Mapping[str, Any]) -> TwilioCommsClient:
    """Return a client of an entry's (or a form's) credentials on the shared session."""
    if data[CONF_CREDENTIAL_KIND] == CredentialKind.API_KEY:
        credentials = Credentials.from_api_key(
            data[CONF_ACCOUNT_SID], data[CONF_API_KEY_SID], data[CONF_API_KEY_SECRET]
        )
    else:
        credentials = Credentials.from_auth_token(
            data[CONF_ACCOUNT_SID], data[CONF_AUTH_TOKEN]
        )
    urls = resolve_base_urls()
    return TwilioCommsClient(
        async_get_clientsession(hass),
        credentials,
        base_url=urls.comms,
        rest_base_url=urls.rest,
        events_base_url=urls.events,
    )


# The development-only override of where the client sends its requests.
# TWILIO_COMMS_BASE_URL names the Comms API's base URL, for example the
# emulator's http://127.0.0.1:8765/v1. A variable left set in a service file
# must not send the credentials anywhere else, so only this machine (http or
# https) and https hosts of Twilio's own are accepted, never with user info.

# Twilio's own domain: itself, or any host under it (never "eviltwilio.com").
_TWILIO_DOMAIN: Final = "twilio.com"

# Where the emulator serves the classic REST API and the Event Streams API,
# beside /v1 on one host.
_REST_PATH: Final = "/2010-04-01"
_EVENTS_PATH: Final = "/events/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class BaseUrls:
    """Where the client sends requests: the Comms, REST and Event Streams APIs."""

    comms: str
    rest: str
    events: str


_TWILIO: Final = BaseUrls(
    comms=DEFAULT_BASE_URL, rest=DEFAULT_REST_BASE_URL, events=DEFAULT_EVENTS_BASE_URL
)


def _override(value: str) -> BaseUrls | None:
    """Return the base URLs an override names, or None if it is not safe."""
    try:
        url = URL(value.rstrip("/"))
    except ValueError:
        return None
    if (
        not url.host
        or url.user is not None
        or url.password is not None
        or url.query_string
        or url.fragment
    ):
        return None
    host = url.host.lower()
    if url.scheme in {"http", "https"} and is_loopback_host(host):
        # The emulator serves the REST API's Accounts resource, and the
        # Event Streams API, on its host.
        return BaseUrls(
            comms=str(url),
            rest=str(url.with_path(_REST_PATH)),
            events=str(url.with_path(_EVENTS_PATH)),
        )
    if url.scheme == "https" and (
        host == _TWILIO_DOMAIN or host.endswith(f".{_TWILIO_DOMAIN}")
    ):
        # Another Comms host or version of Twilio's; the Accounts resource
        # and Event Streams live on their one host whatever the Comms API's.
        return BaseUrls(
            comms=str(url.with_host(host)),
            rest=DEFAULT_REST_BASE_URL,
            events=DEFAULT_EVENTS_BASE_URL,
        )
    return None


def resolve_base_urls() -> BaseUrls:
    """Return the base URLs to use, honouring a safe development override."""
    if not (value := os.environ.get(BASE_URL_ENV)):
        return _TWILIO
    if (urls := _override(value)) is not None:
        return urls
    # The value is not logged: it may hold a password.
    LOGGER.error(
        "Ignoring %s: only loopback URLs (http or https) and https URLs of "
        "twilio.com hosts, without user info, query or fragment, are accepted; "
        "using %s",
        BASE_URL_ENV,
        DEFAULT_BASE_URL,
    )
    return _TWILIO


def is_development() -> bool:
    """Return whether a development override sends requests to this machine."""
    return resolve_base_urls() is not _TWILIO


def override_origin(client: TwilioCommsClient) -> str | None:
    """Return the scheme and host a client uses instead of Twilio's, if any.

    Only the scheme and host: enough to tell where requests go, and nothing
    a path could carry.
    """
    if client.base_url == URL(DEFAULT_BASE_URL):
        return None
    return str(client.base_url.origin().with_port(None))


def warn_if_overridden(client: TwilioCommsClient) -> None:
    """Log a warning while a development override is active."""
    if (origin := override_origin(client)) is not None:
        LOGGER.warning(
            "%s is set: Twilio Comms requests go to %s, not to Twilio's API. "
            "It is meant for development; unset it to use Twilio",
            BASE_URL_ENV,
            origin,
        )


# ---------------------------------------------------------------- addresses

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


# ------------------------------------------------------------ select options
# hassfest accepts only lower-case selector option keys, so actions and forms
# offer `phone`, `fcm`, `high`, ... and the integration sends the API's
# `PHONE`, `FCM`, `HIGH`.


def option_of(member: StrEnum) -> str:
    """Return the select option that stands for an API value."""
    return member.value.lower()


def options_of(enum: type[StrEnum]) -> list[str]:
    """Return the select options of every value of an API enum, in its order."""
    return [option_of(member) for member in enum]


def from_option[E: StrEnum](enum: type[E], value: str) -> E:
    """Return the API value a select option names, in either case.

    The API's own spelling is accepted too: recipients stored before the
    options were lower case hold `PHONE` or `WHATSAPP`, and automations
    written then pass them to the actions.
    """
    return enum(value.upper())


def option_validator[E: StrEnum](enum: type[E]) -> Callable[[Any], E]:
    """Return an action schema validator turning a select option into its API value."""

    def validate(value: Any) -> E:
        """Return the API value an option names, or fail the schema."""
        try:
            return from_option(enum, cv.string(value))
        except ValueError as err:
            raise vol.Invalid(f"expected one of {', '.join(options_of(enum))}") from err

    return validate


# ---------------------------------------------------------------- operations

# Attributes that change with every poll while an operation runs (its stats,
# its last update and what follows from its stats): history would store them
# again and again, so entities showing an operation keep them out of it.
UNRECORDED_OPERATION_ATTRIBUTES: Final = frozenset(
    {"updated_at", "stats", "failed", "failure_rate"}
)


def operation_attributes(operation: Operation) -> dict[str, Any]:
    """Return an operation's id, timestamps and stats as JSON-safe values.

    The service's own timestamps are used, never the time we noticed.
    """
    return {
        "operation_id": operation.id,
        "status": operation.status.value,
        "created_at": operation.created_at.isoformat()
        if operation.created_at
        else None,
        "updated_at": operation.updated_at.isoformat()
        if operation.updated_at
        else None,
        "stats": operation.stats.as_dict(),
        # None, not 0, when Twilio did not report the counter.
        "failed": operation.stats.failed,
        "failure_rate": failure_rate(operation.stats.as_dict()),
    }


# ------------------------------------------------------------------ failures
# Messages name the kind of failure and, for an HTTP error, its status; the
# client's own English text stays in the exception chain and the logs.


class Failure(StrEnum):
    """What kind of failure a client error is."""

    NOT_ENTITLED = "not_entitled"
    TIMEOUT = "timeout"
    CANNOT_CONNECT = "cannot_connect"
    INVALID_RESPONSE = "invalid_response"
    HTTP_ERROR = "http_error"
    OTHER = "failed"


def failure_of(err: TwilioCommsError) -> Failure:
    """Return the kind of failure a client error is; subclasses before bases."""
    if isinstance(err, (TwilioCommsForbiddenError, TwilioCommsNotFoundError)):
        return Failure.NOT_ENTITLED
    if isinstance(err, TwilioCommsTimeoutError):
        return Failure.TIMEOUT
    if isinstance(err, TwilioCommsConnectionError):
        return Failure.CANNOT_CONNECT
    if isinstance(err, TwilioCommsInvalidResponseError):
        return Failure.INVALID_RESPONSE
    if isinstance(err, TwilioCommsResponseError):
        return Failure.HTTP_ERROR
    return Failure.OTHER


def failure_placeholders(err: TwilioCommsError) -> dict[str, str]:
    """Return the placeholders of a failure's message: the HTTP status, if any."""
    if isinstance(err, TwilioCommsResponseError) and (
        failure_of(err) is Failure.HTTP_ERROR
    ):
        return {"status": str(err.status)}
    return {}


def _failure_keys(prefix: str) -> dict[Failure, str]:
    """Return the exception translation of each failure, named after its kind.

    A channel the account cannot use reads the same for a poll and a request.
    """
    keys = {failure: f"{prefix}_{failure}" for failure in Failure}
    return keys | {Failure.NOT_ENTITLED: "channel_not_entitled"}


# The exception translation of each failure, for a poll and for a user's
# request (an action or notify).
UPDATE_FAILURES: Final = _failure_keys("update")
REQUEST_FAILURES: Final = _failure_keys("request")

# Characters of a user's input an error message repeats; the rest is cut.
MAX_ECHO_LENGTH: Final = 40

# The error of each field the client bounds, by the name it gives the field:
# a text by its length, a list ("recipients", "media_urls") by its items.
_TOO_LONG: Final = {
    "recipients": "too_many_recipients",
    "media_urls": "too_many_media_urls",
    "text": "text_too_long",
    "media_url": "media_url_too_long",
    "sender_id": "sender_id_too_long",
    "push_content": "push_content_too_long",
    "device_token": "device_token_too_long",
    "subject": "subject_too_long",
    "email_name": "email_name_too_long",
    "email_body": "email_too_large",
}
# The placeholder of a list's limit; a text's is "limit".
_COUNT_PLACEHOLDERS: Final = {"recipients": "max", "media_urls": "max"}

# The error of each field the client refuses for another reason than its
# length, and the placeholder that repeats the refused value, if it has one.
_REFUSED: Final = {
    "text": "empty_text",
    "title": "empty_title",
    "body": "empty_body",
    "sender_id": "invalid_sender_id",
    "device_token": "invalid_device_token",
    "provider": "provider_required",
    "media_url": "invalid_media_url",
    "tags": "invalid_tags",
    "user_id": "invalid_push_user_id",
    "email_address": "invalid_email_address",
    "email_name": "invalid_email_name",
    "subject": "invalid_subject",
    "email_body": "empty_email",
}
_REFUSED_PLACEHOLDERS: Final = {
    "media_url": "url",
    "user_id": "user_id",
    "email_address": "address",
}


def shown(value: str) -> str:
    """Return a user's input as an error repeats it: at most MAX_ECHO_LENGTH characters."""
    if len(value) <= MAX_ECHO_LENGTH:
        return value
    return value[:MAX_ECHO_LENGTH] + "…"


def invalid_request(err: TwilioCommsValidationError) -> ServiceValidationError:
    """Return the input error for a request the client refused to build.

    The client's request models are where sends are validated; the field it
    names picks the message. A rule without a message of its own reads as
    invalid_request, and the client's English text stays in the chain.
    """
    if isinstance(err, TwilioCommsInputTooLongError):
        # Each field has its own message, which never repeats the input.
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=_TOO_LONG[err.field],
            translation_placeholders={
                _COUNT_PLACEHOLDERS.get(err.field, "limit"): str(err.limit)
            },
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
    """Return the Home Assistant error that tells the user what a request met.

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
    if isinstance(err, TwilioCommsRateLimitError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_rate_limited",
            translation_placeholders={"retry_after": str(round(err.retry_after))},
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
    if isinstance(err, TwilioCommsRequestTooLargeError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="request_too_large",
            translation_placeholders={"channel": channel.product_name},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=REQUEST_FAILURES[failure_of(err)],
        translation_placeholders={
            "channel": channel.product_name,
            **failure_placeholders(err),
        },
    )


async def async_send(
    hass: HomeAssistant,
    entry: TwilioCommsConfigEntry,
    request: SendRequest,
    *,
    send_at: datetime | None = None,
) -> SendResult:
    """Send through the entry's client; follow the operation in the background.

    This returns as soon as Twilio accepted the send. The operation shows up
    in the channel's sensors and events when that channel is tracked, and
    its messages to recipients in their last message status; otherwise the
    send is only made.
    """
    channel = request.channel
    try:
        result = await entry.runtime_data.client.send(request)
    except TwilioCommsError as err:
        raise translated_error(hass, err, entry, channel) from err
    entry.runtime_data.recipients.async_sent(request, result.operation_id, send_at)
    coordinator = entry.runtime_data.coordinators.get(channel)
    if result.operation_id is None:
        LOGGER.warning(
            "Twilio accepted a %s send without naming its operation; it cannot be"
            " followed",
            channel.product_name,
        )
    elif coordinator is not None:
        coordinator.async_follow(result.operation_id, send_at)
    return result
