"""Tests that only well-formed ids ever reach a URL."""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.twilio_comms.api import (
    Channel,
    TwilioCommsClient,
    is_operation_id,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsInvalidIdError
from custom_components.twilio_comms.api.models import (
    RESOURCE_ID_PREFIXES,
    is_valid_id,
    validate_operation_id,
)

from .conftest import CommsServer

GOOD_OPERATION_IDS = [
    "comms_operation_01h9krwprkeee8fzqspvwy6nq8",
    # A seed sample only 25 characters after the prefix (comms-api.md §2).
    "comms_operation_01h9ksxq9v7b2m4r5t6y7z8a9",
    "comms_operation_x",
    "comms_operation_" + "a" * 64,
]

EVIL_IDS = [
    "",
    "comms_operation_",
    "comms_operation_x/../../Accounts",
    "comms_operation_abc?pageSize=1",
    "comms_operation_%2e%2e",
    "comms_operation_abc%2F..",
    "comms_operation_..",
    "comms_operation_abc.json",
    "comms_operation_abc#fragment",
    "comms_operation_abc def",
    "comms_operation_abc\n",
    "comms_operation_abc\t",
    " comms_operation_abc",
    "comms_operation_ABC",
    "COMMS_OPERATION_abc",
    "comms_operation_a_b",
    "comms_operation_a-b",
    "comms_operation_abc\\..",
    "comms_operation_ａｂｃ",  # full-width letters
    "comms_operation_١٢٣",  # Arabic-Indic digits
    "comms_operation_é",
    "comms_operation_abc\u200b",  # zero-width space
    "comms_operation_abc\x00",
    "comms_operation_" + "a" * 65,
    "comms_message_01h9krwprkeee8fzqspvwy6nq8",
    "../comms_operation_abc",
]

# Characters that would change a URL's meaning or hide in it.
FORBIDDEN = set("/?#%.\\ \t\r\n&=+;:@") | {chr(c) for c in range(32)}


@pytest.mark.parametrize("operation_id", GOOD_OPERATION_IDS)
def test_good_operation_ids(operation_id: str) -> None:
    """Documented ids, and the short seed sample, are accepted unchanged."""
    assert validate_operation_id(operation_id) == operation_id
    assert is_operation_id(operation_id)


@pytest.mark.parametrize("operation_id", EVIL_IDS)
def test_evil_operation_ids(operation_id: str) -> None:
    """Anything that could escape its path segment is rejected."""
    assert not is_operation_id(operation_id)
    with pytest.raises(TwilioCommsInvalidIdError) as info:
        validate_operation_id(operation_id)
    assert isinstance(info.value, ValueError)


def test_rejected_id_is_summarised() -> None:
    """A long or unprintable rejected id is described, not echoed."""
    with pytest.raises(TwilioCommsInvalidIdError, match="a 200-character string"):
        validate_operation_id("x" * 200)
    with pytest.raises(TwilioCommsInvalidIdError, match="a 18-character string"):
        validate_operation_id("comms_operation_\r\n")
    with pytest.raises(TwilioCommsInvalidIdError, match="'comms_operation_A'"):
        validate_operation_id("comms_operation_A")


@pytest.mark.parametrize(
    ("prefixes", "good", "bad"),
    [
        (
            RESOURCE_ID_PREFIXES[Channel.MESSAGES],
            "comms_message_01h9krwprkeee8fzqspvwy6nq8",
            "comms_email_01h9krwprkeee8fzqspvwy6nq8",
        ),
        (
            RESOURCE_ID_PREFIXES[Channel.PUSH_NOTIFICATIONS],
            "comms_pushnotification_01h9krwprkeee8fzqspvwy6nq8",
            "comms_pushnotificationuser_01h9krwprkeee8fzqspvwy6nq8",
        ),
        (
            RESOURCE_ID_PREFIXES[Channel.PUSH_NOTIFICATIONS],
            "comms_notification_01h2xcejqtf2nbrexx3vqjhp41",
            "comms_operation_01h2xcejqtf2nbrexx3vqjhp41",
        ),
        (
            RESOURCE_ID_PREFIXES[Channel.EMAILS],
            "comms_email_01h9krwprkeee8fzqspvwy6nq8",
            "comms_email_01H9KRWPRKEEE8FZQSPVWY6NQ8",
        ),
    ],
    ids=["message", "push notification", "guide-style push notification", "email"],
)
def test_resource_id_families(prefixes: tuple[str, ...], good: str, bad: str) -> None:
    """Each family accepts its own prefix only."""
    assert is_valid_id(good, prefixes)
    assert not is_valid_id(bad, prefixes)


@settings(database=None, max_examples=500)
@given(
    st.text(
        alphabet=st.one_of(
            st.sampled_from("0123456789abcdefghjkmnpqrstvwxyz"), st.characters()
        )
    )
)
def test_no_valid_id_needs_quoting(value: str) -> None:
    """Whatever text comes in, an id that passes is a plain, safe path segment."""
    candidate = "comms_operation_" + value
    if is_operation_id(candidate):
        assert not set(candidate) & FORBIDDEN
        assert quote(candidate, safe="") == candidate
        assert candidate.isascii()
        assert candidate == candidate.lower()


type Call = Callable[[TwilioCommsClient, str], Awaitable[object]]

ID_TAKING_CALLS: list[tuple[str, Call]] = [
    ("get_operation", lambda c, i: c.get_operation(Channel.MESSAGES, i)),
    ("list_resources", lambda c, i: c.list_resources(Channel.EMAILS, i)),
]


@pytest.mark.parametrize(
    "evil_id",
    [
        "comms_operation_x/../../Accounts",
        "comms_operation_abc?pageSize=1",
        "comms_operation_%2e%2e",
        "comms_message_x/../../Accounts",
        "comms_email_abc?x=1",
        "comms_notification_ä",
    ],
)
@pytest.mark.parametrize(
    "call",
    [call for _, call in ID_TAKING_CALLS],
    ids=[name for name, _ in ID_TAKING_CALLS],
)
async def test_evil_ids_never_reach_the_server(
    client: TwilioCommsClient, comms_server: CommsServer, call: Call, evil_id: str
) -> None:
    """Every method taking an id validates it before building a URL."""
    with pytest.raises(TwilioCommsInvalidIdError):
        await call(client, evil_id)
    assert comms_server.requests == []
