"""Tests of send requests: validation, the JSON body, and reading the 202."""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
import json
from typing import Any

import pytest

from custom_components.twilio_comms.api import (
    MAX_RECIPIENTS,
    EmailAddress,
    EmailSendRequest,
    MessageRecipient,
    MessageSender,
    MessageSendRequest,
    PushNotificationSendRequest,
    PushProvider,
    PushRecipient,
    RecipientChannel,
    SenderChannel,
    TwilioCommsBadRequestError,
    TwilioCommsClient,
    TwilioCommsInputTooLongError,
    TwilioCommsValidationError,
)

from .conftest import OPERATION_ID, CommsServer, Reply, load_fixture

PHONE = MessageRecipient(address="+15558675310")
FCM = PushRecipient(token="fcm-token", provider=PushProvider.FCM)
PUSH_USER = "comms_pushnotificationuser_01h9krwprkeee8fzqspvwy6nq8"
OTHER_ID = "comms_operation_01h9zzzzzzzzzzzzzzzzzzzzzz"
ANN = EmailAddress(address="ann@example.com")


def _message(**kwargs: Any) -> MessageSendRequest:
    """Return a message request with a valid recipient and text unless overridden."""
    return MessageSendRequest(**({"to": (PHONE,), "text": "Hi"} | kwargs))


def _push(**kwargs: Any) -> PushNotificationSendRequest:
    """Return a push request with a valid recipient and body unless overridden."""
    return PushNotificationSendRequest(**({"to": (FCM,), "body": "Hi"} | kwargs))


def _email(**kwargs: Any) -> EmailSendRequest:
    """Return an email request with a valid recipient, subject and html unless overridden."""
    return EmailSendRequest(
        **({"to": (ANN,), "subject": "Hi", "html": "<p>Hi</p>"} | kwargs)
    )


def plain(value: object) -> bool:
    """Return whether a JSON value holds plain str, never a str subclass such as an enum."""
    if isinstance(value, dict):
        return all(type(key) is str and plain(item) for key, item in value.items())
    if isinstance(value, list):
        return all(plain(item) for item in value)
    return not isinstance(value, str) or type(value) is str


@pytest.mark.parametrize(
    ("request_", "body"),
    [
        pytest.param(
            MessageSendRequest(
                to=(
                    MessageRecipient(address="+15558675310", variables={"name": "Ann"}),
                    MessageRecipient(address="+15558675311", channel=RecipientChannel.WHATSAPP),
                ),
                text="Hi {{name}}",
                media_urls=("https://example.com/door.jpg",),
                sender=MessageSender(address="+15550001111", channel=SenderChannel.SMS),
                send_at=(
                    datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=1))),
                    datetime(2025, 3, 19, 9, 30),  # noqa: DTZ001
                ),
                tags={"source": "home_assistant", "door.front": "v1~2"},
            ),
            {
                "to": [
                    {"address": "+15558675310", "channel": "PHONE", "variables": {"name": "Ann"}},
                    {"address": "+15558675311", "channel": "WHATSAPP"},
                ],
                "content": {"text": "Hi {{name}}", "media": [{"url": "https://example.com/door.jpg"}]},
                "from": {"address": "+15550001111", "channel": "SMS"},
                # Aware times go out in UTC; naive ones stay local to each recipient.
                "schedule": {"sendAt": ["2025-03-19T09:30:00Z", "2025-03-19T09:30:00"]},
                "tags": {"source": "home_assistant", "door.front": "v1~2"},
            },
            id="message, every option",
        ),
        pytest.param(
            MessageSendRequest(
                to=[PHONE],
                media_urls=["https://example.com/a.png"],
                sender=MessageSender(sender_id="comms_sender_01h9"),
            ),
            {
                "to": [{"address": "+15558675310", "channel": "PHONE"}],
                "content": {"media": [{"url": "https://example.com/a.png"}]},
                "from": {"senderId": "comms_sender_01h9"},
            },
            id="message, media alone, a sender id",
        ),
        pytest.param(
            PushNotificationSendRequest(
                to=(
                    FCM,
                    PushRecipient(token="apn-token", provider=PushProvider.APN, variables={"room": "hall"}),
                    PushRecipient(user_id=PUSH_USER),
                ),
                title="Door",
                body="Front door opened",
                tags={"source": "home_assistant"},
            ),
            {
                "to": [
                    {"token": "fcm-token", "provider": "FCM"},
                    {"token": "apn-token", "provider": "APN", "variables": {"room": "hall"}},
                    {"userId": PUSH_USER},
                ],
                "content": {"body": "Front door opened", "title": "Door"},
                "priority": "HIGH",
                "tags": {"source": "home_assistant"},
            },
            id="push, tokens and a user id",
        ),
        pytest.param(
            _push(),
            {
                "to": [{"token": "fcm-token", "provider": "FCM"}],
                "content": {"body": "Hi"},
                "priority": "HIGH",
            },
            id="push, title and tags left out, HIGH priority",
        ),
        pytest.param(
            EmailSendRequest(
                to=(EmailAddress(address="ann@example.com", name="Ann Example"), EmailAddress(address="bob@example.org")),
                subject="Weekly report",
                html="<p>All systems <b>normal</b>.</p>",
                text="All systems normal.",
                sender=EmailAddress(address="home@example.com", name="Home"),
                send_at=(datetime(2025, 3, 19, 10, 30, tzinfo=timezone(timedelta(hours=1))),),
                tags={"source": "home_assistant"},
            ),
            {
                "to": [{"address": "ann@example.com", "name": "Ann Example"}, {"address": "bob@example.org"}],
                "content": {"subject": "Weekly report", "html": "<p>All systems <b>normal</b>.</p>", "text": "All systems normal."},
                "from": {"address": "home@example.com", "name": "Home"},
                "schedule": {"sendAt": ["2025-03-19T09:30:00Z"]},
                "tags": {"source": "home_assistant"},
            },
            id="email, every option",
        ),
        pytest.param(
            _email(html=None, text="5 < 6 & \"quotes\"\r\nline two\n\n  \npara two"),
            {
                "to": [{"address": "ann@example.com"}],
                "content": {
                    "subject": "Hi",
                    # Escaped, lines kept, blank lines between paragraphs.
                    "html": "<p>5 &lt; 6 &amp; &quot;quotes&quot;<br>\nline two</p><p>para two</p>",
                    "text": "5 < 6 & \"quotes\"\r\nline two\n\n  \npara two",
                },
            },
            id="email, a text alone becomes escaped html",
        ),
        pytest.param(
            _email(),
            {"to": [{"address": "ann@example.com"}], "content": {"subject": "Hi", "html": "<p>Hi</p>"}},
            id="email, html alone: no text, no sender",
        ),
    ],
)  # fmt: skip
def test_bodies(
    request_: MessageSendRequest | PushNotificationSendRequest | EmailSendRequest,
    body: dict[str, Any],
) -> None:
    """Every option lands where the API documents it, in plain upper-case strings.

    Plain str values, never enums, so any JSON encoder (orjson too) writes them.
    """
    assert request_.to_json() == body
    assert plain(request_.to_json())


@pytest.mark.parametrize(
    ("make", "field", "limit"),
    [
        (lambda: _message(text="x" * 1601), "text", 1600),
        (lambda: _message(media_urls=["https://e.com/" + "x" * 2048]), "media_url", 2048),
        (lambda: MessageSender(sender_id="MG" + "0" * 127), "sender_id", 128),
        (lambda: _push(body="é" * 2001), "push_content", 4000),
        (lambda: _push(title="t" * 3000, body="b" * 1001), "push_content", 4000),
        (lambda: PushRecipient(token="t" * 4097, provider=PushProvider.FCM), "device_token", 4096),
        (lambda: _email(subject="s" * 999), "subject", 998),
        (lambda: EmailAddress(address="a@b.co", name="n" * 257), "email_name", 256),
        (lambda: _email(html="é" * 3_000_000, text="x" * 3_000_001), "email_body", 9_000_000),
    ],
)  # fmt: skip
def test_fields_are_bounded(make: Callable[[], object], field: str, limit: int) -> None:
    """A field past its limit is refused, saying which field and the limit."""
    with pytest.raises(TwilioCommsInputTooLongError) as err:
        make()
    assert (err.value.field, err.value.limit) == (field, limit)


def test_fields_at_their_limits_are_taken() -> None:
    """Exactly at the limits, requests build."""
    _message(text="x" * 1600)
    _push(title="t" * 2000, body="b" * 2000)
    _email(subject="s" * 998, html="x" * 9_000_000)
    EmailAddress(address="a" * 242 + "@example.com", name="n" * 256)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: _message(to=()), "1 to 10000 recipients"),
        (lambda: _message(to=(PHONE,) * (MAX_RECIPIENTS + 1)), "1 to 10000 recipients"),
        (lambda: _message(text=None), "needs a text or media"),
        (lambda: _message(text="  "), "text must not be empty"),
        (lambda: _message(media_urls=("http://[bad",)), "http(s) URL"),
        (lambda: _message(media_urls=("https://x/a",) * 11), "At most 10 media"),
        (lambda: _message(tags={f"k{n}": "v" for n in range(11)}), "At most 10 tags"),
        (lambda: _message(tags={"k" * 129: "v"}), "tag key must be 1 to 128"),
        (lambda: _message(tags={"k": "v" * 257}), "tag value must be 1 to 256"),
        (lambda: _message(tags={"k": "{{ liquid }}"}), "tag value"),
        (lambda: _message(tags={"k": ""}), "tag value"),
        (lambda: _message(tags={"k": "v\n"}), "tag value"),
        (lambda: MessageRecipient(address=""), "address must not be empty"),
        (lambda: MessageRecipient(address="+1", variables={"": "x"}), "variable name"),
        (MessageSender, "sender address must not be empty"),
        (lambda: MessageSender(address="+1"), "needs a channel"),
        (lambda: MessageSender(address="+1", channel=SenderChannel.SMS, sender_id="s"), "not both"),
        (lambda: MessageSender(sender_id=" "), "sender id must not be empty"),
        (lambda: _push(to=()), "1 to 10000 recipients"),
        (lambda: _push(body=""), "body must not be empty"),
        (lambda: _push(title=" "), "title must not be empty"),
        (lambda: _push(tags={"k": "a b"}), "tag value"),
        (PushRecipient, "device token must not be empty"),
        (lambda: PushRecipient(token="t"), "needs a provider"),
        (lambda: PushRecipient(token="t", provider=PushProvider.FCM, user_id="u"), "not both"),
        (lambda: _email(to=()), "1 to 10000 recipients"),
        (lambda: _email(to=(ANN,) * (MAX_RECIPIENTS + 1)), "1 to 10000 recipients"),
        (lambda: _email(subject=""), "subject must be one line"),
        (lambda: _email(subject="a\rb"), "subject must be one line"),
        (lambda: _email(html=None), "needs an HTML or a text body"),
        (lambda: _email(html=" "), "needs an HTML or a text body"),
        (lambda: _email(text="\n"), "needs an HTML or a text body"),
        (lambda: _email(tags={"k": "a b"}), "tag value"),
        (lambda: EmailAddress(address=""), "must look like name@example.com"),
        (lambda: EmailAddress(address="a@b@example.com"), "must look like"),
        (lambda: EmailAddress(address="a@.example.com"), "must look like"),
        (lambda: EmailAddress(address="a b@example.com"), "must look like"),
        (lambda: EmailAddress(address="a" * 243 + "@example.com"), "must look like"),
        (lambda: EmailAddress(address="a@b.co", name=""), "display name must be one line"),
        (lambda: EmailAddress(address="a@b.co", name="A\x00"), "display name must be one line"),
    ],
)  # fmt: skip
def test_invalid_requests(build: Callable[[], object], message: str) -> None:
    """Requests the API would reject fail locally with a clear ValueError."""
    pattern = message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(TwilioCommsValidationError, match=pattern) as info:
        build()
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("build", "field", "value"),
    [
        (lambda: _message(media_urls=("ftp://x/y",)), "media_url", "ftp://x/y"),
        (lambda: _message(tags={"bad key": "v"}), "tags", None),
        (lambda: PushRecipient(user_id="comms_pushnotificationuser_X/.."), "user_id", "comms_pushnotificationuser_X/.."),
        (lambda: EmailAddress(address="ann@example"), "email_address", "ann@example"),
        (lambda: EmailAddress(address="a@b.co", name="A\nB"), "email_name", None),
        (lambda: _email(subject=" "), "subject", None),
        (lambda: _email(html=None, text=None), "email_body", None),
    ],
)  # fmt: skip
def test_refusals_name_their_field(
    build: Callable[[], object], field: str, value: str | None
) -> None:
    """A refused URL, tag or push user id names its field and value, for the caller's words."""
    with pytest.raises(TwilioCommsValidationError) as info:
        build()
    assert (info.value.field, info.value.value) == (field, value)


@pytest.mark.parametrize("channel", ["Messages", "PushNotifications", "Emails"])
async def test_a_send_posts_its_body(
    client: TwilioCommsClient, comms_server: CommsServer, channel: str
) -> None:
    """A send posts its JSON body to its channel and reads the operation from the 202."""
    comms_server.add(
        "POST",
        f"/{channel}",
        Reply(status=202, json=load_fixture("send_accepted.json")),
    )
    request = {"Messages": _message, "PushNotifications": _push, "Emails": _email}[
        channel
    ]()
    result = await client.send(request)
    received = comms_server.requests[0]
    assert (received.method, received.path) == ("POST", f"/v1/{channel}")
    assert received.headers["Content-Type"].startswith("application/json")
    assert json.loads(received.body) == request.to_json()
    assert result.operation_id == OPERATION_ID
    assert result.tracked


OWN = f"{{base}}/Messages/Operations/{OPERATION_ID}"


@pytest.mark.parametrize(
    ("body", "headers", "operation_id"),
    [
        pytest.param({"operationId": OPERATION_ID}, {}, OPERATION_ID, id="body"),
        pytest.param({"operationLocation": OWN}, {}, OPERATION_ID, id="body location"),
        pytest.param(None, {"operationId": OPERATION_ID}, OPERATION_ID, id="operationId header"),
        pytest.param(None, {"Operation-Id": OPERATION_ID}, OPERATION_ID, id="operation-id header, any case"),
        pytest.param(None, {"OperationLocation": OWN}, OPERATION_ID, id="OperationLocation header"),
        pytest.param(None, {"operation-location": OWN}, OPERATION_ID, id="operation-location header"),
        pytest.param(None, {"Location": f"/v1/Messages/Operations/{OPERATION_ID}/"}, OPERATION_ID, id="relative Location"),
        pytest.param(None, {"Location": f"https://evil.test/v1/Messages/Operations/{OPERATION_ID}"}, OPERATION_ID, id="foreign Location: its id is read, never requested"),
        pytest.param({"operationId": "comms_operation_../../x", "operationLocation": "ftp://x/y"}, {"operation-id": OTHER_ID}, OTHER_ID, id="invalid body values fall back to headers"),
        pytest.param({"operationLocation": f"ftp://x/{OPERATION_ID}"}, {}, None, id="not a web location"),
        pytest.param({"operationId": OPERATION_ID}, {"operationId": OTHER_ID}, OPERATION_ID, id="body id wins over header"),
        pytest.param(None, {"Location": "{base}/Messages/Operations/comms_operation_%2e%2e"}, None, id="location with an escaped bad id"),
        pytest.param({"operationLocation": 5, "operationId": None}, {}, None, id="wrong types"),
        pytest.param(None, {"Location": "https://[broken/v1"}, None, id="unparseable location"),
        pytest.param({"operationId": "comms_operation_x/../../Accounts"}, {}, None, id="invalid id in body"),
        pytest.param("not an object", {}, None, id="body not an object"),
        pytest.param(b"Accepted", {}, None, id="text body"),
        pytest.param(None, {}, None, id="nothing: accepted, untracked"),
    ],
)  # fmt: skip
async def test_the_operation_a_202_names(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    body: object,
    headers: dict[str, str],
    operation_id: str | None,
) -> None:
    """The operation is found wherever the docs put it, and only ever trusted if valid."""
    base = comms_server.base_url
    if isinstance(body, dict) and isinstance(body.get("operationLocation"), str):
        body = body | {"operationLocation": body["operationLocation"].format(base=base)}
    headers = {name: value.format(base=base) for name, value in headers.items()}
    comms_server.add(
        "POST",
        "/Messages",
        Reply(status=202, body=body, headers=headers, content_type="text/plain")
        if isinstance(body, bytes)
        else Reply(status=202, json=body, text=None if body else "", headers=headers),
    )
    result = await client.send(_message())
    assert result.operation_id == operation_id
    assert result.tracked is (operation_id is not None)
    # A location is read, never requested.
    assert len(comms_server.requests) == 1


async def test_send_rejected(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A refused send raises like any other request."""
    comms_server.add("POST", "/Messages", Reply(status=400, json={"errors": []}))
    with pytest.raises(TwilioCommsBadRequestError):
        await client.send(_message())
