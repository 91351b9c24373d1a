"""Comms identifiers."""

import random
import re

from comms_emulator.world import make_id, parse_resource_id, resource_id

# The documented id pattern (comms-api.md §2), anchored here on purpose.
PATTERN = re.compile(r"^comms_operation_[0-7][a-hjkmnpqrstv-z0-9]{25,34}$")


def test_operation_ids_follow_the_documented_pattern() -> None:
    """Operation ids: the prefix, 0-7, then 25 base32 characters; deterministic."""
    ids = [make_id("comms_operation_", random.Random(seed)) for seed in range(200)]
    assert all(PATTERN.match(value) and len(value) == 42 for value in ids)
    assert ids == [
        make_id("comms_operation_", random.Random(seed)) for seed in range(200)
    ]
    assert len(set(ids)) == 200


def test_resource_ids_embed_operation_and_index() -> None:
    """A resource id names its operation and recipient, and reads back."""
    operation_id = make_id("comms_operation_", random.Random(1))
    for index in (0, 1, 31, 32, 9_999):
        value = resource_id("comms_message_", operation_id, index)
        assert re.match(r"^comms_message_[0-7][a-hjkmnpqrstv-z0-9]{25,34}$", value)
        assert parse_resource_id("comms_message_", value) == (operation_id, index)
    value = resource_id("comms_message_", operation_id, 5)
    assert parse_resource_id("comms_email_", value) is None
    assert parse_resource_id("comms_message_", value[:-1]) is None
    assert parse_resource_id("comms_message_", value[:-1] + "u") is None
