"""The repository's metadata passes tests/validity.py's checks, and each check can fail.

Each check runs on the real files, and once on a copy broken on purpose, so a
check that could never fail shows up.
"""

from collections.abc import Callable
from importlib.metadata import version
import json
from pathlib import Path
import shutil
from typing import Any

from homeassistant.const import __version__ as ha_version
import pytest

from .validity import (
    INTEGRATION,
    REPO_ROOT,
    check_brand,
    check_hacs,
    check_manifest,
    check_quality_scale,
    check_readme_links,
    check_release,
    check_translation_keys,
    minimum_home_assistant,
)

MANIFEST = f"{INTEGRATION}/manifest.json"
BRAND = f"{INTEGRATION}/brand"
QUALITY_SCALE = f"{INTEGRATION}/quality_scale.yaml"
STRINGS = f"{INTEGRATION}/translations/en.json"
RELEASE = ".github/workflows/release.yml"


def test_legs_run_their_releases() -> None:
    """Each leg pins its own test harness, and the minimum one runs hacs.json's minimum."""
    running = f"=={version('pytest-homeassistant-custom-component')}\n"
    legs = {
        leg
        for leg in ("latest", "minimum")
        if running in (REPO_ROOT / "requirements" / f"{leg}.txt").read_text("utf-8")
    }
    assert len(legs) == 1
    assert (ha_version == minimum_home_assistant()) == (legs == {"minimum"})


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text("utf-8")))), "utf-8")


# Each check: what it reads, and one break of a copy of the repository's files
# (which file, how, and what the check must then say).
type Check = Callable[[Path], list[str]]
CHECKS: dict[str, tuple[Check, str, str, Callable[[Path], Any], str]] = {
    "manifest": (
        check_manifest, MANIFEST, MANIFEST,
        lambda path: _edit_json(path, lambda m: dict(sorted(m.items()))),
        "keys not in hassfest order",
    ),
    "hacs": (
        check_hacs, "hacs.json", "hacs.json",
        lambda path: _edit_json(path, lambda h: h | {"domains": []}),
        "'domains' is not a HACS key",
    ),
    "brand": (
        check_brand, BRAND, BRAND,
        lambda path: shutil.copy(path / "icon@2x.png", path / "icon.png"),
        "icon.png is 512x512, not an allowed size",
    ),
    "quality-scale": (
        check_quality_scale, QUALITY_SCALE, QUALITY_SCALE,
        lambda path: _edit(path, "brands: done", "brands: exempt"),
        "brands: None gives no reason",
    ),
    "translation-keys": (
        check_translation_keys, STRINGS, STRINGS,
        lambda path: _edit_json(path, lambda s: s | {"device": {"Messages": {}}}),
        "device.Messages",
    ),
    "readme-links": (
        check_readme_links, "README.md", "README.md",
        lambda path: path.write_text("See ([the licence](LICENSE)).\n", "utf-8"),
        "1: a parenthesis before the link to LICENSE",
    ),
    "release": (
        check_release, ".", MANIFEST,
        lambda path: _edit_json(path, lambda m: m | {"version": "9.9.9"}),
        "CHANGELOG.md's newest entry is '0.1.0', not '9.9.9'",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", CHECKS)
def test_repository_passes(name: str) -> None:
    """The real manifest, hacs.json, brand, quality scale, en.json, README, release."""
    check, path, *_ = CHECKS[name]
    assert check(REPO_ROOT / path) == []


@pytest.mark.parametrize("name", CHECKS)
def test_check_catches_a_break(tmp_path: Path, name: str) -> None:
    """Each check reports a broken copy of what it reads, with the reason."""
    check, path, broken, change, expected = CHECKS[name]
    for file in (
        "hacs.json",
        "CHANGELOG.md",
        RELEASE,
        MANIFEST,
        QUALITY_SCALE,
        STRINGS,
    ):
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / file, tmp_path / file)
    shutil.copytree(REPO_ROOT / BRAND, tmp_path / BRAND)
    change(tmp_path / broken)
    problems = check(tmp_path / path)
    assert any(expected in problem for problem in problems), problems
