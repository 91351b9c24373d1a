"""What differs between the emulated channels (comms-api.md §8–§11)."""

from typing import Final

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
