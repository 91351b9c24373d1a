"""Repository validity checks: what hassfest, HACS and the brands rules reject.

Neither hassfest nor HACS's validator ships with Home Assistant or
pytest-homeassistant-custom-component, so the rules they apply are restated
here, each with its source. Every check returns a list of human-readable
problems (empty when valid), so a test can assert both that the real files
pass and that a broken copy is caught.
"""

from collections.abc import Iterable
import json
from pathlib import Path
import re
import struct
from typing import Any, Final

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
import yaml

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
INTEGRATION_DIR: Final = REPO_ROOT / "custom_components" / "twilio_comms"

# ---------------------------------------------------------------- manifest.json

# Keys a custom integration's manifest needs here: hassfest's
# CUSTOM_INTEGRATION_MANIFEST_SCHEMA (domain, name, documentation, codeowners,
# version) plus HACS's INTEGRATION_MANIFEST_JSON_SCHEMA (issue_tracker) plus
# what a UI-configured cloud service declares (config_flow, integration_type,
# iot_class; hassfest: "Domain is missing an IoT Class"), and requirements,
# which the dependency-transparency rule wants spelled out even when empty.
REQUIRED_MANIFEST_KEYS: Final = frozenset(
    {
        "domain",
        "name",
        "codeowners",
        "config_flow",
        "documentation",
        "integration_type",
        "iot_class",
        "issue_tracker",
        "requirements",
        "version",
    }
)

# home-assistant/core script/hassfest/manifest.py, SUPPORTED_IOT_CLASSES.
IOT_CLASSES: Final = frozenset(
    {
        "assumed_state",
        "calculated",
        "cloud_polling",
        "cloud_push",
        "local_polling",
        "local_push",
    }
)

# homeassistant/loader.py, Manifest.integration_type.
INTEGRATION_TYPES: Final = frozenset(
    {"entity", "device", "hardware", "helper", "hub", "service", "system", "virtual"}
)

# homeassistant/loader.py (custom integrations are blocked from loading
# without a version in one of these strategies; hassfest's verify_version
# uses the same list).
VERSION_STRATEGIES: Final = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]


def load_json_ordered(path: Path) -> Any:
    """Return a JSON file parsed, keeping key order (dicts keep it)."""
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_key_order(keys: Iterable[str]) -> list[str]:
    """Return keys in hassfest's order: domain, name, then alphabetical.

    home-assistant/core script/hassfest/manifest.py sorts with
    {"domain": ".domain", "name": ".name"} as the sort key for those two and
    reports "Manifest keys are not sorted correctly" otherwise.
    """
    lead = {"domain": ".domain", "name": ".name"}
    return sorted(keys, key=lambda key: lead.get(key, key))


def check_manifest(manifest_path: Path) -> list[str]:
    """Return what hassfest, HACS or Home Assistant's loader would reject."""
    try:
        manifest = load_json_ordered(manifest_path)
    except ValueError as err:
        return [f"manifest.json is not valid JSON: {err}"]
    if not isinstance(manifest, dict):
        return ["manifest.json is not an object"]
    problems: list[str] = []
    keys = list(manifest)
    if keys != manifest_key_order(keys):
        problems.append(
            f"keys not in hassfest order (domain, name, then alphabetical): "
            f"{keys} should be {manifest_key_order(keys)}"
        )
    problems.extend(
        f"missing required key {key!r}"
        for key in sorted(REQUIRED_MANIFEST_KEYS - set(manifest))
    )
    if "domain" in manifest and manifest["domain"] != manifest_path.parent.name:
        problems.append(
            f"domain {manifest['domain']!r} is not the folder name "
            f"{manifest_path.parent.name!r}"
        )
    if "version" in manifest:
        try:
            AwesomeVersion(str(manifest["version"]), ensure_strategy=VERSION_STRATEGIES)
        except AwesomeVersionException:
            problems.append(f"version {manifest['version']!r} is not a valid version")
    if "iot_class" in manifest and manifest["iot_class"] not in IOT_CLASSES:
        problems.append(f"iot_class {manifest['iot_class']!r} is not allowed")
    if (
        "integration_type" in manifest
        and manifest["integration_type"] not in INTEGRATION_TYPES
    ):
        problems.append(
            f"integration_type {manifest['integration_type']!r} is not allowed"
        )
    problems.extend(
        f"{key} must be an https URL"
        for key in ("documentation", "issue_tracker")
        if key in manifest and not str(manifest[key]).startswith("https://")
    )
    codeowners = manifest.get("codeowners", [])
    if not isinstance(codeowners, list) or not all(
        isinstance(owner, str) and owner.startswith("@") for owner in codeowners
    ):
        problems.append("codeowners must be a list of GitHub handles (@name)")
    requirements = manifest.get("requirements", [])
    if not isinstance(requirements, list):
        problems.append("requirements must be a list")
        requirements = []
    for requirement in requirements:
        name = re.split(r"[<>=!~\[; ]", str(requirement), maxsplit=1)[0]
        # Home Assistant pins voluptuous itself (and from 2026.9 aliases the
        # name to probatio); an integration must never list it.
        if name.lower() == "voluptuous":
            problems.append("requirements must not list voluptuous")
    if manifest.get("config_flow") is not True:
        problems.append("config_flow must be true (the integration is UI-only)")
    return problems


# ---------------------------------------------------------------- hacs.json

# hacs/integration custom_components/hacs/utils/validate.py,
# HACS_MANIFEST_JSON_SCHEMA (extra=vol.PREVENT_EXTRA, "name" required).
HACS_KEYS: Final = frozenset(
    {
        "name",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "homeassistant",
        "persistent_directory",
        "render_readme",
        "hacs",
    }
)


def minimum_home_assistant(requirements_path: Path) -> str | None:
    """Return the Home Assistant version the minimum leg's pin stands for.

    requirements/minimum.txt states it in its header comment
    ("Oldest supported leg: Home Assistant 2026.3.4").
    """
    match = re.search(
        r"Home Assistant (\d{4}\.\d+\.\d+)", requirements_path.read_text("utf-8")
    )
    return match.group(1) if match else None


def check_hacs(hacs_path: Path, minimum_ha: str | None) -> list[str]:
    """Return what HACS would reject in hacs.json, and a stale minimum version."""
    try:
        hacs = load_json_ordered(hacs_path)
    except ValueError as err:
        return [f"hacs.json is not valid JSON: {err}"]
    if not isinstance(hacs, dict):
        return ["hacs.json is not an object"]
    problems = [
        f"key {key!r} is not allowed by HACS" for key in sorted(set(hacs) - HACS_KEYS)
    ]
    if not isinstance(hacs.get("name"), str) or not hacs["name"]:
        problems.append("'name' is required")
    if hacs.get("zip_release") and "filename" not in hacs:
        problems.append("zip_release needs filename")
    if minimum_ha is None:
        problems.append("the minimum Home Assistant version is unknown")
    elif hacs.get("homeassistant") != minimum_ha:
        problems.append(
            f"homeassistant is {hacs.get('homeassistant')!r}, but the minimum "
            f"tested Home Assistant is {minimum_ha!r}"
        )
    return problems


# ---------------------------------------------------------------- brand images

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"

# home-assistant/brands README ("Image specification"): icons are square,
# 256x256 and 512x512 for hDPI; logos have their shortest side between 128
# and 256 pixels (256 and 512 for hDPI). dark_ variants follow the same rules.
ICON_SIZES: Final = {"icon.png": 256, "icon@2x.png": 512}
LOGO_SHORTEST_SIDE: Final = {"logo.png": (128, 256), "logo@2x.png": (256, 512)}


def png_size(path: Path) -> tuple[int, int] | None:
    """Return a PNG's width and height from its IHDR chunk, or None if not a PNG."""
    with path.open("rb") as file:
        head = file.read(24)
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def check_brand(brand_dir: Path) -> list[str]:
    """Return brand images that are missing, not PNG, or the wrong size."""
    problems: list[str] = []
    problems.extend(
        f"{name} is missing" for name in ICON_SIZES if not (brand_dir / name).is_file()
    )
    for path in sorted(brand_dir.iterdir()) if brand_dir.is_dir() else []:
        base = path.name.removeprefix("dark_")
        if base not in ICON_SIZES and base not in LOGO_SHORTEST_SIDE:
            problems.append(f"{path.name} is not a brand image name")
            continue
        size = png_size(path)
        if size is None:
            problems.append(f"{path.name} is not a PNG")
            continue
        width, height = size
        if base in ICON_SIZES:
            side = ICON_SIZES[base]
            if size != (side, side):
                problems.append(
                    f"{path.name} is {width}x{height}, must be {side}x{side}"
                )
        else:
            low, high = LOGO_SHORTEST_SIDE[base]
            if not low <= min(size) <= high:
                problems.append(
                    f"{path.name} is {width}x{height}; its shortest side must be "
                    f"{low} to {high} pixels"
                )
    return problems


# ---------------------------------------------------------------- quality_scale.yaml

# home-assistant/core script/hassfest/quality_scale.py, ALL_RULES (read at
# commit 008538e822535b1d6155c91f6642127afa184ed1), per tier.
QUALITY_SCALE_RULES: Final = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_QUALITY_SCALE_RULES: Final = frozenset(
    rule for rules in QUALITY_SCALE_RULES.values() for rule in rules
)


def check_quality_scale(path: Path) -> list[str]:
    """Return what hassfest's quality scale SCHEMA rejects, and missing rules.

    hassfest accepts "todo"/"done" as a plain value or as {status, comment},
    and "exempt" only as {status: exempt, comment: <str>}. Core integrations
    only list the rules of their tier; ours claims every tier, so every rule
    must be there.
    """
    data = yaml.safe_load(path.read_text("utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("rules"), dict):
        return ["quality_scale.yaml has no 'rules' mapping"]
    problems: list[str] = [
        f"unexpected top-level key {key!r}" for key in data if key != "rules"
    ]
    rules: dict[str, Any] = data["rules"]
    for name, value in rules.items():
        if name not in ALL_QUALITY_SCALE_RULES:
            problems.append(f"{name!r} is not a quality scale rule")
        if isinstance(value, str):
            if value not in {"done", "todo"}:
                problems.append(
                    f"{name}: status {value!r} must be done or todo"
                    + (" (exempt needs a comment)" if value == "exempt" else "")
                )
        elif isinstance(value, dict):
            status = value.get("status")
            if status not in {"done", "todo", "exempt"}:
                problems.append(f"{name}: status {status!r} must be done/todo/exempt")
            comment = value.get("comment")
            if not isinstance(comment, str) or not comment.strip():
                problems.append(f"{name}: a comment is required")
            problems.extend(
                f"{name}: unexpected key {key!r}"
                for key in value
                if key not in {"status", "comment"}
            )
        else:
            problems.append(f"{name}: {value!r} is neither a status nor a mapping")
    problems.extend(
        f"rule {rule!r} is missing"
        for rule in sorted(ALL_QUALITY_SCALE_RULES - set(rules))
    )
    return problems


# ---------------------------------------------------------------- translation keys

# home-assistant/core script/hassfest/translations.py, translation_key_validator
# (RE_TRANSLATION_KEY, as core has it in 2025-2026): lower-case letters, digits,
# "-" and "_", with no separator at either end or next to another. Restated as
# words of letters and digits joined by single separators.
TRANSLATION_KEY: Final = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")

# Where hassfest's strings schema applies that rule to the keys of a mapping,
# as paths from the root of en.json ("*" for any key). Other mappings there
# (steps, errors, exceptions) use looser slug rules, which this file's other
# checks and cv.slug-shaped keys already meet.
TRANSLATION_KEY_PLACES: Final = (
    ("device",),
    ("entity", "*"),
    ("entity", "*", "*", "state"),
    ("entity", "*", "*", "state_attributes"),
    ("entity", "*", "*", "state_attributes", "*", "state"),
    ("selector", "*", "options"),
    ("selector", "*", "choices"),
    ("selector", "*", "fields"),
    ("selector", "*", "unit_of_measurement"),
    ("services",),
    ("services", "*", "fields"),
    ("services", "*", "sections"),
)


def _mappings_at(
    node: Any, path: tuple[str, ...], where: str = ""
) -> Iterable[tuple[str, dict[str, Any]]]:
    """Yield each mapping a path leads to in parsed JSON, with where it is."""
    if not isinstance(node, dict):
        return
    if not path:
        yield where, node
        return
    head, *rest = path
    for key in node if head == "*" else [head]:
        if key in node:
            yield from _mappings_at(
                node[key], tuple(rest), f"{where}.{key}".lstrip(".")
            )


def check_translation_keys(strings_path: Path) -> list[str]:
    """Return the keys of en.json that hassfest's translation key rule refuses."""
    strings = load_json_ordered(strings_path)
    return [
        f"{where}.{key}: not a valid translation key (lower-case letters, digits, "
        f"single - or _ inside)"
        for path in TRANSLATION_KEY_PLACES
        for where, mapping in _mappings_at(strings, path)
        for key in mapping
        if TRANSLATION_KEY.fullmatch(key) is None
    ]


# ---------------------------------------------------------------- README links

# An inline link or image whose target is in the repository (no scheme, not an
# anchor); the text may hold nested brackets, as a badge's image does.
_RELATIVE_LINK: Final = re.compile(
    r"!?\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?!\w+:|#)(?P<target>[^)\s]+)\)"
)


def check_readme_links(readme_path: Path) -> list[str]:
    """Return relative links HACS would break, or whose file does not exist.

    HACS shows README.md outside GitHub, so it rewrites relative links to the
    repository; it takes the link's target from the first "(" on the line.
    A parenthesis before the target (in an image's alt text, a link's text or
    the sentence around it) makes it rewrite the wrong text, and the image or
    link breaks.
    """
    problems: list[str] = []
    lines = readme_path.read_text("utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        for match in _RELATIVE_LINK.finditer(line):
            target = match.group("target")
            if line.index("(") != match.start("target") - 1:
                problems.append(
                    f"README.md:{number}: a parenthesis comes before the target of "
                    f"the relative link to {target}"
                )
            path = target.split("#", 1)[0]
            if path and not (readme_path.parent / path).exists():
                problems.append(f"README.md:{number}: {path} does not exist")
    return problems


# ---------------------------------------------------------------- releases

# A version heading of CHANGELOG.md: "## " and the version, nothing else.
_CHANGELOG_HEADING: Final = re.compile(r"^## (?P<version>\S+)$", re.MULTILINE)

# The tags that publish a release: v and a three-part version.
RELEASE_TAG_PATTERN: Final = "v*.*.*"


def latest_changelog_version(changelog_path: Path) -> str | None:
    """Return the version of CHANGELOG.md's first (newest) entry, or None."""
    match = _CHANGELOG_HEADING.search(changelog_path.read_text("utf-8"))
    return match.group("version") if match else None


def check_release(
    manifest_path: Path, changelog_path: Path, workflow_path: Path, hacs_path: Path
) -> list[str]:
    """Return what keeps a tag of manifest.json's version from making a release.

    HACS's default store installs GitHub releases: the tag is v<version>, the
    workflow publishes the zip hacs.json names, and CHANGELOG.md's newest
    entry is that version's (the workflow takes the notes from it).
    """
    version = str(load_json_ordered(manifest_path).get("version"))
    problems: list[str] = []
    latest = latest_changelog_version(changelog_path)
    if latest != version:
        problems.append(
            f"CHANGELOG.md's newest entry is {latest!r}, manifest.json's version "
            f"is {version!r}"
        )
    if re.fullmatch(r"\d+\.\d+\.\d+", version) is None:
        problems.append(f"version {version!r} does not match the tags v*.*.*")
    workflow = yaml.safe_load(workflow_path.read_text("utf-8"))
    # YAML 1.1 reads the key "on" as True.
    trigger = workflow.get("on", workflow.get(True, {}))
    if trigger != {"push": {"tags": [RELEASE_TAG_PATTERN]}}:
        problems.append(f"the workflow must run on tags {RELEASE_TAG_PATTERN} only")
    hacs = load_json_ordered(hacs_path)
    if not hacs.get("zip_release"):
        problems.append("hacs.json does not ask for the release zip")
    env = workflow.get("env", {})
    if env.get("ZIP") != hacs.get("filename"):
        problems.append(
            f"the workflow zips {env.get('ZIP')!r}, hacs.json expects "
            f"{hacs.get('filename')!r}"
        )
    if env.get("INTEGRATION") != str(
        manifest_path.parent.relative_to(workflow_path.parents[2])
    ):
        problems.append(f"the workflow does not zip {manifest_path.parent.name}")
    return problems
