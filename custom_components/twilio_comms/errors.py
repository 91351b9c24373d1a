"""How a failed request reads in Home Assistant: a translation key per failure.

Messages name the kind of failure and, for an HTTP error, its status; the
client's own English text stays in the exception chain and the logs.
"""

from enum import StrEnum
from typing import Final

from .api import (
    TwilioCommsConnectionError,
    TwilioCommsError,
    TwilioCommsInvalidResponseError,
    TwilioCommsResponseError,
    TwilioCommsTimeoutError,
)


class Failure(StrEnum):
    """What kind of failure a client error is."""

    TIMEOUT = "timeout"
    CANNOT_CONNECT = "cannot_connect"
    INVALID_RESPONSE = "invalid_response"
    HTTP_ERROR = "http_error"
    OTHER = "failed"


def failure_of(err: TwilioCommsError) -> Failure:
    """Return the kind of failure a client error is; subclasses before bases."""
    if isinstance(err, TwilioCommsTimeoutError):
        return Failure.TIMEOUT
    if isinstance(err, TwilioCommsConnectionError):
        return Failure.CANNOT_CONNECT
    if isinstance(err, TwilioCommsInvalidResponseError):
        return Failure.INVALID_RESPONSE
    if isinstance(err, TwilioCommsResponseError):
        return Failure.HTTP_ERROR
    return Failure.OTHER


def failure_placeholders(err: TwilioCommsError) -> dict[str, str]:
    """Return the placeholders of a failure's message: the HTTP status, if any."""
    if isinstance(err, TwilioCommsResponseError):
        return {"status": str(err.status)}
    return {}


# The exception translation of each failure, for a poll and for a user's
# request (an action or notify).
UPDATE_FAILURES: Final = {failure: f"update_{failure}" for failure in Failure}
REQUEST_FAILURES: Final = {failure: f"request_{failure}" for failure in Failure}
