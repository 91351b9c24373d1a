"""Development tools for twilio_comms (never shipped)."""
