"""Which translation keys the integration uses, read from its code and YAML.

The integration's Python is parsed with `ast`; the arguments that name a
translation (translation_key=, step_id=, reason=, errors, menu_options=,
options=, event_types=, ...) are resolved by evaluating the expression in the
namespace of the imported module, so constants, StrEnums and comprehensions
over them resolve to their real values. What still cannot be resolved (a
function parameter, say) must be listed in RESOLVERS with a reason, or it is
reported. services.yaml and icons.json are read as data.

The result is compared with translations/en.json both ways: every key the code
can produce must be there, and every key there must be producible.
"""

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
import importlib
import json
from pathlib import Path
from typing import Any, Final

from homeassistant.const import Platform
import yaml

PACKAGE: Final = "custom_components.twilio_comms"

type Key = tuple[str, ...]

# Expressions that name translations but cannot be evaluated on their own
# (they are parameters or loop variables). (module, source) -> (expression
# evaluated in that module's namespace instead, reason).
RESOLVERS: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("sensor", "counter"): (
        "{c for counters in CHANNEL_COUNTERS.values() for c in counters}",
        "a window-total sensor is described for each counter of CHANNEL_COUNTERS",
    ),
    ("entity", "channel"): (
        "list(Channel)",
        "each channel device is named after its Channel",
    ),
    ("entity", "ACCOUNT_DEVICE_KEYS[channel]"): (
        "list(ACCOUNT_DEVICE_KEYS.values())",
        "with several accounts, each channel device also names its account",
    ),
    ("helpers", "_TOO_LONG[err.field]"): (
        "list(_TOO_LONG.values())",
        "each field the client bounds has its own error, looked up by its name",
    ),
    ("helpers", "_REFUSED[err.field]"): (
        "list(_REFUSED.values())",
        "each field the client refuses has its own error, looked up by its name",
    ),
    ("coordinator", "UPDATE_FAILURES[failure]"): (
        "list(UPDATE_FAILURES.values())",
        "a failed poll is translated after the kind of failure it is",
    ),
    ("helpers", "REQUEST_FAILURES[failure_of(err)]"): (
        "list(REQUEST_FAILURES.values())",
        "a failed request is translated after the kind of failure it is",
    ),
    ("services", "_INVALID_ADDRESSES[field]"): (
        "list(_INVALID_ADDRESSES.values())",
        "each field holding addresses has its own error",
    ),
    ("config_flow", "kind"): (
        "list(CredentialKind)",
        "the credentials steps are named after the CredentialKind picked in the menu",
    ),
}

# Abort reasons Home Assistant's flow helpers produce on their own. Before
# 2026.10 they are looked up in the integration's translations.
SET_UNIQUE_ID_ABORT: Final = "already_in_progress"

_FLOW_BASES: Final = {
    "ConfigFlow": "config",
    "OptionsFlow": "options",
    "OptionsFlowWithReload": "options",
    "OptionsFlowWithConfigEntry": "options",
    "ConfigSubentryFlow": "config_subentries",
}
_PLATFORMS: Final = frozenset(platform.value for platform in Platform)
_SERVICE_REGISTRARS: Final = frozenset(
    {
        "async_register",
        "async_register_admin_service",
        "async_register_entity_service",
        "async_register_platform_entity_service",
    }
)


@dataclass
class Usage:
    """Translation keys the integration can produce."""

    required: set[Key] = field(default_factory=set)
    allowed: set[Key] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)
    entities: set[tuple[str, str]] = field(default_factory=set)
    services: dict[str, Any] = field(default_factory=dict)
    code_services: set[str] = field(default_factory=set)

    def need(self, *key: str) -> None:
        """Record a key that must exist (and so is used)."""
        self.required.add(key)
        self.allowed.add(key)

    def need_node(self, *key: str) -> None:
        """Record a section that must exist; what is in it is checked on its own."""
        self.required.add(key)

    def allow(self, *key: str) -> None:
        """Record a prefix under which keys count as used."""
        self.allowed.add(key)


def _name(node: ast.expr) -> str:
    """Return the last name of a dotted expression (func names, bases)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


class _Resolver:
    """Evaluates an expression of one module in that module's namespace."""

    def __init__(
        self, module: str, usage: Usage, tree: ast.Module | None = None
    ) -> None:
        self.module = module
        self.usage = usage
        self.tree = tree
        try:
            self.namespace = dict(
                vars(importlib.import_module(f"{PACKAGE}.{module}".rstrip(".")))
            )
        except ImportError:
            self.namespace = {}

    def values(self, node: ast.expr) -> set[str] | None:
        """Return the strings an expression stands for, or None (and record it)."""
        if isinstance(node, ast.Constant) and node.value is None:
            return set()
        if isinstance(node, ast.IfExp):
            # Either branch can be the key.
            body, orelse = self.values(node.body), self.values(node.orelse)
            return None if body is None or orelse is None else body | orelse
        if (passed := self._passed_in(node)) is not None:
            return passed
        source = ast.unparse(node)
        expression = RESOLVERS.get((self.module, source), (source, ""))[0]
        try:
            value = eval(expression, self.namespace)  # noqa: S307
        except Exception:  # noqa: BLE001
            self.usage.unresolved.append(f"{self.module}.py:{node.lineno}: {source}")
            return None
        if isinstance(value, str):
            return {value}
        if isinstance(value, dict):
            return {str(item) for item in value}
        if isinstance(value, Iterable):
            return {str(item) for item in value}
        self.usage.unresolved.append(f"{self.module}.py:{node.lineno}: {source}")
        return None

    def _passed_in(self, node: ast.expr) -> set[str] | None:
        """Return what the module's callers pass for a parameter, if node is one.

        A helper such as `def _invalid(key): ... translation_key=key` names
        the keys its call sites give it; each call site must give a literal.
        """
        if self.tree is None or not isinstance(node, ast.Name):
            return None
        function = next(
            (
                item
                for item in ast.walk(self.tree)
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and item.lineno <= node.lineno <= (item.end_lineno or 0)
                and node.id in {arg.arg for arg in item.args.args}
            ),
            None,
        )
        if function is None:
            return None
        params = [arg.arg for arg in function.args.args]
        index = params.index(node.id) - (params[:1] in (["self"], ["cls"]))
        found: set[str] = set()
        for call in ast.walk(self.tree):
            if not (isinstance(call, ast.Call) and _name(call.func) == function.name):
                continue
            arg = call.args[index] if index < len(call.args) else _kw(call, node.id)
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                return None
            found.add(arg.value)
        return found or None

    def values_quiet(self, node: ast.expr) -> set[str]:
        """Return the string an expression stands for, if any, unrecorded."""
        try:
            value = eval(ast.unparse(node), self.namespace)  # noqa: S307
        except Exception:  # noqa: BLE001
            return set()
        return {value} if isinstance(value, str) else set()


def _walk_classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _flow_kind(cls: ast.ClassDef) -> str | None:
    return next(
        (_FLOW_BASES[_name(base)] for base in cls.bases if _name(base) in _FLOW_BASES),
        None,
    )


def _referenced_names(node: ast.AST) -> set[str]:
    return {
        child.id if isinstance(child, ast.Name) else child.attr
        for child in ast.walk(node)
        if isinstance(child, (ast.Name, ast.Attribute))
    }


def _subentry_types(
    classes: dict[str, ast.ClassDef], resolver: _Resolver
) -> dict[str, set[str]]:
    """Map subentry flow class names to their subentry types."""
    types: dict[str, set[str]] = defaultdict(set)
    for cls in classes.values():
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.FunctionDef)
                and node.name == "async_get_supported_subentry_types"
            ):
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                        for key, value in zip(
                            ret.value.keys, ret.value.values, strict=True
                        ):
                            if key is not None and (names := resolver.values(key)):
                                types[_name(value)] |= names
    return types


def _flow_prefixes(
    tree: ast.Module, resolver: _Resolver
) -> list[tuple[ast.AST, list[Key], ast.ClassDef | None]]:
    """Return (scope, translation prefixes, flow class) for each flow scope.

    A flow class's methods use its prefix; a module-level function uses the
    prefixes of the flow classes that call it, directly or through others.
    """
    classes = _walk_classes(tree)
    subentry_types = _subentry_types(classes, resolver)
    scopes: list[tuple[ast.AST, list[Key], ast.ClassDef | None]] = []
    class_prefixes: dict[str, list[Key]] = {}
    for cls in classes.values():
        kind = _flow_kind(cls)
        if kind is None:
            continue
        if kind == "config_subentries":
            names = subentry_types.get(cls.name)
            if not names:
                resolver.usage.unresolved.append(
                    f"{resolver.module}.py:{cls.lineno}: subentry type of {cls.name}"
                )
                continue
            prefixes = [("config_subentries", name) for name in sorted(names)]
        else:
            prefixes = [(kind,)]
        class_prefixes[cls.name] = prefixes
        scopes.append((cls, prefixes, cls))
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    reached: dict[str, set[Key]] = {name: set() for name in functions}
    for name, prefixes in class_prefixes.items():
        for called in _referenced_names(classes[name]) & functions.keys():
            reached[called] |= set(prefixes)
    changed = True
    while changed:
        changed = False
        for name, function in functions.items():
            for called in _referenced_names(function) & functions.keys():
                if not reached[name] <= reached[called]:
                    reached[called] |= reached[name]
                    changed = True
    scopes.extend(
        (functions[name], sorted(prefixes), None)
        for name, prefixes in reached.items()
        if prefixes
    )
    return scopes


@dataclass
class _FlowScope:
    """One flow class, or a module function flow classes call."""

    prefixes: list[Key]
    methods: set[str]
    resolver: _Resolver
    usage: Usage
    menus: dict[Key, set[str] | None]

    def add(self, section: str, node: ast.expr | None, default: str = "") -> None:
        """Require <prefix>.<section>.<name> for what node (or default) names."""
        names = {default} if node is None else self.resolver.values(node)
        for prefix in self.prefixes:
            for name in names or ():
                self.usage.need(*prefix, section, name)

    def visit(self, node: ast.AST) -> None:
        """Collect what one node of the scope says about translations."""
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "base":
                    self.add("error", value)
        elif isinstance(node, ast.Assign) and not isinstance(node.value, ast.Dict):
            if any(
                isinstance(target, ast.Subscript) and "error" in _name(target.value)
                for target in node.targets
            ):
                self.add("error", node.value)
        elif isinstance(node, ast.Call):
            self.visit_call(node, _name(node.func))

    def visit_call(self, node: ast.Call, func: str) -> None:
        """Collect steps, menus, errors and abort reasons of a flow call."""
        if func in {"async_show_form", "async_show_menu", "async_show_progress"}:
            self.visit_show(node, func)
        elif func == "async_abort":
            self.add("abort", _kw(node, "reason"))
        elif func == "_abort_if_unique_id_configured":
            self.add("abort", _kw(node, "error"), "already_configured")
        elif func == "_async_abort_entries_match":
            self.add("abort", None, "already_configured")
        elif func == "_abort_if_unique_id_mismatch":
            self.add("abort", _kw(node, "reason"), "unique_id_mismatch")
        elif func in {"async_update_reload_and_abort", "async_update_and_abort"}:
            if (reason := _kw(node, "reason")) is not None:
                self.add("abort", reason)
                return
            # Home Assistant's default: "reconfigure_successful" in a
            # reconfigure flow, "reauth_successful" for any other source.
            if "async_step_reconfigure" in self.methods:
                self.add("abort", None, "reconfigure_successful")
            if "async_step_reconfigure" not in self.methods or (
                "async_step_reauth" in self.methods
            ):
                self.add("abort", None, "reauth_successful")
        elif func == "async_set_unique_id":
            # raise_on_progress (default True) aborts a second flow for the
            # same unique id with "already_in_progress"; Home Assistant only
            # translates it centrally from 2026.10 on.
            flag = _kw(node, "raise_on_progress")
            if not (isinstance(flag, ast.Constant) and flag.value is False):
                self.add("abort", None, SET_UNIQUE_ID_ABORT)

    def visit_show(self, node: ast.Call, func: str) -> None:
        """Collect the step (and menu options, progress, errors) a form shows."""
        step = _kw(node, "step_id")
        steps = self.resolver.values(step) if step is not None else None
        options = _kw(node, "menu_options")
        option_names = (
            self.resolver.values(options)
            if func == "async_show_menu" and options is not None
            else None
        )
        for prefix in self.prefixes:
            for name in steps or ():
                self.usage.need_node(*prefix, "step", name)
                if func != "async_show_menu":
                    continue
                if isinstance(options, ast.Dict):
                    # A mapping gives its own labels.
                    self.menus[(*prefix, "step", name)] = None
                    continue
                known = self.menus.get((*prefix, "step", name)) or set()
                self.menus[(*prefix, "step", name)] = known | (option_names or set())
                for option in option_names or ():
                    self.usage.need(*prefix, "step", name, "menu_options", option)
                    self.usage.need_node(*prefix, "step", option)
        if func == "async_show_progress":
            self.add("progress", _kw(node, "progress_action"))
        errors = _kw(node, "errors")
        if isinstance(errors, ast.Dict):
            for value in errors.values:
                self.add("error", value)


def _collect_flow(
    scope: ast.AST,
    prefixes: list[Key],
    cls: ast.ClassDef | None,
    context: tuple[_Resolver, Usage, dict[Key, set[str]], dict[Key, set[str] | None]],
) -> None:
    """Collect steps, menus, errors and abort reasons of one flow scope."""
    resolver, usage, steps, menus = context
    methods = (
        {node.name for node in cls.body if isinstance(node, ast.AsyncFunctionDef)}
        if cls
        else set()
    )
    for prefix in prefixes:
        steps.setdefault(prefix, set()).update(
            method.removeprefix("async_step_")
            for method in methods
            if method.startswith("async_step_")
        )
    flow = _FlowScope(prefixes, methods, resolver, usage, menus)
    for node in ast.walk(scope):
        flow.visit(node)


def _collect_entities_and_more(
    tree: ast.Module, module: str, resolver: _Resolver, usage: Usage
) -> None:
    """Collect entity, device, exception, issue, selector and service keys."""
    platform = module if module in _PLATFORMS else None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            _name(target) == "_attr_translation_key" for target in node.targets
        ):
            _entity(usage, resolver, platform, node.value)
        if not isinstance(node, ast.Call):
            continue
        func = _name(node.func)
        if func in _SERVICE_REGISTRARS:
            # The action's name: the argument after the domain.
            name = node.args[1] if len(node.args) > 1 else _kw(node, "service")
            if name is None:
                name = _kw(node, "service_name")
            if name is not None:
                usage.code_services |= resolver.values_quiet(name)
        if (key := _kw(node, "translation_key")) is not None:
            _translation_key_call(
                node, func, key, platform=platform, resolver=resolver, usage=usage
            )


def _translation_key_call(
    node: ast.Call,
    func: str,
    key: ast.expr,
    *,
    platform: str | None,
    resolver: _Resolver,
    usage: Usage,
) -> None:
    """Collect the keys a call with translation_key= names."""
    if _kw(node, "translation_domain") is not None:
        for name in resolver.values(key) or ():
            usage.need("exceptions", name, "message")
    elif func == "async_create_issue":
        fixable = _kw(node, "is_fixable")
        for name in resolver.values(key) or ():
            usage.need("issues", name, "title")
            if isinstance(fixable, ast.Constant) and fixable.value is False:
                usage.need("issues", name, "description")
            else:
                usage.allow("issues", name)
    elif func == "DeviceInfo":
        for name in resolver.values(key) or ():
            usage.need("device", name, "name")
    elif func == "SelectSelectorConfig":
        options = _kw(node, "options")
        option_values = resolver.values(options) if options is not None else None
        for name in resolver.values(key) or ():
            for option in option_values or ():
                usage.need("selector", name, "options", option)
    elif func.endswith("EntityDescription"):
        names = _entity(usage, resolver, platform, key)
        if (options := _kw(node, "options")) is not None and platform:
            for name in names:
                for state in resolver.values(options) or ():
                    usage.need("entity", platform, name, "state", state)
        if (event_types := _kw(node, "event_types")) is not None:
            for name in names:
                for event_type in resolver.values(event_types) or ():
                    usage.need(
                        "entity",
                        "event",
                        name,
                        *("state_attributes", "event_type", "state", event_type),
                    )


def _entity(
    usage: Usage, resolver: _Resolver, platform: str | None, key: ast.expr
) -> set[str]:
    """Require the name of an entity translation key; return the keys."""
    names = resolver.values(key) or set()
    if names and platform is None:
        usage.unresolved.append(
            f"{resolver.module}.py:{key.lineno}: platform of {sorted(names)}"
        )
        return set()
    for name in names:
        usage.need("entity", str(platform), name, "name")
        usage.entities.add((str(platform), name))
    return names


def _collect_services(services_path: Path, usage: Usage) -> None:
    """Collect service, field, section and selector keys from services.yaml."""
    if not services_path.is_file():
        return
    services = yaml.safe_load(services_path.read_text("utf-8")) or {}
    usage.services = services
    for service, spec in services.items():
        usage.need("services", service, "name")
        usage.need("services", service, "description")
        fields = (spec or {}).get("fields") or {}
        for name, field_spec in fields.items():
            if isinstance(field_spec, dict) and "fields" in field_spec:
                usage.need("services", service, "sections", name, "name")
                usage.allow("services", service, "sections", name, "description")
                inner = field_spec["fields"] or {}
            else:
                inner = {name: field_spec}
            for field_name, inner_spec in inner.items():
                usage.need("services", service, "fields", field_name, "name")
                usage.need("services", service, "fields", field_name, "description")
                selector = (inner_spec or {}).get("selector") or {}
                select = selector.get("select") or {}
                if key := select.get("translation_key"):
                    for option in select.get("options", []):
                        value = option["value"] if isinstance(option, dict) else option
                        usage.need("selector", key, "options", str(value))


def collect_usage(integration_dir: Path) -> Usage:
    """Return every translation key the integration can produce."""
    usage = Usage()
    steps: dict[Key, set[str]] = {}
    menus: dict[Key, set[str] | None] = {}
    fields: set[str] = set()
    strings: set[str] = set()
    for path in sorted(integration_dir.rglob("*.py")):
        relative = path.relative_to(integration_dir).with_suffix("")
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        module = ".".join(parts)
        tree = ast.parse(path.read_text("utf-8"), str(path))
        resolver = _Resolver(module, usage, tree)
        strings |= {
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        for scope, prefixes, cls in _flow_prefixes(tree, resolver):
            _collect_flow(scope, prefixes, cls, (resolver, usage, steps, menus))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and _name(node.func)
                in {"Required", "Optional", "Exclusive", "Inclusive"}
                and node.args
            ):
                fields |= resolver.values_quiet(node.args[0])
        _collect_entities_and_more(tree, module, resolver, usage)
    _collect_services(integration_dir / "services.yaml", usage)

    for prefix, names in steps.items():
        for step in names:
            base = (*prefix, "step", step)
            usage.allow(*base, "title")
            usage.allow(*base, "description")
            for name in fields:
                usage.allow(*base, "data", name)
                usage.allow(*base, "data_description", name)
                usage.allow(*base, "sections", name)
            if menus.get(base) is None and base in menus:
                usage.allow(*base, "menu_options")
            for option in menus.get(base) or ():
                usage.allow(*base, "menu_option_descriptions", option)
        if prefix[0] == "config_subentries":
            usage.need(*prefix, "entry_type")
            usage.need(*prefix, "initiate_flow", "user")
            if "reconfigure" in names:
                usage.need(*prefix, "initiate_flow", "reconfigure")
    usage.allow("title")
    for platform, name in usage.entities:
        base = ("entity", platform, name)
        usage.allow(*base, "unit_of_measurement")
        if platform == "binary_sensor":
            usage.allow(*base, "state", "on")
            usage.allow(*base, "state", "off")
        for attribute in strings:
            if attribute != "event_type":
                usage.allow(*base, "state_attributes", attribute, "name")
                usage.allow(*base, "state_attributes", attribute, "state")
    return usage


def _leaves(data: Any, prefix: Key = ()) -> Iterator[Key]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*prefix, str(key)))
    else:
        yield prefix


def _has(data: Any, key: Key) -> bool:
    for part in key:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _covered(key: Key, allowed: set[Key]) -> bool:
    return any(key[:length] in allowed for length in range(1, len(key) + 1))


def check_translations(integration_dir: Path) -> list[str]:
    """Return keys missing from en.json, unused in it, and icon keys without text."""
    usage = collect_usage(integration_dir)
    strings = json.loads(
        (integration_dir / "translations" / "en.json").read_text("utf-8")
    )
    problems = [f"cannot resolve {item}" for item in usage.unresolved]
    problems.extend(
        f"missing in en.json: {'.'.join(key)}"
        for key in sorted(usage.required)
        if not _has(strings, key)
    )
    problems.extend(
        f"unused in en.json: {'.'.join(key)}"
        for key in _leaves(strings)
        if not _covered(key, usage.allowed)
    )
    # hassfest (translations.py): a data_description needs a data label.
    for flow in ("config", "options"):
        for step, spec in (strings.get(flow, {}).get("step") or {}).items():
            problems.extend(
                f"{flow}.step.{step}.data_description.{name} has no data label"
                for name in spec.get("data_description", {})
                if name not in spec.get("data", {})
            )
    problems.extend(
        f"action {service!r} is registered but not in services.yaml"
        for service in sorted(usage.code_services - set(usage.services))
    )
    problems.extend(_check_icons(integration_dir, strings, usage))
    return problems


def _check_icons(integration_dir: Path, strings: Any, usage: Usage) -> list[str]:
    """Return icons.json keys that name nothing the integration has."""
    icons_path = integration_dir / "icons.json"
    if not icons_path.is_file():
        return ["icons.json is missing"] if usage.entities else []
    icons = json.loads(icons_path.read_text("utf-8"))
    problems = [
        f"icons.json: unknown section {section!r}"
        for section in icons
        if section not in {"entity", "services"}
    ]
    for platform, entities in (icons.get("entity") or {}).items():
        for name, spec in entities.items():
            if (platform, name) not in usage.entities:
                problems.append(f"icons.json: entity.{platform}.{name} is not used")
                continue
            text = strings.get("entity", {}).get(platform, {}).get(name, {})
            states = set(text.get("state", {}))
            if platform == "binary_sensor":
                states |= {"on", "off"}
            problems.extend(
                f"icons.json: entity.{platform}.{name}.state.{state} is not a state"
                for state in spec.get("state", {})
                if state not in states
            )
            for attribute, attribute_spec in (
                spec.get("state_attributes") or {}
            ).items():
                known = (
                    text.get("state_attributes", {}).get(attribute, {}).get("state", {})
                )
                problems.extend(
                    f"icons.json: entity.{platform}.{name}.state_attributes."
                    f"{attribute}.state.{state} has no text"
                    for state in attribute_spec.get("state", {})
                    if state not in known
                )
    service_icons = set(icons.get("services") or {})
    problems.extend(
        f"icons.json: services.{service} is not an action"
        for service in sorted(service_icons - set(usage.services))
    )
    problems.extend(
        f"icons.json: action {service!r} has no icon"
        for service in sorted(set(usage.services) - service_icons)
    )
    return problems
