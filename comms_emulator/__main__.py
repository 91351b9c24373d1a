"""Run the Comms API emulator: python -m comms_emulator --help."""

import argparse
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import timedelta
from ipaddress import ip_address
from typing import Any, Final

from aiohttp import web

from .app import create_app
from .config import (
    CHANNELS,
    COUNTER_READINGS,
    GUIDE_LISTING_CHANNELS,
    KEY_TYPES,
    NOT_ENTITLED_STATUSES,
    OPERATION_ID_MODES,
    RETENTION,
    STATS_PROFILES,
    STREAMS_CHOICES,
    ChannelShape,
    EmulatorConfig,
    FaultConfig,
    StreamsConfig,
)

# A shape setting from the command line: the channel it is for (None: all).
type ShapeSetting = tuple[str | None, Any]

# Seconds between new operations on the command line: a demo dashboard moves.
DEFAULT_LIVE_INTERVAL: Final = 60.0

# What each rate of the configuration means, for --help.
RATE_HELP: Final = {
    "active_fraction": "share of seeded operations in flight at start",
    "failure_rate": "mean share of recipients failed inside Twilio",
    "undelivered_rate": "mean share of recipients sent but not delivered",
    "read_rate": "share of delivered messages read (emails: opened)",
    "cancel_rate": "share of operations canceled part way",
    "scheduled_fraction": "share of operations scheduled hours ahead",
}

# Host names that are loopback without being an IP address.
LOOPBACK_NAMES: Final = frozenset({"localhost"})


def _rate(value: str) -> float:
    """Return a probability from the command line."""
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1")
    return rate


def _channels(value: str) -> frozenset[str]:
    """Return a comma-separated list of channels, checked."""
    channels = frozenset(name.strip() for name in value.split(",") if name.strip())
    if unknown := channels - set(CHANNELS):
        raise argparse.ArgumentTypeError(
            f"unknown channels: {', '.join(sorted(unknown))}"
        )
    return channels


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    """Return a parser of one of some words."""

    def parse(value: str) -> str:
        """Return the word, checked."""
        if value not in choices:
            raise argparse.ArgumentTypeError(
                f"{value!r} is not one of {', '.join(choices)}"
            )
        return value

    return parse


def _channel(value: str) -> str:
    """Return a channel name, checked."""
    if value not in CHANNELS:
        raise argparse.ArgumentTypeError(
            f"unknown channel {value!r}; one of {', '.join(CHANNELS)}"
        )
    return value


def _per_channel(parse: Callable[[str], Any]) -> Callable[[str], ShapeSetting]:
    """Return a parser of VALUE (every channel) or CHANNEL=VALUE (one)."""

    def parse_setting(value: str) -> ShapeSetting:
        """Return the channel (None: all) and the value, both checked."""
        channel, separator, raw = value.rpartition("=")
        return (_channel(channel) if separator else None), parse(raw)

    return parse_setting


def _switched_on(value: str) -> ShapeSetting:
    """Return a switch turned on for one channel."""
    return _channel(value), True


# The valued shape settings: how each value parses, and what it means.
SHAPE_VALUES: Final[dict[str, tuple[Callable[[str], Any], str]]] = {
    "stats_profile": (
        _choice(STATS_PROFILES),
        (
            "stats keys served: reference, guide (the guides' samples) "
            "or sparse (total, sent, failed)"
        ),
    ),
    "counter_reading": (
        _choice(COUNTER_READINGS),
        (
            "cumulative (sent includes delivered and undelivered) "
            "or split (each resource in the one bucket of its state)"
        ),
    ),
    "unknown_status_share": (
        _rate,
        "share of operations ending in a status no client knows, 0 to 1",
    ),
    "backward_status_share": (
        _rate,
        "share of completed operations showing PROCESSING again once, 0 to 1",
    ),
    "partial_schedule_share": (
        _rate,
        (
            "share of operations scheduled ahead that are partly sent while "
            "SCHEDULED, as seed 000, 0 to 1"
        ),
    ),
}

# The shape switches, off by default, and what each does when on.
SHAPE_SWITCHES: Final = {
    "timestamp_quirks": "a fetched operation spells its timestamps unlike a listing",
    "guide_listing": "Push resources listed under notifications, with a URL as "
    "pagination.self (PushNotifications only)",
}


# What each Event Streams setting means, for --help (docs/event-streams.md §12).
STREAMS_HELP: Final = {
    "entitled": "the account may use Event Streams (--no-events-entitled: 403 on every Events call)",
    "sink_status": "where a webhook sink starts: active, or initialized until Test and Validate",
    "validate_reading": "Validate always answers valid (current), or 400 on a wrong TestId (old)",
    "test_status": "the status a sink Test answers with",
    "require_active_sink": "refuse a subscription on a sink that is not active",
    "one_subscription_per_sink": "refuse a second subscription on a sink (is in use)",
    "max_sinks": "sinks per account; creates past it answer 400",
    "max_subscriptions": "subscriptions per account; creates past it answer 400",
    "inbound_type": "the catalogue lists com.twilio.comms-api.message.inbound-received",
    "discontinued_types": "comma-separated event types the catalogue shows discontinued",
    "signed_url": "what X-Twilio-Signature signs: the URL without user info, with it, or with the default port",
    "content_type": "deliveries as application/json, or as the CloudEvents types",
    "data_as_string": "an event's data as a JSON string rather than an object",
    "numeric_fields": "message events' attempt and error_code as numbers rather than strings",
    "max_batch": "events per delivery to a batching sink, at most",
    "tick_seconds": "seconds between looks for transitions to emit",
    "timeout_seconds": "how long a sink may take to answer a delivery",
    "retry_initial_seconds": "the first wait before a retry (doubling)",
    "retry_max_seconds": "the longest wait between retries",
    "retry_give_up_seconds": "how long a delivery is retried before it is dropped",
    "duplicate": "share of events delivered twice, 0 to 1",
    "reorder": "share of events held back after later ones (and of batches shuffled), 0 to 1",
    "delay": "share of deliveries held back delay_seconds, 0 to 1",
    "drop": "share of events never delivered, 0 to 1",
    "delay_seconds": "how long a delayed delivery waits",
}


def _types(value: str) -> tuple[str, ...]:
    """Return a comma-separated list of event types."""
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _add_streams_flags(parser: argparse.ArgumentParser) -> None:
    """Add a flag per Event Streams setting: --events-NAME, its default the setting's."""
    group = parser.add_argument_group(
        "Event Streams",
        "The Events API under /events/v1 and delivery to webhook sinks; the "
        "readings where Twilio's documents disagree (docs/event-streams.md §12).",
    )
    for name, default in StreamsConfig().as_dict().items():
        flag = f"--events-{name.replace('_', '-')}"
        text = STREAMS_HELP[name]
        if name in STREAMS_CHOICES:
            kind = type(default)
            group.add_argument(
                flag,
                type=kind,
                choices=STREAMS_CHOICES[name],
                default=default,
                help=text,
            )
        elif isinstance(default, bool):
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=text
            )
        elif isinstance(default, tuple):
            group.add_argument(flag, type=_types, default=default, help=text)
        else:
            group.add_argument(flag, type=type(default), default=default, help=text)


def _add_shape_flags(parser: argparse.ArgumentParser) -> None:
    """Add a flag per shape setting, for every channel or one."""
    group = parser.add_argument_group(
        "channel shapes",
        "Which of the documents' shapes the API serves. A value alone applies "
        "to every channel, CHANNEL=VALUE to one (e.g. --stats-profile guide "
        "--stats-profile Messages=reference); a switch alone turns on for every "
        "channel, with a CHANNEL for that one. Repeatable; later ones win.",
    )
    defaults = ChannelShape()
    for name, (parse, text) in SHAPE_VALUES.items():
        group.add_argument(
            f"--{name.replace('_', '-')}",
            action="append",
            type=_per_channel(parse),
            default=argparse.SUPPRESS,
            metavar="[CHANNEL=]VALUE",
            help=f"{text} (default: {getattr(defaults, name)})",
        )
    for name, text in SHAPE_SWITCHES.items():
        group.add_argument(
            f"--{name.replace('_', '-')}",
            action="append",
            nargs="?",
            type=_switched_on,
            const=(None, True),
            default=argparse.SUPPRESS,
            metavar="CHANNEL",
            help=text,
        )


def _shapes(args: argparse.Namespace) -> dict[str, ChannelShape]:
    """Return each channel's shape from the shape flags (ValueError, TypeError)."""
    changes: dict[str, dict[str, Any]] = {channel: {} for channel in CHANNELS}
    for name in ChannelShape.settings():
        # guide_listing exists for Push alone, so "every channel" means Push.
        every = GUIDE_LISTING_CHANNELS if name == "guide_listing" else CHANNELS
        for channel, value in getattr(args, name, ()):
            for target in (channel,) if channel else every:
                changes[target][name] = value
    return {
        channel: ChannelShape().changed(settings)
        for channel, settings in changes.items()
    }


def _parser() -> argparse.ArgumentParser:
    """Return the command-line parser; defaults come from EmulatorConfig."""
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m comms_emulator",
        description="Emulate Twilio's Comms API on loopback, with seeded, evolving data.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument

    def config_flag(name: str, **kwargs: Any) -> None:
        """Add the flag of a configuration field, its default the field's."""
        add(
            f"--{name.replace('_', '-')}",
            **{"default": getattr(defaults, name)} | kwargs,
        )

    add("--host", default="127.0.0.1", help="address to listen on")
    add("--port", type=int, default=8765, help="port to listen on")
    add(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (it serves fake data with known credentials)",
    )
    config_flag("seed", type=int, help="seed of all generated data")
    config_flag(
        "operations_per_channel",
        type=int,
        help="seeded operations in each channel's history",
    )
    add(
        "--span-hours",
        type=float,
        default=defaults.span / timedelta(hours=1),
        help="how far back the seeded history reaches, at most 168",
    )
    for name, text in RATE_HELP.items():
        config_flag(name, type=_rate, help=f"{text}, 0 to 1")
    add(
        "--live",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="let new operations keep appearing besides the seeded history",
    )
    add(
        "--new-operation-interval",
        type=float,
        default=DEFAULT_LIVE_INTERVAL,
        help="seconds between new operations when live",
    )
    config_flag(
        "send_pace",
        type=float,
        help="what the wait and processing time of sends are multiplied by, "
        "above 0 to 1 (0.1: a text to one recipient goes out within seconds)",
    )
    config_flag("account_sid", help="the account's SID")
    config_flag("auth_token", help="its auth token")
    config_flag("api_key_sid", help="an API key's SID")
    config_flag("api_key_secret", help="its secret")
    config_flag(
        "api_key_type",
        choices=KEY_TYPES,
        help="a Main key may read the Accounts resource, a Standard key its Balance",
    )
    config_flag(
        "channels",
        type=_channels,
        default=",".join(CHANNELS),
        help="channels the account is entitled to",
    )
    config_flag(
        "not_entitled_status",
        type=int,
        choices=NOT_ENTITLED_STATUSES,
        help="what a channel the account may not use answers",
    )
    config_flag(
        "operation_id_mode",
        choices=OPERATION_ID_MODES,
        help="where a send's 202 carries the operation id",
    )
    for kind in FaultConfig.KINDS:
        add(
            f"--fault-{kind.replace('_', '-')}",
            type=_rate,
            default=0.0,
            help=f"rate of {kind.replace('_', ' ')} faults, 0 to 1",
        )
    add(
        "--slow-seconds",
        type=float,
        default=defaults.faults.slow_seconds,
        help="how long a slow fault delays its answer",
    )
    config_flag("fault_seed", type=int, help="seed of faults")
    _add_shape_flags(parser)
    _add_streams_flags(parser)
    return parser


def _is_loopback(host: str) -> bool:
    """Return whether a host is only reachable from this machine."""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host in LOOPBACK_NAMES


def _config(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> EmulatorConfig:
    """Return the configuration the arguments describe (exit with usage if invalid)."""
    span = timedelta(hours=args.span_hours)
    if span > RETENTION:
        parser.error("--span-hours may be at most 168 (the 7-day retention)")
    try:
        streams = StreamsConfig(
            **{
                name: getattr(args, f"events_{name}")
                for name in StreamsConfig.settings()
            }
        )
        faults = FaultConfig(slow_seconds=args.slow_seconds)
        faults.update(
            {kind: getattr(args, f"fault_{kind}") for kind in FaultConfig.KINDS}
        )
        # Flags named after a field set it as parsed; the rest are derived.
        named = {field.name for field in fields(EmulatorConfig)}
        return EmulatorConfig(
            **{name: value for name, value in vars(args).items() if name in named}
            | {
                "span": span,
                "new_operation_interval": args.new_operation_interval
                if args.live
                else 0.0,
                "faults": faults,
                "streams": streams,
                "shapes": _shapes(args),
            }
        )
    except (TypeError, ValueError) as err:
        parser.error(str(err))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, print where to connect, and serve until interrupted."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not _is_loopback(args.host) and not args.allow_remote:
        parser.error(
            "refusing to serve fake data with public credentials off loopback; "
            "pass --allow-remote to do it anyway"
        )
    config = _config(parser, args)
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{args.port}"
    live = (
        f"a new operation per channel every {config.new_operation_interval:g} s"
        if config.new_operation_interval
        else "no new operations (--no-live)"
    )
    print(f"Comms API emulator at {base}/v1", flush=True)
    print(f"  Accounts       {base}/2010-04-01/Accounts", flush=True)
    print(f"  Event Streams  {base}/events/v1", flush=True)
    print(f"  control plane  {base}/_emulator/health", flush=True)
    print(f"  Account SID    {config.account_sid}", flush=True)
    print(f"  Auth Token     {config.auth_token}", flush=True)
    print(
        f"  API key SID    {config.api_key_sid} ({config.api_key_type} key)",
        flush=True,
    )
    print(f"  API key secret {config.api_key_secret}", flush=True)
    print(f"  channels       {', '.join(sorted(config.channels))}; {live}", flush=True)
    web.run_app(create_app(config), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
