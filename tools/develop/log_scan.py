"""Find what Home Assistant's log says about Twilio Comms at warning level or worse.

Pure text processing, no Home Assistant import: the newest leg runs it on
`home-assistant.log` after the instance stopped, and the tests run it on
made-up logs.

A record is a line that starts with Home Assistant's log prefix
(`2026-11-23 12:00:00.123 WARNING (MainThread) [logger] message`) together
with the lines after it that do not (a traceback, a multi-line message), so
a traceback that only names the integration in a file path still counts.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
import re
from typing import Final

# homeassistant/const.py's LOG_FORMAT with its date, as the log file has it:
# 2026.11 adds the UTC offset (`...:47.009+00:00`), earlier releases do not.
RECORD_START: Final = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}(?:[+-]\d{2}:\d{2}|Z)? "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)
SERIOUS_LEVELS: Final = frozenset({"WARNING", "ERROR", "CRITICAL"})
# The integration's logger names and files (custom_components.twilio_comms,
# custom_components/twilio_comms/…), its domain as a word ("custom integration
# 'twilio_comms'"), its entity ids and the entry's default title ("Twilio
# Comms …0001"). A
# directory merely named twilio_comms does not count: the venvs live under
# ~/.cache/twilio_comms, so every traceback through a library names it.
MENTION: Final = re.compile(
    r"custom_components[./]twilio_comms"
    r"|(?<![\w/.-])twilio_comms(?![\w/])"
    r"|\w\.twilio_comms_\w"  # an entity id
    r"|Twilio Comms"
)


@dataclass(frozen=True, slots=True)
class Expected:
    """A record the harness causes on purpose, ignored with the reason why."""

    pattern: re.Pattern[str]
    reason: str


@dataclass(frozen=True, slots=True)
class Record:
    """One log record: its level and its lines, the first one with the prefix."""

    level: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        """Return the record as it appears in the log."""
        return "\n".join(self.lines)


def records(lines: Iterable[str]) -> Iterator[Record]:
    """Split log lines into records; lines before the first record are skipped."""
    level: str | None = None
    current: list[str] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if match := RECORD_START.match(line):
            if level is not None:
                yield Record(level, tuple(current))
            level, current = match["level"], [line]
        elif level is not None:
            current.append(line)
    if level is not None:
        yield Record(level, tuple(current))


class UnreadableLog(ValueError):
    """The log has lines but no record in the known format: nothing can be judged."""


@dataclass(frozen=True, slots=True)
class Findings:
    """What a scan found: records that fail the run, and expected ones it ignored."""

    problems: tuple[Record, ...]
    ignored: tuple[tuple[Record, Expected], ...]


def scan(lines: Iterable[str], expected: Iterable[Expected] = ()) -> Findings:
    """Return the warning-or-worse records that mention Twilio Comms.

    A record matching an expected pattern (searched in its first line only,
    so a traceback cannot hide behind an innocent message) is set apart.
    Raises UnreadableLog when no line has the record prefix: a format
    change must fail the scan, not pass it by finding nothing.
    """
    expectations = tuple(expected)
    problems: list[Record] = []
    ignored: list[tuple[Record, Expected]] = []
    count = 0
    for count, record in enumerate(records(lines), start=1):  # noqa: B007
        if record.level not in SERIOUS_LEVELS or not MENTION.search(record.text):
            continue
        reason = next(
            (e for e in expectations if e.pattern.search(record.lines[0])), None
        )
        if reason is None:
            problems.append(record)
        else:
            ignored.append((record, reason))
    if count == 0:
        raise UnreadableLog("no line of the log starts like a Home Assistant record")
    return Findings(tuple(problems), tuple(ignored))
