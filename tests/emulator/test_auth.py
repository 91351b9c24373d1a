"""Authentication, rotation, per-channel entitlement, and the classic Accounts resource."""

import pytest

from comms_emulator import Credential
from comms_emulator.config import (
    DEV_ACCOUNT_SID,
    DEV_API_KEY_SECRET,
    DEV_API_KEY_SID,
    DEV_AUTH_TOKEN,
)

from .conftest import AUTH, ClientFactory, basic, emulator_of

OPERATIONS = "/v1/Messages/Operations"
ACCOUNT = f"/2010-04-01/Accounts/{DEV_ACCOUNT_SID}.json"
BALANCE = f"/2010-04-01/Accounts/{DEV_ACCOUNT_SID}/Balance.json"
API_KEY = basic(DEV_API_KEY_SID, DEV_API_KEY_SECRET)
OTHER_ACCOUNT_SID = "AC00000000000000000000000000000002"
OTHER_KEY = Credential(
    username="SK00000000000000000000000000000002",
    password="other-secret",
    account_sid=OTHER_ACCOUNT_SID,
)
OTHER_TOKEN = Credential(
    username=OTHER_ACCOUNT_SID, password="other-token", account_sid=OTHER_ACCOUNT_SID
)

# The 401 body: Twilio's code 20003, in the Comms format and in the classic one.
UNAUTHENTICATED = {
    "errors": [
        {
            "code": 20003,
            "message": "Authenticate",
            "infoUrl": "https://www.twilio.com/docs/api/errors/20003",
            "context": "null",
        }
    ]
}
CLASSIC_UNAUTHENTICATED = {
    "code": 20003,
    "message": "Authenticate",
    "more_info": "https://www.twilio.com/docs/errors/20003",
    "status": 401,
}
BAD_CREDENTIALS = [
    pytest.param({}, id="missing"),
    pytest.param(basic(DEV_ACCOUNT_SID, "wrong"), id="wrong-token"),
    pytest.param(basic("AC1", DEV_API_KEY_SECRET), id="unknown-user"),
    pytest.param(basic(DEV_API_KEY_SID, ""), id="empty-password"),
    pytest.param({"Authorization": "Basic !!notbase64"}, id="garbled"),
    pytest.param({"Authorization": "Bearer abc"}, id="other-scheme"),
]
# Valid credentials of another account, which only open the Comms API.
OTHER_ACCOUNT = [
    pytest.param(basic(OTHER_KEY.username, OTHER_KEY.password), id="other-key"),
    pytest.param(basic(OTHER_ACCOUNT_SID, "other-token"), id="other-token"),
]


@pytest.mark.parametrize("headers", BAD_CREDENTIALS)
@pytest.mark.parametrize("path", [OPERATIONS, ACCOUNT, BALANCE])
async def test_bad_credentials_get_401(
    make_client: ClientFactory, path: str, headers: dict[str, str]
) -> None:
    """Missing or wrong credentials get a 401, in the Comms or the classic format."""
    client = await make_client(extra_credentials=(OTHER_KEY, OTHER_TOKEN))
    response = await client.get(path, headers=headers)
    assert response.status == 401
    classic = path != OPERATIONS
    assert await response.json() == (
        CLASSIC_UNAUTHENTICATED if classic else UNAUTHENTICATED
    )
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("username", "path"),
    [
        pytest.param(DEV_ACCOUNT_SID, OPERATIONS, id="auth-token"),
        pytest.param(DEV_API_KEY_SID, OPERATIONS, id="api-key"),
        pytest.param(OTHER_KEY.username, OPERATIONS, id="extra-key"),
        pytest.param(DEV_API_KEY_SID, BALANCE, id="api-key-balance"),
    ],
)
async def test_every_configured_pair_works_until_revoked(
    make_client: ClientFactory, username: str, path: str
) -> None:
    """The auth token pair, the API key pair and configured extras work; removed, not."""
    client = await make_client(extra_credentials=(OTHER_KEY,))
    credentials = emulator_of(client).credentials
    headers = basic(username, credentials[username].password)
    assert (await client.get(path, headers=headers)).status == 200
    del credentials[username]
    assert (await client.get(path, headers=headers)).status == 401


async def test_rotated_token_refuses_the_old_one(make_client: ClientFactory) -> None:
    """A token rotated through the control plane works; the old one gets 401."""
    client = await make_client()
    response = await client.post(
        "/_emulator/credentials",
        json={"username": DEV_ACCOUNT_SID, "password": "rotated-token"},
    )
    # Usernames only: the control plane never echoes a secret.
    assert await response.json() == {
        "usernames": sorted([DEV_ACCOUNT_SID, DEV_API_KEY_SID])
    }
    old = await client.get(OPERATIONS, headers=AUTH)
    assert old.status == 401
    assert await old.json() == UNAUTHENTICATED
    new = basic(DEV_ACCOUNT_SID, "rotated-token")
    assert (await client.get(OPERATIONS, headers=new)).status == 200
    # The other pair of the account is untouched.
    assert (await client.get(OPERATIONS, headers=API_KEY)).status == 200


@pytest.mark.parametrize(("status", "code"), [(403, 20403), (404, 20404)])
async def test_channel_not_entitled(
    make_client: ClientFactory, status: int, code: int
) -> None:
    """A channel the account may not use answers 403 or 404 on every route, until switched on."""
    client = await make_client(
        channels=frozenset({"Messages"}), not_entitled_status=status
    )
    # Bad credentials get their 401 first.
    assert (await client.get("/v1/Emails/Operations")).status == 401
    for path in ("/v1/Emails/Operations", "/v1/Emails", "/v1/Emails/Operations/x"):
        response = await client.get(path, headers=AUTH)
        assert response.status == status
        assert (await response.json())["errors"][0]["code"] == code
    response = await client.post(
        "/_emulator/entitlements", json={"Emails": True, "Messages": False}
    )
    assert await response.json() == {"entitled": ["Emails"]}
    assert (await client.get("/v1/Emails/Operations", headers=AUTH)).status == 200
    assert (await client.get(OPERATIONS, headers=AUTH)).status == status
    emulator_of(client).set_entitled("Messages", True)
    assert (await client.get(OPERATIONS, headers=AUTH)).status == 200


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
    """The Auth Token and a Main key read their own account, Auth Token included."""
    client = await make_client(api_key_type=key_type)
    response = await client.get(ACCOUNT, headers=headers)
    assert response.status == 200
    body = await response.json()
    assert (body["sid"], body["status"], body["uri"]) == (
        DEV_ACCOUNT_SID,
        "active",
        ACCOUNT,
    )
    assert body["auth_token"] == DEV_AUTH_TOKEN


async def test_standard_key_reads_the_balance_not_the_account(
    make_client: ClientFactory,
) -> None:
    """A Standard key may not read the Accounts resource, but may its Balance."""
    client = await make_client()
    response = await client.get(ACCOUNT, headers=API_KEY)
    assert response.status == 401
    assert await response.json() == CLASSIC_UNAUTHENTICATED
    response = await client.get(BALANCE, headers=API_KEY)
    assert (await response.json())["account_sid"] == DEV_ACCOUNT_SID


@pytest.mark.parametrize("headers", OTHER_ACCOUNT)
@pytest.mark.parametrize("path", [ACCOUNT, BALANCE])
async def test_other_accounts_credentials_get_20003(
    make_client: ClientFactory, path: str, headers: dict[str, str]
) -> None:
    """Another account's valid credentials are refused like wrong ones."""
    client = await make_client(extra_credentials=(OTHER_KEY, OTHER_TOKEN))
    assert (await client.get(OPERATIONS, headers=headers)).status == 200
    response = await client.get(path, headers=headers)
    assert response.status == 401
    assert await response.json() == CLASSIC_UNAUTHENTICATED
    # That account's pair reads that account.
    response = await client.get(
        f"/2010-04-01/Accounts/{OTHER_ACCOUNT_SID}/Balance.json",
        headers=basic(OTHER_KEY.username, OTHER_KEY.password),
    )
    assert (await response.json())["account_sid"] == OTHER_ACCOUNT_SID


async def test_unknown_classic_path_is_a_classic_404(
    make_client: ClientFactory,
) -> None:
    """Anything else under /2010-04-01 answers 404 in the classic shape."""
    client = await make_client()
    response = await client.get("/2010-04-01/Accounts.json", headers=AUTH)
    body = await response.json()
    assert (response.status, body["code"], body["status"]) == (404, 20404, 404)
