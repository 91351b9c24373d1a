"""Provision the development Home Assistant the way a user would, over its API.

Onboarding (a development owner), Twilio Comms added through its real config
flow, a demo recipient, and a "Twilio Comms" dashboard. Every step is skipped
when already done, so a second run reuses the state.

Usage: python -m tools.develop.provision --url http://127.0.0.1:8123
"""

import argparse
import asyncio
from dataclasses import dataclass
import sys
import time
from typing import Any, Final

import aiohttp

from comms_emulator.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

# Development-only login of the demo instance (loopback only).
DEV_USERNAME: Final = "dev"
DEV_PASSWORD: Final = "dev-password"
DEV_NAME: Final = "Developer"

DOMAIN: Final = "twilio_comms"
DASHBOARD_URL_PATH: Final = "twilio-comms"

# A recipient, so the demo has a notify entity to send from.
DEMO_RECIPIENT: Final = {
    "name": "Demo phone",
    "address": "+15558675310",
    "recipient_channel": "PHONE",
}

# What onboarding sets up besides the user's own choices.
ONBOARDING_EXTRAS: Final = frozenset({"google_translate", "met", "radio_browser"})

# How long Home Assistant may take to start, and entities to appear.
STARTUP_TIMEOUT: Final = 300.0


class ProvisionError(Exception):
    """A provisioning step got an answer it cannot continue with."""


@dataclass(slots=True)
class Session:
    """An authenticated connection to the development instance."""

    http: aiohttp.ClientSession
    url: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Return the authorization header."""
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str) -> Any:
        """GET a JSON resource."""
        async with self.http.get(self.url + path, headers=self.headers) as response:
            return await _json(response)

    async def delete(self, path: str) -> Any:
        """DELETE a resource."""
        async with self.http.delete(self.url + path, headers=self.headers) as response:
            return await _json(response)

    async def post(self, path: str, body: object) -> Any:
        """POST JSON and return the JSON answer."""
        async with self.http.post(
            self.url + path, json=body, headers=self.headers
        ) as response:
            return await _json(response)


async def _json(response: aiohttp.ClientResponse) -> Any:
    """Return a response's JSON, or raise with what the server said."""
    if response.status >= 400:
        text = await response.text()
        raise ProvisionError(f"{response.method} {response.url.path}: {text[:300]}")
    return await response.json()


async def wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    """Wait until Home Assistant serves its frontend."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            async with http.get(f"{url}/manifest.json") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise ProvisionError(f"Home Assistant did not start at {url}")
        await asyncio.sleep(1)


async def _token(http: aiohttp.ClientSession, url: str, code: str) -> str:
    """Exchange an authorization code for an access token."""
    async with http.post(
        f"{url}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": url + "/"},
    ) as response:
        data = await _json(response)
    return str(data["access_token"])


async def log_in(http: aiohttp.ClientSession, url: str) -> Session:
    """Onboard the owner on the first run, or log in as them later."""
    async with http.get(f"{url}/api/onboarding") as response:
        # Once onboarding is over, its API is gone (404).
        steps = (
            {step["step"]: step["done"] for step in await _json(response)}
            if response.status == 200
            else {}
        )
    client_id = url + "/"
    if not steps.get("user", True):
        async with http.post(
            f"{url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": DEV_NAME,
                "username": DEV_USERNAME,
                "password": DEV_PASSWORD,
                "language": "en",
            },
        ) as response:
            code = (await _json(response))["auth_code"]
    else:
        async with http.post(
            f"{url}/auth/login_flow",
            json={
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": client_id,
            },
        ) as response:
            flow = await _json(response)
        async with http.post(
            f"{url}/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": client_id,
                "username": DEV_USERNAME,
                "password": DEV_PASSWORD,
            },
        ) as response:
            result = await _json(response)
        if result.get("type") != "create_entry":
            raise ProvisionError(f"Login as {DEV_USERNAME} failed: {result}")
        code = result["result"]
    session = Session(http=http, url=url, token=await _token(http, url, code))
    # The remaining onboarding steps, as the onboarding screens would.
    for step, body in (
        ("core_config", {}),
        ("analytics", {}),
        ("integration", {"client_id": client_id, "redirect_uri": client_id}),
    ):
        if not steps.get(step, True):
            await session.post(f"/api/onboarding/{step}", body)
    # Onboarding adds a few cloud integrations (weather, radio, TTS) whose
    # packages the demo does not have; the demo is about Twilio Comms only.
    for entry in await session.get("/api/config/config_entries/entry"):
        if entry["domain"] in ONBOARDING_EXTRAS:
            await session.delete(
                f"/api/config/config_entries/entry/{entry['entry_id']}"
            )
    return session


async def add_integration(session: Session) -> str:
    """Add Twilio Comms through its config flow, unless it is there; return its id."""
    entries = await session.get(f"/api/config/config_entries/entry?domain={DOMAIN}")
    if entries:
        return str(entries[0]["entry_id"])
    flow = await session.post(
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
    )
    path = f"/api/config/config_entries/flow/{flow['flow_id']}"
    await session.post(path, {"next_step_id": "auth_token"})
    result = await session.post(
        path, {"account_sid": DEV_ACCOUNT_SID, "auth_token": DEV_AUTH_TOKEN}
    )
    if result.get("type") != "create_entry":
        raise ProvisionError(f"The config flow did not create an entry: {result}")
    return str(result["result"]["entry_id"])


async def add_recipient(session: Session, ws: WebSocket, entry_id: str) -> None:
    """Add the demo recipient through the subentry flow, unless it is there."""
    if await ws.call("config_entries/subentries/list", entry_id=entry_id):
        return
    flow = await session.post(
        "/api/config/config_entries/subentries/flow",
        {"handler": [entry_id, "recipient"]},
    )
    result = await session.post(
        f"/api/config/config_entries/subentries/flow/{flow['flow_id']}",
        DEMO_RECIPIENT,
    )
    if result.get("type") != "create_entry":
        raise ProvisionError(f"The recipient flow did not finish: {result}")


class WebSocket:
    """Home Assistant's websocket API, one command at a time."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated websocket."""
        self._ws = ws
        self._id = 0

    async def call(self, message_type: str, **data: Any) -> Any:
        """Send a command and return its result, or raise its error."""
        self._id += 1
        await self._ws.send_json({"id": self._id, "type": message_type, **data})
        while True:
            reply = await self._ws.receive_json()
            if reply.get("id") == self._id and reply.get("type") == "result":
                break
        if not reply["success"]:
            raise ProvisionError(f"{message_type}: {reply['error']}")
        return reply["result"]


async def open_websocket(session: Session) -> WebSocket:
    """Open and authenticate the websocket API."""
    ws = await session.http.ws_connect(f"{session.url}/api/websocket")
    await ws.receive_json()  # auth_required
    await ws.send_json({"type": "auth", "access_token": session.token})
    if (await ws.receive_json())["type"] != "auth_ok":
        raise ProvisionError("The websocket API refused the token")
    return WebSocket(ws)


async def confirm_http_settings(ws: WebSocket) -> None:
    """Keep the HTTP settings of configuration.yaml (port, loopback address).

    Since 2026.10 Home Assistant holds new HTTP settings as pending and
    reverts them after 5 minutes unless confirmed, as the prompt in the UI
    asks the owner to.
    """
    if (await ws.call("http/config")).get("pending"):
        await ws.call("http/config/promote")


async def twilio_entities(ws: WebSocket) -> dict[str, str]:
    """Return entity ids by what they are: unique id minus the account prefix.

    Waits for the channels' entities and the demo recipient's notify entity
    (the entry reloads once the recipient is added).
    """
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        entries = await ws.call("config/entity_registry/list")
        found = {
            entry["unique_id"].split("_", 1)[1]: entry["entity_id"]
            for entry in entries
            if entry["platform"] == DOMAIN
        }
        if "messages_latest_operation_status" in found and any(
            entity_id.startswith("notify.") for entity_id in found.values()
        ):
            return found
        if time.monotonic() > deadline:
            raise ProvisionError("The Twilio Comms entities did not appear")
        await asyncio.sleep(1)


def dashboard(entities: dict[str, str]) -> dict[str, Any]:
    """Return the demo dashboard: what a user watches and acts on."""
    notify = [
        entity_id for entity_id in entities.values() if entity_id.startswith("notify.")
    ]
    # A send from the UI: it goes through the notify entity, the Comms API,
    # and shows up as a new operation with its events.
    send_buttons = [
        {
            "type": "button",
            "name": "Send a test message",
            "icon": "mdi:message-arrow-right-outline",
            "show_state": False,
            "tap_action": {
                "action": "perform-action",
                "perform_action": "notify.send_message",
                "target": {"entity_id": entity_id},
                "data": {"message": "Test message from the Twilio Comms demo"},
            },
        }
        for entity_id in notify[:1]
    ]

    def tiles(channel: str, counters: dict[str, str]) -> list[dict[str, Any]]:
        return [
            {"type": "tile", "entity": entities[f"{channel}_{counter}"], "name": name}
            for counter, name in counters.items()
            if f"{channel}_{counter}" in entities
        ]

    def rows(channel: str, names: dict[str, str]) -> list[dict[str, str]]:
        return [
            {"entity": entities[f"{channel}_{key}"], "name": name}
            for key, name in names.items()
        ]

    def section(title: str, cards: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "grid",
            "cards": [{"type": "heading", "heading": title}, *cards],
        }

    return {
        "title": "Twilio Comms",
        "views": [
            {
                "title": "Operations",
                "path": "operations",
                "type": "sections",
                "max_columns": 3,
                "sections": [
                    section(
                        "Messages, last 24 hours",
                        [
                            *tiles(
                                "messages",
                                {
                                    "sent": "Sent",
                                    "delivered": "Delivered",
                                    "failed": "Failed",
                                    "queued": "Queued",
                                },
                            ),
                            {
                                "type": "entities",
                                "entities": [
                                    *rows(
                                        "messages",
                                        {
                                            "latest_operation_status": "Latest status",
                                            "latest_operation_time": "Latest operation",
                                            "active_operations": "In flight",
                                            "failure_rate": "Failure rate",
                                            "delivery_problem": "Delivery problem",
                                        },
                                    ),
                                    *notify,
                                ],
                            },
                            *send_buttons,
                        ],
                    ),
                    section(
                        "Sent and failed",
                        [
                            {
                                "type": "history-graph",
                                "hours_to_show": 1,
                                "entities": [
                                    entities["messages_sent"],
                                    entities["messages_failed"],
                                ],
                            },
                            {"type": "heading", "heading": "Push notifications"},
                            *tiles(
                                "push_notifications",
                                {
                                    "sent": "Sent",
                                    "failed": "Failed",
                                    "latest_operation_status": "Latest status",
                                    "active_operations": "In flight",
                                },
                            ),
                        ],
                    ),
                    section(
                        "Recent operation events",
                        [
                            {
                                "type": "logbook",
                                "hours_to_show": 6,
                                "target": {
                                    "entity_id": [
                                        entities["messages_operations"],
                                        entities["push_notifications_operations"],
                                    ]
                                },
                            }
                        ],
                    ),
                ],
            }
        ],
    }


async def provide_dashboard(ws: WebSocket, entities: dict[str, str]) -> None:
    """Create the dashboard unless it exists, then save its current layout."""
    dashboards = await ws.call("lovelace/dashboards/list")
    if not any(item["url_path"] == DASHBOARD_URL_PATH for item in dashboards):
        await ws.call(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_URL_PATH,
            title="Twilio Comms",
            icon="mdi:message-text-outline",
            show_in_sidebar=True,
            require_admin=False,
        )
    await ws.call(
        "lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=dashboard(entities)
    )


async def provision(url: str) -> None:
    """Run every step against the instance at url."""
    async with aiohttp.ClientSession() as http:
        await wait_until_up(http, url)
        session = await log_in(http, url)
        entry_id = await add_integration(session)
        ws = await open_websocket(session)
        await confirm_http_settings(ws)
        await add_recipient(session, ws, entry_id)
        entities = await twilio_entities(ws)
        await provide_dashboard(ws, entities)


def main() -> int:
    """Provision, then print where to log in."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    args = parser.parse_args()
    try:
        asyncio.run(provision(args.url))
    except ProvisionError as err:
        print(f"provisioning failed: {err}", file=sys.stderr)
        return 1
    print(f"READY {args.url}/{DASHBOARD_URL_PATH}/operations", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
