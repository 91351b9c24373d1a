"""Validation of Comms ids, done before any id becomes part of a URL."""

import re
from typing import Final

from .exceptions import TwilioCommsInvalidIdError

# The prefix of every operation id, whichever channel it belongs to.
OPERATION_ID_PREFIX: Final = "comms_operation_"

# The prefix of message ids.
MESSAGE_ID_PREFIXES: Final = ("comms_message_",)

# The reference spells push notification ids `comms_pushnotification_`, a
# guide sample `comms_notification_` (comms-api.md §2); both are accepted.
PUSH_NOTIFICATION_ID_PREFIXES: Final = (
    "comms_pushnotification_",
    "comms_notification_",
)

# The prefix of email ids.
EMAIL_ID_PREFIXES: Final = ("comms_email_",)

# The prefix of push user ids, a kind of push recipient.
PUSH_USER_ID_PREFIXES: Final = ("comms_pushnotificationuser_",)

# The part after the prefix: lowercase base32-like characters only, so no id
# can carry a path separator, a query, an escape, a dot or whitespace. The
# documented patterns are not end-anchored and a seed sample is shorter than
# they say, so only a generous length bound is enforced (comms-api.md §2).
_SUFFIX: Final = re.compile(r"[0-9a-z]{1,64}")


def is_valid_id(value: object, prefixes: tuple[str, ...]) -> bool:
    """Return whether a value is an id with one of the given prefixes."""
    return isinstance(value, str) and any(
        value.startswith(prefix) and _SUFFIX.fullmatch(value, len(prefix))
        for prefix in prefixes
    )


def validate_id(value: str, prefixes: tuple[str, ...]) -> str:
    """Return the id unchanged, or raise TwilioCommsInvalidIdError."""
    if is_valid_id(value, prefixes):
        return value
    expected = " or ".join(f"{prefix}…" for prefix in prefixes)
    # The rejected value is the caller's own input, but it is summarised, not
    # echoed: it may be long or contain control characters.
    raise TwilioCommsInvalidIdError(
        f"Invalid id (expected {expected} with lowercase letters and digits): "
        f"{_describe(value)}"
    )


def is_operation_id(value: object) -> bool:
    """Return whether a value is a well-formed operation id."""
    return is_valid_id(value, (OPERATION_ID_PREFIX,))


def validate_operation_id(value: str) -> str:
    """Return a well-formed operation id, or raise TwilioCommsInvalidIdError."""
    return validate_id(value, (OPERATION_ID_PREFIX,))


def _describe(value: str) -> str:
    """Return a short, printable description of a rejected id."""
    if len(value) > 80 or not value.isprintable():
        return f"a {len(value)}-character string"
    return repr(value)
