"""Tests for the Comms API client."""
