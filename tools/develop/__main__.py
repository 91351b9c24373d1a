"""Provision a running demo Home Assistant: python -m tools.develop --help.

scripts/develop starts the emulator and Home Assistant, then runs this.
"""

import argparse
import asyncio
import sys
import time

from yarl import URL

from .provision import DEV_PASSWORD, DEV_USERNAME, Demo, ProvisionError, log, provision

# The line scripts/e2e waits for; everything after it on the line is the URL.
READY_PREFIX = "DEMO READY "


def main() -> int:
    """Provision, then print the URL and the login; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.develop",
        description="Onboard a demo Home Assistant, add Twilio Comms through its "
        "config flow and save its dashboard.",
    )
    parser.add_argument(
        "--url", default="http://127.0.0.1:8123", help="Home Assistant's address"
    )
    parser.add_argument(
        "--ha-pid", type=int, help="give up as soon as this process exits"
    )
    args = parser.parse_args()
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


if __name__ == "__main__":
    sys.exit(main())
