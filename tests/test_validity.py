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

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from . import translation_usage
from .translation_usage import check_translations, entity_keys
from .validity import (
    ALL_QUALITY_SCALE_RULES,
    INTEGRATION_DIR,
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


# ---------------------------------------------------------------- README.md


def test_readme_relative_links_survive_hacs() -> None:
    """HACS can rewrite every relative link and image of README, and each exists."""
    assert check_readme_links(REPO_ROOT / "README.md") == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "![The dashboard (scripts/develop)](docs/images/dashboard.png)",
            "a parenthesis comes before the target of the relative link to docs/",
        ),
        (
            "([the blueprint](blueprints/automation/twilio_comms/)):",
            "a parenthesis comes before the target",
        ),
        ("See (below) [LICENSE](LICENSE).", "a parenthesis comes before"),
        ("![gone](docs/images/missing.png)", "docs/images/missing.png does not exist"),
    ],
    ids=["alt text", "around the link", "earlier in the line", "missing file"],
)
def test_readme_link_check_catches(tmp_path: Path, line: str, expected: str) -> None:
    """A parenthesis before a relative target, or a target that is not there."""
    shutil.copytree(REPO_ROOT / "docs", tmp_path / "docs")
    shutil.copytree(REPO_ROOT / "blueprints", tmp_path / "blueprints")
    (tmp_path / "LICENSE").write_text("MIT", "utf-8")
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\n![fine](docs/images/dashboard.png) and [a link](#x) (ok)\n"
        f"[LICENSE](LICENSE), [site](https://example.com/a)\n{line}\n",
        "utf-8",
    )
    problems = check_readme_links(readme)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"README.md:5: {expected}"), problems


# ---------------------------------------------------------------- releases

CHANGELOG = REPO_ROOT / "CHANGELOG.md"
RELEASE_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "release.yml"


def test_release_is_in_step() -> None:
    """manifest.json's version has the newest CHANGELOG entry; its tag makes the zip."""
    assert check_release(MANIFEST, CHANGELOG, RELEASE_WORKFLOW, HACS_JSON) == []


@pytest.fixture
def release_copy(tmp_path: Path) -> Path:
    """Return a copy of the files a release depends on, to break."""
    for path in (MANIFEST, CHANGELOG, RELEASE_WORKFLOW, HACS_JSON):
        target = tmp_path / path.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return tmp_path


def _release_problems(root: Path) -> list[str]:
    return check_release(
        *(
            root / path.relative_to(REPO_ROOT)
            for path in (MANIFEST, CHANGELOG, RELEASE_WORKFLOW, HACS_JSON)
        )
    )


def _bump_manifest(root: Path) -> None:
    path = root / MANIFEST.relative_to(REPO_ROOT)
    _write_json(path, json.loads(path.read_text("utf-8")) | {"version": "9.9.9"})


def _edit_text(root: Path, original: Path, old: str, new: str) -> None:
    path = root / original.relative_to(REPO_ROOT)
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_bump_manifest, "newest entry is '0.1.0', manifest.json's version is '9.9.9'"),
        (
            lambda root: _edit_text(
                root, CHANGELOG, "# Changelog\n", "# Changelog\n\n## 0.2.0\n\nNext.\n"
            ),
            "newest entry is '0.2.0'",
        ),
        (
            lambda root: _edit_text(root, RELEASE_WORKFLOW, "ZIP: twilio_comms.zip", "ZIP: x.zip"),
            "the workflow zips 'x.zip'",
        ),
        (
            lambda root: _edit_text(root, RELEASE_WORKFLOW, 'tags: ["v*.*.*"]', "branches: [main]"),
            "tags v*.*.* only",
        ),
        (
            lambda root: _edit_text(root, HACS_JSON, '"zip_release": true', '"zip_release": false'),
            "does not ask for the release zip",
        ),
        (
            lambda root: _edit_text(root, RELEASE_WORKFLOW, "INTEGRATION: custom_components/twilio_comms", "INTEGRATION: ."),
            "does not zip twilio_comms",
        ),
    ],
    ids=["version bumped alone", "changelog ahead", "zip name", "trigger", "hacs.json", "folder"],
)  # fmt: skip
def test_release_check_catches(release_copy: Path, change: Any, expected: str) -> None:
    """A version, changelog, workflow or hacs.json out of step is reported."""
    change(release_copy)
    problems = _release_problems(release_copy)
    assert any(expected in problem for problem in problems), problems


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


# ---------------------------------------------------------------- translations

STRINGS = INTEGRATION_DIR / "translations" / "en.json"


def test_translation_keys_pass_hassfest() -> None:
    """Select options, states, attributes, devices and actions use hassfest's keys."""
    assert check_translation_keys(STRINGS) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["selector"]["push_provider"]["options"].update(FCM="FCM"),
            "selector.push_provider.options.FCM",
        ),
        (
            lambda s: s["selector"]["push_priority"]["options"].update(
                {"_high": "High"}
            ),
            "selector.push_priority.options._high",
        ),
        (
            lambda s: s["selector"]["push_priority"]["options"].update(
                {"high-": "High"}
            ),
            "selector.push_priority.options.high-",
        ),
        (
            lambda s: s["selector"]["sender_channel"]["options"].update(
                {"what__sapp": "WhatsApp"}
            ),
            "selector.sender_channel.options.what__sapp",
        ),
        (
            lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].update(
                {"In progress": "In progress"}
            ),
            "entity.sensor.latest_operation_status.state.In progress",
        ),
        (
            lambda s: s["entity"]["binary_sensor"]["delivery_problem"][
                "state_attributes"
            ].update({"failureRate": {"name": "Failure rate"}}),
            "entity.binary_sensor.delivery_problem.state_attributes.failureRate",
        ),
        (
            lambda s: s["device"].update({"Messages": {"name": "Messages"}}),
            "device.Messages",
        ),
        (
            lambda s: s["services"]["send_message"]["fields"].update(
                {"-text": {"name": "Text", "description": "Text"}}
            ),
            "services.send_message.fields.-text",
        ),
    ],
)
def test_translation_key_check_catches(
    tmp_path: Path, change: Any, expected: str
) -> None:
    """Upper case, a separator at either end or doubled, and spaces are reported."""
    strings = json.loads(STRINGS.read_text("utf-8"))
    change(strings)
    problems = check_translation_keys(_write_json(tmp_path / "en.json", strings))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{expected}: "), problems


def test_translations_match_the_code() -> None:
    """Every key the code, services.yaml and icons.json use is in en.json, and back."""
    assert check_translations() == []


def _changed(data: Any, change: Any) -> Any:
    copy = json.loads(json.dumps(data))
    change(copy)
    return copy


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["exceptions"].pop("rate_limited"), "exceptions.rate_limited.message"),
        (lambda s: s["exceptions"].pop("update_timeout"), "exceptions.update_timeout.message"),
        (lambda s: s["exceptions"].pop("too_many_recipients"), "exceptions.too_many_recipients.message"),
        (lambda s: s["issues"]["channel_not_entitled"].pop("description"), "issues.channel_not_entitled.description"),
        (lambda s: s["config"]["abort"].pop("already_in_progress"), "config.abort.already_in_progress"),
        (lambda s: s["config"]["abort"].pop("reconfigure_successful"), "config.abort.reconfigure_successful"),
        (lambda s: s["config"]["error"].pop("invalid_account_sid"), "config.error.invalid_account_sid"),
        (lambda s: s["config"]["step"]["user"]["menu_options"].pop("api_key"), "config.step.user.menu_options.api_key"),
        (lambda s: s["config"]["step"].pop("reauth_confirm"), "config.step.reauth_confirm"),
        (lambda s: s["options"]["error"].pop("no_channels"), "options.error.no_channels"),
        (lambda s: s["config_subentries"]["recipient"]["initiate_flow"].pop("reconfigure"), "config_subentries.recipient.initiate_flow.reconfigure"),
        (lambda s: s["config_subentries"]["recipient"]["error"].pop("invalid_sender"), "config_subentries.recipient.error.invalid_sender"),
        (lambda s: s["entity"]["sensor"].pop("opened"), "entity.sensor.opened.name"),
        (lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].pop("unknown"), "entity.sensor.latest_operation_status.state.unknown"),
        (lambda s: s["entity"]["event"]["operations"]["state_attributes"]["event_type"]["state"].pop("operation_canceled"), "entity.event.operations.state_attributes.event_type.state.operation_canceled"),
        (lambda s: s["device"].pop("emails_of_account"), "device.emails_of_account.name"),
        (lambda s: s["services"]["send_message"]["fields"]["text"].pop("name"), "services.send_message.fields.text.name"),
        (lambda s: s["selector"]["channels"]["options"].pop("emails"), "selector.channels.options.emails"),
    ],
)  # fmt: skip
def test_translation_check_catches_a_missing_key(change: Any, expected: str) -> None:
    """A key the code, a description, a flow or services.yaml names must be in en.json."""
    strings = _changed(json.loads(STRINGS.read_text("utf-8")), change)
    # An event type without text has an icon without text, too.
    assert check_translations(strings)[0] == f"missing in en.json: {expected}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda s: s["exceptions"].update(never={"message": "Never raised"}), "exceptions.never.message"),
        (lambda s: s["config"]["error"].update(stale="Gone"), "config.error.stale"),
        (lambda s: s["config"]["abort"].update(reauth_failed="Gone"), "config.abort.reauth_failed"),
        (lambda s: s["options"]["step"].update(extra={"title": "Extra"}), "options.step.extra.title"),
        (lambda s: s["config_subentries"]["recipient"]["abort"].update(unique_id_mismatch="x"), "config_subentries.recipient.abort.unique_id_mismatch"),
        (lambda s: s["entity"]["sensor"].update(ghost={"name": "Ghost"}), "entity.sensor.ghost.name"),
        (lambda s: s["entity"]["sensor"]["latest_operation_status"]["state"].update(failed="Failed"), "entity.sensor.latest_operation_status.state.failed"),
        (lambda s: s["entity"]["event"]["operations"]["state_attributes"]["event_type"]["state"].update(operation_failed="x"), "entity.event.operations.state_attributes.event_type.state.operation_failed"),
        (lambda s: s["device"].update(sms={"name": "SMS"}), "device.sms.name"),
        (lambda s: s["issues"].update(old={"title": "Old"}), "issues.old.title"),
        (lambda s: s["services"].update(send={"name": "Send"}), "services.send.name"),
        (lambda s: s["selector"]["push_priority"]["options"].update(low="Low"), "selector.push_priority.options.low"),
    ],
)  # fmt: skip
def test_translation_check_catches_an_unused_key(change: Any, expected: str) -> None:
    """A key nothing in the integration names is reported."""
    strings = _changed(json.loads(STRINGS.read_text("utf-8")), change)
    assert check_translations(strings) == [f"unused in en.json: {expected}"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda i: i["entity"]["sensor"].update(ghost={"default": "mdi:ghost"}), "icon: entity.sensor.ghost"),
        (lambda i: i["entity"]["sensor"].pop("opened"), "no icon: entity.sensor.opened"),
        (lambda i: i["services"].update(send={"service": "mdi:send"}), "icon: services.send"),
        (lambda i: i["services"].pop("get_operation"), "no icon: services.get_operation"),
        (lambda i: i["entity"]["sensor"]["failed"].update(state={"boom": "mdi:bomb"}), "icon without text: entity.sensor.failed.state.boom"),
    ],
)  # fmt: skip
def test_translation_check_catches_icons(change: Any, expected: str) -> None:
    """An icon of nothing, an entity or action without one, an icon of no state."""
    icons = _changed(json.loads((INTEGRATION_DIR / "icons.json").read_text()), change)
    assert check_translations(icons=icons) == [expected]


def test_translation_check_reports_a_key_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception key that is neither a literal nor a table lookup is reported."""
    copy = tmp_path / "twilio_comms"
    shutil.copytree(INTEGRATION_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "helpers.py").write_text(
        (copy / "helpers.py").read_text("utf-8")
        + "\n\ndef fail(key):\n    raise HomeAssistantError(\n"
        "        translation_domain=DOMAIN,\n        translation_key=key,\n    )\n",
        "utf-8",
    )
    monkeypatch.setattr(translation_usage, "INTEGRATION_DIR", copy)
    assert check_translations() == ["helpers.py: a translation_key is unreadable"]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_descriptions_are_every_runtime_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The entities a running instance creates are those the descriptions give.

    Every channel, every entity enabled; and every attribute label in en.json
    names an attribute the entity really has.
    """
    entities = entity_keys(set(), set())
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    strings = json.loads(STRINGS.read_text("utf-8"))
    described = {
        ("entity", entry.domain, entry.translation_key)
        for entry in entries
        if entry.translation_key
    }
    assert described == entities
    for entry in entries:
        if entry.translation_key is None:
            continue
        text = strings["entity"][entry.domain][entry.translation_key]
        state = hass.states.get(entry.entity_id)
        assert state is not None
        assert set(text.get("state_attributes", {})) <= set(state.attributes)
