"""Fail when any module of the integration is below the coverage floor.

coverage's --cov-fail-under checks the total only, so a small module with
little coverage hides behind the big ones; Home Assistant's test-coverage
rule asks for each. Reads coverage's JSON report (pytest --cov-report=json).

Usage: python -m tools.coverage_per_module REPORT.json FLOOR
"""

import json
from pathlib import Path
import sys


def modules_below(report: dict[str, object], floor: float) -> dict[str, float]:
    """Return each module's percentage that is below the floor, by file name."""
    files = report["files"]
    assert isinstance(files, dict)
    return {
        name: summary["summary"]["percent_covered"]
        for name, summary in sorted(files.items())
        if summary["summary"]["percent_covered"] < floor
    }


def main(argv: list[str]) -> int:
    """Print the modules below the floor; return 1 if there is any."""
    report = json.loads(Path(argv[1]).read_text("utf-8"))
    floor = float(argv[2])
    below = modules_below(report, floor)
    for name, percent in below.items():
        print(f"{name}: {percent:.1f} % covered, below {floor:g} %")
    if not report["files"]:
        print("the coverage report lists no module")
        return 1
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
