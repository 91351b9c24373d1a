"""An emulator of Twilio's Comms API, for tests and the development demo."""

# Dev tooling only: never shipped with the integration, and independent of the
# integration's client on purpose, so the client is tested against a server
# written from the documentation rather than against itself.

from .app import create_app
from .config import (
    CHANNELS,
    ChannelShape,
    Credential,
    EmulatorConfig,
    FaultConfig,
    StreamsConfig,
)
from .emulator import EMULATOR_KEY, Emulator, FaultReport, GroundTruth, Outcomes

__all__ = [
    "CHANNELS",
    "EMULATOR_KEY",
    "ChannelShape",
    "Credential",
    "Emulator",
    "EmulatorConfig",
    "FaultConfig",
    "FaultReport",
    "GroundTruth",
    "Outcomes",
    "StreamsConfig",
    "create_app",
]
