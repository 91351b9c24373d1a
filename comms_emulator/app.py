"""The emulator's aiohttp application: the Comms API plus its control plane."""

from datetime import UTC, datetime

from aiohttp import web

from .accounts import CLASSIC_PREFIX, AccountsApi
from .api import CommsApi
from .channels import CHANNELS, SEND_CHANNELS
from .config import EmulatorConfig
from .control import Control, control_guard
from .emulator import EMULATOR_KEY, Clock, Emulator
from .middleware import api_middleware


def _now_utc() -> datetime:
    """Return the current time; looked up at each call, so frozen clocks move it."""
    return datetime.now(UTC)


def _alternatives(names: tuple[str, ...]) -> str:
    """Return a route placeholder for {channel} that matches only the given names."""
    return "{channel:" + "|".join(names) + "}"


def create_app(
    config: EmulatorConfig, *, clock: Clock | None = None
) -> web.Application:
    """Return the emulator as an aiohttp application; app[EMULATOR_KEY] is its state."""
    emulator = Emulator(config, clock or _now_utc)
    api = CommsApi(emulator)
    control = Control(emulator)
    app = web.Application(middlewares=[control_guard, api_middleware(emulator)])
    app[EMULATOR_KEY] = emulator
    router = app.router
    router.add_get("/_emulator/health", control.health)
    router.add_route("*", "/_emulator/faults", control.faults)
    router.add_route("*", "/_emulator/shapes", control.shapes)
    router.add_get("/_emulator/requests", control.requests)
    router.add_post("/_emulator/requests/reset", control.reset_requests)
    router.add_get("/_emulator/truth", control.truth)
    router.add_route("*", "/_emulator/entitlements", control.entitlements)
    router.add_route("*", "/_emulator/live", control.live)
    router.add_route("*", "/_emulator/credentials", control.credentials)
    channel = _alternatives(CHANNELS)
    # Literal segments first: /v1/Messages/Operations is no resource id.
    router.add_get(f"/v1/{channel}/Operations", api.list_operations)
    router.add_get(f"/v1/{channel}/Operations/{{operation_id}}", api.get_operation)
    router.add_get(
        f"/v1/{channel}/Operations/{{operation_id}}/Errors", api.operation_errors
    )
    router.add_get(f"/v1/{channel}", api.list_resources)
    router.add_get(f"/v1/{channel}/{{resource_id}}", api.get_resource)
    router.add_post(f"/v1/{_alternatives(SEND_CHANNELS)}", api.send)
    # The classic REST API's Accounts resource, which a client asks to verify
    # the Account SID an API key was typed with.
    accounts = AccountsApi(emulator)
    router.add_get(
        f"{CLASSIC_PREFIX}Accounts/{{account_sid}}.json", accounts.fetch_account
    )
    router.add_get(
        f"{CLASSIC_PREFIX}Accounts/{{account_sid}}/Balance.json",
        accounts.fetch_balance,
    )
    router.add_route("*", f"{CLASSIC_PREFIX}{{tail:.*}}", accounts.not_found)
    return app
