"""Tests for the Twilio Comms config, reauth, reconfigure and options flows."""

from collections.abc import Callable, Generator
from dataclasses import replace
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from comms_emulator import Credential, Emulator, EmulatorConfig
from custom_components.twilio_comms.api import (
    Channel,
    TwilioCommsAuthenticationError,
    TwilioCommsConnectionError,
    TwilioCommsForbiddenError,
    TwilioCommsNotFoundError,
    TwilioCommsServerError,
    TwilioCommsTimeoutError,
)
from custom_components.twilio_comms.const import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY_SECRET,
    CONF_API_KEY_SID,
    CONF_AUTH_TOKEN,
    CONF_CHANNELS,
    CONF_CREDENTIAL_KIND,
    CONF_FAILURE_THRESHOLD,
    CONF_INSTANT_UPDATES,
    CONF_WINDOW_HOURS,
    DOMAIN,
)

from .common import (
    ACCOUNT_SID,
    API_KEY_DATA,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    AUTH_TOKEN_DATA,
    DEFAULT_OPTIONS,
    OTHER_ACCOUNT_SID,
    operations_page,
)

# An API key of another account: it opens the Comms API, for that account.
OTHER_KEY_SID = "SKfedcba9876543210fedcba9876543210"
OTHER_KEY_SECRET = "0therAccountsKeySecret0123456789"

# The test account's SID with one character mistyped.
TYPO_ACCOUNT_SID = ACCOUNT_SID[:-1] + "0"

API_KEY_INPUT = {
    CONF_ACCOUNT_SID: ACCOUNT_SID,
    CONF_API_KEY_SID: API_KEY_SID,
    CONF_API_KEY_SECRET: API_KEY_SECRET,
}
OTHER_KEY_INPUT = {
    CONF_ACCOUNT_SID: OTHER_ACCOUNT_SID,
    CONF_API_KEY_SID: OTHER_KEY_SID,
    CONF_API_KEY_SECRET: OTHER_KEY_SECRET,
}
OTHER_KEY_DATA = {**API_KEY_DATA, **OTHER_KEY_INPUT}


@pytest.fixture
def emulator_config(emulator_config: EmulatorConfig) -> EmulatorConfig:
    """Let the emulator also know another account's API key."""
    return replace(
        emulator_config,
        extra_credentials=(
            Credential(
                username=OTHER_KEY_SID,
                password=OTHER_KEY_SECRET,
                account_sid=OTHER_ACCOUNT_SID,
                key_type="standard",
            ),
        ),
    )


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep created entries from setting up: these tests are about the flow."""
    with patch(
        "custom_components.twilio_comms.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture
def mock_client() -> Generator[MagicMock]:
    """Patch the client the flow builds; every channel answers by default."""
    with patch(
        "custom_components.twilio_comms.helpers.TwilioCommsClient", autospec=True
    ) as client_class:
        client = client_class.return_value
        client.list_operations.return_value = operations_page()
        yield client


def channel_errors(errors: dict[Channel, Exception]) -> Callable[..., object]:
    """Return a list_operations side effect failing the given channels."""

    async def list_operations(channel: Channel, **_: object) -> object:
        if channel in errors:
            raise errors[channel]
        return operations_page()

    return list_operations


async def start_user_flow(hass: HomeAssistant, kind: str) -> ConfigFlowResult:
    """Start adding an entry and pick a kind of credentials in the menu."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await _pick(hass, result, kind)


async def _pick(
    hass: HomeAssistant, menu: ConfigFlowResult, kind: str
) -> ConfigFlowResult:
    """Pick a kind of credentials in a flow's menu; return its form."""
    assert menu["type"] is FlowResultType.MENU
    assert menu["menu_options"] == ["auth_token", "api_key"]
    result = await hass.config_entries.flow.async_configure(
        menu["flow_id"], {"next_step_id": kind}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == kind
    return result


async def start_credentials_flow(
    hass: HomeAssistant, entry: MockConfigEntry, source: str, kind: str
) -> ConfigFlowResult:
    """Start reauthenticating or reconfiguring an entry; return the credentials form."""
    if source == SOURCE_REAUTH:
        result = await entry.start_reauth_flow(hass)
        assert result["step_id"] == "reauth_confirm"
        return result
    return await _pick(hass, await entry.start_reconfigure_flow(hass), kind)


def mock_entry(data: dict[str, object] = AUTH_TOKEN_DATA) -> MockConfigEntry:
    """Return a config entry of the test account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Twilio Comms …cdef",
        unique_id=ACCOUNT_SID,
        data=dict(data),
        options=dict(DEFAULT_OPTIONS),
    )


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_auth_token(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    """A user with an Auth Token gets an entry tracking every usable channel."""
    result = await start_user_flow(hass, "auth_token")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        # Whitespace and upper-case hex, as pasted from a console, are fine.
        {CONF_ACCOUNT_SID: f" {ACCOUNT_SID.upper()} ", CONF_AUTH_TOKEN: AUTH_TOKEN},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Twilio Comms …cdef"
    assert result["data"] == AUTH_TOKEN_DATA
    assert result["options"] == DEFAULT_OPTIONS
    assert result["result"].unique_id == ACCOUNT_SID
    # The probe is the cheapest read: one operation per channel.
    probed = [call.args[0] for call in mock_client.list_operations.call_args_list]
    assert sorted(probed) == sorted(Channel)
    assert all(
        call.kwargs == {"page_size": 1}
        for call in mock_client.list_operations.call_args_list
    )


@pytest.mark.usefixtures("mock_setup_entry")
async def test_user_flow_preselects_usable_channels(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    """Channels the account is not entitled to are not tracked by default."""
    mock_client.list_operations.side_effect = channel_errors(
        {
            Channel.EMAILS: TwilioCommsForbiddenError(
                "refused", status=403, detail="no"
            ),
            Channel.PUSH_NOTIFICATIONS: TwilioCommsNotFoundError(
                "refused", status=404, detail="no"
            ),
        }
    )
    result = await start_user_flow(hass, "auth_token")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_SID: ACCOUNT_SID, CONF_AUTH_TOKEN: AUTH_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"][CONF_CHANNELS] == ["messages"]


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("side_effect", "error"),
    [
        pytest.param(
            channel_errors(
                {
                    Channel.MESSAGES: TwilioCommsAuthenticationError(
                        "refused", status=401, detail="Authenticate"
                    )
                }
            ),
            "invalid_auth",
            id="bad-credentials",
        ),
        pytest.param(
            channel_errors(
                {
                    channel: TwilioCommsForbiddenError(
                        "refused", status=403, detail="no"
                    )
                    for channel in Channel
                }
            ),
            "no_comms_access",
            id="no-channel-entitled",
        ),
        pytest.param(
            TwilioCommsConnectionError("refused"), "cannot_connect", id="connection"
        ),
        pytest.param(TwilioCommsTimeoutError("slow"), "cannot_connect", id="timeout"),
        pytest.param(
            TwilioCommsServerError("refused", status=503, detail="down"),
            "cannot_connect",
            id="server-error",
        ),
        pytest.param(RuntimeError("boom"), "unknown", id="unexpected"),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    mock_client: MagicMock,
    side_effect: object,
    error: str,
) -> None:
    """Each failure re-shows the form, and the same flow then succeeds."""
    mock_client.list_operations.side_effect = side_effect
    result = await start_user_flow(hass, "auth_token")
    user_input = {CONF_ACCOUNT_SID: ACCOUNT_SID, CONF_AUTH_TOKEN: AUTH_TOKEN}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    mock_client.list_operations.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry")
async def test_malformed_sids_are_caught_before_any_request(
    hass: HomeAssistant, mock_client: MagicMock
) -> None:
    """A SID that cannot be right is flagged on its field, without calling Twilio."""
    result = await start_user_flow(hass, "api_key")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCOUNT_SID: "AC123",
            CONF_API_KEY_SID: "PN0123456789abcdef0123456789abcdef",
            CONF_API_KEY_SECRET: API_KEY_SECRET,
        },
    )
    assert result["errors"] == {
        CONF_ACCOUNT_SID: "invalid_account_sid",
        CONF_API_KEY_SID: "invalid_api_key_sid",
    }
    mock_client.list_operations.assert_not_called()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ACCOUNT_SID: ACCOUNT_SID,
            CONF_API_KEY_SID: API_KEY_SID,
            CONF_API_KEY_SECRET: API_KEY_SECRET,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.usefixtures("mock_setup_entry", "mock_client")
async def test_duplicate_account_aborts(hass: HomeAssistant) -> None:
    """The same Twilio account cannot be added twice."""
    mock_entry().add_to_hass(hass)
    result = await start_user_flow(hass, "auth_token")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_SID: ACCOUNT_SID, CONF_AUTH_TOKEN: AUTH_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("data", "new_secret"),
    [
        pytest.param(
            AUTH_TOKEN_DATA, {CONF_AUTH_TOKEN: "rotated-token"}, id="auth-token"
        ),
        pytest.param(
            API_KEY_DATA,
            {CONF_API_KEY_SID: API_KEY_SID, CONF_API_KEY_SECRET: "new-key-secret"},
            id="api-key",
        ),
    ],
)
async def test_reauth(
    hass: HomeAssistant,
    mock_client: MagicMock,
    data: dict[str, object],
    new_secret: dict[str, str],
) -> None:
    """After a rejected secret, a bad retry shows an error and a good one updates the entry."""
    entry = mock_entry(data)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    user_input = {CONF_ACCOUNT_SID: ACCOUNT_SID, **new_secret}
    mock_client.list_operations.side_effect = TwilioCommsAuthenticationError(
        "refused", status=401, detail="Authenticate"
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {"base": "invalid_auth"}

    mock_client.list_operations.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == {**data, **new_secret}


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("source", [SOURCE_REAUTH, SOURCE_RECONFIGURE])
async def test_errors_then_other_account_abort(
    hass: HomeAssistant, mock_client: MagicMock, source: str
) -> None:
    """Reauth and reconfigure report errors, and refuse another account's credentials."""
    entry = mock_entry()
    entry.add_to_hass(hass)
    result = await start_credentials_flow(hass, entry, source, "auth_token")
    mock_client.list_operations.side_effect = TwilioCommsConnectionError("refused")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ACCOUNT_SID: ACCOUNT_SID, CONF_AUTH_TOKEN: AUTH_TOKEN}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    mock_client.list_operations.side_effect = None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_ACCOUNT_SID: OTHER_ACCOUNT_SID, CONF_AUTH_TOKEN: AUTH_TOKEN},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert entry.data == AUTH_TOKEN_DATA


@pytest.mark.usefixtures("mock_setup_entry")
async def test_options_flow(hass: HomeAssistant) -> None:
    """Options change what is tracked; an empty channel list is refused."""
    entry = mock_entry()
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"

    new_options = {
        CONF_CHANNELS: [],
        CONF_WINDOW_HOURS: 48.0,
        CONF_FAILURE_THRESHOLD: 2.5,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], new_options
    )
    assert result["errors"] == {CONF_CHANNELS: "no_channels"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**new_options, CONF_CHANNELS: ["messages"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_CHANNELS: ["messages"],
        CONF_WINDOW_HOURS: 48,
        CONF_FAILURE_THRESHOLD: 2.5,
        CONF_INSTANT_UPDATES: False,
    }


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize(
    ("key_type", "user_input", "expected"),
    [
        pytest.param(
            "standard",
            {CONF_ACCOUNT_SID: ACCOUNT_SID, CONF_AUTH_TOKEN: AUTH_TOKEN},
            AUTH_TOKEN_DATA,
            id="auth-token",
        ),
        pytest.param("standard", API_KEY_INPUT, API_KEY_DATA, id="standard-key"),
        pytest.param("main", API_KEY_INPUT, API_KEY_DATA, id="main-key"),
        # Another account's key with that account's SID is that account's entry.
        pytest.param("standard", OTHER_KEY_INPUT, OTHER_KEY_DATA, id="other-account"),
    ],
)
async def test_user_flow_verifies_the_account(
    hass: HomeAssistant,
    emulator: Emulator,
    key_type: str,
    user_input: dict[str, str],
    expected: dict[str, Any],
) -> None:
    """Either kind of credentials, verified against Twilio, creates the entry."""
    emulator.credentials[API_KEY_SID] = replace(
        emulator.credentials[API_KEY_SID], key_type=key_type
    )
    result = await start_user_flow(hass, expected[CONF_CREDENTIAL_KIND])
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == expected
    assert result["result"].unique_id == expected[CONF_ACCOUNT_SID]


@pytest.mark.usefixtures("mock_setup_entry", "emulator")
@pytest.mark.parametrize(
    "user_input",
    [
        pytest.param({**API_KEY_INPUT, CONF_ACCOUNT_SID: TYPO_ACCOUNT_SID}, id="typo"),
        pytest.param(
            {**OTHER_KEY_INPUT, CONF_ACCOUNT_SID: ACCOUNT_SID}, id="other-key"
        ),
    ],
)
async def test_api_key_must_belong_to_the_account(
    hass: HomeAssistant, user_input: dict[str, str]
) -> None:
    """A working key with an Account SID it does not belong to creates no entry."""
    result = await start_user_flow(hass, "api_key")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "account_mismatch"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], API_KEY_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == ACCOUNT_SID


@pytest.mark.usefixtures("mock_setup_entry")
@pytest.mark.parametrize("source", [SOURCE_REAUTH, SOURCE_RECONFIGURE])
async def test_credentials_of_another_account_are_refused(
    hass: HomeAssistant, emulator: Emulator, source: str
) -> None:
    """Reauth and reconfigure refuse a key of another account typed with this SID.

    A key that lost access is refused too; the account's own key is not, and
    reconfiguring an Auth Token entry to it leaves no token behind.
    """
    entry = mock_entry(API_KEY_DATA if source == SOURCE_REAUTH else AUTH_TOKEN_DATA)
    entry.add_to_hass(hass)
    stored = dict(entry.data)
    result = await start_credentials_flow(hass, entry, source, "api_key")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**OTHER_KEY_INPUT, CONF_ACCOUNT_SID: ACCOUNT_SID}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "account_mismatch"}
    assert entry.data == stored

    rotated = {**API_KEY_INPUT, CONF_API_KEY_SECRET: "r0tatedSecret0123456789abcdef012"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], rotated)
    assert result["errors"] == {"base": "invalid_auth"}
    emulator.credentials[API_KEY_SID] = replace(
        emulator.credentials[API_KEY_SID], password=rotated[CONF_API_KEY_SECRET]
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], rotated)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    assert entry.data == {
        **API_KEY_DATA,
        CONF_API_KEY_SECRET: rotated[CONF_API_KEY_SECRET],
    }
