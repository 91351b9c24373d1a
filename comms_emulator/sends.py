"""Send requests: validation of the body (comms-api.md §8, §9, §11) and what it asks for."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from .errors import ApiError, Issue

# One send reaches at most this many recipients (§1).
MAX_RECIPIENTS: Final = 10_000

# A send carries at most this many tags, keys and values this long (§3).
MAX_TAGS: Final = 10
MAX_TAG_KEY_LENGTH: Final = 128
MAX_TAG_VALUE_LENGTH: Final = 256

# Validation reports this many issues at most, as a long recipient list
# could otherwise produce thousands.
MAX_ISSUES: Final = 20

# Recipient fields that identify whom a resource goes to, in order of preference.
RECIPIENT_KEYS: Final = ("address", "token", "userId", "profileId")

# Content fields an email must have (§11).
EMAIL_CONTENT_KEYS: Final = ("subject", "html")


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """A validated send: whom, when, and how it is tagged."""

    addresses: tuple[str, ...]
    send_at: datetime | None
    tags: dict[str, str]
    body: Mapping[str, Any]


def _address(recipient: Mapping[str, Any]) -> str:
    """Return the address, token or id a recipient is reached at."""
    for key in RECIPIENT_KEYS:
        if isinstance(value := recipient.get(key), str):
            return value
    addresses = recipient.get("addresses")
    if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
        return str(addresses[0].get("address", ""))
    return ""


def _recipient_issues(recipients: object) -> list[Issue]:
    """Return what is wrong with the recipients."""
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS:
        return [
            Issue(
                message=f"to must list 1 to {MAX_RECIPIENTS} recipients", context="to"
            )
        ]
    return [
        Issue(message="A recipient must be an object", context=f"to[{index}]")
        for index, recipient in enumerate(recipients)
        if not isinstance(recipient, dict)
    ]


def _content_issues(channel: str, content: object) -> list[Issue]:
    """Return what is wrong with the content."""
    if not isinstance(content, dict) or not content:
        return [Issue(message="content is required", context="content")]
    if channel != "Emails":
        return []
    return [
        Issue(message=f"An email needs content.{key}", context=f"content.{key}")
        for key in EMAIL_CONTENT_KEYS
        if not isinstance(content.get(key), str)
    ]


def _schedule(schedule: object) -> tuple[datetime | None, list[Issue]]:
    """Return the first sendAt of a schedule, or what is wrong with it."""
    # A time without an offset is localised to each recipient's zone; with no
    # zone known, it is read as UTC, the documented fallback (§8).
    if schedule is None:
        return None, []
    send_at = schedule.get("sendAt") if isinstance(schedule, dict) else None
    if not isinstance(send_at, list) or not send_at or not isinstance(send_at[0], str):
        issue = Issue(
            message="schedule.sendAt must list date-times", context="schedule"
        )
        return None, [issue]
    try:
        moment = datetime.fromisoformat(send_at[0])
    except ValueError:
        issue = Issue(
            message="schedule.sendAt[0] is not a date-time",
            context="schedule.sendAt[0]",
        )
        return None, [issue]
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), []


def _tags(tags: object) -> tuple[dict[str, str], list[Issue]]:
    """Return a send's tags, or what is wrong with them."""
    if tags is None:
        return {}, []
    if (
        not isinstance(tags, dict)
        or len(tags) > MAX_TAGS
        or not all(
            isinstance(key, str)
            and isinstance(value, str)
            and len(key) <= MAX_TAG_KEY_LENGTH
            and len(value) <= MAX_TAG_VALUE_LENGTH
            for key, value in tags.items()
        )
    ):
        issue = Issue(
            message=f"tags must map at most {MAX_TAGS} short keys to strings",
            context="tags",
        )
        return {}, [issue]
    return dict(tags), []


def parse_send(channel: str, body: object) -> SendRequest:
    """Return a validated send request, or raise ApiError 400 listing every issue found."""
    if not isinstance(body, dict):
        raise ApiError.bad_request("The body must be a JSON object")
    send_at, schedule_issues = _schedule(body.get("schedule"))
    tags, tag_issues = _tags(body.get("tags"))
    issues = [
        *_recipient_issues(body.get("to")),
        *_content_issues(channel, body.get("content")),
        *schedule_issues,
        *tag_issues,
    ]
    if issues:
        raise ApiError(400, *issues[:MAX_ISSUES])
    return SendRequest(
        addresses=tuple(_address(recipient) for recipient in body["to"]),
        send_at=send_at,
        tags=tags,
        body=body,
    )
