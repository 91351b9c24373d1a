"""Run the Comms API emulator: python -m comms_emulator --help."""

import argparse
from datetime import timedelta
from ipaddress import ip_address
import sys

from aiohttp import web

from .app import create_app
from .config import EmulatorConfig, FaultConfig
from .world import CHANNELS


def _parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="comms_emulator",
        description="Emulate Twilio's Comms API on loopback, with seeded, evolving data.",
    )
    add = parser.add_argument
    add(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    add("--port", type=int, default=8765, help="port (default: %(default)s)")
    add("--allow-remote", action="store_true", help="allow a non-loopback --host")
    add("--seed", type=int, default=defaults.seed)
    add("--operations-per-channel", type=int, default=defaults.operations_per_channel)
    add("--span-hours", type=float, default=24.0, help="history span, at most 168")
    add("--active-fraction", type=float, default=defaults.active_fraction)
    add("--failure-rate", type=float, default=defaults.failure_rate)
    add(
        "--new-operation-interval",
        type=float,
        default=60.0,
        help="seconds between new operations appearing by themselves; 0 disables",
    )
    add("--account-sid", default=defaults.account_sid)
    add("--auth-token", default=defaults.auth_token)
    add("--api-key-sid", default=defaults.api_key_sid)
    add("--api-key-secret", default=defaults.api_key_secret)
    add("--channels", default=",".join(CHANNELS), help="channels the account may use")
    add("--not-entitled-status", type=int, choices=(403, 404), default=403)
    add(
        "--operation-id-mode",
        choices=("body", "headers", "both", "none"),
        default="body",
    )
    for kind in FaultConfig.KINDS:
        add(
            f"--fault-{kind.replace('_', '-')}",
            type=float,
            default=0.0,
            help=f"rate of {kind.replace('_', ' ')} faults, 0 to 1",
        )
    add("--slow-seconds", type=float, default=15.0)
    return parser


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    args = _parser().parse_args(argv)
    try:
        loopback = ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback and not args.allow_remote:
        sys.exit(
            "Refusing to serve fake data with public credentials off loopback; use --allow-remote."
        )
    faults = FaultConfig(slow_seconds=args.slow_seconds)
    for kind in FaultConfig.KINDS:
        setattr(faults, kind, getattr(args, f"fault_{kind}"))
    config = EmulatorConfig(
        seed=args.seed,
        operations_per_channel=args.operations_per_channel,
        span=timedelta(hours=min(args.span_hours, 168)),
        active_fraction=args.active_fraction,
        failure_rate=args.failure_rate,
        new_operation_interval=args.new_operation_interval,
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        api_key_sid=args.api_key_sid,
        api_key_secret=args.api_key_secret,
        channels=frozenset(c for c in args.channels.split(",") if c),
        not_entitled_status=args.not_entitled_status,
        operation_id_mode=args.operation_id_mode,
        faults=faults,
    )
    print(f"Comms API emulator on http://{args.host}:{args.port}/v1", flush=True)
    print(
        f"  Account SID {config.account_sid}  Auth Token {config.auth_token}",
        flush=True,
    )
    print(
        f"  API key     {config.api_key_sid}  secret {config.api_key_secret}",
        flush=True,
    )
    web.run_app(create_app(config), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
