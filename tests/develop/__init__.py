"""Tests of the demo tooling (tools/develop) that need no running Home Assistant."""
