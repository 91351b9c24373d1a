"""Authentication and per-channel entitlement."""

import pytest

from comms_emulator import Credential
from comms_emulator.config import DEV_ACCOUNT_SID, DEV_API_KEY_SECRET, DEV_API_KEY_SID
from comms_emulator.control import CONTROL_HEADER

from .conftest import AUTH, ClientFactory, basic, emulator_of

# The 401 body, exactly as Twilio's classic code 20003 reads in Comms format.
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


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param(basic(DEV_ACCOUNT_SID, "wrong"), id="wrong-token"),
        pytest.param(basic("AC1", DEV_API_KEY_SECRET), id="unknown-user"),
        pytest.param(basic(DEV_API_KEY_SID, ""), id="empty-password"),
        pytest.param({"Authorization": "Basic !!notbase64"}, id="garbled"),
        pytest.param({"Authorization": "Bearer abc"}, id="other-scheme"),
    ],
)
async def test_bad_credentials_get_401(
    make_client: ClientFactory, headers: dict[str, str]
) -> None:
    """Missing or wrong credentials get a 401 in the Comms error format."""
    client = await make_client()
    response = await client.get("/v1/Messages/Operations", headers=headers)
    assert response.status == 401
    assert await response.json() == UNAUTHENTICATED
    assert response.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(AUTH, id="auth-token"),
        pytest.param(basic(DEV_API_KEY_SID, DEV_API_KEY_SECRET), id="api-key"),
        pytest.param(basic("SKextra", "extra-secret"), id="extra-pair"),
    ],
)
async def test_both_credential_kinds_work(
    make_client: ClientFactory, headers: dict[str, str]
) -> None:
    """The auth token pair, the API key pair and configured extras all open the account."""
    client = await make_client(
        extra_credentials=(
            Credential(
                username="SKextra", password="extra-secret", account_sid=DEV_ACCOUNT_SID
            ),
        )
    )
    response = await client.get("/v1/Messages/Operations", headers=headers)
    assert response.status == 200


async def test_revoked_credentials(make_client: ClientFactory) -> None:
    """Credentials removed at runtime stop working."""
    client = await make_client()
    emulator_of(client).credentials.clear()
    response = await client.get("/v1/Messages/Operations", headers=AUTH)
    assert response.status == 401


async def test_rotated_token_refuses_the_old_one(make_client: ClientFactory) -> None:
    """A token rotated through the control plane works; the old one gets 401."""
    client = await make_client()
    response = await client.post(
        "/_emulator/credentials",
        json={"username": DEV_ACCOUNT_SID, "password": "rotated-token"},
    )
    assert response.status == 200
    # Usernames only: the control plane never echoes a secret.
    assert await response.json() == {
        "usernames": sorted([DEV_ACCOUNT_SID, DEV_API_KEY_SID])
    }
    old = await client.get("/v1/Messages/Operations", headers=AUTH)
    assert old.status == 401
    assert await old.json() == UNAUTHENTICATED
    new = basic(DEV_ACCOUNT_SID, "rotated-token")
    assert (await client.get("/v1/Messages/Operations", headers=new)).status == 200
    # The other pair of the account is untouched.
    key = basic(DEV_API_KEY_SID, DEV_API_KEY_SECRET)
    assert (await client.get("/v1/Messages/Operations", headers=key)).status == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"username": "AC1", "password": "x"}, id="unknown-user"),
        pytest.param({"username": DEV_ACCOUNT_SID, "password": ""}, id="empty"),
        pytest.param({"username": DEV_ACCOUNT_SID, "password": 1}, id="not-text"),
        pytest.param({"username": DEV_ACCOUNT_SID}, id="no-password"),
        pytest.param([DEV_ACCOUNT_SID], id="not-an-object"),
    ],
)
async def test_rotation_refuses_bad_input(
    make_client: ClientFactory, body: object
) -> None:
    """A bad rotation is a 400 and changes nothing."""
    client = await make_client()
    response = await client.post("/_emulator/credentials", json=body)
    assert response.status == 400
    assert "error" in await response.json()
    assert (await client.get("/v1/Messages/Operations", headers=AUTH)).status == 200


async def test_rotation_needs_the_control_header(make_client: ClientFactory) -> None:
    """A web page cannot lock Home Assistant out by rotating a token."""
    client = await make_client()
    response = await client.post(
        "/_emulator/credentials",
        json={"username": DEV_ACCOUNT_SID, "password": "x"},
        headers={CONTROL_HEADER: "0"},
    )
    assert response.status == 403
    assert (await client.get("/v1/Messages/Operations", headers=AUTH)).status == 200


@pytest.mark.parametrize(
    ("status", "code"), [pytest.param(403, 20403), pytest.param(404, 20404)]
)
async def test_channel_not_entitled(
    make_client: ClientFactory, status: int, code: int
) -> None:
    """A channel the account may not use answers 403 or 404 on every route, until switched on."""
    client = await make_client(
        channels=frozenset({"Messages"}), not_entitled_status=status
    )
    for path in ("/v1/Emails/Operations", "/v1/Emails", "/v1/Emails/Operations/x"):
        response = await client.get(path, headers=AUTH)
        assert response.status == status
        assert (await response.json())["errors"][0]["code"] == code
    response = await client.post(
        "/_emulator/entitlements", json={"Emails": True, "Messages": False}
    )
    assert await response.json() == {"entitled": ["Emails"]}
    assert (await client.get("/v1/Emails/Operations", headers=AUTH)).status == 200
    assert (await client.get("/v1/Messages/Operations", headers=AUTH)).status == status
    emulator_of(client).set_entitled("Messages", True)
    assert (await client.get("/v1/Messages/Operations", headers=AUTH)).status == 200


async def test_entitlement_checked_after_authentication(
    make_client: ClientFactory,
) -> None:
    """Bad credentials get 401 even on a channel the account may not use."""
    client = await make_client(channels=frozenset({"Messages"}))
    response = await client.get("/v1/Emails/Operations")
    assert response.status == 401


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"Faxes": True}, id="unknown-channel"),
        pytest.param({"Emails": "yes"}, id="not-a-bool"),
        pytest.param(["Emails"], id="not-an-object"),
    ],
)
async def test_entitlement_changes_are_checked(
    make_client: ClientFactory, body: object
) -> None:
    """The control plane refuses entitlement changes it cannot apply."""
    client = await make_client()
    response = await client.post("/_emulator/entitlements", json=body)
    assert response.status == 400
    assert "error" in await response.json()
    response = await client.get("/_emulator/entitlements")
    assert (await response.json())["entitled"] == [
        "Emails",
        "Messages",
        "PushNotifications",
    ]
