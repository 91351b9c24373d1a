"""The demo's Home Assistant listens on loopback at the port it is given."""

import json
from pathlib import Path

import pytest

from tools.develop.http_store import STORE_PATH, write_http_config


def test_fresh_directory_gets_a_confirmed_loopback_config(tmp_path: Path) -> None:
    """Nothing stored yet: a stable config, nothing pending, YAML migration done."""
    assert write_http_config(tmp_path, 18123)
    stored = json.loads((tmp_path / STORE_PATH).read_text(encoding="utf-8"))
    assert (stored["key"], stored["version"], stored["minor_version"]) == ("http", 2, 2)
    data = stored["data"]
    assert data["pending"] is None
    assert data["yaml_migration_done"] is True
    assert data["stable"]["server_host"] == ["127.0.0.1"]
    assert data["stable"]["server_port"] == 18123
    # Unchanged the second time.
    assert not write_http_config(tmp_path, 18123)


def test_port_change_keeps_other_settings_and_drops_a_pending_trial(
    tmp_path: Path,
) -> None:
    """A new --port replaces the port only; a trial config is discarded."""
    path = tmp_path / STORE_PATH
    path.parent.mkdir()
    stable = {"server_port": 8123, "ip_ban_enabled": False, "created_at": "then"}
    path.write_text(
        json.dumps(
            {
                "version": 2,
                "minor_version": 2,
                "key": "http",
                "data": {
                    "stable": stable,
                    "pending": {"server_port": 1},
                    "yaml_migration_done": False,
                },
            }
        ),
        encoding="utf-8",
    )
    assert write_http_config(tmp_path, 9000)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    assert data["stable"]["server_port"] == 9000
    assert data["stable"]["ip_ban_enabled"] is False
    assert data["stable"]["created_at"] == "then"
    assert data["pending"] is None


def test_unknown_layout_is_refused(tmp_path: Path) -> None:
    """A store written by another release is not rewritten blindly."""
    path = tmp_path / STORE_PATH
    path.parent.mkdir()
    path.write_text(
        json.dumps({"version": 3, "minor_version": 1, "key": "http", "data": {}}),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="reset the demo state"):
        write_http_config(tmp_path, 9000)
