"""Select options for the API's upper-case values (channels, providers, priority).

hassfest accepts only lower-case selector option keys, so actions and forms
offer `phone`, `fcm`, `high`, ... and the integration sends the API's `PHONE`,
`FCM`, `HIGH`.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from homeassistant.helpers import config_validation as cv
import voluptuous as vol


def option_of(member: StrEnum) -> str:
    """Return the select option that stands for an API value."""
    return member.value.lower()


def options_of(enum: type[StrEnum]) -> list[str]:
    """Return the select options of every value of an API enum, in its order."""
    return [option_of(member) for member in enum]


def from_option[E: StrEnum](enum: type[E], value: str) -> E:
    """Return the API value a select option names, in either case.

    The API's own spelling is accepted too: recipients stored before the
    options were lower case hold `PHONE` or `WHATSAPP`, and automations
    written then pass them to the actions.
    """
    return enum(value.upper())


def option_validator[E: StrEnum](enum: type[E]) -> Callable[[Any], E]:
    """Return an action schema validator turning a select option into its API value."""

    def validate(value: Any) -> E:
        """Return the API value an option names, or fail the schema."""
        try:
            return from_option(enum, cv.string(value))
        except ValueError as err:
            raise vol.Invalid(f"expected one of {', '.join(options_of(enum))}") from err

    return validate
