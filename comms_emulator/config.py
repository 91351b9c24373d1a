"""Configuration of the Comms API emulator."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar, Final

# Credentials of the development account. They are public on purpose: the
# emulator only ever serves invented data.
DEV_ACCOUNT_SID: Final = "AC00000000000000000000000000000001"
DEV_AUTH_TOKEN: Final = "devauthtoken0000000000000000000001"
DEV_API_KEY_SID: Final = "SK00000000000000000000000000000001"
DEV_API_KEY_SECRET: Final = "devapikeysecret00000000000000001"


@dataclass(slots=True, kw_only=True)
class FaultConfig:
    """How often each kind of fault is injected (each a probability, 0 to 1)."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    unavailable: float = 0.0
    slow: float = 0.0
    malformed_json: float = 0.0
    unknown_status: float = 0.0
    missing_stats: float = 0.0
    # How long a slow response takes; past the client's 10 s timeout by default.
    slow_seconds: float = 15.0

    KINDS: ClassVar[tuple[str, ...]] = (
        "rate_limit",
        "server_error",
        "unavailable",
        "slow",
        "malformed_json",
        "unknown_status",
        "missing_stats",
    )

    def set_all(self, rate: float) -> None:
        """Give every fault kind the same rate."""
        for kind in self.KINDS:
            setattr(self, kind, rate)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorConfig:
    """What the emulator serves: account, seeded history and behaviour."""

    seed: int = 1
    operations_per_channel: int = 50
    # How far back the seeded history reaches (at most the 7-day retention).
    span: timedelta = timedelta(hours=24)
    # Share of seeded operations still scheduled or processing at start.
    active_fraction: float = 0.1
    failure_rate: float = 0.04
    undelivered_rate: float = 0.03
    read_rate: float = 0.5
    cancel_rate: float = 0.03
    # Share of operations scheduled hours ahead rather than sent at once.
    scheduled_fraction: float = 0.05
    account_sid: str = DEV_ACCOUNT_SID
    auth_token: str = DEV_AUTH_TOKEN
    api_key_sid: str = DEV_API_KEY_SID
    api_key_secret: str = DEV_API_KEY_SECRET
    channels: frozenset[str] = frozenset({"Messages", "PushNotifications", "Emails"})
    # What a channel the account may not use answers: 403, or 404.
    not_entitled_status: int = 403
    # Seconds between new operations appearing on their own; 0 disables.
    new_operation_interval: float = 0.0
    # Where a 202 carries the operation id: body, headers, both or none.
    operation_id_mode: str = "body"
    fault_seed: int = 7
    faults: FaultConfig = field(default_factory=FaultConfig)
