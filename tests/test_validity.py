"""Validity of the repository's metadata: manifest, hacs.json, brand, quality scale.

Each check runs on the real file and on a deliberately broken copy, so a
check that can never fail would show up as a failing negative test.
"""

import json
from pathlib import Path
import shutil
import struct
from typing import Any
import zlib

import pytest
import yaml

from .validity import (
    ALL_QUALITY_SCALE_RULES,
    INTEGRATION_DIR,
    REPO_ROOT,
    check_brand,
    check_hacs,
    check_manifest,
    check_quality_scale,
    minimum_home_assistant,
)

MANIFEST = INTEGRATION_DIR / "manifest.json"
HACS_JSON = REPO_ROOT / "hacs.json"
MINIMUM_REQUIREMENTS = REPO_ROOT / "requirements" / "minimum.txt"
QUALITY_SCALE = INTEGRATION_DIR / "quality_scale.yaml"


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def _broken_manifest(tmp_path: Path, data: dict[str, Any]) -> Path:
    folder = tmp_path / "twilio_comms"
    folder.mkdir(exist_ok=True)
    return _write_json(folder / "manifest.json", data)


# ---------------------------------------------------------------- manifest.json


def test_manifest_is_valid() -> None:
    """The real manifest passes every check."""
    assert check_manifest(MANIFEST) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda m: {
                "name": m["name"],
                **{k: v for k, v in m.items() if k != "name"},
            },
            "hassfest order",
        ),
        (
            lambda m: (
                {k: v for k, v in m.items() if k != "codeowners"}
                | {"codeowners": m["codeowners"]}
            ),
            "hassfest order",
        ),
        (lambda m: {k: v for k, v in m.items() if k != "version"}, "'version'"),
        (lambda m: {k: v for k, v in m.items() if k != "iot_class"}, "'iot_class'"),
        (
            lambda m: {k: v for k, v in m.items() if k != "issue_tracker"},
            "'issue_tracker'",
        ),
        (lambda m: m | {"version": "not a version!"}, "not a valid version"),
        (lambda m: m | {"iot_class": "cloud"}, "iot_class 'cloud'"),
        (lambda m: m | {"integration_type": "bridge"}, "integration_type"),
        (lambda m: m | {"domain": "twilio"}, "folder name"),
        (lambda m: m | {"requirements": ["voluptuous==0.15.2"]}, "voluptuous"),
        (lambda m: m | {"codeowners": ["someone"]}, "codeowners"),
        (lambda m: m | {"documentation": "http://example.com"}, "https"),
    ],
)
def test_manifest_check_catches(tmp_path: Path, change: Any, expected: str) -> None:
    """A broken manifest is reported, with the reason."""
    manifest = change(json.loads(MANIFEST.read_text("utf-8")))
    problems = check_manifest(_broken_manifest(tmp_path, manifest))
    assert any(expected in problem for problem in problems), problems


def test_manifest_check_catches_invalid_json(tmp_path: Path) -> None:
    """Unparsable JSON is a problem, not a crash."""
    path = tmp_path / "manifest.json"
    path.write_text("{", encoding="utf-8")
    assert check_manifest(path)


# ---------------------------------------------------------------- hacs.json


def test_hacs_json_is_valid() -> None:
    """hacs.json has HACS's keys only and the minimum leg's Home Assistant."""
    minimum = minimum_home_assistant(MINIMUM_REQUIREMENTS)
    assert minimum is not None
    assert check_hacs(HACS_JSON, minimum) == []


def test_minimum_leg_runs_the_minimum_version() -> None:
    """On the minimum leg, the Home Assistant that runs is the one hacs.json names.

    This ties the requirements comment the other checks read to the pin that
    is really installed.
    """
    from importlib.metadata import version  # noqa: PLC0415

    from homeassistant.const import __version__ as ha_version  # noqa: PLC0415

    pin = next(
        line.split("==")[1].strip()
        for line in MINIMUM_REQUIREMENTS.read_text("utf-8").splitlines()
        if line.startswith("pytest-homeassistant-custom-component==")
    )
    if version("pytest-homeassistant-custom-component") != pin:
        pytest.skip("not the minimum leg")
    assert json.loads(HACS_JSON.read_text("utf-8"))["homeassistant"] == ha_version


@pytest.mark.parametrize(
    ("hacs", "expected"),
    [
        (
            {"name": "Twilio Comms", "homeassistant": "2026.3.4", "domains": []},
            "'domains'",
        ),
        (
            {"name": "Twilio Comms", "homeassistant": "2026.3.4", "iot_class": "x"},
            "'iot_class'",
        ),
        ({"homeassistant": "2026.3.4"}, "'name' is required"),
        ({"name": "Twilio Comms", "homeassistant": "2026.2.0"}, "minimum tested"),
        ({"name": "Twilio Comms"}, "minimum tested"),
        (
            {"name": "Twilio Comms", "homeassistant": "2026.3.4", "zip_release": True},
            "filename",
        ),
    ],
)
def test_hacs_check_catches(
    tmp_path: Path, hacs: dict[str, Any], expected: str
) -> None:
    """Keys HACS refuses, a missing name and a stale minimum are reported."""
    problems = check_hacs(_write_json(tmp_path / "hacs.json", hacs), "2026.3.4")
    assert any(expected in problem for problem in problems), problems


def test_minimum_version_is_read_from_the_requirements(tmp_path: Path) -> None:
    """The version comes from the comment; without one it is unknown."""
    assert minimum_home_assistant(MINIMUM_REQUIREMENTS) == "2026.3.4"
    bare = tmp_path / "minimum.txt"
    bare.write_text("pytest-homeassistant-custom-component==0.13.320\n", "utf-8")
    assert minimum_home_assistant(bare) is None
    assert check_hacs(HACS_JSON, None) == [
        "the minimum Home Assistant version is unknown"
    ]


# ---------------------------------------------------------------- brand images


def _png(width: int, height: int) -> bytes:
    """Return a valid (blank, greyscale) PNG of this size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_brand_images_are_valid() -> None:
    """The shipped icons are PNGs of the sizes the brands rules ask for."""
    assert check_brand(INTEGRATION_DIR / "brand") == []


def test_brand_check_accepts_good_logos(tmp_path: Path) -> None:
    """Logos, their hDPI and dark variants within the limits pass."""
    shutil.copytree(INTEGRATION_DIR / "brand", tmp_path, dirs_exist_ok=True)
    (tmp_path / "logo.png").write_bytes(_png(400, 128))
    (tmp_path / "logo@2x.png").write_bytes(_png(800, 256))
    (tmp_path / "dark_icon.png").write_bytes(_png(256, 256))
    assert check_brand(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("icon.png", _png(255, 256), "must be 256x256"),
        ("icon@2x.png", _png(256, 256), "must be 512x512"),
        ("dark_icon.png", _png(512, 512), "must be 256x256"),
        ("logo.png", _png(400, 100), "128 to 256"),
        ("logo@2x.png", _png(1000, 600), "256 to 512"),
        ("icon.png", b"GIF89a" + b"\x00" * 40, "not a PNG"),
        ("icon.svg", b"<svg/>", "not a brand image name"),
    ],
)
def test_brand_check_catches(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    """A wrong size, a non-PNG or a stray file is reported."""
    shutil.copytree(INTEGRATION_DIR / "brand", tmp_path, dirs_exist_ok=True)
    (tmp_path / name).write_bytes(content)
    problems = check_brand(tmp_path)
    assert any(expected in problem for problem in problems), problems


def test_brand_check_catches_missing_icon(tmp_path: Path) -> None:
    """Both icons must be there."""
    (tmp_path / "icon.png").write_bytes(_png(256, 256))
    assert check_brand(tmp_path) == ["icon@2x.png is missing"]


# ---------------------------------------------------------------- quality_scale.yaml


def test_quality_scale_is_valid() -> None:
    """Every rule is listed once, with a valid status; exemptions say why."""
    assert check_quality_scale(QUALITY_SCALE) == []


def _broken_scale(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(QUALITY_SCALE.read_text("utf-8"))
    change(data["rules"])
    path = tmp_path / "quality_scale.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda rules: rules.update({"docs-nonsense": "done"}),
            "not a quality scale rule",
        ),
        (lambda rules: rules.pop("brands"), "'brands' is missing"),
        (
            lambda rules: rules.update({"discovery": {"status": "exempt"}}),
            "discovery: a comment is required",
        ),
        (lambda rules: rules.update({"discovery": "exempt"}), "exempt needs a comment"),
        (lambda rules: rules.update({"brands": "yes"}), "must be done or todo"),
        (
            lambda rules: rules.update(
                {"brands": {"status": "partly", "comment": "x"}}
            ),
            "must be done/todo/exempt",
        ),
        (
            lambda rules: rules.update({"brands": {"status": "done", "comment": ""}}),
            "brands: a comment is required",
        ),
    ],
)
def test_quality_scale_check_catches(
    tmp_path: Path, change: Any, expected: str
) -> None:
    """Unknown rules, missing rules, bad statuses and bare exemptions are reported."""
    problems = check_quality_scale(_broken_scale(tmp_path, change))
    assert any(expected in problem for problem in problems), problems


def test_quality_scale_rule_list() -> None:
    """The embedded list is hassfest's: 54 rules over four tiers."""
    assert len(ALL_QUALITY_SCALE_RULES) == 54
