"""Provision the demo Home Assistant through its own APIs, as the UI would.

Onboarding with a development owner account (or, when that is done, a login
with its password), the Twilio Comms entry through the real config flow, its
recipients through the subentry flow, Instant updates through the options
flow (the emulator delivering its events to the internal URL), and a
storage-mode Lovelace dashboard: the shipped dashboards/twilio_comms.yaml
with a send button (tools/develop/dashboard.py). Every step
checks first, so a second run against the same configuration directory only
logs in, finds the entry and its option, and updates the dashboard.
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
import itertools
import os
import time
from typing import Any, Final, Literal

import aiohttp
from yarl import URL

# The emulator's development account: public on purpose, it only ever serves
# invented data.
from comms_emulator.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

from .dashboard import (
    DASHBOARD_ICON,
    DASHBOARD_TITLE,
    DASHBOARD_URL_PATH,
    VIEW_PATH,
    demo_dashboard,
    entity_ids,
    load_dashboard,
)

# The development owner account. Development only: the instance listens on
# loopback, and README says so.
DEV_NAME: Final = "Developer"
DEV_USERNAME: Final = "dev"
DEV_PASSWORD: Final = "dev-password"

DOMAIN: Final = "twilio_comms"

# Onboarding's steps, in order (homeassistant/components/onboarding/const.py).
ONBOARDING_STEPS: Final = ("user", "core_config", "analytics", "integration")

# Onboarding's core_config step starts these integrations' flows (see
# homeassistant/components/onboarding/views.py). The demo venv lacks their
# requirements (and the machine may lack the internet), so the entries they
# leave behind are removed: the demo shows Twilio Comms and nothing else.
ONBOARDING_DOMAINS: Final = frozenset(
    {"google_translate", "met", "radio_browser", "shopping_list"}
)
CREDENTIAL_STEP: Final = "auth_token"

# How long to wait for Home Assistant to answer, and for the entry's entities.
STARTUP_TIMEOUT: Final = 300.0
ENTITIES_TIMEOUT: Final = 120.0
POLL_INTERVAL: Final = 0.5
# Recipients (config subentries), so the demo has notify entities to send
# with: a phone, which the dashboard's button texts, and an email address.
RECIPIENT_SUBENTRY: Final = "recipient"
DEMO_RECIPIENTS: Final = (
    {
        "name": "Demo phone",
        "address": "+15558675310",
        "recipient_channel": "phone",
    },
    {
        "name": "Demo email",
        "address": "demo@example.com",
        "recipient_channel": "email",
    },
)
# The notify entity of the phone, which the dashboard's button texts, and
# the status of the last message sent to it.
DEMO_PHONE_NOTIFY: Final = "notify.demo_phone"
DEMO_PHONE_STATUS: Final = "sensor.demo_phone_last_message_status"
# What Instant updates add: the Messages device's event entity of messages received.
MESSAGES_RECEIVED: Final = "event.messages_messages_received"
# The option that turns Instant updates on, and how long its stream may take
# to run (the emulator's validation test event arrives at once).
CONF_INSTANT_UPDATES: Final = "instant_updates"
INSTANT_UPDATES_TIMEOUT: Final = 60.0

# The config flow probes the emulator, which may inject a fault: retry a few times.
FLOW_ATTEMPTS: Final = 8
REQUEST_TIMEOUT: Final = aiohttp.ClientTimeout(total=60)


class ProvisionError(Exception):
    """Home Assistant did not do what a provisioning step needed."""


def log(message: str) -> None:
    """Print a progress line."""
    print(f"[develop] {message}", flush=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Demo:
    """Where the demo runs."""

    ha_url: URL
    ha_pid: int | None = None

    @property
    def client_id(self) -> str:
        """Return the OAuth client id the frontend would use: the instance's URL."""
        return str(self.ha_url.with_path("/"))

    @property
    def redirect_uri(self) -> str:
        """Return the redirect URI the frontend would use."""
        return str(self.ha_url.with_path("/").with_query(auth_callback="1"))

    @property
    def dashboard_url(self) -> URL:
        """Return the dashboard's address."""
        return self.ha_url.with_path(f"/{DASHBOARD_URL_PATH}/{VIEW_PATH}")


def check_alive(pid: int | None) -> None:
    """Raise ProvisionError when the Home Assistant process has gone away."""
    if pid is None:
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError as err:
        raise ProvisionError(f"Home Assistant (pid {pid}) exited") from err


async def response_json(response: aiohttp.ClientResponse) -> Any:
    """Return a response's JSON body, or raise ProvisionError with what came instead."""
    if response.status >= 400:
        text = await response.text()
        raise ProvisionError(
            f"{response.method} {response.url.path} answered {response.status}: {text[:300]}"
        )
    return await response.json()


async def wait_for_home_assistant(
    session: aiohttp.ClientSession, demo: Demo
) -> list[dict[str, Any]]:
    """Wait until Home Assistant serves the onboarding status; return it."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        check_alive(demo.ha_pid)
        try:
            async with session.get(demo.ha_url / "api/onboarding") as response:
                if response.status == 200:
                    steps: list[dict[str, Any]] = await response.json()
                    return steps
                # Once onboarded, Home Assistant no longer serves the view (its
                # HTTP server only listens after every integration is set up).
                if response.status == 404:
                    return [{"step": step, "done": True} for step in ONBOARDING_STEPS]
        except aiohttp.ClientError, TimeoutError:
            pass
        if time.monotonic() > deadline:
            raise ProvisionError(
                f"Home Assistant did not answer at {demo.ha_url} within {STARTUP_TIMEOUT:g} s"
            )
        await asyncio.sleep(POLL_INTERVAL)


async def _token_from_code(
    session: aiohttp.ClientSession, demo: Demo, code: str
) -> str:
    """Exchange an authorization code for an access token, as the frontend does."""
    async with session.post(
        demo.ha_url / "auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": demo.client_id,
        },
    ) as response:
        token: str = (await response_json(response))["access_token"]
        return token


async def _create_owner(session: aiohttp.ClientSession, demo: Demo) -> str:
    """Create the development owner (onboarding's user step); return a token."""
    async with session.post(
        demo.ha_url / "api/onboarding/users",
        json={
            "client_id": demo.client_id,
            "name": DEV_NAME,
            "username": DEV_USERNAME,
            "password": DEV_PASSWORD,
            "language": "en",
        },
    ) as response:
        code = (await response_json(response))["auth_code"]
    log(f"onboarding: created the owner account {DEV_USERNAME!r}")
    return await _token_from_code(session, demo, code)


async def _log_in(session: aiohttp.ClientSession, demo: Demo) -> str:
    """Log in with the development password through the login flow; return a token."""
    async with session.post(
        demo.ha_url / "auth/login_flow",
        json={
            "client_id": demo.client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": demo.redirect_uri,
        },
    ) as response:
        flow = await response_json(response)
    async with session.post(
        demo.ha_url / "auth/login_flow" / flow["flow_id"],
        json={
            "client_id": demo.client_id,
            "username": DEV_USERNAME,
            "password": DEV_PASSWORD,
        },
    ) as response:
        result = await response_json(response)
    if result.get("type") != "create_entry":
        raise ProvisionError(
            f"logging in as {DEV_USERNAME!r} failed ({result.get('errors')}); "
            "this configuration directory has another owner: reset it "
            "(scripts/develop --reset) or use another --config-dir"
        )
    log(f"logged in as {DEV_USERNAME!r}")
    return await _token_from_code(session, demo, result["result"])


async def onboard(
    session: aiohttp.ClientSession, demo: Demo, steps: list[dict[str, Any]]
) -> str:
    """Finish whatever onboarding is left; return an owner access token."""
    done = {step["step"] for step in steps if step["done"]}
    if "user" in done:
        token = await _log_in(session, demo)
    else:
        token = await _create_owner(session, demo)
    headers = bearer(token)
    remaining: list[tuple[str, dict[str, Any] | None]] = [
        ("core_config", None),
        ("analytics", None),
        (
            "integration",
            {"client_id": demo.client_id, "redirect_uri": demo.redirect_uri},
        ),
    ]
    for step, body in remaining:
        if step in done:
            continue
        async with session.post(
            demo.ha_url / "api/onboarding" / step, json=body or {}, headers=headers
        ) as response:
            await response_json(response)
        log(f"onboarding: {step} done")
    return token


# The REST resources of each kind of flow, under /api/config/config_entries/.
type FlowKind = Literal["flow", "options/flow", "subentries/flow"]

# The REST resource of config entries.
ENTRIES: Final = "api/config/config_entries/entry"


def bearer(token: str) -> dict[str, str]:
    """Return the owner's authorization header."""
    return {"Authorization": f"Bearer {token}"}


async def config_entries(
    session: aiohttp.ClientSession, demo: Demo, token: str, **params: str
) -> list[dict[str, Any]]:
    """Return the config entries the REST API lists (a domain's, with domain=)."""
    async with session.get(
        demo.ha_url / ENTRIES, params=params, headers=bearer(token)
    ) as response:
        entries: list[dict[str, Any]] = await response_json(response)
    return entries


async def flow_step(
    session: aiohttp.ClientSession,
    demo: Demo,
    token: str,
    flow_id: str | None,
    body: Mapping[str, Any],
    *,
    kind: FlowKind = "flow",
) -> dict[str, Any]:
    """Start a flow (no flow_id) or post one of its steps, as the UI does; return the result.

    A config flow by default; options and subentry flows by their kind.
    """
    url = demo.ha_url / "api/config/config_entries" / kind
    if flow_id is not None:
        url = url / flow_id
    async with session.post(url, json=dict(body), headers=bearer(token)) as response:
        result: dict[str, Any] = await response_json(response)
        return result


async def add_entry(session: aiohttp.ClientSession, demo: Demo, token: str) -> str:
    """Add Twilio Comms through its config flow unless it is there; return its unique id."""
    entries = await config_entries(session, demo, token, domain=DOMAIN)
    if entries:
        log(f"Twilio Comms is already configured ({entries[0]['title']})")
        return str(entries[0].get("unique_id") or DEV_ACCOUNT_SID)
    # What the UI does: start the flow, pick the menu's credential kind, post the form.
    menu = await flow_step(
        session, demo, token, None, {"handler": DOMAIN, "show_advanced_options": False}
    )
    if menu.get("type") != "menu" or CREDENTIAL_STEP not in menu.get(
        "menu_options", []
    ):
        raise ProvisionError(f"unexpected first step of the config flow: {menu}")
    flow_id: str = menu["flow_id"]
    result = await flow_step(
        session, demo, token, flow_id, {"next_step_id": CREDENTIAL_STEP}
    )
    for attempt in itertools.count(1):
        if result.get("type") != "form":
            break
        if attempt > FLOW_ATTEMPTS:
            raise ProvisionError(
                f"the config flow kept failing: {result['errors']} "
                "(is --fault-rate too high?)"
            )
        if attempt > 1:
            # The probe met one of the emulator's injected faults; the form
            # shows the error, and a person would submit again.
            log(f"config flow: {result['errors']}, submitting again")
            await asyncio.sleep(1)
        result = await flow_step(
            session,
            demo,
            token,
            flow_id,
            {"account_sid": DEV_ACCOUNT_SID, "auth_token": DEV_AUTH_TOKEN},
        )
    if result.get("type") == "abort" and result.get("reason") == "already_configured":
        log("Twilio Comms is already configured")
        return DEV_ACCOUNT_SID
    if result.get("type") != "create_entry":
        raise ProvisionError(f"the config flow ended with {result}")
    log(f"added {result['title']} through the config flow")
    return str(result["result"].get("unique_id") or DEV_ACCOUNT_SID)


async def entry_diagnostics(
    session: aiohttp.ClientSession, demo: Demo, token: str, entry_id: str
) -> dict[str, Any]:
    """Return a loaded entry's diagnostics (its options, its push state, ...)."""
    async with session.get(
        demo.ha_url / "api/diagnostics/config_entry" / entry_id, headers=bearer(token)
    ) as response:
        diagnostics: dict[str, Any] = (await response_json(response))["data"]
    return diagnostics


async def enable_instant_updates(
    session: aiohttp.ClientSession, demo: Demo, token: str, ws: WebSocket
) -> None:
    """Turn Instant updates on through the options flow, unless on; wait until they run.

    In development the integration has the emulator deliver to Home
    Assistant's internal URL over loopback http: it is set to where the demo
    listens first, as Settings → System → Network would.
    """
    internal_url = str(demo.ha_url.origin())
    if (await ws.call("get_config")).get("internal_url") != internal_url:
        await ws.call("config/core/update", internal_url=internal_url)
        log(f"internal URL set to {internal_url}")
    entry_id = str(
        (await config_entries(session, demo, token, domain=DOMAIN))[0]["entry_id"]
    )
    options = (await entry_diagnostics(session, demo, token, entry_id))["entry"][
        "options"
    ]
    if not options.get(CONF_INSTANT_UPDATES):
        form = await flow_step(
            session, demo, token, None, {"handler": entry_id}, kind="options/flow"
        )
        result = await flow_step(
            session,
            demo,
            token,
            form["flow_id"],
            {**options, CONF_INSTANT_UPDATES: True},
            kind="options/flow",
        )
        if result.get("type") != "create_entry":
            raise ProvisionError(f"the options flow ended with {result}")
        log("turned Instant updates on through the options flow")
    deadline = time.monotonic() + INSTANT_UPDATES_TIMEOUT
    while True:
        check_alive(demo.ha_pid)
        # The entry reloads with the option: diagnostics need it loaded.
        entry = (await config_entries(session, demo, token, domain=DOMAIN))[0]
        if entry["state"] == "loaded":
            diagnostics = await entry_diagnostics(session, demo, token, entry_id)
            stream = diagnostics["instant_updates"] or {}
            if stream.get("running"):
                log(f"Instant updates run (sink {stream['sink_sid']})")
                return
            if stream.get("running") is False:
                raise ProvisionError(
                    "Instant updates did not start; see the repair issue and "
                    "home-assistant.log in the configuration directory"
                )
        if time.monotonic() > deadline:
            raise ProvisionError(
                f"Instant updates did not run within {INSTANT_UPDATES_TIMEOUT:g} s"
            )
        await asyncio.sleep(POLL_INTERVAL)


async def add_recipients(
    session: aiohttp.ClientSession, demo: Demo, token: str, ws: WebSocket
) -> None:
    """Add each demo recipient through the subentry flow, unless it is there."""
    entry_id = str(
        (await config_entries(session, demo, token, domain=DOMAIN))[0]["entry_id"]
    )
    present = {
        subentry["title"]
        for subentry in await ws.call(
            "config_entries/subentries/list", entry_id=entry_id
        )
    }
    for recipient in DEMO_RECIPIENTS:
        if recipient["name"] in present:
            continue
        start = await flow_step(
            session,
            demo,
            token,
            None,
            {"handler": [entry_id, RECIPIENT_SUBENTRY]},
            kind="subentries/flow",
        )
        result = await flow_step(
            session, demo, token, start["flow_id"], recipient, kind="subentries/flow"
        )
        if result.get("type") != "create_entry":
            raise ProvisionError(f"the recipient flow ended with {result}")
        log(f"added the recipient {result['title']} through its subentry flow")


async def remove_onboarding_entries(
    session: aiohttp.ClientSession, demo: Demo, token: str
) -> None:
    """Delete the entries onboarding made for integrations the demo does not use."""
    for entry in await config_entries(session, demo, token):
        if entry["source"] == "onboarding" and entry["domain"] in ONBOARDING_DOMAINS:
            async with session.delete(
                demo.ha_url / ENTRIES / entry["entry_id"], headers=bearer(token)
            ) as response:
                await response_json(response)
            log(f"removed the {entry['title']!r} entry onboarding added")


class WebSocket:
    """A minimal client of Home Assistant's websocket API."""

    def __init__(self, connection: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated connection."""
        self._connection = connection
        self._ids = itertools.count(1)

    @classmethod
    async def connect(
        cls, session: aiohttp.ClientSession, demo: Demo, token: str
    ) -> WebSocket:
        """Connect and authenticate."""
        connection = await session.ws_connect(demo.ha_url / "api/websocket")
        greeting = await connection.receive_json()
        if greeting.get("type") != "auth_required":
            raise ProvisionError(f"unexpected websocket greeting {greeting}")
        await connection.send_json({"type": "auth", "access_token": token})
        answer = await connection.receive_json()
        if answer.get("type") != "auth_ok":
            raise ProvisionError(f"websocket authentication failed: {answer}")
        return cls(connection)

    async def call(self, command: str, **data: Any) -> Any:
        """Send a command and return its result (ProvisionError on an error)."""
        message_id = next(self._ids)
        await self._connection.send_json({"id": message_id, "type": command, **data})
        while True:
            answer = await self._connection.receive_json()
            if answer.get("id") != message_id:
                continue
            if not answer.get("success"):
                raise ProvisionError(f"{command} failed: {answer.get('error')}")
            return answer.get("result")

    async def close(self) -> None:
        """Close the connection."""
        await self._connection.close()


def _enabled_entities(registry: list[dict[str, Any]], prefix: str = "") -> list[str]:
    """Return the enabled entities of the integration whose unique id starts so."""
    return [
        entry["entity_id"]
        for entry in registry
        if entry.get("platform") == DOMAIN
        and not entry.get("disabled_by")
        and str(entry.get("unique_id", "")).startswith(prefix)
    ]


async def wait_for_entities(
    ws: WebSocket, demo: Demo, entry_unique_id: str
) -> list[str]:
    """Wait until the entry's channel entities are registered and have a state; return them.

    Unique ids start with the entry's (the Account SID), the recipients' notify
    entities' too; the entry is ready once some channel's latest status has
    been read: its first refresh is done.
    """
    deadline = time.monotonic() + ENTITIES_TIMEOUT
    while True:
        check_alive(demo.ha_pid)
        registry = await ws.call("config/entity_registry/list")
        if entities := [
            entity_id
            for entity_id in _enabled_entities(registry, f"{entry_unique_id}_")
            if not entity_id.startswith("notify.")
        ]:
            states = await ws.call("get_states")
            known = {
                state["entity_id"]
                for state in states
                if state["state"] not in {"unavailable", "unknown"}
            }
            if any(
                entity_id.endswith("_latest_operation_status") and entity_id in known
                for entity_id in entities
            ):
                return entities
        if time.monotonic() > deadline:
            raise ProvisionError(
                f"no {DOMAIN} entity had a state within {ENTITIES_TIMEOUT:g} s; "
                "see home-assistant.log in the configuration directory"
            )
        await asyncio.sleep(POLL_INTERVAL)


async def wait_for_recipients(ws: WebSocket) -> list[str]:
    """Wait until every demo recipient's notify entity is registered; return them."""
    deadline = time.monotonic() + ENTITIES_TIMEOUT
    while len(
        recipients := [
            entity_id
            for entity_id in _enabled_entities(
                await ws.call("config/entity_registry/list")
            )
            if entity_id.startswith("notify.")
        ]
    ) < len(DEMO_RECIPIENTS):
        if time.monotonic() > deadline:
            raise ProvisionError("the demo recipients' notify entities never appeared")
        await asyncio.sleep(POLL_INTERVAL)
    return recipients


async def save_dashboard(ws: WebSocket, entities: list[str]) -> None:
    """Create the dashboard unless it exists, then save its configuration.

    The shipped file names fixed entity ids: an instance that lacks one (a
    renamed entity, a channel not tracked) is reported, not shown broken.
    """
    recipients = await wait_for_recipients(ws)
    config = demo_dashboard(
        load_dashboard(),
        recipient=DEMO_PHONE_NOTIFY,
        status=DEMO_PHONE_STATUS,
        received=MESSAGES_RECEIVED,
    )
    if missing := sorted(entity_ids(config) - {*entities, *recipients}):
        raise ProvisionError(
            f"dashboards/twilio_comms.yaml names entities this instance lacks: "
            f"{', '.join(missing)}; start over with scripts/develop --reset"
        )
    dashboards: list[dict[str, Any]] = await ws.call("lovelace/dashboards/list")
    if not any(d.get("url_path") == DASHBOARD_URL_PATH for d in dashboards):
        await ws.call(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_URL_PATH,
            title=DASHBOARD_TITLE,
            icon=DASHBOARD_ICON,
            show_in_sidebar=True,
            require_admin=False,
        )
        log(f"created the dashboard /{DASHBOARD_URL_PATH}")
    await ws.call("lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=config)
    log(f"saved the dashboard ({len(entity_ids(config))} entities)")


async def provision(demo: Demo) -> None:
    """Run every step, then print where to go and how to log in."""
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        steps = await wait_for_home_assistant(session, demo)
        log(f"Home Assistant answers at {demo.ha_url}")
        token = await onboard(session, demo, steps)
        entry_unique_id = await add_entry(session, demo, token)
        ws = await WebSocket.connect(session, demo, token)
        try:
            await add_recipients(session, demo, token, ws)
            await wait_for_entities(ws, demo, entry_unique_id)
            await enable_instant_updates(session, demo, token, ws)
            # Again: the entry reloaded with the option, and has one entity more.
            entities = await wait_for_entities(ws, demo, entry_unique_id)
            await save_dashboard(ws, entities)
        finally:
            await ws.close()
        # Onboarding's own flows have finished by now (they run as tasks).
        await remove_onboarding_entries(session, demo, token)
