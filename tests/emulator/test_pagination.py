"""Pagination: opaque tokens, page sizes, ordering, scale."""

import base64
from collections.abc import Callable
import json
import re

import pytest

from .conftest import AUTH, ClientFactory, emulator_of, get_json, list_all, list_pages

OPERATIONS = "/v1/Messages/Operations"


@pytest.mark.parametrize(
    ("operations", "size", "lengths"),
    [(250, "60", [60, 60, 60, 60, 10]), (100, "50", [50, 50]), (0, "50", [0])],
)
async def test_pages_cover_everything_once_newest_first(
    make_client: ClientFactory, operations: int, size: str, lengths: list[int]
) -> None:
    """Pages hold every visible operation once, newest first; the last has no next."""
    client = await make_client(operations_per_channel=operations)
    pages = await list_pages(client, pageSize=size)
    assert [len(page) for page in pages] == lengths
    items = [item for page in pages for item in page]
    truth = emulator_of(client).truth("Messages")
    assert [item["id"] for item in items] == [op["id"] for op in truth["operations"]]
    created = [item["createdAt"] for item in items]
    assert created == sorted(created, reverse=True)


async def test_page_sizes_and_self_token(make_client: ClientFactory) -> None:
    """Pages hold 50 by default, 1 to 1000 as asked; self fetches the same page again."""
    client = await make_client(operations_per_channel=120)
    for size, listed in (("1", 1), ("1000", 120)):
        body = await get_json(client, OPERATIONS, pageSize=size)
        assert len(body["operations"]) == listed
    first = await get_json(client, OPERATIONS)
    assert len(first["operations"]) == 50
    again = await get_json(client, OPERATIONS, pageToken=first["pagination"]["self"])
    assert again == first
    second = await get_json(client, OPERATIONS, pageToken=first["pagination"]["next"])
    repeat = await get_json(client, OPERATIONS, pageToken=second["pagination"]["self"])
    assert repeat["operations"] == second["operations"]
    assert second["operations"][0]["id"] != first["operations"][0]["id"]


async def test_tokens_survive_new_operations(make_client: ClientFactory) -> None:
    """A send between two pages shifts nothing: the next page continues where the last ended."""
    client = await make_client(operations_per_channel=30)
    first = await get_json(client, OPERATIONS, pageSize="10")
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


def _token(data: object) -> str:
    """Return a hand-made token holding some JSON."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _decoded(token: str) -> dict[str, object]:
    """Return what a token holds: URL-safe base64 of JSON, {f: fingerprint, a: after}."""
    assert re.fullmatch(r"[A-Za-z0-9_-]+=*", token)
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(token + "=="))
    return data


def _at(position: object) -> Callable[[str], str]:
    """Return a token maker: a valid token's fingerprint at another position."""
    return lambda token: _token(_decoded(token) | {"a": position})


# Tokens that are not ours, or not for the query they come with: the path, the
# query beside the token, and the token made from a valid next token.
BAD_TOKENS: dict[str, tuple[str, dict[str, str], Callable[[str], str]]] = {
    "not-base64": (OPERATIONS, {}, lambda _: "garbage!"),
    "not-an-object": (OPERATIONS, {}, lambda _: _token([1, 2])),
    "other-fingerprint": (OPERATIONS, {}, lambda _: _token({"f": "0" * 16, "a": None})),
    "other-filter": (OPERATIONS, {"status": "COMPLETED"}, str),
    "other-channel": ("/v1/Emails/Operations", {}, str),
    "position-not-a-date": (OPERATIONS, {}, _at(["yesterday", "x"])),
    "position-no-offset": (OPERATIONS, {}, _at(["2026-11-23T10:00:00", "x"])),
    "position-a-bool": (OPERATIONS, {}, _at([True])),
    "position-an-object": (OPERATIONS, {}, _at([{"a": 1}])),
}  # fmt: skip


@pytest.mark.parametrize(("path", "query", "make"), BAD_TOKENS.values(), ids=BAD_TOKENS)
async def test_bad_tokens_are_400(
    make_client: ClientFactory,
    path: str,
    query: dict[str, str],
    make: Callable[[str], str],
) -> None:
    """A token that is not ours, or not for this query, is a 400 naming pageToken."""
    client = await make_client(operations_per_channel=20)
    token = (await get_json(client, OPERATIONS, pageSize="5"))["pagination"]["next"]
    assert set(_decoded(token)) == {"f", "a"}
    body = await get_json(client, path, 400, pageToken=make(token), **query)
    assert body["errors"][0]["context"] == "pageToken"
    # The page size may change between pages: it is not part of the query.
    await get_json(client, OPERATIONS, pageSize="7", pageToken=token)


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
