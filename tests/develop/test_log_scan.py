"""The newest leg's log scan: what about Twilio Comms fails it, and what does not."""

import re

import pytest

from tools.develop.log_scan import MENTION, Expected, UnreadableLog, records, scan
from tools.develop.newest import EXPECTED_LOG_RECORDS

# Lines as Home Assistant 2026.11.0 wrote them in the leg's log (with the
# UTC offset), and one as earlier releases write them (without).
CUSTOM_NOTICE = (
    "2026-12-02 00:01:46.673+00:00 WARNING (SyncWorker_0) [homeassistant.loader] "
    "We found a custom integration twilio_comms which has not been tested by Home "
    "Assistant. This component might cause stability problems, be sure to disable "
    "it if you experience issues with Home Assistant"
)
ROTATED_TOKEN = (
    "2026-12-02 00:01:49.742+00:00 ERROR (MainThread) [custom_components.twilio_comms] "
    "Authentication failed while fetching twilio_comms messages data: Twilio refused "
    "the stored credentials. Re-authenticate the integration"
)
# What report_usage logs for the 2026.12 change (homeassistant/helpers/frame.py).
DEPRECATION = (
    "2026-12-02 00:01:50.101+00:00 WARNING (MainThread) [homeassistant.helpers.frame] "
    "Detected that custom integration 'twilio_comms' has an update listener and "
    "should use it for scheduling a reload at "
    "custom_components/twilio_comms/config_flow.py, line 186: "
    "self.hass.config_entries.async_schedule_reload(entry.entry_id). This will stop "
    "working in Home Assistant 2026.12.0, please report it to the author of the "
    "'twilio_comms' custom integration"
)
OLD_FORMAT_WARNING = (
    "2026-10-30 09:00:00.123 WARNING (MainThread) [custom_components.twilio_comms] "
    "Twilio rate-limited the refresh"
)
DEBUG = (
    "2026-12-02 00:01:09.060+00:00 DEBUG (MainThread) "
    "[custom_components.twilio_comms.api] GET /v1/Messages/Operations -> HTTP 200"
)
UNRELATED_ERROR = (
    "2026-12-02 00:01:04.634+00:00 ERROR (MainThread) [homeassistant.setup] "
    "Setup failed for 'ffmpeg': Unable to import component: No module named 'haffmpeg'"
)
# The venvs live under ~/.cache/twilio_comms: library tracebacks name it.
VENV_TRACEBACK = (
    "Traceback (most recent call last):",
    (
        '  File "/root/.cache/twilio_comms/venvs/newest-7fd31ade6dec/lib/python3.14/'
        'site-packages/homeassistant/setup.py", line 337, in _async_setup_component'
    ),
    "ModuleNotFoundError: No module named 'haffmpeg'",
)
INTEGRATION_TRACEBACK = (
    "Traceback (most recent call last):",
    (
        '  File "/tmp/tmp.xPY9IqQPrN/custom_components/twilio_comms/diagnostics.py", '
        "line 39, in async_get_config_entry_diagnostics"
    ),
    "AttributeError: 'ConfigEntry' object has no attribute 'runtime_data'",
)
SERVER_ERROR = (
    "2026-12-02 00:01:09.049+00:00 ERROR (MainThread) [aiohttp.server] "
    "Error handling request from 127.0.0.1"
)


FAILED_FETCH = ROTATED_TOKEN.replace("Authentication failed while", "Error")


@pytest.mark.parametrize(
    ("lines", "problems"),
    [
        pytest.param((DEBUG, DEPRECATION, UNRELATED_ERROR), [DEPRECATION], id="deprecation"),
        pytest.param((OLD_FORMAT_WARNING,), [OLD_FORMAT_WARNING], id="before-2026.11-format"),
        pytest.param((SERVER_ERROR, *INTEGRATION_TRACEBACK), [SERVER_ERROR], id="its-traceback"),
        pytest.param((UNRELATED_ERROR, *VENV_TRACEBACK, DEBUG), [], id="cache-traceback"),
        pytest.param((FAILED_FETCH,), [FAILED_FETCH], id="other-coordinator-error"),
    ],
)  # fmt: skip
def test_what_about_the_integration_fails_the_leg(
    lines: tuple[str, ...], problems: list[str]
) -> None:
    """A warning or error about Twilio Comms (in its first line or its traceback) fails.

    Other integrations' failures name ~/.cache/twilio_comms in paths only; of the
    coordinator's errors only the expected authentication failure passes.
    """
    findings = scan(lines, EXPECTED_LOG_RECORDS)
    assert [record.lines[0] for record in findings.problems] == problems


def test_what_the_leg_causes_on_purpose_is_ignored_with_its_reason() -> None:
    """The custom integration notice and the rotated token's 401 are expected."""
    findings = scan([CUSTOM_NOTICE, ROTATED_TOKEN], EXPECTED_LOG_RECORDS)
    assert findings.problems == ()
    assert [record.lines[0] for record, _ in findings.ignored] == [
        CUSTOM_NOTICE,
        ROTATED_TOKEN,
    ]
    assert all(expected.reason for _, expected in findings.ignored)


def test_an_expected_message_cannot_hide_a_traceback_line() -> None:
    """Expectations are matched on a record's first line, not its traceback."""
    expected = Expected(re.compile("runtime_data"), "never in a first line")
    findings = scan([SERVER_ERROR, *INTEGRATION_TRACEBACK], [expected])
    assert [record.lines[0] for record in findings.problems] == [SERVER_ERROR]


def test_records_keep_their_continuation_lines() -> None:
    """A traceback belongs to the record before it; leading junk is skipped."""
    parsed = list(records(["junk", SERVER_ERROR, *INTEGRATION_TRACEBACK, DEBUG]))
    assert [record.level for record in parsed] == ["ERROR", "DEBUG"]
    assert parsed[0].lines == (SERVER_ERROR, *INTEGRATION_TRACEBACK)
    assert parsed[0].text.endswith("'runtime_data'")


@pytest.mark.parametrize("lines", [[], ["not a log", "at all"]], ids=["empty", "other"])
def test_a_log_in_no_known_format_fails(lines: list[str]) -> None:
    """Finding no record means the format changed: the scan cannot pass."""
    with pytest.raises(UnreadableLog):
        scan(lines)


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("[custom_components.twilio_comms.coordinator] x", True),
        ("custom integration 'twilio_comms' does", True),
        ("Config entry 'Twilio Comms …0001' for", True),
        ("entity sensor.twilio_comms_0001_messages_sent is", True),
        ("/root/.cache/twilio_comms/venvs/newest/lib", False),
        ("/work/twilio_comms/tools/develop", False),
        ("twilio_commsx", False),
    ],
)
def test_what_counts_as_a_mention(text: str, mentions: bool) -> None:
    """The integration's names count; a directory called twilio_comms does not."""
    assert bool(MENTION.search(text)) is mentions
