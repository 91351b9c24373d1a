"""Comms identifiers: ULID-like, lower-case base32 without i, l, o, u (comms-api.md §2)."""

import random
from typing import Final

from .channels import OPERATION_PREFIX

# The documented id alphabet, [a-hjkmnpqrstv-z0-9].
ID_ALPHABET: Final = "0123456789abcdefghjkmnpqrstvwxyz"

# Ids start with 0-7: a ULID's 48-bit time leaves the first character's top bit 0.
FIRST_CHARACTERS: Final = "01234567"

# Characters after the prefix of an operation id (26, a ULID's length).
OPERATION_BODY_LENGTH: Final = 26

# Characters a resource id appends to its operation's body for the recipient
# index: 32**5 is far more than the 10,000 recipients a send may have, and
# 26 + 5 stays inside the documented 26–35 characters.
INDEX_LENGTH: Final = 5


def make_id(prefix: str, rng: random.Random) -> str:
    """Return a ULID-like Comms id drawn from a seeded generator."""
    return (
        prefix
        + rng.choice(FIRST_CHARACTERS)
        + "".join(rng.choice(ID_ALPHABET) for _ in range(OPERATION_BODY_LENGTH - 1))
    )


def resource_id(prefix: str, operation_id: str, index: int) -> str:
    """Return the id of an operation's resource for one recipient."""
    # The id embeds the operation's id and the index, so a fetch by id finds
    # its resource without an index of every resource ever created.
    digits = ""
    for _ in range(INDEX_LENGTH):
        index, digit = divmod(index, len(ID_ALPHABET))
        digits = ID_ALPHABET[digit] + digits
    return prefix + operation_id.removeprefix(OPERATION_PREFIX) + digits


def parse_resource_id(prefix: str, value: str) -> tuple[str, int] | None:
    """Return the operation id and recipient index a resource id embeds, if well formed."""
    body = value.removeprefix(prefix)
    if (
        body == value
        or len(body) != OPERATION_BODY_LENGTH + INDEX_LENGTH
        or body[0] not in FIRST_CHARACTERS
        or any(character not in ID_ALPHABET for character in body)
    ):
        return None
    index = 0
    for character in body[OPERATION_BODY_LENGTH:]:
        index = index * len(ID_ALPHABET) + ID_ALPHABET.index(character)
    return OPERATION_PREFIX + body[:OPERATION_BODY_LENGTH], index
