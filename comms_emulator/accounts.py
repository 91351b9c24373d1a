"""The classic REST API's Accounts resource, as far as a client verifies an Account SID.

Twilio's main REST API (api.twilio.com/2010-04-01) answers an account-scoped
path only for that account's own credentials; anything else, another
account's valid key included, gets 401 with error 20003
(twilio.com/docs/api/errors/20003). Its errors have the classic shape
{code, message, more_info, status}, not the Comms one (comms-api.md §5).
"""

from typing import Any, Final

from aiohttp import web

from .auth import authenticate
from .emulator import Emulator
from .middleware import AUTH_CHALLENGE

# Where the classic API lives on the emulator's host, beside /v1.
CLASSIC_PREFIX: Final = "/2010-04-01/"


def classic_error(status: int, code: int, message: str) -> web.Response:
    """Return an error in the classic REST API's shape."""
    return web.json_response(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
        headers=AUTH_CHALLENGE if status == 401 else None,
    )


class AccountsApi:
    """Request handlers of the emulated Accounts resource and its Balance."""

    def __init__(self, emulator: Emulator) -> None:
        """Serve the given emulator's credentials."""
        self.emulator = emulator

    def _owner(self, request: web.Request, *, full_access: bool) -> str | web.Response:
        """Return the account a path names, if the pair reading it may, or the 401."""
        account_sid = request.match_info["account_sid"]
        credential = authenticate(
            self.emulator.credentials, request.headers.get("Authorization")
        )
        # A Standard key may not read the Accounts resource itself, even its
        # own account's (twilio.com/docs/iam/api-keys/keys-in-console).
        if (
            credential is None
            or credential.account_sid != account_sid
            or (full_access and credential.key_type != "main")
        ):
            return classic_error(401, 20003, "Authenticate")
        return account_sid

    async def fetch_account(self, request: web.Request) -> web.Response:
        """GET /2010-04-01/Accounts/{account_sid}.json."""
        account_sid = self._owner(request, full_access=True)
        if isinstance(account_sid, web.Response):
            return account_sid
        body: dict[str, Any] = {
            "sid": account_sid,
            "owner_account_sid": account_sid,
            "friendly_name": "Emulated account",
            "status": "active",
            "type": "Full",
            "uri": f"/2010-04-01/Accounts/{account_sid}.json",
            "subresource_uris": {
                "balance": f"/2010-04-01/Accounts/{account_sid}/Balance.json"
            },
        }
        # Twilio shows the Auth Token to full-access credentials; the
        # emulator knows it only for accounts whose token pair it has.
        if (token := self.emulator.credentials.get(account_sid)) is not None:
            body["auth_token"] = token.password
        return web.json_response(body)

    async def fetch_balance(self, request: web.Request) -> web.Response:
        """GET /2010-04-01/Accounts/{account_sid}/Balance.json."""
        account_sid = self._owner(request, full_access=False)
        if isinstance(account_sid, web.Response):
            return account_sid
        return web.json_response(
            {"account_sid": account_sid, "balance": "20.00", "currency": "USD"}
        )

    async def not_found(self, request: web.Request) -> web.Response:
        """Answer any other classic path with the classic 404."""
        return classic_error(
            404, 20404, f"The requested resource {request.path} was not found"
        )
