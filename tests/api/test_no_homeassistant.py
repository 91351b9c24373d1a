"""The API client and tracker stay free of Home Assistant, so they could become a library."""

import ast
from pathlib import Path

import pytest

import custom_components.twilio_comms.api as api_package

API_DIR = Path(api_package.__file__).parent
MODULES = sorted(API_DIR.rglob("*.py"))


def imported_modules(source: str) -> list[str]:
    """Return every module a source file imports, absolute names only."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_the_package_has_modules() -> None:
    """Guard the guard: the walk below finds the package's seven modules, tracker included."""
    assert [path.name for path in MODULES] == [
        "__init__.py",
        "client.py",
        "events.py",
        "exceptions.py",
        "models.py",
        "sends.py",
        "tracker.py",
    ]


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_no_homeassistant_import(path: Path) -> None:
    """No module under api/ imports homeassistant, however the import is written."""
    for name in imported_modules(path.read_text()):
        assert name.split(".")[0] != "homeassistant", f"{path.name} imports {name}"


def test_relative_imports_stay_inside_the_package() -> None:
    """Relative imports never reach up into the integration, which uses Home Assistant."""
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{path.name} imports from a parent package"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("import homeassistant", ["homeassistant"], id="plain"),
        pytest.param("import os, homeassistant.core as core", ["os", "homeassistant.core"], id="aliased"),
        pytest.param("from homeassistant.helpers import aiohttp_client", ["homeassistant.helpers"], id="from"),
        pytest.param("# import homeassistant\n'''from homeassistant import x'''", [], id="comment and string"),
        pytest.param("from . import const", [], id="relative"),
    ],
)  # fmt: skip
def test_import_detection(source: str, expected: list[str]) -> None:
    """The detector sees real imports only, never comments or strings."""
    assert imported_modules(source) == expected
