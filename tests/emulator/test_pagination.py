"""Pagination: opaque tokens, page sizes, ordering, scale."""

import base64
import json

import pytest

from .conftest import AUTH, ClientFactory, emulator_of, get_json, list_all, list_pages


async def test_pages_cover_everything_once_newest_first(
    make_client: ClientFactory,
) -> None:
    """Three and more pages hold every visible operation exactly once, newest first."""
    client = await make_client(operations_per_channel=250)
    pages = await list_pages(client, pageSize="60")
    assert [len(page) for page in pages] == [60, 60, 60, 60, 10]
    items = [item for page in pages for item in page]
    truth = emulator_of(client).truth("Messages")
    assert [item["id"] for item in items] == [op["id"] for op in truth["operations"]]
    created = [item["createdAt"] for item in items]
    assert created == sorted(created, reverse=True)


async def test_default_page_size_and_self_token(make_client: ClientFactory) -> None:
    """Pages hold 50 by default; self fetches the same page again."""
    client = await make_client(operations_per_channel=120)
    first = await get_json(client, "/v1/Messages/Operations")
    assert len(first["operations"]) == 50
    again = await get_json(
        client, "/v1/Messages/Operations", pageToken=first["pagination"]["self"]
    )
    assert again == first
    second = await get_json(
        client, "/v1/Messages/Operations", pageToken=first["pagination"]["next"]
    )
    repeat = await get_json(
        client, "/v1/Messages/Operations", pageToken=second["pagination"]["self"]
    )
    assert repeat["operations"] == second["operations"]
    assert second["operations"][0]["id"] != first["operations"][0]["id"]


async def test_last_page_has_no_next(make_client: ClientFactory) -> None:
    """An exactly full last page still says there is no next one."""
    client = await make_client(operations_per_channel=100)
    pages = await list_pages(client, pageSize="50")
    assert [len(page) for page in pages] == [50, 50]
    empty = await get_json(
        client, "/v1/Messages/Operations", startDate="2030-01-01T00:00:00Z"
    )
    assert empty == {
        "operations": [],
        "pagination": {"next": None, "self": empty["pagination"]["self"]},
    }


async def test_tokens_survive_new_operations(make_client: ClientFactory) -> None:
    """A send between two pages shifts nothing: the next page continues where the last ended."""
    client = await make_client(operations_per_channel=30)
    first = await get_json(client, "/v1/Messages/Operations", pageSize="10")
    response = await client.post(
        "/v1/Messages",
        json={"to": [{"address": "+15551230000"}], "content": {"text": "x"}},
        headers=AUTH,
    )
    assert response.status == 202
    rest = await list_pages(
        client, pageSize="10", pageToken=first["pagination"]["next"]
    )
    ids = [op["id"] for op in first["operations"]] + [
        op["id"] for page in rest for op in page
    ]
    assert len(ids) == len(set(ids)) == 30


async def test_tokens_are_opaque_base64(make_client: ClientFactory) -> None:
    """Tokens are URL-safe base64 of JSON, which clients must not build."""
    client = await make_client(operations_per_channel=20)
    body = await get_json(client, "/v1/Messages/Operations", pageSize="5")
    token = body["pagination"]["next"]
    assert set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert set(decoded) == {"f", "a"}


def _token(data: object) -> str:
    """Return a hand-made token holding some JSON."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage!", id="not-base64"),
        pytest.param(_token([1, 2]), id="not-an-object"),
        pytest.param(_token({"f": "0000000000000000", "a": None}), id="other-query"),
    ],
)
async def test_bad_tokens_are_400(make_client: ClientFactory, token: str) -> None:
    """A token that is not one of ours, or not for this query, is a 400."""
    client = await make_client()
    body = await get_json(client, "/v1/Messages/Operations", 400, pageToken=token)
    assert body["errors"][0]["context"] == "pageToken"


async def test_token_of_another_query_is_400(make_client: ClientFactory) -> None:
    """A token only works with the query that produced it."""
    client = await make_client(operations_per_channel=20)
    body = await get_json(client, "/v1/Messages/Operations", pageSize="5")
    token = body["pagination"]["next"]
    await get_json(
        client, "/v1/Messages/Operations", 400, status="COMPLETED", pageToken=token
    )
    await get_json(client, "/v1/Emails/Operations", 400, pageToken=token)
    # The page size may change between pages: it is not part of the query.
    await get_json(client, "/v1/Messages/Operations", pageSize="7", pageToken=token)


async def test_tampered_cursor_is_400(make_client: ClientFactory) -> None:
    """A token with the right fingerprint but a nonsense position is a 400."""
    client = await make_client(operations_per_channel=20)
    body = await get_json(client, "/v1/Messages/Operations", pageSize="5")
    token = body["pagination"]["next"]
    decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for position in (
        ["yesterday", "x"],
        ["2026-11-23T10:00:00", "x"],
        [True],
        [{"a": 1}],
    ):
        tampered = _token({"f": decoded["f"], "a": position})
        await get_json(client, "/v1/Messages/Operations", 400, pageToken=tampered)


@pytest.mark.parametrize("size", ["0", "1001", "-1", "abc", "1.5", "", "٣"])
async def test_page_size_bounds(make_client: ClientFactory, size: str) -> None:
    """PageSize outside the integers 1–1000 is a 400 in the Comms format."""
    client = await make_client()
    body = await get_json(client, "/v1/Messages/Operations", 400, pageSize=size)
    assert body["errors"][0]["code"] == 20001


@pytest.mark.parametrize("size", ["1", "1000"])
async def test_page_size_limits_are_allowed(
    make_client: ClientFactory, size: str
) -> None:
    """PageSize 1 and 1000 are fine."""
    client = await make_client(operations_per_channel=3)
    body = await get_json(client, "/v1/Messages/Operations", pageSize=size)
    assert len(body["operations"]) == min(int(size), 3)


async def test_ten_thousand_operations_list_completely(
    make_client: ClientFactory,
) -> None:
    """10,000 operations per channel list completely, in order, through every page."""
    client = await make_client(operations_per_channel=10_000)
    items = await list_all(client, "PushNotifications", pageSize="1000")
    assert len({item["id"] for item in items}) == 10_000
    created = [item["createdAt"] for item in items]
    assert created == sorted(created, reverse=True)
    processing = await list_all(
        client, "PushNotifications", pageSize="100", status="processing"
    )
    assert processing
    assert len(processing) == sum(item["status"] == "PROCESSING" for item in items)
