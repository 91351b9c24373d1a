"""The command line: python -m comms_emulator."""

from datetime import timedelta
import shlex
from typing import Any
from unittest.mock import patch

from aiohttp import web
import pytest

from comms_emulator import (
    EMULATOR_KEY,
    ChannelShape,
    Emulator,
    EmulatorConfig,
    StreamsConfig,
)
from comms_emulator.__main__ import (
    RATE_HELP,
    SHAPE_SWITCHES,
    SHAPE_VALUES,
    STREAMS_HELP,
    main,
)
from comms_emulator.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN


def _run(argv: list[str]) -> tuple[Emulator, dict[str, Any]]:
    """Run the command line without serving; return the emulator and run_app's arguments."""
    with patch("comms_emulator.__main__.web.run_app") as run_app:
        main(argv)
    app, kwargs = run_app.call_args.args[0], run_app.call_args.kwargs
    assert isinstance(app, web.Application)
    return app[EMULATOR_KEY], dict(kwargs)


def test_every_rate_and_shape_setting_has_a_flag() -> None:
    """Each rate of the configuration, and each setting of a shape, has a flag."""
    assert set(RATE_HELP) == set(EmulatorConfig.RATES)
    assert {*SHAPE_VALUES, *SHAPE_SWITCHES} == set(ChannelShape.settings())


def test_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """By default: loopback on 8765, live, every channel, credentials printed."""
    emulator, kwargs = _run([])
    assert kwargs == {"host": "127.0.0.1", "port": 8765, "print": None}
    assert emulator.config.new_operation_interval == 60
    assert emulator.entitled == {"Messages", "PushNotifications", "Emails"}
    assert set(emulator.shapes.values()) == {ChannelShape()}
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8765/v1" in out
    assert DEV_ACCOUNT_SID in out
    assert DEV_AUTH_TOKEN in out
    assert "http://127.0.0.1:8765/2010-04-01/Accounts" in out
    assert "(standard key)" in out


def test_flags_reach_the_configuration() -> None:
    """Each flag sets its part of the configuration."""
    emulator, kwargs = _run(
        shlex.split(
            "--port=9000 --seed=4 --operations-per-channel=7 --span-hours=48"
            " --active-fraction=0.5 --failure-rate=0.1 --no-live --account-sid=AC1"
            " --auth-token=t --api-key-sid=SK1 --api-key-secret=s --api-key-type=main"
            " --channels=Messages,Emails --not-entitled-status=404"
            " --operation-id-mode=headers --fault-rate-limit=0.2 --fault-slow=0.1"
            " --slow-seconds=3 --send-pace=0.1"
        )
    )
    config = emulator.config
    assert kwargs["port"] == 9000
    assert (config.seed, config.operations_per_channel) == (4, 7)
    assert config.span == timedelta(hours=48)
    assert (config.active_fraction, config.failure_rate) == (0.5, 0.1)
    assert config.new_operation_interval == 0
    assert set(emulator.credentials) == {"AC1", "SK1"}
    assert emulator.credentials["SK1"].key_type == "main"
    assert emulator.entitled == {"Messages", "Emails"}
    assert config.not_entitled_status == 404
    assert config.operation_id_mode == "headers"
    assert config.faults.rate_limit == 0.2
    assert config.faults.slow == 0.1
    assert config.faults.slow_seconds == 3
    assert config.send_pace == 0.1
    assert len(emulator.world.operations("Messages", emulator.clock())) == 7


def test_shape_flags_for_every_channel_or_one() -> None:
    """A value alone sets every channel, CHANNEL=VALUE one; later flags win."""
    emulator, _ = _run(
        shlex.split(
            "--stats-profile=guide --stats-profile=Messages=sparse"
            " --counter-reading=split --counter-reading=Emails=cumulative"
            " --unknown-status-share=Emails=0.25 --backward-status-share=0.5"
            " --partial-schedule-share=PushNotifications=1 --timestamp-quirks=Emails"
            " --guide-listing"
        )
    )
    assert emulator.shapes == {
        "Messages": ChannelShape(
            stats_profile="sparse",
            counter_reading="split",
            backward_status_share=0.5,
        ),
        "PushNotifications": ChannelShape(
            stats_profile="guide",
            counter_reading="split",
            backward_status_share=0.5,
            partial_schedule_share=1.0,
            guide_listing=True,
        ),
        "Emails": ChannelShape(
            stats_profile="guide",
            unknown_status_share=0.25,
            backward_status_share=0.5,
            timestamp_quirks=True,
        ),
    }
    emulator, _ = _run(["--timestamp-quirks"])
    assert all(shape.timestamp_quirks for shape in emulator.shapes.values())


@pytest.mark.parametrize(
    "argv",
    [
        ["--host=0.0.0.0"],
        ["--stats-profile=full"],
        ["--stats-profile=Faxes=guide"],
        ["--counter-reading=overlapping"],
        ["--unknown-status-share=1.5"],
        ["--backward-status-share=Messages=often"],
        ["--timestamp-quirks=Faxes"],
        ["--guide-listing=Messages"],
        ["--host=example.com"],
        ["--span-hours=200"],
        ["--fault-server-error=2"],
        ["--channels=Faxes"],
        ["--operation-id-mode=cookie"],
        ["--operations-per-channel=-1"],
        ["--slow-seconds=-1"],
        ["--send-pace=0"],
        ["--send-pace=2"],
    ],
)
def test_refuses(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Non-loopback hosts (without --allow-remote) and impossible settings exit with usage."""
    with (
        patch("comms_emulator.__main__.web.run_app") as run_app,
        pytest.raises(SystemExit) as exited,
    ):
        main(argv)
    assert exited.value.code == 2
    assert not run_app.called
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0.0.0.0", "::1", "localhost"])
def test_remote_host_when_allowed(host: str) -> None:
    """--allow-remote lifts the loopback restriction; loopback names need nothing."""
    _, kwargs = _run([f"--host={host}", "--allow-remote"])
    assert kwargs["host"] == host


def test_every_event_streams_setting_has_a_flag() -> None:
    """Each Event Streams setting has a --events-… flag, and the defaults are the setting's."""
    assert set(STREAMS_HELP) == set(StreamsConfig.settings())
    emulator, _ = _run([])
    assert emulator.config.streams == StreamsConfig()


def test_event_streams_flags_reach_the_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The --events-… flags set the readings, limits, timing and faults."""
    emulator, _ = _run(
        shlex.split(
            "--no-events-entitled --events-sink-status initialized"
            " --events-validate-reading old --events-test-status 200"
            " --events-max-sinks 3 --no-events-inbound-type"
            " --events-discontinued-types a.b,c.d --events-signed-url port"
            " --events-content-type cloudevents --events-data-as-string"
            " --events-duplicate 0.2 --events-tick-seconds 0.5"
        )
    )
    streams = emulator.config.streams
    assert not streams.entitled
    assert (streams.sink_status, streams.validate_reading) == ("initialized", "old")
    assert (streams.test_status, streams.max_sinks) == (200, 3)
    assert not streams.inbound_type
    assert streams.discontinued_types == ("a.b", "c.d")
    assert (streams.signed_url, streams.content_type) == ("port", "cloudevents")
    assert streams.data_as_string
    assert (streams.duplicate, streams.tick_seconds) == (0.2, 0.5)
    assert "http://127.0.0.1:8765/events/v1" in capsys.readouterr().out


def test_a_bad_event_streams_value_is_a_usage_error() -> None:
    """A rate above 1 is refused with a usage error."""
    with pytest.raises(SystemExit):
        _run(["--events-drop", "1.5"])
