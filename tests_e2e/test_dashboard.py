"""Browser end-to-end test: the demo's dashboard in headless Chromium.

Runs scripts/develop in a throwaway config dir on free ports, logs in through
Home Assistant's real login page, checks that the Twilio Comms entities render
live values, sends a message from the UI (a recipient's notify entity), and
saves the screenshot README shows. Run it with scripts/e2e.
"""

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import time
from typing import Any
import urllib.request

from playwright.sync_api import Browser, Page, expect, sync_playwright
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "images" / "dashboard.png"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Chromium on a machine without internet: no background connections, which
# would otherwise be refused many at a time and slow everything down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STATUSES = ("Scheduled", "Processing", "Completed", "Canceled")


@dataclass(frozen=True, slots=True)
class Demo:
    """The running demo: Home Assistant's URL and the emulator's."""

    url: str
    emulator_url: str
    dashboard_url: str


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, token: str | None = None) -> Any:
    """GET a JSON document."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def sends(demo: Demo) -> int:
    """Return how many messages were sent to the emulator."""
    report = get_json(f"{demo.emulator_url}/_emulator/requests")
    return int(report["routes"].get("POST /v1/{channel}", 0))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Run scripts/develop until it is provisioned; stop it afterwards."""
    config_dir = tmp_path_factory.mktemp("config")
    port, emulator_port = free_port(), free_port()
    result = subprocess.run(
        [
            str(ROOT / "scripts" / "develop"),
            "--config-dir",
            str(config_dir),
            "--port",
            str(port),
            "--emulator-port",
            str(emulator_port),
            "--detach-when-ready",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    pids = [
        int(pid)
        for pid in (config_dir / "develop.pids").read_text().split()
        if pid.strip()
    ]
    try:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        ready = re.search(r"^READY (\S+)$", result.stdout, re.MULTILINE)
        assert ready, result.stdout[-2000:]
        yield Demo(
            url=f"http://127.0.0.1:{port}",
            emulator_url=f"http://127.0.0.1:{emulator_port}",
            dashboard_url=ready.group(1),
        )
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Return headless Debian Chromium, driven by Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def page(demo: Demo, browser: Browser) -> Page:
    """Return a page logged in through Home Assistant's login form."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(demo.dashboard_url)
    page.get_by_role("textbox", name="Username").fill("dev")
    page.get_by_role("textbox", name="Password").fill("dev-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/twilio-comms/operations"))
    return page


def test_dashboard_shows_live_values(page: Page) -> None:
    """Totals are numbers, the latest status is a real status, nothing unavailable."""
    expect(page.get_by_text("Messages, last 24 hours")).to_be_visible(timeout=60_000)
    tiles = page.locator("hui-tile-card")
    expect(tiles.first).to_be_visible()
    sent = page.locator("hui-tile-card", has_text="Sent").first
    expect(sent).to_contain_text(re.compile(r"\d"))
    status = page.locator("hui-entities-card").first
    expect(status).to_contain_text(re.compile("|".join(STATUSES)))
    expect(page.get_by_text("Delivery problem")).to_be_visible()
    expect(page.locator("hui-history-graph-card")).to_be_visible()
    expect(page.locator("hui-logbook-card")).to_be_visible()
    # The logbook may list the entities' own startup; the cards may not.
    for card in ("hui-tile-card", "hui-entities-card", "hui-button-card"):
        for element in page.locator(card).all():
            expect(element).not_to_contain_text(re.compile("Unavailable|not available"))
    expect(page.get_by_text("Send a test message")).to_be_visible()
    expect(page.get_by_text("Confirm new HTTP server configuration")).to_have_count(0)
    save_screenshot(page)


def save_screenshot(page: Page) -> None:
    """Save the dashboard as README shows it, once charts and logbook loaded."""
    page.wait_for_timeout(3000)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_message_sent_from_the_ui_becomes_an_operation(demo: Demo, page: Page) -> None:
    """The dashboard's send button texts the recipient; the send is followed."""
    before = sends(demo)
    sent_at = page.evaluate("new Date().toISOString()")
    page.get_by_text("Send a test message").click()
    deadline = time.monotonic() + 30
    while sends(demo) == before:
        assert time.monotonic() < deadline, "the UI send never reached Twilio"
        time.sleep(0.5)
    # Its operation fires events on the Messages event entity within seconds:
    # the integration follows it every 5 s.
    page.wait_for_function(
        """([sentAt]) => {
            const state = document.querySelector("home-assistant")
                .hass.states["event.messages_operations"];
            const attributes = state && state.attributes;
            return attributes && attributes.stats && attributes.stats.total === 1
                && attributes.created_at >= sentAt.slice(0, 19);
        }""",
        arg=[sent_at],
        timeout=60_000,
    )
    recipient = page.evaluate(
        """() => document.querySelector("home-assistant")
            .hass.states["notify.demo_phone"].state"""
    )
    assert recipient not in {"unknown", "unavailable"}
    # The screenshot README shows: live values, and the send's events.
    save_screenshot(page)
