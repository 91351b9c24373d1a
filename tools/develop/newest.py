"""Walk a real Home Assistant through every Twilio Comms flow, as the UI does.

The newest leg (scripts/newest) boots the newest Home Assistant release with
the integration against the emulator and runs this: the config flow and a
recipient subentry (provision.py's steps), then reauthentication after the
emulator rotated the token, a reconfiguration to an API key, the options
flow, Instant updates turned on as the demo does (the internal URL, the
options flow, the stream running) and an edit of the recipient. After each, the entry must be loaded,
reloaded where the change needs it, and its entities there with a state.

Whether a step reloaded the entry is read off the recipient's notify entity:
its state only changes when a message is sent, so a newer `last_changed`
means it was removed and added again, which is what a reload does.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
import re
import time
from typing import Any, Final

import aiohttp
from yarl import URL

from comms_emulator.config import DEV_ACCOUNT_SID, DEV_API_KEY_SECRET, DEV_API_KEY_SID
from comms_emulator.control import CONTROL_HEADER

from .log_scan import Expected
from .provision import (
    DEMO_PHONE_NOTIFY,
    DEMO_RECIPIENTS,
    DOMAIN,
    ENTITIES_TIMEOUT,
    POLL_INTERVAL,
    RECIPIENT_SUBENTRY,
    REQUEST_TIMEOUT,
    Demo,
    FlowKind,
    ProvisionError,
    WebSocket,
    add_entry,
    add_recipients,
    bearer,
    check_alive,
    config_entries,
    enable_instant_updates,
    entry_diagnostics,
    flow_step,
    log,
    onboard,
    response_json,
    wait_for_entities,
    wait_for_home_assistant,
    wait_for_recipients,
)

# The token the emulator rotates to, which reauthentication then enters.
ROTATED_AUTH_TOKEN: Final = "rotatedauthtoken00000000000000001"
# Options different from the config flow's defaults, so storing them is a change.
NEW_OPTIONS: Final = {"window_hours": 12, "failure_threshold": 7.5}
EDITED_RECIPIENT_NAME: Final = "Demo phone, edited"

# What the log rightly says about Twilio Comms during this walk; anything else
# at warning level or worse fails the leg.
EXPECTED_LOG_RECORDS: Final = (
    Expected(
        re.compile(
            r"\[homeassistant\.loader\] We found a custom integration twilio_comms "
            r"which has not been tested by Home Assistant"
        ),
        "core says it of every custom integration, at every start",
    ),
    Expected(
        re.compile(
            r"ERROR .*\[custom_components\.twilio_comms\] Authentication failed "
            r"while fetching twilio_comms \w+ data: "
        ),
        "the coordinator meeting the token the harness rotated, which starts reauth",
    ),
    Expected(
        re.compile(
            r"WARNING .*\[custom_components\.twilio_comms\] TWILIO_COMMS_BASE_URL is "
            r"set: Twilio Comms requests go to http://127\.0\.0\.1, "
        ),
        "the development override pointing at the emulator, warned of at each setup",
    ),
)


type Step = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    """Check nothing more (the step's action checked it all)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Harness:
    """A logged-in Home Assistant, its websocket, and the emulator behind it."""

    session: aiohttp.ClientSession
    demo: Demo
    token: str
    ws: WebSocket
    emulator_url: URL

    async def get(self, path: str, **params: str) -> Any:
        """GET a Home Assistant REST path; return its JSON."""
        async with self.session.get(
            self.demo.ha_url / path, params=params, headers=bearer(self.token)
        ) as response:
            return await response_json(response)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST to a Home Assistant REST path; return its JSON."""
        async with self.session.post(
            self.demo.ha_url / path, json=body, headers=bearer(self.token)
        ) as response:
            return await response_json(response)

    async def flow(
        self, flow_id: str | None, body: Mapping[str, Any], *, kind: FlowKind = "flow"
    ) -> dict[str, Any]:
        """Start a flow (no flow_id) or post one of its steps; return the result."""
        return await flow_step(
            self.session, self.demo, self.token, flow_id, body, kind=kind
        )

    async def entry(self) -> dict[str, Any]:
        """Return the Twilio Comms entry as the REST API lists it."""
        entries = await config_entries(
            self.session, self.demo, self.token, domain=DOMAIN
        )
        if len(entries) != 1:
            raise ProvisionError(f"expected one {DOMAIN} entry, found {entries}")
        return entries[0]

    async def diagnostics(self, entry_id: str) -> dict[str, Any]:
        """Return the entry's stored data and options, from its diagnostics."""
        diagnostics = await entry_diagnostics(
            self.session, self.demo, self.token, entry_id
        )
        stored: dict[str, Any] = diagnostics["entry"]
        return stored

    async def rotate_auth_token(self, token: str) -> None:
        """Make the emulator refuse the stored Auth Token, as a rotation does."""
        async with self.session.post(
            self.emulator_url / "_emulator/credentials",
            json={"username": DEV_ACCOUNT_SID, "password": token},
            headers={CONTROL_HEADER: "1"},
        ) as response:
            await response_json(response)


async def _poll[T](
    what: str, probe: Callable[[], Awaitable[T | None]], demo: Demo
) -> T:
    """Return the first result of probe that is not None; ProvisionError on timeout."""
    deadline = time.monotonic() + ENTITIES_TIMEOUT
    while (result := await probe()) is None:
        # Fail fast if Home Assistant died rather than wait out the timeout.
        check_alive(demo.ha_pid)
        if time.monotonic() > deadline:
            raise ProvisionError(f"{what}: not within {ENTITIES_TIMEOUT:g} s")
        await asyncio.sleep(POLL_INTERVAL)
    return result


async def _notify_changed(harness: Harness, entity_id: str) -> datetime:
    """Return when the recipient's notify entity was last (re)added."""
    states: list[dict[str, Any]] = await harness.ws.call("get_states")
    for state in states:
        if state["entity_id"] == entity_id:
            return datetime.fromisoformat(state["last_changed"])
    raise ProvisionError(f"{entity_id} has no state")


async def check_loaded(
    harness: Harness,
    step: str,
    unique_id: str,
    notify_entity: str,
    reloaded_after: datetime | None,
) -> None:
    """Wait until the entry is loaded (again, when reloaded_after is given) with its entities."""

    async def loaded() -> bool | None:
        """Return True once the entry is loaded and, if asked, was reloaded."""
        if (await harness.entry())["state"] != "loaded":
            return None
        if reloaded_after is None:
            return True
        changed = await _notify_changed(harness, notify_entity)
        return True if changed > reloaded_after else None

    await _poll(f"{step}: the entry loaded again", loaded, harness.demo)
    entities = await wait_for_entities(harness.ws, harness.demo, unique_id)
    recipients = await wait_for_recipients(harness.ws)
    log(
        f"{step}: entry loaded, {len(entities)} {DOMAIN} entities "
        f"and {len(recipients)} notify entity with a state"
    )


async def _flow_in_progress(harness: Harness, source: str) -> dict[str, Any] | None:
    """Return the integration's flow in progress from a source, if there is one."""
    flows: list[dict[str, Any]] = await harness.ws.call("config_entries/flow/progress")
    return next(
        (
            flow
            for flow in flows
            if flow["handler"] == DOMAIN and flow["context"].get("source") == source
        ),
        None,
    )


def _expect(result: dict[str, Any], kind: str, reason: str | None = None) -> None:
    """Raise ProvisionError unless a flow ended as expected."""
    if result.get("type") != kind or (reason and result.get("reason") != reason):
        raise ProvisionError(f"expected {kind} {reason or ''}, got {result}")


async def check_reauth(harness: Harness, sensor: str) -> None:
    """Rotate the token, let a refresh meet the 401, and reauthenticate."""
    await harness.rotate_auth_token(ROTATED_AUTH_TOKEN)
    # A refresh now, rather than waiting for the next poll (up to 2 minutes).
    await harness.post(
        "api/services/homeassistant/update_entity", {"entity_id": sensor}
    )

    async def reauth_flow() -> dict[str, Any] | None:
        """Return Home Assistant's reauth flow once it has started one."""
        return await _flow_in_progress(harness, "reauth")

    flow = await _poll(
        "reauth: Home Assistant started reauth", reauth_flow, harness.demo
    )
    log("reauth: Home Assistant started reauthentication after the 401")
    result = await harness.flow(
        flow["flow_id"],
        {"account_sid": DEV_ACCOUNT_SID, "auth_token": ROTATED_AUTH_TOKEN},
    )
    _expect(result, "abort", "reauth_successful")
    if await _flow_in_progress(harness, "reauth") is not None:
        raise ProvisionError("reauth: a reauth flow is still in progress")


async def check_reconfigure(harness: Harness, entry_id: str) -> None:
    """Switch the entry to the API key through the reconfigure flow."""
    menu = await harness.flow(
        None,
        {"handler": DOMAIN, "entry_id": entry_id},
    )
    _expect(menu, "menu")
    form = await harness.flow(
        menu["flow_id"],
        {"next_step_id": "api_key"},
    )
    _expect(form, "form")
    result = await harness.flow(
        form["flow_id"],
        {
            "account_sid": DEV_ACCOUNT_SID,
            "api_key_sid": DEV_API_KEY_SID,
            "api_key_secret": DEV_API_KEY_SECRET,
        },
    )
    _expect(result, "abort", "reconfigure_successful")


async def verify_reconfigure(harness: Harness, entry_id: str) -> None:
    """Check the reloaded entry holds the API key now."""
    stored = await harness.diagnostics(entry_id)
    if stored["data"].get("credential_kind") != "api_key":
        raise ProvisionError(f"reconfigure: the entry kept {stored['data']}")


async def check_options(harness: Harness, entry_id: str) -> None:
    """Change the window and the threshold through the options flow."""
    form = await harness.flow(
        None,
        {"handler": entry_id},
        kind="options/flow",
    )
    _expect(form, "form")
    options = (await harness.diagnostics(entry_id))["options"]
    result = await harness.flow(
        form["flow_id"],
        {"channels": options["channels"], **NEW_OPTIONS},
        kind="options/flow",
    )
    _expect(result, "create_entry")


async def verify_options(harness: Harness, entry_id: str) -> None:
    """Check the reloaded entry holds the new options."""
    stored = (await harness.diagnostics(entry_id))["options"]
    if {key: stored[key] for key in NEW_OPTIONS} != NEW_OPTIONS:
        raise ProvisionError(f"options: stored {stored}, not {NEW_OPTIONS}")


async def check_subentry_edit(harness: Harness, entry_id: str) -> None:
    """Rename the phone recipient through its subentry's reconfigure flow."""
    phone = DEMO_RECIPIENTS[0]
    subentries: list[dict[str, Any]] = await harness.ws.call(
        "config_entries/subentries/list", entry_id=entry_id
    )
    subentry_id = next(
        subentry["subentry_id"]
        for subentry in subentries
        if subentry["title"] == phone["name"]
    )
    form = await harness.flow(
        None,
        {
            "handler": [entry_id, RECIPIENT_SUBENTRY],
            "subentry_id": subentry_id,
        },
        kind="subentries/flow",
    )
    _expect(form, "form")
    result = await harness.flow(
        form["flow_id"],
        {**phone, "name": EDITED_RECIPIENT_NAME},
        kind="subentries/flow",
    )
    _expect(result, "abort", "reconfigure_successful")


async def verify_subentry_edit(harness: Harness, entry_id: str) -> None:
    """Check the recipient's device has the new name."""

    async def renamed_device() -> bool | None:
        """Return True once the recipient's device has the new name."""
        devices: list[dict[str, Any]] = await harness.ws.call(
            "config/device_registry/list"
        )
        names = {device["name"] for device in devices}
        return True if EDITED_RECIPIENT_NAME in names else None

    await _poll("subentry edit: the device renamed", renamed_device, harness.demo)


async def run(demo: Demo, emulator_url: URL) -> str:
    """Run every flow against the instance; return the Home Assistant version."""
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
        steps = await wait_for_home_assistant(session, demo)
        token = await onboard(session, demo, steps)
        ws = await WebSocket.connect(session, demo, token)
        try:
            harness = Harness(
                session=session,
                demo=demo,
                token=token,
                ws=ws,
                emulator_url=emulator_url,
            )
            version: str = (await harness.get("api/config"))["version"]
            log(f"Home Assistant {version}")
            unique_id = await add_entry(session, demo, token)
            await add_recipients(session, demo, token, ws)
            await wait_for_recipients(ws)
            notify_entity = DEMO_PHONE_NOTIFY
            await check_loaded(harness, "config flow", unique_id, notify_entity, None)
            entry_id = (await harness.entry())["entry_id"]
            sensor = next(
                entity_id
                for entity_id in await wait_for_entities(ws, demo, unique_id)
                if entity_id.startswith("sensor.")
            )
            # Each step's action, then (once the entry is loaded again) its
            # check of what was stored: diagnostics need a loaded entry.
            steps_to_check: list[tuple[str, Step, Step]] = [
                ("reauth", lambda: check_reauth(harness, sensor), _nothing),
                (
                    "reconfigure",
                    lambda: check_reconfigure(harness, entry_id),
                    lambda: verify_reconfigure(harness, entry_id),
                ),
                (
                    "options",
                    lambda: check_options(harness, entry_id),
                    lambda: verify_options(harness, entry_id),
                ),
                (
                    "instant updates",
                    lambda: enable_instant_updates(session, demo, token, ws),
                    _nothing,
                ),
                (
                    "subentry edit",
                    lambda: check_subentry_edit(harness, entry_id),
                    lambda: verify_subentry_edit(harness, entry_id),
                ),
            ]
            for step, action, verify in steps_to_check:
                before = await _notify_changed(harness, notify_entity)
                await action()
                await check_loaded(harness, step, unique_id, notify_entity, before)
                await verify()
        finally:
            await ws.close()
    return version
