"""Sends: typed requests, validated before anything goes on the wire, and the 202."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
import html
import re
from typing import Any, ClassVar, Final

from yarl import URL

from .exceptions import TwilioCommsInputTooLongError, TwilioCommsValidationError
from .models import (
    PUSH_USER_ID_PREFIXES,
    Channel,
    as_object,
    as_text,
    format_timestamp,
    is_operation_id,
    is_valid_id,
)

# Recipients one send request may target (comms-api.md §1).
MAX_RECIPIENTS: Final = 10_000

# Tag pairs one request may carry, and their longest key and value (the send
# schema, comms-api.md §3).
MAX_TAGS: Final = 10
MAX_TAG_KEY_LENGTH: Final = 128
MAX_TAG_VALUE_LENGTH: Final = 256

# The schema's alphabet for tag keys and values. Tags "can be templated with
# Liquid" too, but the schema pattern wins: tags stay plain.
_TAG_PATTERN: Final = re.compile(r"[a-zA-Z0-9._~-]+", re.ASCII)

# The longest message text: Twilio Messaging's body limit (error 21617),
# which every channel a Comms message can go out on shares.
MAX_TEXT_LENGTH: Final = 1600

# The most UTF-8 bytes of a push notification's title and body together. APNs
# and FCM both cap a notification's payload at 4096 bytes; the rest is left
# for the keys around them.
MAX_PUSH_CONTENT_BYTES: Final = 4000

# Our own caps where Twilio documents none: an FCM token is about 160
# characters and an APNs token 64, media URLs rarely pass 2,000 characters
# (what browsers and CDNs reliably take), and Twilio's ids are 34 to 50.
MAX_DEVICE_TOKEN_LENGTH: Final = 4096
MAX_MEDIA_URL_LENGTH: Final = 2048
MAX_SENDER_ID_LENGTH: Final = 128

# Media attachments per message; the cap comes from an independent client,
# the official schema is not visible (comms-api.md §8).
MAX_MEDIA: Final = 10


# An email address as a send takes it: one @, a dotted domain, and nothing a
# mail header would read as a separator. Deliberately loose on the local part
# (Twilio is the judge of deliverability); the longest is RFC 5321's path.
_EMAIL_ADDRESS: Final = re.compile(
    r'[^@\s<>()\[\],;:"]+@(?:[^@\s<>()\[\],;:".]+\.)+[^@\s<>()\[\],;:".]+'
)
MAX_EMAIL_ADDRESS_LENGTH: Final = 254

# Our own caps where Twilio documents none: a display name, and a subject as
# long as one RFC 5322 header line may be.
MAX_EMAIL_NAME_LENGTH: Final = 256
MAX_SUBJECT_LENGTH: Final = 998

# The most UTF-8 bytes of an email's html and text together: independent
# clients cite 10 MB per request (comms-api.md §11); a little is left for the
# recipients and the keys around them.
MAX_EMAIL_CONTENT_BYTES: Final = 9_000_000

# Characters a one-line header value (a subject, a display name) must not hold.
_LINE_BREAKS: Final = re.compile(r"[\r\n\x00]")


class RecipientChannel(StrEnum):
    """How a message recipient is addressed; PHONE covers SMS, MMS and RCS."""

    PHONE = "PHONE"
    WHATSAPP = "WHATSAPP"


class SenderChannel(StrEnum):
    """The channel a message sender address sends on."""

    SMS = "SMS"
    RCS = "RCS"
    WHATSAPP = "WHATSAPP"


class PushProvider(StrEnum):
    """The push service a device token belongs to."""

    FCM = "FCM"
    APN = "APN"


class PushPriority(StrEnum):
    """Delivery priority of a push notification.

    Only HIGH, the default: the reference says there is an enum, but none of
    Twilio's Comms pages shows another value (comms-api.md §9). LOW belongs
    to the older Notify API and is not sent here until Comms documents it.
    """

    HIGH = "HIGH"


def _require(
    condition: bool, message: str, *, field: str | None = None, value: str | None = None
) -> None:
    """Raise TwilioCommsValidationError with the message unless condition holds."""
    if not condition:
        raise TwilioCommsValidationError(message, field=field, value=value)


def _require_at_most(count: int, limit: int, field: str, message: str) -> None:
    """Raise TwilioCommsInputTooLongError with the message unless count is within limit."""
    if count > limit:
        raise TwilioCommsInputTooLongError(message, field=field, limit=limit)


def _require_length(size: int, limit: int, field: str, what: str) -> None:
    """Raise TwilioCommsInputTooLongError unless size is within limit."""
    _require_at_most(size, limit, field, f"{what} is longer than {limit}")


def _require_text(value: str | None, what: str, field: str | None = None) -> None:
    """Require a string with something besides whitespace."""
    _require(
        value is not None and bool(value.strip()),
        f"{what} must not be empty",
        field=field,
    )


def _validate_tags(tags: Mapping[str, str]) -> None:
    """Check tags against the send schema's limits and alphabet."""
    _require(
        len(tags) <= MAX_TAGS, f"At most {MAX_TAGS} tags are allowed", field="tags"
    )
    for key, value in tags.items():
        for text, limit, what in (
            (key, MAX_TAG_KEY_LENGTH, "tag key"),
            (value, MAX_TAG_VALUE_LENGTH, "tag value"),
        ):
            _require(
                len(text) <= limit and _TAG_PATTERN.fullmatch(text) is not None,
                f"Each {what} must be 1 to {limit} characters of "
                f"letters, digits and . _ ~ -",
                field="tags",
            )


def _validate_variables(variables: Mapping[str, str]) -> None:
    """Check a recipient's template variables have names."""
    for key in variables:
        _require_text(key, "A variable name")


def _validate_recipients(recipients: Sequence[object]) -> None:
    """Check a send has 1 to MAX_RECIPIENTS recipients."""
    message = f"A send needs 1 to {MAX_RECIPIENTS} recipients"
    _require(bool(recipients), message)
    _require_at_most(len(recipients), MAX_RECIPIENTS, "recipients", message)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecipient:
    """A message recipient: an address on a channel, with template variables."""

    address: str
    channel: RecipientChannel = RecipientChannel.PHONE
    variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate the recipient."""
        _require_text(self.address, "A recipient address")
        _validate_variables(self.variables)

    def to_json(self) -> dict[str, Any]:
        """Return the recipient as the API expects it."""
        payload: dict[str, Any] = {
            "address": self.address,
            "channel": str(self.channel),
        }
        if self.variables:
            payload["variables"] = dict(self.variables)
        return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSender:
    """Who a message comes from: an address on a channel, or a sender id."""

    address: str | None = None
    channel: SenderChannel | None = None
    sender_id: str | None = None

    def __post_init__(self) -> None:
        """Require exactly one of the two forms."""
        if self.sender_id is not None:
            _require(
                self.address is None and self.channel is None,
                "A sender is either an address and channel or a sender id, not both",
            )
            _require_text(self.sender_id, "A sender id", "sender_id")
            _require_length(
                len(self.sender_id), MAX_SENDER_ID_LENGTH, "sender_id", "A sender id"
            )
            return
        _require_text(self.address, "A sender address")
        _require(self.channel is not None, "A sender address needs a channel")

    def to_json(self) -> dict[str, Any]:
        """Return the sender as the API expects it."""
        if self.sender_id is not None:
            return {"senderId": self.sender_id}
        return {"address": self.address, "channel": str(self.channel)}


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSendRequest:
    """A request to send a text and/or media message to recipients."""

    channel: ClassVar[Channel] = Channel.MESSAGES

    to: Sequence[MessageRecipient]
    text: str | None = None
    media_urls: Sequence[str] = ()
    sender: MessageSender | None = None
    # Each is an aware datetime (sent in UTC) or a naive one, which the API
    # localises to each recipient's time zone (comms-api.md §8).
    send_at: Sequence[datetime] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate the request as the API would, before sending it."""
        _validate_recipients(self.to)
        _require(
            self.text is not None or bool(self.media_urls),
            "A message needs a text or media",
        )
        if self.text is not None:
            _require_text(self.text, "The message text", "text")
            _require_length(len(self.text), MAX_TEXT_LENGTH, "text", "The message text")
        _require_at_most(
            len(self.media_urls),
            MAX_MEDIA,
            "media_urls",
            f"At most {MAX_MEDIA} media URLs",
        )
        for url in self.media_urls:
            _require(
                _is_web_url(url),
                "Each media URL must be an http(s) URL",
                field="media_url",
                value=url,
            )
            _require_length(len(url), MAX_MEDIA_URL_LENGTH, "media_url", "A media URL")
        _validate_tags(self.tags)

    def to_json(self) -> dict[str, Any]:
        """Return the request body."""
        content: dict[str, Any] = {}
        if self.text is not None:
            content["text"] = self.text
        if self.media_urls:
            content["media"] = [{"url": url} for url in self.media_urls]
        return _send_body(
            [recipient.to_json() for recipient in self.to],
            content,
            sender=None if self.sender is None else self.sender.to_json(),
            send_at=self.send_at,
            tags=self.tags,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PushRecipient:
    """A push recipient: a device token with its provider, or a push user id."""

    token: str | None = None
    provider: PushProvider | None = None
    user_id: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Require exactly one of the two forms."""
        if self.user_id is not None:
            _require(
                self.token is None and self.provider is None,
                "A push recipient is either a token and provider or a user id, not both",
            )
            _require(
                is_valid_id(self.user_id, PUSH_USER_ID_PREFIXES),
                "A push user id must look like comms_pushnotificationuser_…",
                field="user_id",
                value=self.user_id,
            )
        else:
            _require_text(self.token, "A device token", "device_token")
            _require_length(
                # A string by now; `or` only tells the type checker so.
                len(self.token or ""),
                MAX_DEVICE_TOKEN_LENGTH,
                "device_token",
                "A device token",
            )
            _require(
                self.provider is not None,
                "A device token needs a provider",
                field="provider",
            )
        _validate_variables(self.variables)

    def to_json(self) -> dict[str, Any]:
        """Return the recipient as the API expects it."""
        payload: dict[str, Any] = (
            {"userId": self.user_id}
            if self.user_id is not None
            else {"token": self.token, "provider": str(self.provider)}
        )
        if self.variables:
            payload["variables"] = dict(self.variables)
        return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class PushNotificationSendRequest:
    """A request to send a push notification to devices or users."""

    channel: ClassVar[Channel] = Channel.PUSH_NOTIFICATIONS

    to: Sequence[PushRecipient]
    body: str
    title: str | None = None
    priority: PushPriority = PushPriority.HIGH
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate the request as the API would, before sending it."""
        _validate_recipients(self.to)
        _require_text(self.body, "The notification body", "body")
        if self.title is not None:
            _require_text(self.title, "The notification title", "title")
        size = len(f"{self.title or ''}{self.body}".encode(errors="replace"))
        _require_length(
            size, MAX_PUSH_CONTENT_BYTES, "push_content", "The title and body"
        )
        _validate_tags(self.tags)

    def to_json(self) -> dict[str, Any]:
        """Return the request body."""
        content = {"body": self.body}
        if self.title is not None:
            content["title"] = self.title
        payload = _send_body(
            [recipient.to_json() for recipient in self.to], content, tags=self.tags
        )
        payload["priority"] = str(self.priority)
        return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailAddress:
    """An email recipient or sender: an address, with a display name."""

    address: str
    name: str | None = None

    def __post_init__(self) -> None:
        """Validate the address and the name."""
        _require(
            len(self.address) <= MAX_EMAIL_ADDRESS_LENGTH
            and _EMAIL_ADDRESS.fullmatch(self.address) is not None,
            "An email address must look like name@example.com",
            field="email_address",
            value=self.address,
        )
        if self.name is not None:
            _require(
                bool(self.name.strip()) and _LINE_BREAKS.search(self.name) is None,
                "A display name must be one line with something besides spaces",
                field="email_name",
            )
            _require_length(
                len(self.name), MAX_EMAIL_NAME_LENGTH, "email_name", "A display name"
            )

    def to_json(self) -> dict[str, Any]:
        """Return the address as the API expects it."""
        payload = {"address": self.address}
        if self.name is not None:
            payload["name"] = self.name
        return payload


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailSendRequest:
    """A request to send an email: a subject and an HTML and/or text body.

    The API needs the HTML and makes the text from it when there is none
    (comms-api.md §11); a text alone goes out with simple HTML made from it.
    """

    channel: ClassVar[Channel] = Channel.EMAILS

    to: Sequence[EmailAddress]
    subject: str
    html: str | None = None
    text: str | None = None
    sender: EmailAddress | None = None
    # As for messages: aware datetimes go out in UTC, naive ones stay local.
    send_at: Sequence[datetime] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Validate the request as the API would, before sending it."""
        _validate_recipients(self.to)
        _require(
            bool(self.subject.strip()) and _LINE_BREAKS.search(self.subject) is None,
            "The subject must be one line with something besides spaces",
            field="subject",
        )
        _require_length(len(self.subject), MAX_SUBJECT_LENGTH, "subject", "The subject")
        bodies = [body for body in (self.html, self.text) if body is not None]
        _require(
            bool(bodies) and all(body.strip() for body in bodies),
            "An email needs an HTML or a text body, and neither may be empty",
            field="email_body",
        )
        size = sum(len(body.encode(errors="replace")) for body in bodies)
        _require_length(
            size, MAX_EMAIL_CONTENT_BYTES, "email_body", "The HTML and text"
        )
        _validate_tags(self.tags)

    def to_json(self) -> dict[str, Any]:
        """Return the request body."""
        content: dict[str, Any] = {
            "subject": self.subject,
            # One of the two is there, checked above.
            "html": self.html
            if self.html is not None
            else text_as_html(self.text or ""),
        }
        if self.text is not None:
            content["text"] = self.text
        return _send_body(
            [recipient.to_json() for recipient in self.to],
            content,
            sender=None if self.sender is None else self.sender.to_json(),
            send_at=self.send_at,
            tags=self.tags,
        )


# Paragraphs of a text body: split where a blank line is.
_PARAGRAPH_BREAK: Final = re.compile(r"\n(?:[ \t]*\n)+")


def text_as_html(text: str) -> str:
    """Return a plain text as simple HTML: escaped, in paragraphs, lines kept."""
    paragraphs = _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").strip())
    return "".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in part.split("\n")) + "</p>"
        for part in paragraphs
    )


# Any send request: each knows the channel it goes to.
type SendRequest = MessageSendRequest | PushNotificationSendRequest | EmailSendRequest


def _is_web_url(value: str) -> bool:
    """Return whether a value is an absolute http(s) URL."""
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in {"http", "https"} and bool(url.host)


def _send_body(
    to: list[dict[str, Any]],
    content: dict[str, Any],
    *,
    sender: dict[str, Any] | None = None,
    send_at: Sequence[datetime] = (),
    tags: Mapping[str, str],
) -> dict[str, Any]:
    """Return a send's body: what every channel's send has, and what it may add."""
    payload: dict[str, Any] = {"to": to, "content": content}
    if sender is not None:
        payload["from"] = sender
    if send_at:
        payload["schedule"] = {"sendAt": [_schedule_time(t) for t in send_at]}
    if tags:
        payload["tags"] = dict(tags)
    return payload


def _schedule_time(value: datetime) -> str:
    """Return a send time: UTC with a Z when aware, zone-less when naive."""
    if value.tzinfo is None:
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return format_timestamp(value)


# Headers that may carry the operation id, lower case, in order of preference:
# pages disagree on the spelling, and an older page sends only headers (§4).
_ID_HEADERS: Final = ("operationid", "operation-id")

# Headers that may carry the operation's URI, lower case, in the same order;
# the push reference adds a plain Location.
_LOCATION_HEADERS: Final = ("operationlocation", "operation-location", "location")


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """An accepted send; without an operation id it is accepted but untracked."""

    operation_id: str | None

    @property
    def tracked(self) -> bool:
        """Return whether the send can be followed through its operation."""
        return self.operation_id is not None


def send_result(body: object, headers: Mapping[str, str], base_url: URL) -> SendResult:
    """Return the operation a 202 names, from the body first, then headers.

    A location is never followed; only the id in its last path segment is
    read. An id is only kept when it is a well-formed operation id, so nothing
    from the response can steer a later request elsewhere.
    """
    obj = as_object(body) or {}
    lowered = {name.lower(): value for name, value in headers.items()}
    candidates = [obj.get("operationId"), *(lowered.get(name) for name in _ID_HEADERS)]
    locations = [
        obj.get("operationLocation"),
        *(lowered.get(name) for name in _LOCATION_HEADERS),
    ]
    urls = [url for value in locations if (url := _location(value, base_url))]
    # A bare location still names the operation in its last path segment.
    candidates += [url.path.rstrip("/").rpartition("/")[2] for url in urls]
    return SendResult(
        operation_id=next((str(c) for c in candidates if is_operation_id(c)), None)
    )


def _location(value: object, base_url: URL) -> URL | None:
    """Return a location as an absolute URL resolved against the API, or None."""
    if (text := as_text(value)) is None:
        return None
    try:
        url = base_url.join(URL(text.strip()))
    except ValueError:
        return None
    return url if url.scheme in {"http", "https"} and url.host else None
