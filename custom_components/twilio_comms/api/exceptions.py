"""Exceptions of the Twilio Comms API client."""

from typing import override


class TwilioCommsError(Exception):
    """Base class of every error the client raises."""


class TwilioCommsConnectionError(TwilioCommsError):
    """The API could not be reached."""


class TwilioCommsTimeoutError(TwilioCommsConnectionError):
    """The API did not answer within the request timeout."""


class TwilioCommsAccountMismatchError(TwilioCommsError):
    """The credentials work, but do not open the account their Account SID names."""


class TwilioCommsInvalidResponseError(TwilioCommsError):
    """The API answered with something that is not the documented JSON."""


class TwilioCommsPaginationError(TwilioCommsInvalidResponseError):
    """Pagination did not end: a page token repeated or the page cap was hit."""


class TwilioCommsPageLimitError(TwilioCommsPaginationError):
    """A listing went on past the page cap; what was read before it is valid."""


class TwilioCommsInvalidIdError(TwilioCommsError, ValueError):
    """A caller passed an id that is not a well-formed Comms id."""


class TwilioCommsValidationError(TwilioCommsError, ValueError):
    """A caller passed an argument or a send request the API would reject.

    When a field of a send request is at fault, `field` names it and `value`
    is what it held, so a caller can explain the refusal in its own words.
    """

    @override
    def __init__(
        self, message: str, *, field: str | None = None, value: str | None = None
    ) -> None:
        """Store the field refused and its value, when the error is about one."""
        super().__init__(message)
        self.field = field
        self.value = value


class TwilioCommsInputTooLongError(TwilioCommsValidationError):
    """A field of a send request is longer than the API or the channel takes."""

    field: str

    @override
    def __init__(self, message: str, *, field: str, limit: int) -> None:
        """Store which field is too long, and its limit."""
        super().__init__(message, field=field)
        self.limit = limit


class TwilioCommsResponseError(TwilioCommsError):
    """The API answered with an HTTP error status."""

    @override
    def __init__(self, message: str, *, status: int, detail: str = "") -> None:
        """Store the HTTP status and the server's detail."""
        super().__init__(message)
        self.status = status
        self.detail = detail


class TwilioCommsBadRequestError(TwilioCommsResponseError):
    """The API rejected the request as malformed (400)."""


class TwilioCommsRequestTooLargeError(TwilioCommsResponseError):
    """The API (or a gateway before it) refused the request as too large (413)."""


class TwilioCommsAuthenticationError(TwilioCommsResponseError):
    """The API rejected the credentials (401)."""


class TwilioCommsForbiddenError(TwilioCommsResponseError):
    """The credentials work but the account may not use this API (403)."""


class TwilioCommsNotFoundError(TwilioCommsResponseError):
    """The resource does not exist, or no longer does (404)."""


class TwilioCommsRateLimitError(TwilioCommsResponseError):
    """Too many requests (429); the request was not processed."""

    @override
    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_after: float,
        detail: str = "",
    ) -> None:
        """Store the seconds to wait before retrying, besides the HTTP details."""
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after


class TwilioCommsServerError(TwilioCommsResponseError):
    """The API failed on its side (5xx)."""

    @override
    def __init__(
        self,
        message: str,
        *,
        status: int,
        retry_after: float | None = None,
        detail: str = "",
    ) -> None:
        """Store the seconds to wait, when the server said (503), besides the HTTP details."""
        super().__init__(message, status=status, detail=detail)
        self.retry_after = retry_after
