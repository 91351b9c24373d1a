"""Configuration of the Comms API emulator, and what differs between its channels.

The channel tables follow comms-api.md §8–§11.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any, ClassVar, Final, Literal

# The channels, each spelled as its URL path segment under /v1.
CHANNELS: Final = ("Messages", "PushNotifications", "Emails")

# Channels that accept sends; all three document a POST (§8, §9, §11).
SEND_CHANNELS: Final = CHANNELS

# Every operation id starts with this prefix (§2).
OPERATION_PREFIX: Final = "comms_operation_"

# The resource id prefix of each channel (§2).
RESOURCE_PREFIX: Final = {
    "Messages": "comms_message_",
    "PushNotifications": "comms_pushnotification_",
    "Emails": "comms_email_",
}

# The key a resource listing puts its items under (§7 names these two).
RESOURCE_LIST_KEY: Final = {
    "Messages": "messages",
    "PushNotifications": "pushNotifications",
    "Emails": "emails",
}

# The stats keys each channel documents, in the reference's order (§10):
# Messages all twelve, Push the reference set, Emails the reference set.
STATS_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "Messages": (
        "total",
        "recipients",
        "attempts",
        "unaddressable",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "read",
        "undelivered",
        "failed",
        "canceled",
    ),
    "PushNotifications": (
        "total",
        "recipients",
        "unaddressable",
        "scheduled",
        "queued",
        "sent",
        "failed",
        "canceled",
    ),
    "Emails": (
        "total",
        "recipients",
        "attempts",
        "scheduled",
        "queued",
        "sent",
        "delivered",
        "opened",
        "undelivered",
        "failed",
        "canceled",
    ),
}

# The stats keys of each profile (config.StatsProfile) per channel. The
# guide's: Push seed 002's sample, Emails the Email guide's (the reference's
# without recipients and attempts), Messages seed 004's sample, which has the
# reference's keys in another order (no Messages guide shows other keys).
STATS_PROFILE_KEYS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "reference": STATS_KEYS,
    "guide": {
        "Messages": (
            "total",
            "recipients",
            "queued",
            "sent",
            "scheduled",
            "delivered",
            "read",
            "undelivered",
            "unaddressable",
            "failed",
            "canceled",
            "attempts",
        ),
        "PushNotifications": (
            "total",
            "recipients",
            "attempts",
            "queued",
            "sent",
            "delivered",
            "undelivered",
            "failed",
        ),
        "Emails": tuple(
            key for key in STATS_KEYS["Emails"] if key not in {"recipients", "attempts"}
        ),
    },
    "sparse": dict.fromkeys(CHANNELS, ("total", "sent", "failed")),
}

# The stats key of a delivered resource that was also read, per channel;
# Push documents no reads.
READ_KEYS: Final = {"Messages": "read", "Emails": "opened"}

# The channels whose listing a guide shows in another shape (§7, seed 002).
GUIDE_LISTING_CHANNELS: Final = frozenset({"PushNotifications"})

# Where the guide listing puts its resources.
GUIDE_LIST_KEY: Final = "notifications"

# The error a send that failed inside Twilio reports, per channel.
FAILURE_ERRORS: Final = {
    "Messages": (30003, "Unreachable destination handset"),
    "PushNotifications": (52134, "Invalid device token"),
    "Emails": (5002, "Recipient mailbox does not exist"),
}

# The error of a recipient no send was attempted for (stats' unaddressable).
UNADDRESSABLE_ERRORS: Final = {
    "Messages": (21211, "No sender can reach the recipient's address"),
    "PushNotifications": (52143, "No device registration for the recipient"),
    "Emails": (5001, "The recipient address is not valid"),
}

# The sender a resource shows when the send request named none.
DEFAULT_SENDERS: Final[dict[str, dict[str, str]]] = {
    "Messages": {"address": "+15550001111", "channel": "SMS"},
    "PushNotifications": {"fcm": "comms_credential_01h9krwprkeee8fzqspvwy6nq8"},
    "Emails": {"address": "notifications@example.com", "name": "Example"},
}


# Credentials of the development account. They are public on purpose: the
# emulator only ever serves invented data.
DEV_ACCOUNT_SID: Final = "AC00000000000000000000000000000001"
DEV_AUTH_TOKEN: Final = "devauthtoken0000000000000000000001"
DEV_API_KEY_SID: Final = "SK00000000000000000000000000000001"
DEV_API_KEY_SECRET: Final = "devapikeysecret00000000000000001"

# Records exist for 7 days after creation (comms-api.md §1), so seeded
# history may reach no further back.
RETENTION: Final = timedelta(days=7)

# Where a 202 carries the operation id (comms-api.md §4 lists all of these).
type OperationIdMode = Literal["body", "headers", "both", "none"]

# Every operation id mode, for validation and the command line.
OPERATION_ID_MODES: Final[tuple[OperationIdMode, ...]] = (
    "body",
    "headers",
    "both",
    "none",
)

# The shortest interval between operations appearing on their own: faster
# would grow the world by millions of operations a day.
MIN_LIVE_INTERVAL: Final = 1.0


def check_live_interval(seconds: float) -> None:
    """Raise ValueError for an interval the emulator will not generate at."""
    if seconds < 0:
        raise ValueError("the interval must not be negative")
    if 0 < seconds < MIN_LIVE_INTERVAL:
        raise ValueError(f"the interval must be 0 or at least {MIN_LIVE_INTERVAL:g} s")


# What a channel the account may not use answers: 403, or 404 (§14 says both occur).
NOT_ENTITLED_STATUSES: Final = (403, 404)


# Which stats keys a channel serves (comms-api.md §10 shows several sets):
# the reference's, a guide's sample, or only total, sent and failed.
type StatsProfile = Literal["reference", "guide", "sparse"]

# How the counters read (§10 says the documents disagree): each resource in
# the one bucket of its current state, or sent including delivered and
# undelivered, delivered including read.
type CounterReading = Literal["split", "cumulative"]

STATS_PROFILES: Final[tuple[StatsProfile, ...]] = ("reference", "guide", "sparse")
COUNTER_READINGS: Final[tuple[CounterReading, ...]] = ("split", "cumulative")


def _check_rate(name: str, value: float) -> None:
    """Raise ValueError unless a rate is a probability."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelShape:
    """Which of the documents' shapes a channel serves; the defaults are the reference's."""

    stats_profile: StatsProfile = "reference"
    counter_reading: CounterReading = "cumulative"
    # A fetched operation spells its timestamps unlike a listed one.
    timestamp_quirks: bool = False
    # Shares of operations (picked by id) that end in a status no client
    # knows, that flip back to PROCESSING once after completing, and, of
    # those scheduled ahead, that are partly sent while still SCHEDULED.
    unknown_status_share: float = 0.0
    backward_status_share: float = 0.0
    partial_schedule_share: float = 0.0
    # Resources listed under "notifications" with a URL as pagination.self,
    # as the Push guide's sample (only PushNotifications has that sample).
    guide_listing: bool = False

    # The settings that are shares of operations, checked to lie in 0–1.
    SHARES: ClassVar[tuple[str, ...]] = (
        "unknown_status_share",
        "backward_status_share",
        "partial_schedule_share",
    )

    def __post_init__(self) -> None:
        """Refuse values the emulator cannot serve (ValueError, TypeError)."""
        if self.stats_profile not in STATS_PROFILES:
            raise ValueError(f"stats_profile must be one of {STATS_PROFILES}")
        if self.counter_reading not in COUNTER_READINGS:
            raise ValueError(f"counter_reading must be one of {COUNTER_READINGS}")
        for name in ("timestamp_quirks", "guide_listing"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be true or false")
        for name in self.SHARES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number")
            _check_rate(name, value)
            # Frozen, yet an int share is stored as the float it stands for.
            object.__setattr__(self, name, float(value))

    @classmethod
    def settings(cls) -> tuple[str, ...]:
        """Return the name of every setting."""
        return tuple(setting.name for setting in fields(cls))

    def changed(self, changes: Mapping[str, Any]) -> ChannelShape:
        """Return this shape with some settings changed, all checked (ValueError, TypeError)."""
        if unknown := set(changes) - set(self.settings()):
            raise ValueError(f"unknown shape settings: {', '.join(sorted(unknown))}")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Return every setting by name."""
        return {name: getattr(self, name) for name in self.settings()}


def check_shape(channel: str, shape: ChannelShape) -> None:
    """Raise ValueError for a shape a channel cannot take."""
    if shape.guide_listing and channel not in GUIDE_LISTING_CHANNELS:
        raise ValueError(
            f"guide_listing applies to PushNotifications only, not {channel}"
        )


@dataclass(slots=True, kw_only=True)
class FaultConfig:
    """How often each kind of fault is injected (each a probability, 0 to 1)."""

    # Mutable on purpose, unlike the rest of the configuration: faults are
    # switched on and off while the emulator runs.

    rate_limit: float = 0.0
    server_error: float = 0.0
    unavailable: float = 0.0
    slow: float = 0.0
    malformed_json: float = 0.0
    unknown_status: float = 0.0
    missing_stats: float = 0.0
    # How long a slow response takes; past the client's 10 s timeout by default.
    slow_seconds: float = 15.0

    # Every kind of fault, in the order the command line lists them.
    KINDS: ClassVar[tuple[str, ...]] = (
        "rate_limit",
        "server_error",
        "unavailable",
        "slow",
        "malformed_json",
        "unknown_status",
        "missing_stats",
    )

    def __post_init__(self) -> None:
        """Refuse rates outside 0–1 and negative delays."""
        self.update({name: getattr(self, name) for name in self.settings()})

    @classmethod
    def settings(cls) -> tuple[str, ...]:
        """Return the name of every setting: the rates, then slow_seconds."""
        return (*cls.KINDS, "slow_seconds")

    def update(self, changes: Mapping[str, float]) -> None:
        """Apply some settings at once, all or none (ValueError or TypeError if one is invalid)."""
        checked: dict[str, float] = {}
        for name, value in changes.items():
            if name not in self.settings():
                raise ValueError(f"unknown fault setting {name!r}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number")
            if name == "slow_seconds":
                if value < 0:
                    raise ValueError("slow_seconds must not be negative")
            else:
                _check_rate(name, value)
            checked[name] = float(value)
        for name, value in checked.items():
            setattr(self, name, value)

    def set_all(self, rate: float) -> None:
        """Give every fault kind the same rate."""
        self.update(dict.fromkeys(self.KINDS, rate))

    def as_dict(self) -> dict[str, float]:
        """Return every setting by name."""
        return {name: getattr(self, name) for name in self.settings()}


# Event Streams (docs/event-streams.md): where its documents disagree, the
# reading each setting serves (§12); the defaults are what Twilio's current
# pages say or what was observed.

# Where a webhook sink starts (§2): active, or initialized until validated.
SINK_STATUSES: Final = ("active", "initialized")
# How Validate answers (§3): always valid (current), 400 on a wrong TestId (old).
VALIDATE_READINGS: Final = ("current", "old")
# The status a Test answers with (§3: 201, the OAI also lists 200).
TEST_STATUSES: Final = (201, 200)
# Which URL a delivery's X-Twilio-Signature signs (§8.2): without the
# destination's user info, with it, or with the default port written out.
SIGNED_URLS: Final = ("plain", "userinfo", "port")
# A delivery's Content-Type (§6): application/json, or the CloudEvents HTTP
# binding's types (structured for one event, batch for an array).
CONTENT_TYPES: Final = ("json", "cloudevents")

# Settings that name one of some values.
STREAMS_CHOICES: Final[dict[str, tuple[Any, ...]]] = {
    "sink_status": SINK_STATUSES,
    "validate_reading": VALIDATE_READINGS,
    "test_status": TEST_STATUSES,
    "signed_url": SIGNED_URLS,
    "content_type": CONTENT_TYPES,
}

# Settings that are shares of deliveries, checked to lie in 0–1.
DELIVERY_FAULTS: Final = ("duplicate", "reorder", "delay", "drop")


@dataclass(slots=True, kw_only=True)
class StreamsConfig:
    """How Event Streams behaves: its readings, limits, timing and delivery faults."""

    # Mutable, like FaultConfig: readings are switched while the emulator runs.

    # The account may use Event Streams (False: 403 on every Events call).
    entitled: bool = True
    sink_status: str = "active"
    validate_reading: str = "current"
    test_status: int = 201
    # A subscription needs an active sink (OAI), and a sink holds at most
    # one subscription ("Sink with SID … is in use", 3P-live).
    require_active_sink: bool = True
    one_subscription_per_sink: bool = True
    # Sinks and subscriptions per account (100 each, §11).
    max_sinks: int = 100
    max_subscriptions: int = 100
    # The catalogue lists the inbound type (only 3P names it, §9), and these
    # types as discontinued (refused at subscribing).
    inbound_type: bool = True
    discontinued_types: tuple[str, ...] = ()
    signed_url: str = "plain"
    content_type: str = "json"
    # data as a JSON string (the Kinesis samples), attempt and error_code as
    # numbers rather than the strings 3P-rs reads.
    data_as_string: bool = False
    numeric_fields: bool = False
    # Events per delivery of a batching sink, at most (each batch 1 to this).
    max_batch: int = 10
    # Seconds of real time between looks for transitions.
    tick_seconds: float = 0.25
    # The sink's answer limit (5 s, §7), and the retry backoff: doubling from
    # the first wait up to the cap, given up after give_up seconds (4 h).
    timeout_seconds: float = 5.0
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    retry_give_up_seconds: float = 4 * 3600.0
    # Delivery faults, each a share of events: delivered twice, sent after
    # later ones, held back delay_seconds, never delivered.
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    drop: float = 0.0
    delay_seconds: float = 1.0

    def __post_init__(self) -> None:
        """Refuse settings the emulator cannot honour."""
        self.update(self.as_dict())

    @classmethod
    def settings(cls) -> tuple[str, ...]:
        """Return the name of every setting."""
        return tuple(setting.name for setting in fields(cls))

    def update(self, changes: Mapping[str, Any]) -> None:
        """Apply some settings at once, all or none (ValueError or TypeError if one is invalid)."""
        checked = {
            name: _streams_setting(name, value) for name, value in changes.items()
        }
        for name, value in checked.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        """Return every setting by name."""
        return {name: getattr(self, name) for name in self.settings()}


# The Python type each Event Streams setting holds, by its default's type.
_STREAMS_DEFAULTS: Final = {
    setting.name: setting.default for setting in fields(StreamsConfig)
}


def _streams_setting(name: str, value: Any) -> Any:
    """Return an Event Streams setting's value, checked (ValueError, TypeError)."""
    if name not in _STREAMS_DEFAULTS:
        raise ValueError(f"unknown Event Streams setting {name!r}")
    if name in STREAMS_CHOICES:
        if value not in STREAMS_CHOICES[name] or isinstance(value, bool):
            raise ValueError(f"{name} must be one of {STREAMS_CHOICES[name]}")
        return value
    default = _STREAMS_DEFAULTS[name]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(
            isinstance(item, str) for item in value
        ):
            raise TypeError(f"{name} must be a list of strings")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number")
    if isinstance(default, int):
        if value != int(value) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1")
        return int(value)
    if name in DELIVERY_FAULTS:
        _check_rate(name, value)
    elif value < 0:
        raise ValueError(f"{name} must not be negative")
    return float(value)


# Twilio's API key types (twilio.com/docs/iam/api-keys/keys-in-console): a
# Main key reads everything, as the Auth Token does; a Standard key reads all
# but the Accounts (/Accounts) and Keys resources.
type KeyType = Literal["main", "standard"]

KEY_TYPES: Final[tuple[KeyType, ...]] = ("main", "standard")


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential:
    """One Basic-auth username and password pair, and the account it opens."""

    username: str
    password: str = field(repr=False)
    account_sid: str
    # What the pair may read of the classic REST API's Accounts resource.
    key_type: KeyType = "main"


@dataclass(frozen=True, slots=True, kw_only=True)
class EmulatorConfig:
    """What the emulator serves: account, seeded history and behaviour."""

    seed: int = 1
    operations_per_channel: int = 50
    # How far back the seeded history reaches (at most the 7-day retention).
    span: timedelta = timedelta(hours=24)
    # Share of seeded operations still scheduled or processing at start.
    active_fraction: float = 0.1
    # Mean shares of a send's recipients that fail inside Twilio, and that
    # are sent but not delivered.
    failure_rate: float = 0.04
    undelivered_rate: float = 0.03
    # Share of delivered messages that are read (emails: opened).
    read_rate: float = 0.5
    # Share of operations canceled part way.
    cancel_rate: float = 0.03
    # Share of operations scheduled hours ahead rather than sent at once.
    scheduled_fraction: float = 0.05
    account_sid: str = DEV_ACCOUNT_SID
    auth_token: str = DEV_AUTH_TOKEN
    api_key_sid: str = DEV_API_KEY_SID
    api_key_secret: str = DEV_API_KEY_SECRET
    # Standard by default: the key type most users create.
    api_key_type: KeyType = "standard"
    # More username/password pairs the API accepts, besides the two above.
    extra_credentials: tuple[Credential, ...] = ()
    channels: frozenset[str] = frozenset(CHANNELS)
    not_entitled_status: int = 403
    # Seconds between new operations appearing on their own; 0 disables.
    new_operation_interval: float = 0.0
    # What a send's wait before it starts and its processing time are
    # multiplied by: 1 paces them like the seeded campaigns, the demo's 0.1
    # sends a text to one recipient within seconds, as Twilio does.
    send_pace: float = 1.0
    operation_id_mode: OperationIdMode = "body"
    fault_seed: int = 7
    faults: FaultConfig = field(default_factory=FaultConfig)
    streams: StreamsConfig = field(default_factory=StreamsConfig)
    # The shape each channel serves; a channel left out gets ChannelShape().
    shapes: Mapping[str, ChannelShape] = field(
        default_factory=lambda: dict.fromkeys(CHANNELS, ChannelShape())
    )

    # The settings above that are probabilities, checked to lie in 0–1.
    RATES: ClassVar[tuple[str, ...]] = (
        "active_fraction",
        "failure_rate",
        "undelivered_rate",
        "read_rate",
        "cancel_rate",
        "scheduled_fraction",
    )

    def __post_init__(self) -> None:
        """Refuse settings the emulator cannot honour."""
        for name in self.RATES:
            _check_rate(name, getattr(self, name))
        if self.operations_per_channel < 0:
            raise ValueError("operations_per_channel must not be negative")
        if not timedelta(0) < self.span <= RETENTION:
            raise ValueError("span must be positive and at most 7 days")
        if unknown := self.channels - set(CHANNELS):
            raise ValueError(f"unknown channels: {', '.join(sorted(unknown))}")
        if self.api_key_type not in KEY_TYPES:
            raise ValueError(f"api_key_type must be one of {KEY_TYPES}")
        if self.not_entitled_status not in NOT_ENTITLED_STATUSES:
            raise ValueError("not_entitled_status must be 403 or 404")
        if self.operation_id_mode not in OPERATION_ID_MODES:
            raise ValueError(f"operation_id_mode must be one of {OPERATION_ID_MODES}")
        check_live_interval(self.new_operation_interval)
        if not 0 < self.send_pace <= 1:
            raise ValueError("send_pace must be above 0 and at most 1")
        for channel, shape in self.shapes.items():
            if channel not in CHANNELS:
                raise ValueError(f"unknown channel in shapes: {channel!r}")
            if not isinstance(shape, ChannelShape):
                raise TypeError(f"the shape of {channel} must be a ChannelShape")
            check_shape(channel, shape)

    def shape(self, channel: str) -> ChannelShape:
        """Return the shape a channel starts with."""
        return self.shapes.get(channel, ChannelShape())

    def credentials(self) -> tuple[Credential, ...]:
        """Return every pair the API accepts: auth token, API key, then extras."""
        return (
            Credential(
                username=self.account_sid,
                password=self.auth_token,
                account_sid=self.account_sid,
            ),
            Credential(
                username=self.api_key_sid,
                password=self.api_key_secret,
                account_sid=self.account_sid,
                key_type=self.api_key_type,
            ),
            *self.extra_credentials,
        )
