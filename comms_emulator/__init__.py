"""An emulator of Twilio's Comms API, for tests and the development demo.

Dev tooling only: never shipped with the integration, and independent of the
integration's client on purpose, so the client is tested against a server
written from the documentation rather than against itself.
"""

from .app import EMULATOR_KEY, Emulator, create_app
from .config import EmulatorConfig, FaultConfig
from .world import CHANNELS

__all__ = [
    "CHANNELS",
    "EMULATOR_KEY",
    "Emulator",
    "EmulatorConfig",
    "FaultConfig",
    "create_app",
]
