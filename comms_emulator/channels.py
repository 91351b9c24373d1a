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
