"""Tests of page parsing and of iter_operations following pages safely."""

from datetime import UTC, datetime

import pytest

from custom_components.twilio_comms.api import (
    Channel,
    Operation,
    OperationStatus,
    TwilioCommsClient,
    TwilioCommsInvalidResponseError,
    TwilioCommsValidationError,
)
from custom_components.twilio_comms.api.client import (
    DEFAULT_MAX_PAGES,
    _page_token as page_token,
    _parse_page as parse_page,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsPaginationError

from .conftest import CommsServer, Reply, load_fixture

OPERATIONS_PATH = "/Messages/Operations"


def operation(number: int) -> dict[str, object]:
    """Return a minimal operation numbered so each page's items differ."""
    return {
        "id": f"comms_operation_01h9krwprkeee8fzqspvwy{number:04d}",
        "status": "COMPLETED",
        "stats": {"total": number},
        "createdAt": "2024-04-05T06:20:00Z",
        "updatedAt": "2024-04-05T06:20:00Z",
    }


def page(
    numbers: range, next_token: str | None, self_token: str | None = None
) -> Reply:
    """Return a scripted page of operations."""
    return Reply(
        json={
            "operations": [operation(number) for number in numbers],
            "pagination": {"next": next_token, "self": self_token},
        }
    )


def parse_operations(data: object) -> tuple[str | None, tuple[str, ...]]:
    """Return the next token and item ids of an operations page."""
    result = parse_page(data, ("operations", "data"), Operation.from_json)
    return result.next_token, tuple(item.id for item in result.items)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("eyJwYWdlIjogMn0", "eyJwYWdlIjogMn0"),
        ("https://comms.twilio.com/v1/X?pageSize=5&pageToken=ab%2Bc%3D", "ab+c="),
        ("http://localhost/v1/X?pageToken=t1", "t1"),
        ("https://comms.twilio.com/v1/PushNotifications", None),
        ("https://comms.twilio.com/v1/X?pageToken=", None),
        ("https://[not-a-host/v1?pageToken=x", None),
        ("", None),
        ("   ", None),
        (None, None),
        (42, None),
    ],
    ids=[
        "opaque token",
        "url with token",
        "http url",
        "url without token",
        "url with empty token",
        "broken url",
        "empty",
        "blank",
        "null",
        "number",
    ],
)
def test_page_token(value: object, expected: str | None) -> None:
    """A token is opaque unless it is a URL, whose pageToken is then used."""
    assert page_token(value) == expected


def test_seed_list_page() -> None:
    """The reference list sample parses with its next and self tokens."""
    result = parse_page(
        load_fixture("push_operations_list_seed001.json"),
        ("operations",),
        Operation.from_json,
    )
    assert len(result.items) == 2
    assert result.next_token is not None
    assert result.self_token is not None
    assert result.self_token.startswith("eyJwYWdlVG9rZW4i")


def test_next_given_as_url() -> None:
    """A URL in pagination.next leads to its pageToken value."""
    assert parse_operations(load_fixture("operations_list_next_url.json"))[0] == (
        "eyJwYWdlIjogMn0="
    )


def test_top_level_next_page_token() -> None:
    """An undocumented top-level nextPageToken is honoured when pagination is absent."""
    assert (
        parse_operations(
            load_fixture("operations_list_top_level_next_page_token.json")
        )[0]
        == "eyJwYWdlIjogMn0"
    )


def test_self_url_without_token() -> None:
    """The push guide's self URL carries no token; the last page has none either."""
    result = parse_page(
        load_fixture("push_notifications_list_seed002.json"),
        ("pushNotifications", "notifications"),
        lambda item: item,
    )
    assert result.next_token is None
    assert result.self_token is None


@pytest.mark.parametrize(
    "data",
    [
        ["operations"],
        {"pagination": {"next": None}},
        {"operations": {"id": "comms_operation_01"}},
        {"operations": None},
        {"operations": [{"id": "../../Accounts"}]},
        {"operations": ["comms_operation_01"]},
    ],
    ids=[
        "not an object",
        "no list key",
        "list key holds an object",
        "list key holds null",
        "item with a bad id",
        "item not an object",
    ],
)
def test_wrong_page_shapes_are_invalid(data: object) -> None:
    """A 200 that is not a page is an invalid response, never an empty list."""
    with pytest.raises(TwilioCommsInvalidResponseError):
        parse_operations(data)


async def test_iter_operations_follows_three_pages(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """Every page is read, each asked for with the previous page's next token."""
    comms_server.add(
        "GET",
        OPERATIONS_PATH,
        page(range(3), "token-2", "token-1"),
        page(range(3, 5), "token-3", "token-2"),
        page(range(5, 6), None, "token-3"),
    )
    operations = [
        op
        async for op in client.iter_operations(
            Channel.MESSAGES,
            page_size=3,
            start_date=datetime(2024, 4, 5, tzinfo=UTC),
            status=OperationStatus.COMPLETED,
        )
    ]
    assert [op.stats.total for op in operations] == list(range(6))
    queries = [dict(received.query) for received in comms_server.requests]
    base = {"pageSize": "3", "startDate": "2024-04-05T00:00:00Z", "status": "COMPLETED"}
    assert queries == [
        base,
        base | {"pageToken": "token-2"},
        base | {"pageToken": "token-3"},
    ]


async def test_iter_operations_empty_page_then_end(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """An empty page in the middle does not end the listing; a missing next does."""
    comms_server.add(
        "GET",
        OPERATIONS_PATH,
        page(range(0), "token-2"),
        Reply(json={"operations": [operation(7)]}),
    )
    operations = [op async for op in client.iter_operations(Channel.MESSAGES)]
    assert [op.stats.total for op in operations] == [7]
    assert len(comms_server.requests) == 2


async def test_iter_operations_url_form_token(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A next URL is followed by its token, never by requesting the URL itself."""
    comms_server.add(
        "GET",
        "/PushNotifications/Operations",
        Reply(json=load_fixture("operations_list_next_url.json")),
        Reply(
            json=load_fixture("push_operations_list_seed001.json") | {"pagination": {}}
        ),
    )
    operations = [op async for op in client.iter_operations(Channel.PUSH_NOTIFICATIONS)]
    assert len(operations) == 3
    assert comms_server.requests[1].path == "/v1/PushNotifications/Operations"
    assert dict(comms_server.requests[1].query) == {"pageToken": "eyJwYWdlIjogMn0="}


@pytest.mark.parametrize(
    "replies",
    [
        [page(range(1), "token-1")],
        [page(range(1), "token-2", "token-1"), page(range(1), "token-1", "token-2")],
        [page(range(1), "token-1", "token-1")],
    ],
    ids=["same next forever", "two pages pointing at each other", "next is self"],
)
async def test_iter_operations_detects_looping_tokens(
    client: TwilioCommsClient, comms_server: CommsServer, replies: list[Reply]
) -> None:
    """A server that cycles through tokens cannot make the client loop forever."""
    comms_server.add("GET", OPERATIONS_PATH, *replies)
    with pytest.raises(TwilioCommsPaginationError, match="repeated a page token"):
        async for _ in client.iter_operations(Channel.MESSAGES):
            pass
    assert len(comms_server.requests) <= 3


async def test_iter_operations_page_cap(
    client: TwilioCommsClient, comms_server: CommsServer
) -> None:
    """A server handing out new tokens forever is cut off at max_pages."""
    comms_server.add(
        "GET", OPERATIONS_PATH, *(page(range(1), f"token-{n}") for n in range(10))
    )
    seen: list[Operation] = []

    async def collect() -> None:
        """Read the listing until it raises, keeping what arrived before."""
        async for op in client.iter_operations(Channel.MESSAGES, max_pages=4):
            seen.append(op)  # noqa: PERF401

    with pytest.raises(TwilioCommsPaginationError, match="within 4 pages"):
        await collect()
    assert len(seen) == 4
    assert len(comms_server.requests) == 4
    assert DEFAULT_MAX_PAGES == 100


@pytest.mark.parametrize("max_pages", [0, -1])
def test_iter_operations_checks_arguments_at_once(
    client: TwilioCommsClient, max_pages: int
) -> None:
    """Bad arguments fail when the iterator is created, not on first use."""
    with pytest.raises(TwilioCommsValidationError):
        client.iter_operations(Channel.MESSAGES, max_pages=max_pages)
    with pytest.raises(TwilioCommsValidationError):
        client.iter_operations(Channel.MESSAGES, page_size=0)
