"""The classic REST API's Accounts resource, as far as a client verifies an Account SID."""

import pytest

from comms_emulator import Credential, EmulatorConfig
from comms_emulator.config import (
    DEV_ACCOUNT_SID,
    DEV_API_KEY_SECRET,
    DEV_API_KEY_SID,
    DEV_AUTH_TOKEN,
)

from .conftest import AUTH, ClientFactory, basic, emulator_of

OTHER_ACCOUNT_SID = "AC00000000000000000000000000000002"
OTHER_KEY = Credential(
    username="SK00000000000000000000000000000002",
    password="other-secret",
    account_sid=OTHER_ACCOUNT_SID,
)
ACCOUNT = f"/2010-04-01/Accounts/{DEV_ACCOUNT_SID}.json"
BALANCE = f"/2010-04-01/Accounts/{DEV_ACCOUNT_SID}/Balance.json"
API_KEY = basic(DEV_API_KEY_SID, DEV_API_KEY_SECRET)

# The classic REST API's 401 body (twilio.com/docs/api/errors/20003).
UNAUTHENTICATED = {
    "code": 20003,
    "message": "Authenticate",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}


@pytest.mark.parametrize(
    ("key_type", "headers"),
    [
        pytest.param("standard", AUTH, id="auth-token"),
        pytest.param("main", API_KEY, id="main-key"),
    ],
)
async def test_account_answers_its_own_full_credentials(
    make_client: ClientFactory, key_type: str, headers: dict[str, str]
) -> None:
    """The Auth Token and a Main key read their own account."""
    client = await make_client(api_key_type=key_type)
    response = await client.get(ACCOUNT, headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["sid"] == DEV_ACCOUNT_SID
    assert body["status"] == "active"
    assert body["uri"] == ACCOUNT


async def test_standard_key_reads_the_balance_not_the_account(
    make_client: ClientFactory,
) -> None:
    """A Standard key may not read the Accounts resource, but may its Balance."""
    client = await make_client()
    response = await client.get(ACCOUNT, headers=API_KEY)
    assert response.status == 401
    assert await response.json() == UNAUTHENTICATED
    response = await client.get(BALANCE, headers=API_KEY)
    assert response.status == 200
    assert (await response.json())["account_sid"] == DEV_ACCOUNT_SID


@pytest.mark.parametrize("path", [ACCOUNT, BALANCE])
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(basic(DEV_ACCOUNT_SID, "wrong"), id="wrong-token"),
        pytest.param(
            basic(OTHER_KEY.username, OTHER_KEY.password), id="other-account-key"
        ),
        pytest.param(basic(OTHER_ACCOUNT_SID, "other-token"), id="other-account-token"),
    ],
)
async def test_other_accounts_and_bad_credentials_get_20003(
    make_client: ClientFactory, path: str, headers: dict[str, str]
) -> None:
    """Another account's valid credentials are refused like wrong ones."""
    client = await make_client(
        extra_credentials=(
            OTHER_KEY,
            Credential(
                username=OTHER_ACCOUNT_SID,
                password="other-token",
                account_sid=OTHER_ACCOUNT_SID,
            ),
        )
    )
    # The other account's pair does open the Comms API (for its own account).
    assert (
        await client.get(
            "/v1/Messages/Operations",
            headers=basic(OTHER_KEY.username, OTHER_KEY.password),
        )
    ).status == 200
    response = await client.get(path, headers=headers)
    assert response.status == 401
    assert await response.json() == UNAUTHENTICATED


async def test_other_account_reads_its_own(make_client: ClientFactory) -> None:
    """An extra pair opens the account it belongs to."""
    client = await make_client(extra_credentials=(OTHER_KEY,))
    response = await client.get(
        f"/2010-04-01/Accounts/{OTHER_ACCOUNT_SID}/Balance.json",
        headers=basic(OTHER_KEY.username, OTHER_KEY.password),
    )
    assert response.status == 200
    assert (await response.json())["account_sid"] == OTHER_ACCOUNT_SID


async def test_revoked_key_gets_20003(make_client: ClientFactory) -> None:
    """A key removed at runtime can no longer read its account."""
    client = await make_client()
    del emulator_of(client).credentials[DEV_API_KEY_SID]
    response = await client.get(BALANCE, headers=API_KEY)
    assert response.status == 401


async def test_account_body_carries_the_auth_token(make_client: ClientFactory) -> None:
    """The account resource carries the Auth Token, as Twilio's does, for full access only."""
    client = await make_client()
    body = await (await client.get(ACCOUNT, headers=AUTH)).json()
    assert body["auth_token"] == DEV_AUTH_TOKEN


async def test_unknown_classic_path_is_a_classic_404(
    make_client: ClientFactory,
) -> None:
    """Anything else under /2010-04-01 answers 404 in the classic shape."""
    client = await make_client()
    response = await client.get("/2010-04-01/Accounts.json", headers=AUTH)
    assert response.status == 404
    body = await response.json()
    assert body["code"] == 20404
    assert body["status"] == 404


def test_key_type_is_checked() -> None:
    """Only Twilio's Main and Standard key types are emulated."""
    with pytest.raises(ValueError, match="api_key_type"):
        EmulatorConfig(api_key_type="restricted")  # type: ignore[arg-type]
