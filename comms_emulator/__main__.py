"""Run the Comms API emulator: python -m comms_emulator --help."""

import argparse
from collections.abc import Sequence
from datetime import timedelta
from ipaddress import ip_address
from typing import Final

from aiohttp import web

from .app import create_app
from .channels import CHANNELS
from .config import (
    NOT_ENTITLED_STATUSES,
    OPERATION_ID_MODES,
    RETENTION,
    EmulatorConfig,
    FaultConfig,
)

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


def _parser() -> argparse.ArgumentParser:
    """Return the command-line parser; defaults come from EmulatorConfig."""
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m comms_emulator",
        description="Emulate Twilio's Comms API on loopback, with seeded, evolving data.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on")
    add("--port", type=int, default=8765, help="port to listen on")
    add(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (it serves fake data with known credentials)",
    )
    add("--seed", type=int, default=defaults.seed, help="seed of all generated data")
    add(
        "--operations-per-channel",
        type=int,
        default=defaults.operations_per_channel,
        help="seeded operations in each channel's history",
    )
    add(
        "--span-hours",
        type=float,
        default=defaults.span / timedelta(hours=1),
        help="how far back the seeded history reaches, at most 168",
    )
    for name, text in RATE_HELP.items():
        add(
            f"--{name.replace('_', '-')}",
            type=_rate,
            default=getattr(defaults, name),
            help=f"{text}, 0 to 1",
        )
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
    add("--account-sid", default=defaults.account_sid, help="the account's SID")
    add("--auth-token", default=defaults.auth_token, help="its auth token")
    add("--api-key-sid", default=defaults.api_key_sid, help="an API key's SID")
    add("--api-key-secret", default=defaults.api_key_secret, help="its secret")
    add(
        "--channels",
        type=_channels,
        default=",".join(CHANNELS),
        help="channels the account is entitled to",
    )
    add(
        "--not-entitled-status",
        type=int,
        choices=NOT_ENTITLED_STATUSES,
        default=defaults.not_entitled_status,
        help="what a channel the account may not use answers",
    )
    add(
        "--operation-id-mode",
        choices=OPERATION_ID_MODES,
        default=defaults.operation_id_mode,
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
    add("--fault-seed", type=int, default=defaults.fault_seed, help="seed of faults")
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
        faults = FaultConfig(slow_seconds=args.slow_seconds)
        faults.update(
            {kind: getattr(args, f"fault_{kind}") for kind in FaultConfig.KINDS}
        )
        return EmulatorConfig(
            seed=args.seed,
            operations_per_channel=args.operations_per_channel,
            span=span,
            **{name: getattr(args, name) for name in EmulatorConfig.RATES},
            new_operation_interval=args.new_operation_interval if args.live else 0.0,
            account_sid=args.account_sid,
            auth_token=args.auth_token,
            api_key_sid=args.api_key_sid,
            api_key_secret=args.api_key_secret,
            channels=args.channels,
            not_entitled_status=args.not_entitled_status,
            operation_id_mode=args.operation_id_mode,
            fault_seed=args.fault_seed,
            faults=faults,
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
    print(f"  control plane  {base}/_emulator/health", flush=True)
    print(f"  Account SID    {config.account_sid}", flush=True)
    print(f"  Auth Token     {config.auth_token}", flush=True)
    print(f"  API key SID    {config.api_key_sid}", flush=True)
    print(f"  API key secret {config.api_key_secret}", flush=True)
    print(f"  channels       {', '.join(sorted(config.channels))}; {live}", flush=True)
    web.run_app(create_app(config), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
