"""Tests for the Twilio Comms integration."""
