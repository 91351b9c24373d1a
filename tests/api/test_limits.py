"""Tests of what the client refuses to read: bodies past the cap, however encoded."""

import json

import pytest

from custom_components.twilio_comms.api import (
    Channel,
    MessageRecipient,
    MessageSendRequest,
    TwilioCommsClient,
    TwilioCommsInvalidResponseError,
    TwilioCommsRequestTooLargeError,
    TwilioCommsResponseError,
)
from custom_components.twilio_comms.api.client import MAX_RESPONSE_BYTES

from .conftest import CommsServer, Reply, compression_bomb

OPERATIONS_PATH = "/Messages/Operations"


def page_of(size: int) -> bytes:
    """Return a JSON page of no operations, padded to about size bytes."""
    return json.dumps({"operations": [], "pad": "x" * size}).encode()


async def test_body_up_to_the_cap_is_read(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A body just under the cap is an ordinary answer."""
    comms_server.add(
        "GET", OPERATIONS_PATH, Reply(body=page_of(MAX_RESPONSE_BYTES - 100))
    )
    page = await client.list_operations(Channel.MESSAGES)
    assert page.items == ()


@pytest.mark.parametrize("status", [200, 400, 503])
async def test_body_past_the_cap_is_refused(
    client: TwilioCommsClient, comms_server: CommsServer, status: int
) -> None:
    """A body past the cap is an invalid response, whatever its status."""
    comms_server.add(
        "GET",
        OPERATIONS_PATH,
        Reply(status=status, body=page_of(MAX_RESPONSE_BYTES + 1)),
    )
    with pytest.raises(TwilioCommsInvalidResponseError) as err:
        await client.list_operations(Channel.MESSAGES)
    assert "larger than 2 MiB" in str(err.value)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_body_counts_once_inflated(
    client: TwilioCommsClient, comms_server: CommsServer, encoding: str
) -> None:
    """A small compressed body that inflates past the cap is refused."""
    bomb = compression_bomb(64 * 2**20, encoding)
    assert len(bomb) < 2**20
    comms_server.add(
        "GET",
        OPERATIONS_PATH,
        Reply(body=bomb, headers={"Content-Encoding": encoding}),
    )
    with pytest.raises(TwilioCommsInvalidResponseError) as err:
        await client.list_operations(Channel.MESSAGES)
    assert "larger than 2 MiB" in str(err.value)


async def test_request_too_large(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A 413 says the request was too large, not that Twilio could not be reached."""
    comms_server.add(
        "POST", "/Messages", Reply(status=413, text="Request Entity Too Large")
    )
    request = MessageSendRequest(
        to=[MessageRecipient(address="+15558675310")], text="Hi"
    )
    with pytest.raises(TwilioCommsRequestTooLargeError) as err:
        await client.send_message(request)
    assert isinstance(err.value, TwilioCommsResponseError)
    assert err.value.status == 413


async def test_only_offered_encodings_are_read(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """The client offers gzip and deflate; another encoding, or a broken stream, is refused."""
    comms_server.add(
        "GET",
        OPERATIONS_PATH,
        Reply(body=b"\x1b\x00", headers={"Content-Encoding": "br"}),
        Reply(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}),
    )
    for expected in ("an encoding it was not offered", "does not decompress"):
        with pytest.raises(TwilioCommsInvalidResponseError) as err:
            await client.list_operations(Channel.MESSAGES)
        assert expected in str(err.value)
    assert comms_server.requests[0].headers["Accept-Encoding"] == "gzip, deflate"


async def test_compressed_page_is_read(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """An ordinary compressed page reads as the same page uncompressed."""
    comms_server.add(
        "GET",
        OPERATIONS_PATH,
        Reply(body=compression_bomb(2**20), headers={"Content-Encoding": "gzip"}),
    )
    page = await client.list_operations(Channel.MESSAGES)
    assert page.items == ()
