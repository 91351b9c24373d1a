"""Browser end-to-end test of the demo (scripts/e2e runs it).

Starts scripts/develop on free ports with a throwaway configuration directory,
logs in through Home Assistant's real login page in headless Chromium, opens
the Twilio Comms dashboard, sends a text with its button and sees it
delivered within seconds through Instant updates, with Messages not polled
meanwhile, has the emulator receive a reply and sees the Received tile fire
with it, and checks that the integration's entities render live values;
then stops the demo with SIGINT, as Ctrl-C would, and checks that nothing of
it is left running.
"""

from collections.abc import Iterator
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time
from typing import Any, Final
import urllib.request

from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)
import pytest

from comms_emulator.config import DEFAULT_SENDERS
from comms_emulator.control import CONTROL_HEADER
from tools.develop.dashboard import RECEIVED_TILE, SEND_BUTTON, STATUS_TILE
from tools.develop.provision import (
    DEMO_PHONE_STATUS,
    DEMO_RECIPIENTS,
    MESSAGES_RECEIVED,
)

ROOT: Final = Path(__file__).resolve().parent.parent
READY_PREFIX: Final = "DEMO READY "
USERNAME: Final = "dev"
PASSWORD: Final = "dev-password"  # the demo's documented development login

# From a warm venv the demo is ready in seconds; a cold one installs first.
READY_TIMEOUT: Final = float(os.environ.get("E2E_READY_TIMEOUT", "900"))
STOP_TIMEOUT: Final = 60.0
# Operations keep evolving; the first event of a fresh instance comes with
# the first status change it observes (polls every 20 s while something runs).
EVENT_TIMEOUT_MS: Final = 150_000
# The demo's emulator sends a text within seconds and posts its events at
# once (scripts/develop's --send-pace): delivered this soon after the press.
DELIVERED_TIMEOUT: Final = 10.0
# What the emulator counts a channel's polls under, and its reads by id.
OPERATIONS_ROUTE: Final = "GET /v1/{channel}/Operations"
OPERATION_ROUTE: Final = "GET /v1/{channel}/Operations/{operation_id}"
VIEWPORT: Final[ViewportSize] = {"width": 1280, "height": 1040}
SCREENSHOT: Final = Path(
    os.environ.get("E2E_SCREENSHOT", ROOT / "docs" / "images" / "dashboard.png")
)

# Seconds to let the demo run before the screenshot, so the history graphs
# have something to draw (scripts/e2e --update-screenshot sets it).
SETTLE: Final = float(os.environ.get("E2E_SETTLE", "0"))

CHROMIUM: Final = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium hangs on refused connections.
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

STALE: Final = re.compile(r"\b([3-9]|\d{2,}) minutes ago|hours? ago|days? ago")
STATUSES: Final = ("Scheduled", "Processing", "Completed", "Canceled")
NOT_LIVE: Final = re.compile(r"Unavailable|Unknown", re.IGNORECASE)

# Text of an element and of every shadow root below it (Lovelace cards are
# web components, and innerText does not enter shadow roots).
DEEP_TEXT_JS: Final = """
(element) => {
  const parts = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      parts.push(node.textContent);
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) {
      return;
    }
    if (node.tagName === "STYLE" || node.tagName === "SCRIPT") {
      return;
    }
    if (node.shadowRoot) {
      walk(node.shadowRoot);
    }
    for (const child of node.childNodes) {
      walk(child);
    }
  };
  walk(element);
  return parts.join(" ").replace(/\\s+/g, " ").trim();
}
"""


def _free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _processes_mentioning(*needles: str) -> list[str]:
    """Return the command lines of running processes that contain a needle."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            raw = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        cmdline = raw.replace(b"\0", b" ").decode(errors="replace")
        if any(needle in cmdline for needle in needles):
            found.append(f"{proc.name}: {cmdline}")
    return found


@dataclass(frozen=True, slots=True)
class RunningDemo:
    """A demo started by scripts/develop."""

    process: subprocess.Popen[str]
    dashboard_url: str
    output: list[str]
    config_dir: Path
    port: int
    emulator_port: int


def _stop(process: subprocess.Popen[str]) -> int:
    """Stop scripts/develop as Ctrl-C does and return its exit status."""
    os.killpg(process.pid, signal.SIGINT)
    return process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """Run scripts/develop on free ports in a throwaway configuration directory."""
    config_dir = tmp_path_factory.mktemp("config")
    emulator_port = _free_port()
    port = _free_port()
    command = [
        str(ROOT / "scripts" / "develop"),
        "--config-dir",
        str(config_dir),
        "--port",
        str(port),
        "--emulator-port",
        str(emulator_port),
        "--leg",
        os.environ.get("E2E_LEG", "e2e"),
        # No injected API faults: every value must be live when looked at
        # (the legs' soak tests cover faults).
        "--fault-rate",
        "0",
    ]
    # Its own session and process group: SIGINT reaches the script and its
    # children the way a terminal's Ctrl-C does; and the script does not
    # inherit an ignored SIGINT from a non-interactive parent.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + READY_TIMEOUT
    dashboard_url = None
    for line in process.stdout:
        output.append(line)
        print(line, end="", flush=True)  # noqa: T201 - the demo's progress
        if line.startswith(READY_PREFIX):
            dashboard_url = line.removeprefix(READY_PREFIX).strip()
            break
        if time.monotonic() > deadline:
            break
    if dashboard_url is None:
        process.kill()
        pytest.fail(f"scripts/develop never got ready:\n{''.join(output[-40:])}")
    running = RunningDemo(
        process, dashboard_url, output, config_dir, port, emulator_port
    )
    try:
        yield running
    finally:
        if process.poll() is None:
            status = _stop(process)
            # Whatever it printed while stopping, for the test's output.
            output.extend(process.stdout.readlines())
            assert status in {0, 130}, "".join(output[-20:])
        # Nothing of the demo survives it: no process of its group, and
        # neither Home Assistant nor the emulator (sessions of their own).
        with pytest.raises(ProcessLookupError):
            os.killpg(process.pid, 0)
        leftovers = _processes_mentioning(str(config_dir), f"--port {emulator_port} ")
        assert not leftovers, leftovers


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Launch Debian's Chromium headless through Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _deep_text(locator: Locator) -> str:
    """Return the text a card shows, shadow roots included."""
    text: str = locator.evaluate(DEEP_TEXT_JS)
    return text


def _section(page: Page, heading: str) -> Locator:
    """Return the dashboard section under a heading."""
    return page.locator("hui-grid-section").filter(
        has=page.locator("hui-heading-card").get_by_text(heading, exact=True)
    )


def _wait_for(
    locator: Locator, predicate: Any, what: str, timeout: float = 60.0
) -> str:
    """Wait until a card's deep text satisfies a predicate; return the text."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = _deep_text(locator)
        if predicate(text):
            return text
        time.sleep(0.5)
    pytest.fail(f"{what}: the card shows {text!r}")


def _logged_in_page(demo: RunningDemo, browser: Browser) -> Page:
    """Open the dashboard, logging in through Home Assistant's login page."""
    page = browser.new_page(viewport=VIEWPORT)
    # The dashboard asks for a login first: Home Assistant's own login page.
    page.goto(demo.dashboard_url)
    page.wait_for_url(re.compile(r"/auth/authorize"))
    page.locator("input[name=username]").fill(USERNAME)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/twilio-comms/overview$"), timeout=30_000)
    return page


def _state(page: Page, entity_id: str) -> dict[str, Any] | None:
    """Return an entity's state as the frontend holds it."""
    state: dict[str, Any] | None = page.evaluate(
        "(id) => document.querySelector('home-assistant').hass.states[id] || null",
        entity_id,
    )
    return state


def _emulator_requests(demo: RunningDemo) -> dict[str, Any]:
    """Return the requests the emulator counted (its control plane, not counted)."""
    url = f"http://127.0.0.1:{demo.emulator_port}/_emulator/requests"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        report: dict[str, Any] = json.load(response)
    return report


def _requests(report: dict[str, Any], channel: str, route: str) -> int:
    """Return how many requests of a channel the emulator counted under a route."""
    routes: dict[str, int] = report["channel_routes"].get(channel, {})
    return routes.get(route, 0)


def _record_states(page: Page) -> None:
    """Record every state the websocket brings from now on, as it brings it."""
    page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected",
        timeout=30_000,
    )
    page.evaluate(
        """() => {
            window.twilioCommsSeen = [];
            return document.querySelector("home-assistant").hass.connection
                .subscribeEvents((event) => {
                    const state = event.data.new_state;
                    if (state) window.twilioCommsSeen.push({...state, at: Date.now()});
                }, "state_changed");
        }"""
    )


def _seen(page: Page, entity_id: str) -> list[dict[str, Any]]:
    """Return the states of an entity the page received since it started recording."""
    seen: list[dict[str, Any]] = page.evaluate(
        "(id) => window.twilioCommsSeen.filter((state) => state.entity_id === id)",
        entity_id,
    )
    return seen


def test_message_sent_from_the_dashboard_is_delivered_within_seconds(
    demo: RunningDemo, browser: Browser
) -> None:
    """The send button texts the recipient; within seconds it shows sent, then delivered.

    The demo runs with Instant updates: the emulator posts the operation's
    and the message's events to Home Assistant as they happen, so the
    recipient's last message status and the operation's events come through
    the stream, while Messages polls only to reconcile (every 15 minutes;
    this test runs in the demo's first minutes): no listing in the window.
    """
    page = _logged_in_page(demo, browser)
    # The tile may draw sent and delivered in one frame when they come in
    # one delivery.
    _record_states(page)
    status_tile = (
        _section(page, "Messages").locator("hui-tile-card").filter(has_text=STATUS_TILE)
    )
    expect(status_tile).to_have_count(1, timeout=30_000)
    button = page.locator("hui-button-card").filter(has_text=SEND_BUTTON)
    expect(button).to_have_count(1, timeout=30_000)
    before = _emulator_requests(demo)
    pressed_at = page.evaluate("Date.now()")
    started = time.monotonic()
    button.click()
    _wait_for(
        status_tile,
        lambda text: "Delivered" in text,
        "the recipient's last message status",
        timeout=DELIVERED_TIMEOUT,
    )
    delivered_in = time.monotonic() - started
    states = _seen(page, DEMO_PHONE_STATUS)
    # Each status once, whatever attribute-only writes came between.
    statuses = [state["state"] for state in states]
    assert list(dict.fromkeys(statuses)) == ["queued", "sent", "delivered"], statuses
    delivered = next(state for state in states if state["state"] == "delivered")
    operation_id = delivered["attributes"]["operation_id"]

    # The operation's events, in order, each once: read when its event came.
    def operation_events() -> list[str]:
        return [
            state["attributes"]["event_type"]
            for state in _seen(page, "event.messages_operations")
            if state["attributes"].get("operation_id") == operation_id
        ]

    deadline = time.monotonic() + DELIVERED_TIMEOUT
    while operation_events()[-1:] != ["operation_completed"]:
        if time.monotonic() > deadline:
            pytest.fail(f"the operation's events: {operation_events()}")
        time.sleep(0.1)
    assert operation_events() == [
        "operation_scheduled",
        "operation_processing",
        "operation_completed",
    ]
    window = (delivered["at"] - pressed_at) / 1000
    after = _emulator_requests(demo)

    # Polling is quiet: Messages only read the operations events named
    # (Push Notifications and Emails, which have no events, poll as usual).
    listings, reads = (
        _requests(after, "Messages", route) - _requests(before, "Messages", route)
        for route in (OPERATIONS_ROUTE, OPERATION_ROUTE)
    )
    print(  # noqa: T201 - the figures docs/development.md quotes
        f"delivered {delivered_in:.1f} s after the press in the browser "
        f"({window:.1f} s by the websocket); meanwhile Messages listed its "
        f"operations {listings} times and read {reads} by id"
    )
    assert delivered_in <= DELIVERED_TIMEOUT
    assert listings == 0
    assert reads >= 1

    # Diagnostics, as the user downloads them: the stream runs and delivers.
    diagnostics = page.evaluate(
        """async () => {
            const hass = document.querySelector("home-assistant").hass;
            const [entry] = await hass.callWS(
                {type: "config_entries/get", domain: "twilio_comms"});
            return (await hass.callApi(
                "GET", `diagnostics/config_entry/${entry.entry_id}`)).data;
        }"""
    )
    stream = diagnostics["instant_updates"]
    assert stream["running"] is True, stream
    assert stream["received"] > 0, stream
    assert stream["refused"] == 0, stream
    page.close()


def test_a_message_received_shows_within_seconds(
    demo: RunningDemo, browser: Browser
) -> None:
    """The demo phone replies to the account's sender: Received fires with it."""
    page = _logged_in_page(demo, browser)
    _record_states(page)
    tile = (
        _section(page, "Messages")
        .locator("hui-tile-card")
        .filter(has_text=RECEIVED_TILE)
    )
    expect(tile).to_have_count(1, timeout=30_000)
    phone = DEMO_RECIPIENTS[0]["address"]
    sender = DEFAULT_SENDERS["Messages"]["address"]
    text = "On my way"
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://127.0.0.1:{demo.emulator_port}/_emulator/inbound",
        data=json.dumps({"from": phone, "to": sender, "text": text}).encode(),
        headers={CONTROL_HEADER: "1", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        message_id = json.load(response)["id"]

    def received() -> list[dict[str, Any]]:
        return [
            state["attributes"]
            for state in _seen(page, MESSAGES_RECEIVED)
            if state["attributes"].get("message_id") == message_id
        ]

    while not received():
        if time.monotonic() - started > DELIVERED_TIMEOUT:
            pytest.fail(f"no message received event for {message_id}")
        time.sleep(0.1)
    print(  # noqa: T201 - the figure docs/development.md quotes
        f"message received shown {time.monotonic() - started:.1f} s after the emulator got it"
    )
    (attributes,) = received()
    assert attributes["event_type"] == "message_received"
    assert (attributes["from"], attributes["to"], attributes["message"]) == (
        phone,
        sender,
        text,
    )
    assert not NOT_LIVE.search(_wait_for(tile, bool, "the received tile")), tile
    page.close()


def test_dashboard_shows_live_values(demo: RunningDemo, browser: Browser) -> None:
    """Log in through the login page and see the Twilio Comms dashboard live."""
    page = _logged_in_page(demo, browser)

    for channel in ("Messages", "Push notifications", "Emails"):
        section = _section(page, channel)
        expect(section).to_have_count(1, timeout=30_000)
        # The newest operation's status is a real one.
        status = _wait_for(
            section.locator("hui-tile-card").filter(has_text="Latest status"),
            lambda text: any(status in text for status in STATUSES),
            f"{channel}: latest status",
        )
        assert not NOT_LIVE.search(status), status
        # The delivery problem sensor says OK or Problem.
        problem = _wait_for(
            section.locator("hui-tile-card").filter(has_text="Delivery problem"),
            lambda text: "OK" in text or "Problem" in text,
            f"{channel}: delivery problem",
        )
        assert not NOT_LIVE.search(problem), problem
        # The window totals are numbers: sent, failed, queued (and delivered).
        totals = _wait_for(
            section.locator("hui-glance-card"),
            lambda text: len(re.findall(r"\b\d[\d,]*\b", text)) >= 3,
            f"{channel}: window totals",
        )
        assert "Sent" in totals, totals
        assert not NOT_LIVE.search(totals), totals

    # The history graphs of sent and failed have data to draw.
    history = page.locator("hui-history-graph-card")
    expect(history).to_have_count(2)
    for index in range(2):
        graph = _deep_text(history.nth(index))
        assert "No state history found" not in graph, graph

    # The operations keep evolving: an event reaches the logbook card.
    logbook = page.locator("hui-logbook-card")
    expect(logbook).to_have_count(1)
    _wait_for(
        logbook,
        lambda text: "Operation" in text and "No activity found" not in text,
        "the logbook of operation events",
        timeout=EVENT_TIMEOUT_MS / 1000,
    )

    # The screenshot README shows: the sidebar folded, so that the three
    # channels fit side by side at 1280 pixels; the charts settled.
    page.locator("ha-sidebar").get_by_role("button", name="Sidebar toggle").click()
    if SETTLE:
        print(f"letting the demo run {SETTLE:g} s before the screenshot")  # noqa: T201
        page.wait_for_timeout(SETTLE * 1000)
    page.wait_for_timeout(2_000)
    # Still live when the picture is taken: the demo runs, the frontend is
    # connected, and the newest operation is recent.
    assert demo.process.poll() is None, "".join(demo.output[-20:])
    expect(page.get_by_text("Connection lost")).to_have_count(0)
    newest = _deep_text(_section(page, "Messages").locator("hui-entities-card"))
    # A new operation arrives every 30 s; minutes of silence mean a dead demo.
    assert not STALE.search(newest), newest
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT)
    print(f"screenshot: {SCREENSHOT}")  # noqa: T201
    page.close()


def _answers(port: int) -> bool:
    """Return whether something accepts connections on a loopback port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


# How /proc/net/tcp writes 127.0.0.1 (little-endian hex).
LOOPBACK_HEX: Final = "0100007F"


def _listening_hosts(port: int) -> set[str]:
    """Return the local addresses (as /proc/net writes them) listening on a TCP port."""
    hosts = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            # State 0A is LISTEN.
            if fields[3] == "0A" and int(hex_port, 16) == port:
                hosts.add(address)
    return hosts


def test_restart_keeps_the_demo_on_loopback(
    demo: RunningDemo, browser: Browser
) -> None:
    """A restart from Settings starts Home Assistant on loopback again, whatever was stored.

    Runs last: it restarts the demo's Home Assistant.
    """
    assert _listening_hosts(demo.port) == {LOOPBACK_HEX}
    page = _logged_in_page(demo, browser)
    # As if Settings → Network had been told to listen everywhere.
    store = demo.config_dir / ".storage" / "http"
    document = json.loads(store.read_text())
    document["data"]["stable"]["server_host"] = ["0.0.0.0"]
    store.write_text(json.dumps(document))
    # Logged in is not connected: the frontend sets hass once its socket is up.
    page.wait_for_function(
        "() => document.querySelector('home-assistant')?.hass?.connected",
        timeout=30_000,
    )
    page.evaluate(
        "() => document.querySelector('home-assistant').hass"
        ".callService('homeassistant', 'restart')"
    )
    page.close()
    deadline = time.monotonic() + READY_TIMEOUT
    while _answers(demo.port) and time.monotonic() < deadline:
        time.sleep(0.2)
    while not _answers(demo.port) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert demo.process.poll() is None
    assert _listening_hosts(demo.port) == {LOOPBACK_HEX}
    stored = json.loads(store.read_text())["data"]["stable"]["server_host"]
    assert stored == ["127.0.0.1"]
