"""Tests for the development-only override of the Comms API base URL."""

import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.twilio_comms.api import (
    DEFAULT_BASE_URL,
    DEFAULT_EVENTS_BASE_URL,
    DEFAULT_REST_BASE_URL,
)
from custom_components.twilio_comms.const import BASE_URL_ENV
from custom_components.twilio_comms.helpers import (
    BaseUrls,
    build_client,
    override_origin,
    resolve_base_urls,
    warn_if_overridden,
)

from .common import AUTH_TOKEN_DATA

# What the override names when none is set: Twilio's own APIs.
DEFAULTS = BaseUrls(
    comms=DEFAULT_BASE_URL, rest=DEFAULT_REST_BASE_URL, events=DEFAULT_EVENTS_BASE_URL
)


@pytest.mark.parametrize(
    ("value", "comms", "rest", "events"),
    [
        (None, DEFAULT_BASE_URL, DEFAULT_REST_BASE_URL, DEFAULT_EVENTS_BASE_URL),
        ("", DEFAULT_BASE_URL, DEFAULT_REST_BASE_URL, DEFAULT_EVENTS_BASE_URL),
        ("http://127.0.0.1:8765/v1/", "http://127.0.0.1:8765/v1", "http://127.0.0.1:8765/2010-04-01", "http://127.0.0.1:8765/events/v1"),
        ("http://localhost:8765/v1", "http://localhost:8765/v1", "http://localhost:8765/2010-04-01", "http://localhost:8765/events/v1"),
        ("http://[::1]:8765/v1", "http://[::1]:8765/v1", "http://[::1]:8765/2010-04-01", "http://[::1]:8765/events/v1"),
        ("https://127.0.0.1:8443/v1", "https://127.0.0.1:8443/v1", "https://127.0.0.1:8443/2010-04-01", "https://127.0.0.1:8443/events/v1"),
        # Twilio's own hosts: the Comms API moves, the REST and Events APIs stay.
        ("https://comms.twilio.com/preview", "https://comms.twilio.com/preview", DEFAULT_REST_BASE_URL, DEFAULT_EVENTS_BASE_URL),
        ("https://COMMS.Twilio.com/v1", "https://comms.twilio.com/v1", DEFAULT_REST_BASE_URL, DEFAULT_EVENTS_BASE_URL),
        ("https://twilio.com/v1", "https://twilio.com/v1", DEFAULT_REST_BASE_URL, DEFAULT_EVENTS_BASE_URL),
    ],
    ids=["unset", "empty", "loopback-ipv4", "localhost", "loopback-ipv6", "https-loopback", "twilio-preview", "twilio-any-case", "twilio-apex"],
)  # fmt: skip
def test_accepted_overrides(
    monkeypatch: pytest.MonkeyPatch,
    value: str | None,
    comms: str,
    rest: str,
    events: str,
) -> None:
    """Loopback (http or https) and https to Twilio are used as given.

    On loopback the emulator serves all three APIs, on Twilio only Comms moves.
    """
    if value is None:
        monkeypatch.delenv(BASE_URL_ENV, raising=False)
    else:
        monkeypatch.setenv(BASE_URL_ENV, value)
    assert resolve_base_urls() == BaseUrls(comms=comms, rest=rest, events=events)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("http://192.168.1.10:8765/v1", id="plain-http-on-lan"),
        pytest.param("http://evil.example/v1", id="plain-http-remote"),
        pytest.param("http://comms.twilio.com/v1", id="plain-http-to-twilio"),
        pytest.param("https://comms.example.test/v1", id="https-elsewhere"),
        pytest.param("https://eviltwilio.com/v1", id="suffix-without-dot"),
        pytest.param("https://twilio.com.evil.example/v1", id="twilio-as-prefix"),
        pytest.param("https://192.168.1.10/v1", id="https-on-lan"),
        pytest.param(
            "https://user:hunter2@comms.twilio.com/v1", id="user-info-to-twilio"
        ),
        pytest.param("http://user:hunter2@127.0.0.1:8765/v1", id="user-info-loopback"),
        pytest.param("https://comms.twilio.com/v1?x=1", id="query"),
        pytest.param("https://comms.twilio.com/v1#x", id="fragment"),
        pytest.param("ftp://127.0.0.1/v1", id="other-scheme"),
        pytest.param("not a url", id="garbage"),
        pytest.param("http://[::1", id="unparseable"),
    ],
)
def test_refused_overrides(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    """Anything that could send credentials elsewhere is refused with a clear log line."""
    monkeypatch.setenv(BASE_URL_ENV, value)
    assert resolve_base_urls() == DEFAULTS
    assert f"Ignoring {BASE_URL_ENV}" in caplog.text
    # The value itself is not logged: it may hold a password.
    assert "hunter2" not in caplog.text


@pytest.mark.usefixtures("emulator")
async def test_warning_once_per_setup(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An active override is a warning at every setup, once, naming only the host."""

    def warnings() -> list[logging.LogRecord]:
        return [
            record
            for record in caplog.records
            if record.levelno == logging.WARNING and BASE_URL_ENV in record.getMessage()
        ]

    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert len(warnings()) == 1
    assert "http://127.0.0.1" in warnings()[0].getMessage()
    assert "/v1" not in warnings()[0].getMessage()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert len(warnings()) == 2


async def test_no_override_no_warning(
    hass: HomeAssistant,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without an override the client talks to Twilio and nothing is logged."""
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    client = build_client(hass, AUTH_TOKEN_DATA)
    assert str(client.base_url) == DEFAULT_BASE_URL
    assert override_origin(client) is None
    warn_if_overridden(client)
    assert BASE_URL_ENV not in caplog.text
