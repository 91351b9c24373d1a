"""The translation keys the integration uses, read from its static data.

Entity descriptions, device keys, services.yaml and the flows' schemas (their
select options), flow classes (steps: their async_step_ methods; errors, aborts: literals)
and exception and repair keys (literals or table lookups):
en.json and icons.json hold them, and nothing more.
"""

import importlib
import inspect
import re
from typing import Any, Final

from homeassistant.helpers.selector import SelectSelector
import voluptuous as vol
import yaml

from custom_components import twilio_comms
from custom_components.twilio_comms import config_flow, entity
from custom_components.twilio_comms.api import Channel

from .validity import INTEGRATION_DIR

type Key = tuple[str, ...]

_EXCEPTION: Final = re.compile(r'=DOMAIN,\s+translation_key=(?:"(\w+)"|(\w+)\[)?')
_ISSUE: Final = re.compile(
    r'async_create_issue\([^)]*translation_key=(?:"(\w+)"|(\w+)\[)'
)
_ERROR: Final = re.compile(r'(?:errors\[\w+\] = |"base": )"(\w+)"')
_ABORT: Final = re.compile(r'reason="(\w+)"')
_MENU: Final = re.compile(r'async_show_menu\(\s*step_id="(\w+)", menu_options=(\w+)')

# Aborts Home Assistant's helpers make (read from the integration before
# 2026.10); the …_and_abort helpers' follows the flow's source.
IMPLIED_ABORTS: Final = {
    "self.async_set_unique_id(": "already_in_progress",
    "self._abort_if_unique_id_configured(": "already_configured",
    "self._abort_if_unique_id_mismatch(": "unique_id_mismatch",
}


def _load(name: str) -> Any:  # YAML reads JSON too
    return yaml.safe_load((INTEGRATION_DIR / name).read_text("utf-8"))


def _names(stem: str) -> dict[str, Any]:
    package = twilio_comms.__name__
    return vars(importlib.import_module(package + f".{stem}" * (stem != "__init__")))


def _code_keys(need: set[Key], problems: list[str]) -> None:
    """Add the exception and repair keys the modules name."""
    for path in sorted(INTEGRATION_DIR.glob("*.py")):
        for literal, table in _EXCEPTION.findall(source := path.read_text("utf-8")):
            if not literal and not table:
                problems.append(f"{path.name}: a translation_key is unreadable")
            names = [literal] if literal else _names(path.stem).get(table, {}).values()
            need |= {("exceptions", name, "message") for name in names}
        for literal, table in _ISSUE.findall(source):
            names = [literal] if literal else _names(path.stem).get(table, {}).values()
            need |= {
                ("issues", k, part) for k in names for part in ("title", "description")
            }


def entity_keys(need: set[Key], may: set[Key]) -> set[Key]:
    """Add the keys of every entity description; return the entities."""
    entities: set[Key] = set()
    for platform in twilio_comms.PLATFORMS:
        for value in _names(platform).values():
            for desc in value if isinstance(value, tuple) else (value,):
                # Home Assistant rebuilds description classes: isinstance fails.
                if "EntityDescription" in {c.__name__ for c in type(desc).__mro__}:
                    entities.add(base := ("entity", platform, desc.translation_key))
                    states = getattr(desc, "options", None) or ()
                    events = getattr(desc, "event_types", None) or ()
                    event_type = (*base, "state_attributes", "event_type", "state")
                    need |= {(*base, "name"), *((*base, "state", s) for s in states)}
                    need |= {(*event_type, event) for event in events}
                    may |= {(*base, "state", "on"), (*base, "state", "off")}
                    may.add((*base, "state_attributes", "*", "name"))
    return entities


def _flow_keys(need: set[Key], may: set[Key]) -> None:
    """Add the keys of every flow's steps, menus, errors and aborts."""
    main = config_flow.TwilioCommsConfigFlow
    flows = {("config",): main, ("options",): config_flow.TwilioCommsOptionsFlow}
    subentries = main.async_get_supported_subentry_types(None)  # type: ignore[arg-type]
    flows |= {("config_subentries", kind): flow for kind, flow in subentries.items()}
    for prefix, flow in flows.items():
        source = inspect.getsource(flow)
        steps = {n[11:] for n in vars(flow) if n.startswith("async_step_")}
        aborts = {key for call, key in IMPLIED_ABORTS.items() if call in source}
        if "_and_abort(" in source:
            aborts |= {f"{s}_successful" for s in steps & {"reauth", "reconfigure"}}
        need |= {(*prefix, "abort", key) for key in {*_ABORT.findall(source), *aborts}}
        need |= {(*prefix, "error", key) for key in _ERROR.findall(source)}
        need |= {(*prefix, "step", step) for step in steps - {"reauth"}}
        may |= {(*prefix, "step", step) for step in steps}
        for step, menu in _MENU.findall(source):
            menu_options = (*prefix, "step", step, "menu_options")
            need |= {(*menu_options, option) for option in vars(config_flow)[menu]}
        if prefix[0] == "config_subentries":
            need.add((*prefix, "entry_type"))
            need |= {(*prefix, "initiate_flow", s) for s in steps - {"reauth"}}
    # The options of the forms' select selectors: most are services.yaml's
    # too, but a form may offer more (a recipient's email channel).
    for schema in vars(config_flow).values():
        if not isinstance(schema, vol.Schema):
            continue
        for selector in schema.schema.values():
            if isinstance(selector, SelectSelector) and (
                key := selector.config.get("translation_key")
            ):
                need |= {
                    ("selector", key, "options", option)
                    for option in selector.config["options"]
                }


def _service_keys(need: set[Key], actions: dict[str, Any]) -> None:
    """Add the keys of every action, its fields and their select options."""
    for action, spec in actions.items():
        need |= {("services", action, part) for part in ("name", "description")}
        for name, field in spec.get("fields", {}).items():
            fields = ("services", action, "fields", name)
            need |= {(*fields, "name"), (*fields, "description")}
            select = field["selector"].get("select") or {}
            for option in select.get("options", []):
                need.add(("selector", select["translation_key"], "options", option))


def _leaves(data: Any, prefix: Key = ()) -> list[Key]:
    if not isinstance(data, dict):
        return [prefix]
    return [leaf for key, val in data.items() for leaf in _leaves(val, (*prefix, key))]


def _under(key: Key, keys: set[Key]) -> bool:  # "*" stands for any part
    pairs = (zip(k, key, strict=False) for k in keys if len(k) <= len(key))
    return any(all(a in ("*", b) for a, b in pair) for pair in pairs)


def check_translations(strings: Any = None, icons: Any = None) -> list[str]:
    """Return what en.json lacks or holds unused, and icons.json's mismatches."""
    strings = strings or _load("translations/en.json")
    icons, actions = icons or _load("icons.json"), _load("services.yaml")
    devices = [*Channel, *entity.ACCOUNT_DEVICE_KEYS.values()]
    need, may = {("device", device, "name") for device in devices}, {("title",)}
    problems: list[str] = []
    _code_keys(need, problems)
    entities = entity_keys(need, may)
    _flow_keys(need, may)
    _service_keys(need, actions)
    leaves = _leaves(strings)
    present = {leaf[:i] for leaf in leaves for i in range(1, len(leaf) + 1)}
    problems += [f"missing in en.json: {'.'.join(k)}" for k in sorted(need - present)]
    unused = [k for k in leaves if not _under(k, need | may)]
    problems += [f"unused in en.json: {'.'.join(k)}" for k in unused]
    iconed = {("entity", p, k) for p, specs in icons["entity"].items() for k in specs}
    iconed |= {("services", action) for action in icons["services"]}
    wanted = entities | {("services", action) for action in actions}
    for key in sorted(wanted ^ iconed):
        problems.append(f"{'icon' if key in iconed else 'no icon'}: {'.'.join(key)}")
    for key in _leaves(icons["entity"], ("entity",)):
        if key[:3] in entities and key[3] != "default" and key not in present | may:
            problems.append(f"icon without text: {'.'.join(key)}")
    return problems
