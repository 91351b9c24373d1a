"""Tests of send requests: validation, the JSON body, and reading the 202."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from yarl import URL

from custom_components.twilio_comms.api import (
    MAX_RECIPIENTS,
    MessageRecipient,
    MessageSender,
    MessageSendRequest,
    PushNotificationSendRequest,
    PushPriority,
    PushProvider,
    PushRecipient,
    RecipientChannel,
    SenderChannel,
    TwilioCommsBadRequestError,
    TwilioCommsClient,
    TwilioCommsInputTooLongError,
    TwilioCommsValidationError,
)
from custom_components.twilio_comms.api.sends import send_result

from .conftest import OPERATION_ID, CommsServer, Reply, load_fixture

PHONE = MessageRecipient(address="+15558675310")
FCM = PushRecipient(token="fcm-token", provider=PushProvider.FCM)
OTHER_ID = "comms_operation_01h9zzzzzzzzzzzzzzzzzzzzzz"


def test_message_body_full() -> None:
    """Every option of a message send lands where the API documents it, upper case."""
    request = MessageSendRequest(
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
    )
    assert request.to_json() == {
        "to": [
            {
                "address": "+15558675310",
                "channel": "PHONE",
                "variables": {"name": "Ann"},
            },
            {"address": "+15558675311", "channel": "WHATSAPP"},
        ],
        "content": {
            "text": "Hi {{name}}",
            "media": [{"url": "https://example.com/door.jpg"}],
        },
        "from": {"address": "+15550001111", "channel": "SMS"},
        # Aware times go out in UTC; naive ones stay local to each recipient.
        "schedule": {"sendAt": ["2025-03-19T09:30:00Z", "2025-03-19T09:30:00"]},
        "tags": {"source": "home_assistant", "door.front": "v1~2"},
    }


def test_message_body_minimal_media_and_sender_id() -> None:
    """Media alone is content enough; a sender may be a sender id."""
    request = MessageSendRequest(
        to=[PHONE],
        media_urls=["https://example.com/a.png"],
        sender=MessageSender(sender_id="comms_sender_01h9"),
    )
    assert request.to_json() == {
        "to": [{"address": "+15558675310", "channel": "PHONE"}],
        "content": {"media": [{"url": "https://example.com/a.png"}]},
        "from": {"senderId": "comms_sender_01h9"},
    }


def test_push_body() -> None:
    """A push send: tokens with providers or user ids, HIGH priority by default."""
    request = PushNotificationSendRequest(
        to=(
            FCM,
            PushRecipient(
                token="apn-token",
                provider=PushProvider.APN,
                variables={"room": "hall"},
            ),
            PushRecipient(
                user_id="comms_pushnotificationuser_01h9krwprkeee8fzqspvwy6nq8"
            ),
        ),
        title="Door",
        body="Front door opened",
        tags={"source": "home_assistant"},
    )
    assert request.priority is PushPriority.HIGH
    assert request.to_json() == {
        "to": [
            {"token": "fcm-token", "provider": "FCM"},
            {"token": "apn-token", "provider": "APN", "variables": {"room": "hall"}},
            {"userId": "comms_pushnotificationuser_01h9krwprkeee8fzqspvwy6nq8"},
        ],
        "content": {"body": "Front door opened", "title": "Door"},
        "priority": "HIGH",
        "tags": {"source": "home_assistant"},
    }


def test_push_body_minimal() -> None:
    """Title and tags are optional; the priority is HIGH in any case."""
    request = PushNotificationSendRequest(to=(FCM,), body="Hi")
    assert request.to_json() == {
        "to": [{"token": "fcm-token", "provider": "FCM"}],
        "content": {"body": "Hi"},
        "priority": "HIGH",
    }


@pytest.mark.parametrize(
    ("make", "field", "limit"),
    [
        (lambda: _message(text="x" * 1601), "text", 1600),
        (lambda: _message(media_urls=["https://e.com/" + "x" * 2048]), "media_url", 2048),
        (lambda: MessageSender(sender_id="MG" + "0" * 127), "sender_id", 128),
        (lambda: _push(body="é" * 2001), "push_content", 4000),
        (lambda: _push(title="t" * 3000, body="b" * 1001), "push_content", 4000),
        (lambda: PushRecipient(token="t" * 4097, provider=PushProvider.FCM), "device_token", 4096),
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


def _message(**kwargs: Any) -> MessageSendRequest:
    """Return a message request with a valid recipient and text unless overridden."""
    return MessageSendRequest(**({"to": (PHONE,), "text": "Hi"} | kwargs))


def _push(**kwargs: Any) -> PushNotificationSendRequest:
    """Return a push request with a valid recipient and body unless overridden."""
    return PushNotificationSendRequest(**({"to": (FCM,), "body": "Hi"} | kwargs))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: _message(to=()), "1 to 10000 recipients"),
        (lambda: _message(to=(PHONE,) * (MAX_RECIPIENTS + 1)), "1 to 10000 recipients"),
        (lambda: _message(text=None), "needs a text or media"),
        (lambda: _message(text="  "), "text must not be empty"),
        (lambda: _message(media_urls=("ftp://x/y",)), "http(s) URL"),
        (lambda: _message(media_urls=("http://[bad",)), "http(s) URL"),
        (lambda: _message(media_urls=("https://x/a",) * 11), "At most 10 media"),
        (lambda: _message(tags={f"k{n}": "v" for n in range(11)}), "At most 10 tags"),
        (lambda: _message(tags={"k" * 129: "v"}), "tag key must be 1 to 128"),
        (lambda: _message(tags={"k": "v" * 257}), "tag value must be 1 to 256"),
        (lambda: _message(tags={"bad key": "v"}), "tag key"),
        (lambda: _message(tags={"k": "{{ liquid }}"}), "tag value"),
        (lambda: _message(tags={"k": ""}), "tag value"),
        (lambda: _message(tags={"k": "v\n"}), "tag value"),
        (lambda: MessageRecipient(address=""), "address must not be empty"),
        (lambda: MessageRecipient(address="+1", variables={"": "x"}), "variable name"),
        (MessageSender, "sender address must not be empty"),
        (lambda: MessageSender(address="+1"), "needs a channel"),
        (
            lambda: MessageSender(
                address="+1", channel=SenderChannel.SMS, sender_id="s"
            ),
            "not both",
        ),
        (lambda: MessageSender(sender_id=" "), "sender id must not be empty"),
        (lambda: _push(to=()), "1 to 10000 recipients"),
        (lambda: _push(body=""), "body must not be empty"),
        (lambda: _push(title=" "), "title must not be empty"),
        (lambda: _push(tags={"k": "a b"}), "tag value"),
        (PushRecipient, "device token must not be empty"),
        (lambda: PushRecipient(token="t"), "needs a provider"),
        (
            lambda: PushRecipient(token="t", provider=PushProvider.FCM, user_id="u"),
            "not both",
        ),
        (lambda: PushRecipient(user_id="comms_pushnotificationuser_X/.."), "user id"),
    ],
)
def test_invalid_requests(build: Any, message: str) -> None:
    """Requests the API would reject fail locally with a clear ValueError."""
    with pytest.raises(
        TwilioCommsValidationError,
        match=message.replace("(", r"\(").replace(")", r"\)"),
    ) as info:
        build()
    assert isinstance(info.value, ValueError)


def test_enum_values_are_upper_case() -> None:
    """Every enum emitted on the wire is upper case (comms-api.md §15.9)."""
    for enum in (RecipientChannel, SenderChannel, PushProvider, PushPriority):
        assert all(member.value == member.value.upper() for member in enum)


def test_bodies_hold_plain_strings() -> None:
    """Bodies hold plain str values, so any JSON encoder (orjson too) writes them."""
    message = _message(
        sender=MessageSender(address="+1", channel=SenderChannel.RCS)
    ).to_json()
    push = _push().to_json()
    values = [
        message["to"][0]["channel"],
        message["from"]["channel"],
        push["to"][0]["provider"],
        push["priority"],
    ]
    assert values == ["PHONE", "RCS", "FCM", "HIGH"]
    assert all(type(value) is str for value in values)


async def test_send_message_posts_the_body(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A message send posts its JSON body and reads the operation from the 202 body."""
    comms_server.add(
        "POST", "/Messages", Reply(status=202, json=load_fixture("send_accepted.json"))
    )
    request = _message()
    result = await client.send_message(request)
    received = comms_server.requests[0]
    assert received.method == "POST"
    assert received.path == "/v1/Messages"
    assert received.headers["Content-Type"].startswith("application/json")
    assert received.json == request.to_json()
    assert result.operation_id == OPERATION_ID
    assert result.tracked


async def test_send_push_notification(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A push send posts to PushNotifications and follows the Location header's id."""
    location = f"{comms_server.base_url}/PushNotifications/Operations/{OPERATION_ID}"
    comms_server.add(
        "POST",
        "/PushNotifications",
        Reply(status=202, text="", headers={"Location": location}),
    )
    result = await client.send_push_notification(_push())
    assert comms_server.requests[0].path == "/v1/PushNotifications"
    assert result.operation_id == OPERATION_ID
    # The location is read, never requested.
    assert len(comms_server.requests) == 1


@pytest.mark.parametrize(
    ("body", "headers", "tracked"),
    [
        (None, {"operationId": OPERATION_ID}, True),
        (None, {"operation-id": OPERATION_ID}, True),
        (None, {"OperationLocation": "{base}/Messages/Operations/{id}"}, True),
        (None, {"operation-location": "{base}/Messages/Operations/{id}"}, True),
        (None, {"Location": "/v1/Messages/Operations/{id}"}, True),
        (None, {"Location": "https://evil.test/v1/Messages/Operations/{id}"}, True),
        ({"operationId": "comms_operation_x/../../Accounts"}, {}, False),
        (None, {}, False),
    ],
    ids=[
        "operationId header",
        "operation-id header",
        "OperationLocation header",
        "operation-location header",
        "relative Location only",
        "foreign Location: its id is read, never requested",
        "invalid id in body",
        "nothing: accepted, untracked",
    ],
)
async def test_202_over_the_wire(
    client: TwilioCommsClient,
    comms_server: CommsServer,
    *,
    body: object,
    headers: dict[str, str],
    tracked: bool,
) -> None:
    """Real 202 responses yield the operation wherever it is, and only if valid."""
    base = comms_server.base_url
    headers = {
        name: value.format(base=base, id=OPERATION_ID)
        for name, value in headers.items()
    }
    comms_server.add(
        "POST",
        "/Messages",
        Reply(status=202, json=body, text=None if body else "", headers=headers),
    )
    result = await client.send_message(_message())
    assert result.tracked is tracked
    assert result.operation_id == (OPERATION_ID if tracked else None)
    assert len(comms_server.requests) == 1


async def test_send_rejected(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A refused send raises like any other request."""
    comms_server.add("POST", "/Messages", Reply(status=400, json={"errors": []}))
    with pytest.raises(TwilioCommsBadRequestError):
        await client.send_message(_message())


async def test_send_with_text_body_is_untracked(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 202 with a non-JSON body and no headers is accepted but untracked."""
    comms_server.add(
        "POST",
        "/Messages",
        Reply(status=202, text="Accepted", content_type="text/plain"),
    )
    result = await client.send_message(_message())
    assert result.operation_id is None
    assert not result.tracked


BASE = URL("https://comms.twilio.com/v1")
OWN_LOCATION = f"https://comms.twilio.com/v1/Messages/Operations/{OPERATION_ID}"


@pytest.mark.parametrize(
    ("body", "headers", "operation_id"),
    [
        ({"operationId": OPERATION_ID}, {}, OPERATION_ID),
        ({"operationLocation": OWN_LOCATION}, {}, OPERATION_ID),
        (None, {"OperationID": OPERATION_ID}, OPERATION_ID),
        (None, {"Operation-Id": OPERATION_ID}, OPERATION_ID),
        (None, {"operationLocation": OWN_LOCATION}, OPERATION_ID),
        (None, {"LOCATION": OWN_LOCATION}, OPERATION_ID),
        (None, {"Location": f"/v1/Messages/Operations/{OPERATION_ID}/"}, OPERATION_ID),
        ({"operationId": "comms_operation_../../x", "operationLocation": "ftp://x/y"}, {"operation-id": OTHER_ID}, OTHER_ID),
        ({"operationLocation": f"ftp://x/{OPERATION_ID}"}, {}, None),
        ({"operationId": OPERATION_ID}, {"operationId": OTHER_ID}, OPERATION_ID),
        (None, {"Location": "https://comms.twilio.com/v1/Messages/Operations/comms_operation_%2e%2e"}, None),
        ({"operationLocation": 5, "operationId": None}, {}, None),
        (None, {"Location": "https://[broken/v1"}, None),
        ("not an object", {}, None),
        (None, {}, None),
    ],
    ids=[
        "body",
        "body location",
        "header any case",
        "header Operation-Id",
        "header operationLocation only",
        "Location only",
        "relative Location with a slash",
        "invalid body values fall back to headers",
        "not a web location",
        "body id wins over header",
        "location with an escaped bad id",
        "wrong types",
        "unparseable location",
        "body not an object",
        "nothing: untracked",
    ],
)  # fmt: skip
def test_send_result(
    body: object, headers: dict[str, str], operation_id: str | None
) -> None:
    """The operation is found wherever the docs put it, and only ever trusted if valid."""
    result = send_result(body, headers, BASE)
    assert result.operation_id == operation_id
    assert result.tracked is (operation_id is not None)


def test_send_at_is_utc() -> None:
    """An aware send time in another zone is converted to UTC."""
    request = _message(
        send_at=(datetime(2025, 1, 1, 23, 0, tzinfo=UTC) + timedelta(hours=2),)
    )
    assert request.to_json()["schedule"] == {"sendAt": ["2025-01-02T01:00:00Z"]}
