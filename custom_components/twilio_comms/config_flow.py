"""Config flow for the Twilio Comms integration."""

import asyncio
from collections.abc import Mapping
import re
from typing import Any, Final, override

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    Channel,
    EmailAddress,
    RecipientChannel,
    SenderChannel,
    TwilioCommsAccountMismatchError,
    TwilioCommsAuthenticationError,
    TwilioCommsError,
    TwilioCommsForbiddenError,
    TwilioCommsNotFoundError,
    TwilioCommsValidationError,
)
from .const import (
    CONF_ACCOUNT_SID,
    CONF_ADDRESS,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_CHANNELS,
    CONF_CREDENTIAL_KIND,
    CONF_FAILURE_THRESHOLD,
    CONF_INSTANT_UPDATES,
    CONF_RECIPIENT_CHANNEL,
    CONF_SENDER,
    CONF_SENDER_CHANNEL,
    CONF_WINDOW_HOURS,
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_WINDOW_HOURS,
    DOMAIN,
    LOGGER,
    MAX_WINDOW_HOURS,
    MIN_WINDOW_HOURS,
    RECIPIENT_EMAIL,
    SUBENTRY_RECIPIENT,
    CredentialKind,
)
from .coordinator import TwilioCommsConfigEntry
from .helpers import (
    WHATSAPP_PREFIX,
    build_client,
    from_option,
    option_of,
    options_of,
    parse_address,
    sender_channel_for,
)
from .instant_updates import can_receive_events

# Twilio SIDs are a two-letter type prefix and 32 hex digits.
ACCOUNT_SID_PATTERN: Final = re.compile(r"^AC[0-9a-f]{32}$", re.IGNORECASE)
API_KEY_SID_PATTERN: Final = re.compile(r"^SK[0-9a-f]{32}$", re.IGNORECASE)

_SECRET: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)
_SID: Final = TextSelector(TextSelectorConfig(autocomplete="username"))

# The fields each credential kind asks for, in form order.
CREDENTIAL_SCHEMAS: Final = {
    CredentialKind.AUTH_TOKEN: vol.Schema(
        {vol.Required(CONF_ACCOUNT_SID): _SID, vol.Required(CONF_AUTH_TOKEN): _SECRET}
    ),
    CredentialKind.API_KEY: vol.Schema(
        {
            vol.Required(CONF_ACCOUNT_SID): _SID,
            vol.Required(CONF_API_KEY_SID): TextSelector(),
            vol.Required(CONF_API_KEY_SECRET): _SECRET,
        }
    ),
}


# The steps the user and reconfigure menus offer: a form per kind.
CREDENTIAL_STEPS: Final = [kind.value for kind in CredentialKind]

# What tracking an account asks: which channels, over how long a window, and
# the failure rate that is a delivery problem.
OPTIONS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_CHANNELS): SelectSelector(
            SelectSelectorConfig(
                options=list(Channel), multiple=True, translation_key=CONF_CHANNELS
            )
        ),
        vol.Required(CONF_WINDOW_HOURS): NumberSelector(
            NumberSelectorConfig(
                min=MIN_WINDOW_HOURS,
                max=MAX_WINDOW_HOURS,
                step=1,
                unit_of_measurement="h",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Required(CONF_FAILURE_THRESHOLD): NumberSelector(
            NumberSelectorConfig(
                min=0,
                max=100,
                step=0.5,
                unit_of_measurement="%",
                mode=NumberSelectorMode.BOX,
            )
        ),
        vol.Optional(CONF_INSTANT_UPDATES, default=False): BooleanSelector(),
    }
)


class NoCommsAccess(Exception):
    """The credentials work, but no Comms API channel is open to the account."""


async def async_check_credentials(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> list[Channel]:
    """Return the channels these credentials can read, once their account is verified.

    Raises the client's errors for bad credentials or an unreachable API,
    NoCommsAccess when every channel refuses the account, and
    TwilioCommsAccountMismatchError when the credentials are not the typed
    Account SID's.
    """
    client = build_client(hass, data)
    results = await asyncio.gather(
        *(client.list_operations(channel, page_size=1) for channel in Channel),
        return_exceptions=True,
    )
    usable: list[Channel] = []
    # A bad credential is the most useful thing to report, so it wins over
    # any other failure from the same probe.
    failures = sorted(
        (result for result in results if isinstance(result, BaseException)),
        key=lambda error: not isinstance(error, TwilioCommsAuthenticationError),
    )
    for channel, result in zip(Channel, results, strict=True):
        if not isinstance(result, BaseException):
            usable.append(channel)
    for error in failures:
        if not isinstance(error, (TwilioCommsForbiddenError, TwilioCommsNotFoundError)):
            raise error
    if not usable:
        raise NoCommsAccess
    # The Account SID becomes the entry's unique id and the reauth and
    # reconfigure "same account" check, yet the Comms API never sees an API
    # key's: only Twilio's REST API can confirm it. (An Auth Token's SID is
    # its username, so this only confirms what authenticating proved.)
    await client.verify_account()
    return usable


def _canonical_sid(sid: str) -> str:
    """Return a SID in Twilio's canonical form: upper-case type, lower-case hex."""
    return sid[:2].upper() + sid[2:].lower()


def _normalise(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the form input with values trimmed and SIDs in canonical case."""
    data = {key: value.strip() for key, value in user_input.items()}
    for key in (CONF_ACCOUNT_SID, CONF_API_KEY_SID):
        if key in data:
            data[key] = _canonical_sid(data[key])
    return data


class TwilioCommsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for Twilio Comms."""

    VERSION = 1

    @staticmethod
    @callback
    @override
    def async_get_options_flow(
        config_entry: TwilioCommsConfigEntry,
    ) -> TwilioCommsOptionsFlow:
        """Return the options flow."""
        return TwilioCommsOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentries an account can have: message and email recipients."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    @staticmethod
    def _format_errors(data: Mapping[str, Any]) -> dict[str, str]:
        """Return field errors for SIDs that cannot be right, before any request."""
        errors: dict[str, str] = {}
        if not ACCOUNT_SID_PATTERN.match(data[CONF_ACCOUNT_SID]):
            errors[CONF_ACCOUNT_SID] = "invalid_account_sid"
        if CONF_API_KEY_SID in data and not API_KEY_SID_PATTERN.match(
            data[CONF_API_KEY_SID]
        ):
            errors[CONF_API_KEY_SID] = "invalid_api_key_sid"
        return errors

    def _async_store_credentials(
        self, entry: TwilioCommsConfigEntry, data: dict[str, Any]
    ) -> ConfigFlowResult:
        """Store checked credentials and make the entry use them now.

        As 2026.12 requires of an entry with an update listener, no reload
        helper runs while the listener is there: a loaded entry's listener
        reloads it on the change. An entry that is not loaded has no listener,
        so the flow reloads it; and the same credentials again need no
        reload, only polling back, which stopped at the authentication
        failure that asked for them.
        """
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_update_reload_and_abort(entry, data=data)
        if entry.data == data:
            for coordinator in entry.runtime_data.coordinators.values():
                entry.async_create_background_task(
                    self.hass,
                    coordinator.async_request_refresh(),
                    f"{DOMAIN} resume {coordinator.channel}",
                )
        # Unchanged data is no update: the listener does not reload.
        return self.async_update_and_abort(entry, data=data)

    async def _async_validate(
        self, kind: CredentialKind, user_input: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[Channel], dict[str, str]]:
        """Validate credentials; return the entry data, usable channels and errors.

        One helper serves the user, reauth and reconfigure steps, so every
        step maps failures to the same translated errors.
        """
        data = {CONF_CREDENTIAL_KIND: kind, **_normalise(user_input)}
        if errors := self._format_errors(data):
            return data, [], errors
        try:
            channels = await async_check_credentials(self.hass, data)
        except TwilioCommsAuthenticationError:
            return data, [], {"base": "invalid_auth"}
        except NoCommsAccess:
            return data, [], {"base": "no_comms_access"}
        except TwilioCommsAccountMismatchError:
            return data, [], {"base": "account_mismatch"}
        except TwilioCommsError:
            return data, [], {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001
            LOGGER.exception("Unexpected error while validating Twilio credentials")
            return data, [], {"base": "unknown"}
        return data, channels, {}

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick which kind of credentials to enter."""
        return self.async_show_menu(step_id="user", menu_options=CREDENTIAL_STEPS)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user pick the kind of credentials to switch to."""
        return self.async_show_menu(
            step_id="reconfigure", menu_options=CREDENTIAL_STEPS
        )

    async def async_step_auth_token(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for an Account SID and its Auth Token."""
        return await self._async_credentials_step(CredentialKind.AUTH_TOKEN, user_input)

    async def async_step_api_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for an Account SID and an API key pair."""
        return await self._async_credentials_step(CredentialKind.API_KEY, user_input)

    async def _async_credentials_step(
        self, kind: CredentialKind, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Show, validate and store one kind of credentials (new or reconfigured)."""
        errors: dict[str, str] = {}
        schema = CREDENTIAL_SCHEMAS[kind]
        if user_input is not None:
            data, channels, errors = await self._async_validate(kind, user_input)
            if not errors:
                await self.async_set_unique_id(data[CONF_ACCOUNT_SID])
                if self.source == SOURCE_RECONFIGURE:
                    self._abort_if_unique_id_mismatch()
                    # Switching kinds must not leave the other kind's secret behind.
                    return self._async_store_credentials(
                        self._get_reconfigure_entry(), data
                    )
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=f"Twilio Comms …{data[CONF_ACCOUNT_SID][-4:]}",
                    data=data,
                    options={
                        CONF_CHANNELS: list(channels),
                        CONF_WINDOW_HOURS: DEFAULT_WINDOW_HOURS,
                        CONF_FAILURE_THRESHOLD: DEFAULT_FAILURE_THRESHOLD,
                    },
                )
            schema = self.add_suggested_values_to_schema(schema, user_input)
        elif self.source == SOURCE_RECONFIGURE:
            schema = self.add_suggested_values_to_schema(
                schema,
                {
                    CONF_ACCOUNT_SID: self._get_reconfigure_entry().data[
                        CONF_ACCOUNT_SID
                    ]
                },
            )
        return self.async_show_form(step_id=kind, data_schema=schema, errors=errors)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the API refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new credentials of the entry's kind and check they still match."""
        entry = self._get_reauth_entry()
        kind = CredentialKind(entry.data[CONF_CREDENTIAL_KIND])
        errors: dict[str, str] = {}
        if user_input is not None:
            data, _channels, errors = await self._async_validate(kind, user_input)
            if not errors:
                await self.async_set_unique_id(data[CONF_ACCOUNT_SID])
                self._abort_if_unique_id_mismatch()
                return self._async_store_credentials(entry, data)
        suggested = {
            key: entry.data[key]
            for key in (CONF_ACCOUNT_SID, CONF_API_KEY_SID)
            if key in entry.data
        }
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIAL_SCHEMAS[kind], suggested
            ),
            errors=errors,
            description_placeholders={"credential_kind": kind},
        )


class TwilioCommsOptionsFlow(OptionsFlow):
    """Choose what to track and when a delivery problem is reported."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if not user_input[CONF_CHANNELS]:
                errors[CONF_CHANNELS] = "no_channels"
            elif user_input[CONF_INSTANT_UPDATES] and (
                Channel.MESSAGES not in user_input[CONF_CHANNELS]
            ):
                # Twilio has events for Messages only.
                errors[CONF_INSTANT_UPDATES] = "instant_updates_needs_messages"
            elif user_input[CONF_INSTANT_UPDATES] and not can_receive_events(self.hass):
                errors[CONF_INSTANT_UPDATES] = "instant_updates_no_url"
            else:
                # Number selectors hand back floats; the window is whole hours.
                user_input[CONF_WINDOW_HOURS] = int(user_input[CONF_WINDOW_HOURS])
                return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, user_input or self.config_entry.options
            ),
            errors=errors,
        )


# The recipient channels a subentry offers: the API's message recipient
# channels, then email.
RECIPIENT_CHANNEL_OPTIONS: Final = [*options_of(RecipientChannel), RECIPIENT_EMAIL]

RECIPIENT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(CONF_NAME): TextSelector(),
        # Plain text, not tel: the field takes an email address too.
        vol.Required(CONF_ADDRESS): TextSelector(),
        vol.Required(
            CONF_RECIPIENT_CHANNEL, default=option_of(RecipientChannel.PHONE)
        ): SelectSelector(
            SelectSelectorConfig(
                options=RECIPIENT_CHANNEL_OPTIONS,
                translation_key=CONF_RECIPIENT_CHANNEL,
            )
        ),
        vol.Optional(CONF_SENDER): TextSelector(),
    }
)


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or edit a message or email recipient, which becomes a notify entity."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Add a recipient."""
        return await self._async_recipient_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Edit a recipient."""
        return await self._async_recipient_step("reconfigure", user_input)

    async def _async_recipient_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        """Show, validate and store a recipient (new or edited)."""
        errors: dict[str, str] = {}
        entry = self._get_entry()
        editing = self.source == SOURCE_RECONFIGURE
        if user_input is not None:
            recipient = (
                self._email_recipient(user_input, errors)
                if user_input[CONF_RECIPIENT_CHANNEL] == RECIPIENT_EMAIL
                else self._message_recipient(user_input, errors)
            )
            if recipient is not None:
                data, unique_id = recipient
                # One entity per address and channel: two would send twice.
                own_id = self._reconfigure_subentry_id if editing else None
                if any(
                    subentry.unique_id == unique_id and subentry_id != own_id
                    for subentry_id, subentry in entry.subentries.items()
                ):
                    return self.async_abort(reason="already_configured")
                # A name left blank is the address, as it is stored.
                title = user_input[CONF_NAME].strip() or data[CONF_ADDRESS]
                if editing:
                    return self.async_update_and_abort(
                        entry,
                        self._get_reconfigure_subentry(),
                        title=title,
                        data=data,
                        unique_id=unique_id,
                    )
                return self.async_create_entry(
                    title=title, data=data, unique_id=unique_id
                )
        suggested: Mapping[str, Any] = user_input or {}
        if editing and user_input is None:
            suggested = self._suggested_of(self._get_reconfigure_subentry())
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                RECIPIENT_SCHEMA, suggested
            ),
            errors=errors,
        )

    @staticmethod
    def _message_recipient(
        user_input: Mapping[str, Any], errors: dict[str, str]
    ) -> tuple[dict[str, Any], str] | None:
        """Return a phone or WhatsApp recipient's data and unique id, or add errors."""
        channel = from_option(RecipientChannel, user_input[CONF_RECIPIENT_CHANNEL])
        recipient = parse_address(user_input[CONF_ADDRESS], channel)
        sender_text = user_input.get(CONF_SENDER, "").strip()
        sender = parse_address(sender_text, channel) if sender_text else None
        if recipient is None:
            errors[CONF_ADDRESS] = "invalid_address"
            return None
        if sender_text and sender is None:
            errors[CONF_SENDER] = "invalid_sender"
            return None
        address, channel = recipient
        data = {
            CONF_ADDRESS: address,
            CONF_RECIPIENT_CHANNEL: option_of(channel),
            CONF_SENDER: sender[0] if sender else None,
            # A whatsapp: sender keeps its channel, as in the action.
            CONF_SENDER_CHANNEL: sender_channel_for(sender[1]) if sender else None,
        }
        # The API's spelling of the channel keeps the ids of recipients added
        # before the options were lower case.
        return data, f"{channel}:{address}"

    @staticmethod
    def _email_recipient(
        user_input: Mapping[str, Any], errors: dict[str, str]
    ) -> tuple[dict[str, Any], str] | None:
        """Return an email recipient's data and unique id, or add errors.

        The addresses are checked as the client checks them; the name is the
        display name its emails are addressed to, so it must be one the client
        accepts too.
        """
        address = user_input[CONF_ADDRESS].strip()
        name = user_input[CONF_NAME].strip()
        sender = user_input.get(CONF_SENDER, "").strip()
        try:
            EmailAddress(address=address)
        except TwilioCommsValidationError:
            errors[CONF_ADDRESS] = "invalid_email_address"
            return None
        try:
            EmailAddress(address=address, name=name or None)
        except TwilioCommsValidationError:
            errors[CONF_NAME] = "invalid_email_name"
            return None
        if sender:
            try:
                EmailAddress(address=sender)
            except TwilioCommsValidationError:
                errors[CONF_SENDER] = "invalid_email_sender"
                return None
        data = {
            CONF_ADDRESS: address,
            CONF_RECIPIENT_CHANNEL: RECIPIENT_EMAIL,
            CONF_SENDER: sender or None,
        }
        # Mail providers read addresses without regard to case:
        # Ann@Example.com and ann@example.com are one recipient.
        return data, f"EMAIL:{address.lower()}"

    @staticmethod
    def _suggested_of(subentry: ConfigSubentry) -> dict[str, Any]:
        """Return what the edit form shows of a stored recipient."""
        suggested = {
            CONF_NAME: subentry.title,
            **{key: value for key, value in subentry.data.items() if value},
        }
        if subentry.data[CONF_RECIPIENT_CHANNEL] == RECIPIENT_EMAIL:
            return suggested
        # Recipients added before the options were lower case hold the API's
        # PHONE or WHATSAPP.
        suggested[CONF_RECIPIENT_CHANNEL] = option_of(
            from_option(RecipientChannel, subentry.data[CONF_RECIPIENT_CHANNEL])
        )
        if subentry.data.get(CONF_SENDER_CHANNEL) == SenderChannel.WHATSAPP:
            suggested[CONF_SENDER] = WHATSAPP_PREFIX + subentry.data[CONF_SENDER]
        return suggested
