"""The Twilio Comms integration."""
