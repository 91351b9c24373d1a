"""Where the demo's Home Assistant listens: its stored HTTP configuration.

Since 2026.10, Home Assistant keeps the HTTP server's settings in
`.storage/http`. It imports an `http:` YAML block once, as a *trial* that
reverts (with a restart) after five minutes unless someone confirms it in the
UI, and ignores the YAML afterwards, so a port given on the command line could
not take effect on a second run. Before each start, scripts/develop writes the
port and the loopback address into the store's confirmed ("stable") slot
instead; nothing is pending, so nothing asks for confirmation.

The layout is the store's version 2.2 (homeassistant/components/http/config.py
of 2026.10.4, the demo's pinned release). The newest leg (scripts/newest)
writes it into a fresh directory too: 2026.11.0 migrates it to its 3.1 on load.
"""

from datetime import UTC, datetime
import json
from pathlib import Path
from typing import Any, Final

STORE_PATH: Final = Path(".storage/http")
STORE_VERSION: Final = 2
STORE_MINOR_VERSION: Final = 2
LOOPBACK: Final = "127.0.0.1"

# Home Assistant's defaults for the settings the demo does not change
# (HTTP_STORAGE_SCHEMA applied to an empty config).
DEFAULTS: Final[dict[str, Any]] = {
    "cors_allowed_origins": ["https://cast.home-assistant.io"],
    "login_attempts_threshold": -1,
    "ip_ban_enabled": True,
    "ssl_profile": "modern",
    "use_x_frame_options": True,
}


def write_http_config(config_dir: Path, port: int) -> bool:
    """Make the stored HTTP configuration listen on loopback at a port.

    Keeps any other stored setting; returns whether the file changed.
    """
    path = config_dir / STORE_PATH
    stored: dict[str, Any] | None = None
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if (stored["version"], stored.get("minor_version")) != (
            STORE_VERSION,
            STORE_MINOR_VERSION,
        ):
            raise ValueError(
                f"{path} has layout {stored['version']}.{stored.get('minor_version')}, "
                f"not {STORE_VERSION}.{STORE_MINOR_VERSION}: reset the demo state"
            )
    stable: dict[str, Any] = dict(DEFAULTS)
    if stored is not None:
        stable.update(stored["data"]["stable"])
    stable.update(
        server_host=[LOOPBACK],
        server_port=port,
        error=None,
        error_message=None,
    )
    stable.setdefault("created_at", datetime.now(UTC).isoformat())
    document = {
        "version": STORE_VERSION,
        "minor_version": STORE_MINOR_VERSION,
        "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }
    if document == stored:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return True
