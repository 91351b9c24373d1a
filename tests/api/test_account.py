"""Tests for verifying the Account SID credentials were typed with."""

import aiohttp
import pytest

from custom_components.twilio_comms.api import (
    DEFAULT_REST_BASE_URL,
    Credentials,
    TwilioCommsAccountMismatchError,
    TwilioCommsClient,
    TwilioCommsInvalidResponseError,
    TwilioCommsServerError,
)

from .conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    SHORT_TIMEOUT,
    CommsServer,
    Reply,
)

OTHER_ACCOUNT_SID = "ACfedcba9876543210fedcba9876543210"
ACCOUNT = f"/Accounts/{ACCOUNT_SID}.json"
BALANCE = f"/Accounts/{ACCOUNT_SID}/Balance.json"

# The classic REST API's answer to credentials that do not open the account.
AUTHENTICATE = Reply(
    status=401,
    json={
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    },
)


@pytest.fixture
def key_client(
    session: aiohttp.ClientSession, comms_server: CommsServer
) -> TwilioCommsClient:
    """Return a client authenticating with an API key."""
    return TwilioCommsClient(
        session,
        Credentials.from_api_key(ACCOUNT_SID, API_KEY_SID, API_KEY_SECRET),
        base_url=comms_server.base_url,
        rest_base_url=comms_server.rest_base_url,
        request_timeout=SHORT_TIMEOUT,
    )


def test_default_rest_base_url() -> None:
    """The Accounts resource lives on Twilio's main REST API."""
    assert DEFAULT_REST_BASE_URL == "https://api.twilio.com/2010-04-01"


async def test_account_resource_verifies(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """The Auth Token (or a Main key) reads its account: one request is enough."""
    comms_server.add_rest("GET", ACCOUNT, Reply(json={"sid": ACCOUNT_SID}))
    await client.verify_account()
    assert [request.path for request in comms_server.requests] == [
        f"/2010-04-01{ACCOUNT}"
    ]


async def test_standard_key_verifies_through_the_balance(
    key_client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A Standard key may not read /Accounts, but its account's Balance names it."""
    comms_server.add_rest("GET", ACCOUNT, AUTHENTICATE)
    comms_server.add_rest(
        "GET",
        BALANCE,
        Reply(json={"account_sid": ACCOUNT_SID.upper(), "balance": "1.00"}),
    )
    await key_client.verify_account()
    assert [request.path for request in comms_server.requests] == [
        f"/2010-04-01{ACCOUNT}",
        f"/2010-04-01{BALANCE}",
    ]


@pytest.mark.parametrize(
    "balance",
    [
        pytest.param(AUTHENTICATE, id="401"),
        pytest.param(Reply(status=403, json={"code": 20403}), id="403"),
        pytest.param(Reply(status=404, json={"code": 20404}), id="404"),
        pytest.param(Reply(json={"account_sid": OTHER_ACCOUNT_SID}), id="other-sid"),
    ],
)
async def test_other_account_or_lost_access_is_a_mismatch(
    key_client: TwilioCommsClient, comms_server: CommsServer, balance: Reply
) -> None:
    """A key of another account, or one that may not read it, does not verify."""
    comms_server.add_rest("GET", ACCOUNT, AUTHENTICATE)
    comms_server.add_rest("GET", BALANCE, balance)
    with pytest.raises(TwilioCommsAccountMismatchError, match=ACCOUNT_SID[-4:]):
        await key_client.verify_account()


async def test_account_resource_naming_another_account_is_a_mismatch(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 200 for some other account is no verification either."""
    comms_server.add_rest("GET", ACCOUNT, Reply(json={"sid": OTHER_ACCOUNT_SID}))
    with pytest.raises(TwilioCommsAccountMismatchError):
        await client.verify_account()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(
            Reply(status=503, json={"code": 20503}), TwilioCommsServerError, id="503"
        ),
        pytest.param(
            Reply(json={"friendly_name": "x"}),
            TwilioCommsInvalidResponseError,
            id="no-sid",
        ),
    ],
)
async def test_other_failures_are_not_a_mismatch(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    reply: Reply,
    error: type[Exception],
) -> None:
    """An outage or a malformed answer says nothing about the account."""
    comms_server.add_rest("GET", ACCOUNT, reply)
    with pytest.raises(error):
        await client.verify_account()
