"""Pages of a list response and the tokens that lead to the next one."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from yarl import URL

from .exceptions import (
    TwilioCommsInvalidResponseError,
    TwilioCommsPageLimitError,
    TwilioCommsPaginationError,
)
from .wire import as_object


@dataclass(frozen=True, slots=True, kw_only=True)
class Page[T]:
    """One page of a list; next_token is None on the last page."""

    items: tuple[T, ...]
    next_token: str | None
    self_token: str | None


def page_token(value: object) -> str | None:
    """Return a page token, reading it from a URL's pageToken when it is one.

    A push guide sample shows a URL where the reference shows an opaque token
    (comms-api.md §7). A missing, null or empty value means "no page".
    """
    if not isinstance(value, str) or not value.strip():
        return None
    if value.startswith(("https://", "http://")):
        try:
            token = URL(value).query.get("pageToken")
        except ValueError:
            return None
        return token or None
    return value


def parse_page[T](
    data: object, list_keys: tuple[str, ...], parse_item: Callable[[object], T]
) -> Page[T]:
    """Return a page from a list response, taking items from the first list key present.

    Pages disagree on the list key (e.g. `notifications` or `pushNotifications`)
    and on where the next token lives (`pagination.next` or a top-level
    `nextPageToken`), so every documented or observed variant is accepted.
    """
    obj = as_object(data)
    if obj is None:
        raise TwilioCommsInvalidResponseError("A list response is not an object")
    items = next((obj[key] for key in list_keys if key in obj), None)
    if not isinstance(items, list):
        raise TwilioCommsInvalidResponseError(
            f"A list response has no {' or '.join(list_keys)} array"
        )
    pagination = as_object(obj.get("pagination")) or {}
    return Page(
        items=tuple(parse_item(item) for item in items),
        next_token=page_token(pagination.get("next"))
        or page_token(obj.get("nextPageToken")),
        self_token=page_token(pagination.get("self")),
    )


async def iterate_pages[T](
    fetch: Callable[[str | None], Awaitable[Page[T]]], *, max_pages: int
) -> AsyncIterator[T]:
    """Yield the items of every page, following next tokens; never loop forever.

    A token seen before (as a page's own token or as an earlier next token)
    means the server is cycling, and more than max_pages pages means it never
    stops; both raise TwilioCommsPaginationError (the page cap its subclass
    TwilioCommsPageLimitError, since the items yielded before it are sound).
    """
    seen: set[str] = set()
    token: str | None = None
    for _ in range(max_pages):
        page = await fetch(token)
        for item in page.items:
            yield item
        if page.self_token is not None:
            seen.add(page.self_token)
        if (token := page.next_token) is None:
            return
        if token in seen:
            raise TwilioCommsPaginationError("The API repeated a page token")
        seen.add(token)
    raise TwilioCommsPageLimitError(f"The list did not end within {max_pages} pages")
