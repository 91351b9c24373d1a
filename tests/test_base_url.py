"""Tests for the development-only override of the Comms API base URL."""

import pytest

from custom_components.twilio_comms.api import DEFAULT_BASE_URL
from custom_components.twilio_comms.base_url import resolve_base_url
from custom_components.twilio_comms.const import BASE_URL_ENV


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, DEFAULT_BASE_URL, id="unset"),
        pytest.param(
            "http://127.0.0.1:8765/v1/", "http://127.0.0.1:8765/v1", id="loopback-ipv4"
        ),
        pytest.param(
            "http://localhost:8765/v1", "http://localhost:8765/v1", id="localhost"
        ),
        pytest.param(
            "http://[::1]:8765/v1", "http://[::1]:8765/v1", id="loopback-ipv6"
        ),
        pytest.param(
            "https://comms.example.test/v1", "https://comms.example.test/v1", id="https"
        ),
    ],
)
def test_accepted_overrides(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str
) -> None:
    """Https anywhere, or plain http to this machine, is used as given."""
    if value is None:
        monkeypatch.delenv(BASE_URL_ENV, raising=False)
    else:
        monkeypatch.setenv(BASE_URL_ENV, value)
    assert resolve_base_url() == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("http://192.168.1.10:8765/v1", id="plain-http-on-lan"),
        pytest.param("http://evil.example/v1", id="plain-http-remote"),
        pytest.param("ftp://127.0.0.1/v1", id="other-scheme"),
        pytest.param("not a url", id="garbage"),
        pytest.param("http://[::1", id="unparseable"),
    ],
)
def test_refused_overrides(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    """Anything that could leak credentials is refused with a clear log line."""
    monkeypatch.setenv(BASE_URL_ENV, value)
    assert resolve_base_url() == DEFAULT_BASE_URL
    assert f"Ignoring {BASE_URL_ENV}" in caplog.text
