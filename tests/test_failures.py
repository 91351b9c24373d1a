"""Tests of how a failed request is named in translated messages."""

import pytest

from custom_components.twilio_comms.api import (
    TwilioCommsConnectionError,
    TwilioCommsError,
    TwilioCommsForbiddenError,
    TwilioCommsInvalidIdError,
    TwilioCommsResponseError,
    TwilioCommsServerError,
    TwilioCommsTimeoutError,
)
from custom_components.twilio_comms.api.exceptions import TwilioCommsPageLimitError
from custom_components.twilio_comms.helpers import (
    Failure,
    failure_of,
    failure_placeholders,
)


@pytest.mark.parametrize(
    ("error", "failure", "placeholders"),
    [
        (TwilioCommsTimeoutError("timed out after 10 s"), Failure.TIMEOUT, {}),
        (TwilioCommsConnectionError("refused"), Failure.CANNOT_CONNECT, {}),
        (TwilioCommsPageLimitError("100 pages"), Failure.INVALID_RESPONSE, {}),
        (
            TwilioCommsServerError("GET /v1 failed with HTTP 502", status=502),
            Failure.HTTP_ERROR,
            {"status": "502"},
        ),
        (
            TwilioCommsResponseError("POST /v1 failed with HTTP 413", status=413),
            Failure.HTTP_ERROR,
            {"status": "413"},
        ),
        (
            TwilioCommsForbiddenError("GET /v1 failed with HTTP 403", status=403),
            Failure.NOT_ENTITLED,
            {},
        ),
        (TwilioCommsInvalidIdError("not an id"), Failure.OTHER, {}),
    ],
    ids=[
        "timeout",
        "connection",
        "invalid response",
        "5xx",
        "other status",
        "not entitled",
        "other",
    ],
)
def test_failures_are_named_by_kind_not_by_the_client_text(
    error: TwilioCommsError, failure: Failure, placeholders: dict[str, str]
) -> None:
    """Each failure has its kind's message; only the HTTP status is a detail."""
    assert failure_of(error) is failure
    assert failure_placeholders(error) == placeholders
    assert str(error) not in failure_placeholders(error).values()
