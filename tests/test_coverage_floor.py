"""Tests of tools/coverage_per_module.py, the per-module coverage gate."""

import json
from pathlib import Path

import pytest

from tools.coverage_per_module import main


def _report(tmp_path: Path, **percent: float) -> str:
    path = tmp_path / "coverage.json"
    files = {
        f"custom_components/twilio_comms/{name}.py": {
            "summary": {"percent_covered": value}
        }
        for name, value in percent.items()
    }
    path.write_text(json.dumps({"files": files}), "utf-8")
    return str(path)


def test_every_module_at_the_floor_passes(tmp_path: Path) -> None:
    """Modules at or above the floor pass."""
    assert main(["", _report(tmp_path, sensor=100.0, event=95.0), "95"]) == 0


def test_one_module_below_fails_whatever_the_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small module below the floor fails the leg, though the total is above."""
    report = _report(tmp_path, sensor=100.0, tracker=100.0, notify=80.0)
    assert main(["", report, "95"]) == 1
    assert capsys.readouterr().out == (
        "custom_components/twilio_comms/notify.py: 80.0 % covered, below 95 %\n"
    )


def test_an_empty_report_fails(tmp_path: Path) -> None:
    """A report without modules means coverage measured nothing."""
    assert main(["", _report(tmp_path), "95"]) == 1
