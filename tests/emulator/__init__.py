"""Tests for the Comms API emulator."""
