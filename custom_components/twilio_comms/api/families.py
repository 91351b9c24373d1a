"""What differs between the per-recipient resource families, in one table."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .const import Channel
from .ids import EMAIL_ID_PREFIXES, MESSAGE_ID_PREFIXES, PUSH_NOTIFICATION_ID_PREFIXES
from .models import Email, Message, PushNotification

# List keys of an operations listing; `data` is the generic key a guide sample
# uses for emails, accepted everywhere in case other pages follow it.
OPERATION_LIST_KEYS: Final = ("operations", "data")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceFamily[T]:
    """How to address, list and parse one family of resources."""

    channel: Channel
    id_prefixes: tuple[str, ...]
    # Keys the items of a listing may come under, most likely first.
    list_keys: tuple[str, ...]
    parse: Callable[[object], T]


# Messages list under `messages` (REF-msg/list); `data` as for operations.
MESSAGES: Final = ResourceFamily(
    channel=Channel.MESSAGES,
    id_prefixes=MESSAGE_ID_PREFIXES,
    list_keys=("messages", "data"),
    parse=Message.from_json,
)

# The push reference key is not visible; a guide sample uses `notifications`.
PUSH_NOTIFICATIONS: Final = ResourceFamily(
    channel=Channel.PUSH_NOTIFICATIONS,
    id_prefixes=PUSH_NOTIFICATION_ID_PREFIXES,
    list_keys=("pushNotifications", "notifications", "data"),
    parse=PushNotification.from_json,
)

# The email guide sample lists under `data`, the resource name suggests `emails`.
EMAILS: Final = ResourceFamily(
    channel=Channel.EMAILS,
    id_prefixes=EMAIL_ID_PREFIXES,
    list_keys=("emails", "data"),
    parse=Email.from_json,
)
