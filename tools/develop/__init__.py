"""Development tooling: scripts/develop provisions a demo Home Assistant."""
