"""API errors in the Comms format (comms-api.md §5)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

# The Twilio error code of each HTTP status the emulator answers with.
STATUS_CODES: Final = {
    400: 20001,
    401: 20003,
    403: 20403,
    404: 20404,
    405: 20004,
    429: 20429,
    500: 20500,
    503: 20503,
}

# Where Twilio documents an error code.
INFO_URL: Final = "https://www.twilio.com/docs/api/errors/{code}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One entry of an error body: what is wrong, and where (a JSON path)."""

    message: str
    code: int | None = None
    # The sample holds the string "null" when no field is at fault.
    context: str = "null"


def error_entry(code: int, message: str, context: str = "null") -> dict[str, Any]:
    """Return one entry of a Comms error body."""
    return {
        "code": code,
        "message": message,
        "infoUrl": INFO_URL.format(code=code),
        "context": context,
    }


class ApiError(Exception):
    """A request the API refuses; rendered as a Comms error body."""

    def __init__(
        self,
        status: int,
        *issues: Issue,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Refuse with a status and one or more issues (validation reports all it finds)."""
        super().__init__("; ".join(issue.message for issue in issues))
        self.status = status
        self.issues = issues
        self.headers = dict(headers or {})

    @classmethod
    def bad_request(cls, message: str, context: str = "null") -> ApiError:
        """Return a 400 with one issue."""
        return cls(400, Issue(message=message, context=context))

    @classmethod
    def not_found(cls) -> ApiError:
        """Return the 404 of an unknown or expired resource."""
        return cls(404, Issue(message="The resource was not found."))

    def response(self) -> web.Response:
        """Return the error as an HTTP response."""
        default = STATUS_CODES.get(self.status, 20000 + self.status)
        body = {
            "errors": [
                error_entry(issue.code or default, issue.message, issue.context)
                for issue in self.issues
            ]
        }
        return web.json_response(body, status=self.status, headers=self.headers)
