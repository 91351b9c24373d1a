"""The Python half of scripts/develop and scripts/newest: python -m tools.develop --help.

`prepare` runs before Home Assistant starts (where it listens); `provision`
runs once it is starting (onboarding, the config entry, the dashboard).
`check-flows` and `scan-log` are the newest leg's: every flow through the
REST API, then the log read for what it says about Twilio Comms.
"""

import argparse
import asyncio
from pathlib import Path
import sys
import time

from yarl import URL

from . import newest
from .http_store import LOOPBACK, write_http_config
from .log_scan import UnreadableLog, scan
from .provision import DEV_PASSWORD, DEV_USERNAME, Demo, ProvisionError, log, provision

# The line scripts/e2e waits for; the rest of the line is the dashboard's URL.
READY_PREFIX = "DEMO READY "


def _prepare(args: argparse.Namespace) -> int:
    """Make the configuration directory's Home Assistant listen where asked."""
    try:
        changed = write_http_config(Path(args.config_dir), args.port)
    except (ValueError, KeyError, OSError) as err:
        log(f"FAILED: {err}")
        return 1
    if changed:
        log(f"Home Assistant will listen on {LOOPBACK}:{args.port}")
    return 0


def _provision(args: argparse.Namespace) -> int:
    """Provision, then print the URL and the login."""
    demo = Demo(ha_url=URL(args.url), ha_pid=args.ha_pid)
    started = time.monotonic()
    try:
        asyncio.run(provision(demo))
    except ProvisionError as err:
        log(f"FAILED: {err}")
        return 1
    log(f"ready in {time.monotonic() - started:.1f} s")
    print(
        f"\n  Twilio Comms dashboard  {demo.dashboard_url}\n"
        f"  Home Assistant          {demo.ha_url}\n"
        f"  login                   {DEV_USERNAME} / {DEV_PASSWORD}  (development only)\n",
        flush=True,
    )
    print(f"{READY_PREFIX}{demo.dashboard_url}", flush=True)
    return 0


def _check_flows(args: argparse.Namespace) -> int:
    """Walk Home Assistant through every flow; print its version."""
    demo = Demo(ha_url=URL(args.url), ha_pid=args.ha_pid)
    started = time.monotonic()
    try:
        version = asyncio.run(newest.run(demo, URL(args.emulator_url)))
    except ProvisionError as err:
        log(f"FAILED: {err}")
        return 1
    log(
        f"every flow passed on Home Assistant {version} in {time.monotonic() - started:.1f} s"
    )
    return 0


def _scan_log(args: argparse.Namespace) -> int:
    """Print what the log says about Twilio Comms; fail on anything unexpected."""
    try:
        with Path(args.log).open(encoding="utf-8", errors="replace") as lines:
            findings = scan(lines, newest.EXPECTED_LOG_RECORDS)
    except (OSError, UnreadableLog) as err:
        log(f"FAILED: cannot judge {args.log}: {err}")
        return 1
    for record, expected in findings.ignored:
        log(f"expected ({expected.reason}):\n{record.text}")
    for record in findings.problems:
        log(f"{record.level} about Twilio Comms:\n{record.text}")
    if findings.problems:
        log(
            f"FAILED: {len(findings.problems)} warning(s) or error(s) about Twilio Comms"
        )
        return 1
    log("the log has no unexpected warning or error about Twilio Comms")
    return 0


def main() -> int:
    """Run one subcommand; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.develop",
        description="Prepare and provision the demo Home Assistant of scripts/develop, "
        "and check one for scripts/newest.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser(
        "prepare", help="store where Home Assistant listens (before it starts)"
    )
    prepare.add_argument("--config-dir", required=True, help="its configuration")
    prepare.add_argument("--port", type=int, required=True, help="its port")
    prepare.set_defaults(run=_prepare)
    provision_ = commands.add_parser(
        "provision",
        help="onboard, add Twilio Comms through its config flow, save the dashboard",
    )
    provision_.add_argument(
        "--url", default="http://127.0.0.1:8123", help="Home Assistant's address"
    )
    provision_.add_argument(
        "--ha-pid", type=int, help="give up as soon as this process exits"
    )
    provision_.set_defaults(run=_provision)
    check = commands.add_parser(
        "check-flows",
        help="onboard, then run the config, reauth, reconfigure, options and "
        "subentry flows, checking the entry after each",
    )
    check.add_argument("--url", required=True, help="Home Assistant's address")
    check.add_argument("--emulator-url", required=True, help="the emulator's address")
    check.add_argument(
        "--ha-pid", type=int, help="give up as soon as this process exits"
    )
    check.set_defaults(run=_check_flows)
    scan_log = commands.add_parser(
        "scan-log", help="fail on warnings or errors about Twilio Comms in a log"
    )
    scan_log.add_argument("log", help="home-assistant.log")
    scan_log.set_defaults(run=_scan_log)
    args = parser.parse_args()
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
