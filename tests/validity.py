"""Repository metadata checks: the rules of hassfest, HACS and the brands repository.

The GitHub workflows run the real hassfest and HACS actions; these checks
restate the few rules the suite keeps to on every leg, each with its source,
as tables. Every check returns a list of problems (empty when valid).
"""

import json
from pathlib import Path
import re
import struct
from typing import Any, Final

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy as Strategy,
)
import yaml

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
INTEGRATION: Final = "custom_components/twilio_comms"
INTEGRATION_DIR: Final = REPO_ROOT / INTEGRATION


# The version strategies Home Assistant's loader (and hassfest) accept.
VERSION_STRATEGIES: Final = [
    Strategy.CALVER, Strategy.SEMVER, Strategy.SIMPLEVER, Strategy.BUILDVER, Strategy.PEP440
]  # fmt: skip


def _is_version(value: Any) -> bool:
    try:
        AwesomeVersion(str(value), ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException:
        return False
    return True


def _https(value: Any) -> bool:
    return str(value).startswith("https://")


# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA and HACS's manifest schema:
# each key a manifest must have, and what its value must be. iot_class is
# hassfest's SUPPORTED_IOT_CLASSES, integration_type the loader's.
INTEGRATION_TYPES: Final = {
    "device", "entity", "hardware", "helper", "hub", "service", "system", "virtual"
}  # fmt: skip
IOT_CLASSES: Final = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling",
    "local_push",
}  # fmt: skip
MANIFEST_RULES: Final[dict[str, Any]] = {
    "domain": None,  # the folder's name, checked below
    "name": lambda v: isinstance(v, str) and v != "",
    "codeowners": lambda v: isinstance(v, list) and all(o[:1] == "@" for o in v),
    "config_flow": lambda v: v is True,
    "documentation": _https,
    "integration_type": INTEGRATION_TYPES.__contains__,
    "iot_class": IOT_CLASSES.__contains__,
    "issue_tracker": _https,
    # Home Assistant pins voluptuous (probatio from 2026.9) itself.
    "requirements": lambda v: (
        isinstance(v, list) and not any("voluptuous" in r.lower() for r in v)
    ),
    "version": _is_version,
}


def check_manifest(path: Path) -> list[str]:
    """Return what hassfest, HACS or the loader would refuse in manifest.json."""
    manifest = json.loads(path.read_text("utf-8"))
    keys = list(manifest)
    # hassfest's manifest.py sorts domain, name, then the rest alphabetically.
    order = sorted(keys, key=lambda key: {"domain": "0", "name": "1"}.get(key, key))
    problems = [] if keys == order else [f"keys not in hassfest order: {order}"]
    for key, valid in MANIFEST_RULES.items():
        if key not in manifest:
            problems.append(f"missing key {key!r}")
        elif not (valid(manifest[key]) if valid else manifest[key] == path.parent.name):
            problems.append(f"{key} {manifest[key]!r} is not allowed")
    return problems


# HACS's HACS_MANIFEST_JSON_SCHEMA (extra keys refused, name required).
HACS_KEYS: Final = {
    "name", "content_in_root", "zip_release", "filename", "hide_default_branch",
    "country", "homeassistant", "persistent_directory", "render_readme", "hacs",
}  # fmt: skip


def minimum_home_assistant() -> str:
    """Return the Home Assistant release the minimum leg pins, from its header."""
    text = (REPO_ROOT / "requirements" / "minimum.txt").read_text("utf-8")
    match = re.search(r"Home Assistant (\d{4}\.\d+\.\d+)", text)
    assert match, "requirements/minimum.txt does not name its Home Assistant"
    return match.group(1)


def check_hacs(path: Path) -> list[str]:
    """Return what HACS refuses in hacs.json, and a minimum the tests do not run."""
    hacs = json.loads(path.read_text("utf-8"))
    problems = [
        f"key {key!r} is not a HACS key" for key in sorted(set(hacs) - HACS_KEYS)
    ]
    if not hacs.get("name"):
        problems.append("'name' is required")
    if hacs.get("zip_release") and "filename" not in hacs:
        problems.append("zip_release needs filename")
    if hacs.get("homeassistant") != minimum_home_assistant():
        problems.append(
            f"homeassistant {hacs.get('homeassistant')!r} is not the minimum leg's"
        )
    return problems


# home-assistant/brands README, "Image specification": a square icon, logos
# with their shortest side in a range; dark_ variants alike; both icons required.
BRAND_SIZES: Final = {
    "icon.png": lambda w, h: w == h == 256,
    "icon@2x.png": lambda w, h: w == h == 512,
    "logo.png": lambda w, h: 128 <= min(w, h) <= 256,
    "logo@2x.png": lambda w, h: 256 <= min(w, h) <= 512,
}


def check_brand(folder: Path) -> list[str]:
    """Return brand images that are missing, not PNG, or not of the allowed size."""
    problems = [
        f"{name} is missing"
        for name in ("icon.png", "icon@2x.png")
        if not (folder / name).is_file()
    ]
    for path in sorted(folder.iterdir()):
        valid = BRAND_SIZES.get(path.name.removeprefix("dark_"))
        head = path.read_bytes()[:24]
        if valid is None or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
            problems.append(f"{path.name} is not a brand image")
        elif not valid(*(size := struct.unpack(">II", head[16:24]))):
            problems.append(f"{path.name} is {size[0]}x{size[1]}, not an allowed size")
    return problems


# hassfest's quality_scale.py ALL_RULES per tier (read at core commit
# 008538e822535b1d6155c91f6642127afa184ed1). The integration claims Platinum,
# so it lists every rule.
QUALITY_SCALE_RULES: Final = {
    "bronze": [
        "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
        "config-flow-test-coverage", "dependency-transparency", "docs-actions",
        "docs-conditions", "docs-high-level-description", "docs-installation-instructions",
        "docs-removal-instructions", "docs-triggers", "entity-event-setup",
        "entity-unique-id", "has-entity-name", "runtime-data", "test-before-configure",
        "test-before-setup", "unique-config-entry",
    ],
    "silver": [
        "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
        "docs-installation-parameters", "entity-unavailable", "integration-owner",
        "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    ],
    "gold": [
        "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
        "docs-examples", "docs-known-limitations", "docs-supported-devices",
        "docs-supported-functions", "docs-troubleshooting", "docs-use-cases",
        "dynamic-devices", "entity-category", "entity-device-class",
        "entity-disabled-by-default", "entity-translations", "exception-translations",
        "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}  # fmt: skip
ALL_RULES: Final = {rule for rules in QUALITY_SCALE_RULES.values() for rule in rules}


def check_quality_scale(path: Path) -> list[str]:
    """Return what hassfest's quality scale schema refuses, and rules left out.

    hassfest takes done or todo as a plain value or {status, comment}, and
    exempt only with a comment. A comment must give a reason: three words or more.
    """
    rules: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))["rules"]
    problems = [f"rule {rule!r} is missing" for rule in sorted(ALL_RULES - set(rules))]
    for rule, value in rules.items():
        entry = value if isinstance(value, dict) else {"status": value}
        status, comment = entry.get("status"), entry.get("comment")
        needs_reason = status == "exempt" or comment is not None
        if rule not in ALL_RULES:
            problems.append(f"{rule!r} is not a quality scale rule")
        if status not in {"done", "todo", "exempt"} or set(entry) - {
            "status",
            "comment",
        }:
            problems.append(f"{rule}: {value!r} is not a status")
        elif needs_reason and len(str(comment or "").split()) < 3:
            problems.append(f"{rule}: {comment!r} gives no reason")
    return problems


# hassfest's translations.py translation_key_validator: lower-case letters and
# digits, joined by single - or _; applied to the keys at these paths of en.json.
TRANSLATION_KEY: Final = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
TRANSLATION_KEY_PLACES: Final = (
    "device", "entity.*", "entity.*.*.state", "entity.*.*.state_attributes",
    "entity.*.*.state_attributes.*.state", "selector.*.options", "selector.*.choices",
    "selector.*.fields", "selector.*.unit_of_measurement", "services",
    "services.*.fields", "services.*.sections",
)  # fmt: skip


def check_translation_keys(path: Path) -> list[str]:
    """Return the keys of en.json that hassfest's translation key rule refuses."""
    strings, problems = json.loads(path.read_text("utf-8")), []
    for place in TRANSLATION_KEY_PLACES:
        mappings = [("", strings)]
        for part in place.split("."):
            mappings = [
                (f"{where}.{key}".lstrip("."), node[key])
                for where, node in mappings
                for key in (node if part == "*" else [part])
                if key in node and isinstance(node[key], dict)
            ]
        problems += [
            f"{where}.{key}"
            for where, node in mappings
            for key in node
            if not TRANSLATION_KEY.fullmatch(key)
        ]
    return problems


# An inline link or image to a file in the repository (no scheme, no anchor);
# its text may hold brackets, as a badge's image does.
RELATIVE_LINK: Final = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\((?!\w+:|#)([^)\s]+)\)"
)


def check_readme_links(path: Path) -> list[str]:
    """Return relative links HACS would break, or whose file does not exist.

    HACS shows README.md off GitHub and rewrites relative targets, taking the
    target from the first "(" of the line: one before the link breaks it.
    """
    problems = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        for link in RELATIVE_LINK.finditer(line):
            if line.index("(") != link.start(1) - 1:
                problems.append(f"{number}: a parenthesis before the link to {link[1]}")
            if not (path.parent / link[1].split("#")[0]).exists():
                problems.append(f"{number}: {link[1]} does not exist")
    return problems


def check_release(root: Path = REPO_ROOT) -> list[str]:
    """Return what keeps the tag v<manifest version> from making HACS's release.

    The workflow runs on v*.*.* tags, zips the integration under hacs.json's
    filename, and takes the notes from CHANGELOG.md's newest entry.
    """

    def read(name: str) -> str:
        return (root / name).read_text("utf-8")

    version = json.loads(read(f"{INTEGRATION}/manifest.json"))["version"]
    newest = re.search(r"^## (\S+)$", read("CHANGELOG.md"), re.MULTILINE)
    workflow = yaml.safe_load(read(".github/workflows/release.yml"))
    hacs = json.loads(read("hacs.json"))
    expected = {  # what: (found, wanted)
        "CHANGELOG.md's newest entry": (newest and newest[1], version),
        "the version's tag": (bool(re.fullmatch(r"\d+\.\d+\.\d+", version)), True),
        # YAML 1.1 reads the workflow's key "on" as True.
        "the trigger": (workflow.get(True), {"push": {"tags": ["v*.*.*"]}}),
        "hacs.json's zip_release": (hacs.get("zip_release"), True),
        "the zip": (workflow["env"]["ZIP"], hacs.get("filename")),
        "the folder zipped": (workflow["env"]["INTEGRATION"], INTEGRATION),
    }
    return [
        f"{what} is {got!r}, not {want!r}"
        for what, (got, want) in expected.items()
        if got != want
    ]
