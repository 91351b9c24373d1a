"""The delivery outcome of our own sends, per recipient.

Each recipient subentry shows the status of the last message (or email) Home
Assistant sent to it. A send makes it queued; then, while the send is
followed, its channel's polls list the operation's messages: one listing a
poll at most, only in a poll that saw the operation change, and only while
one of ours is not final. The push path reports what message events say
(async_message_status). Statuses only move forward, and only the
latest send to a recipient counts: anything said of an earlier one is old.
"""

from collections.abc import Callable, Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util

from .api import (
    MAX_PAGE_SIZE,
    MAX_RECIPIENTS,
    Channel,
    ChannelData,
    CommsResource,
    EmailSendRequest,
    MessageSendRequest,
    MessageStatus,
    Operation,
    RecipientChannel,
    SendRequest,
    TwilioCommsClient,
    TwilioCommsError,
)
from .const import (
    CONF_ADDRESS,
    CONF_RECIPIENT_CHANNEL,
    LOGGER,
    RECIPIENT_EMAIL,
    SENT_FOLLOW_LIMIT,
)
from .helpers import WHATSAPP_PREFIX, from_option

# Pages of an operation's resources one listing reads at most: every
# recipient a send may have fits.
MAX_LISTING_PAGES: Final = MAX_RECIPIENTS // MAX_PAGE_SIZE


def address_key(address: str) -> str:
    """Return an address as recipients are matched by: any case, no whatsapp: prefix."""
    return address.strip().casefold().removeprefix(WHATSAPP_PREFIX)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipientStatus:
    """The status of the last message sent to a recipient, and when it changed."""

    status: MessageStatus
    changed_at: datetime
    operation_id: str | None
    message_id: str | None = None
    # The time of the last event shown; an event older than it is old news.
    # None before any event, and after a restart.
    observed_at: datetime | None = None

    def as_attributes(self) -> dict[str, Any]:
        """Return what the sensor shows beside the status."""
        return {
            "changed_at": self.changed_at.isoformat(),
            "operation_id": self.operation_id,
            "message_id": self.message_id,
        }

    @classmethod
    def restored(
        cls, state: str, attributes: Mapping[str, Any]
    ) -> RecipientStatus | None:
        """Return the status a sensor's last state showed, or None if it showed none."""
        status = MessageStatus.parse(state)
        changed = attributes.get("changed_at")
        changed_at = (
            dt_util.parse_datetime(changed) if isinstance(changed, str) else None
        )
        if status is None or changed_at is None:
            return None
        if changed_at.tzinfo is None:
            # Written with its offset; one edited away reads as UTC, so it
            # compares with Twilio's times.
            changed_at = changed_at.replace(tzinfo=UTC)
        operation_id, message_id = (
            value if isinstance(value := attributes.get(key), str) else None
            for key in ("operation_id", "message_id")
        )
        return cls(
            status=status,
            changed_at=changed_at,
            operation_id=operation_id,
            message_id=message_id,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Recipient:
    """A recipient subentry as sends address it."""

    # RecipientChannel's value, or RECIPIENT_EMAIL.
    kind: str
    key: str


@dataclass(slots=True, kw_only=True)
class _Followed:
    """A send of ours whose messages to recipients are not all final yet."""

    channel: Channel
    # Subentry id -> address key, of the recipients still waiting.
    waiting: dict[str, str]
    # A send to one address: a message listed without an address is theirs.
    single: bool
    start: datetime
    until: datetime
    # The operation as the poll of the last listing saw it: its messages can
    # only have moved on once it did (its stats count them).
    listed: Operation | None = None


def _addressed(request: SendRequest) -> list[tuple[str, str]]:
    """Return the (kind, address key) of each recipient a request sends to."""
    if isinstance(request, MessageSendRequest):
        return [(str(to.channel), address_key(to.address)) for to in request.to]
    if isinstance(request, EmailSendRequest):
        return [(RECIPIENT_EMAIL, address_key(to.address)) for to in request.to]
    # Push recipients are devices and users, never a recipient subentry.
    return []


class Recipients:
    """The last message status of each recipient of an entry, and the sends followed."""

    def __init__(self, client: TwilioCommsClient, entry: ConfigEntry) -> None:
        """Index the entry's recipient subentries by how sends address them."""
        self._client = client
        self._recipients: dict[str, _Recipient] = {}
        for subentry in entry.subentries.values():
            kind = subentry.data[CONF_RECIPIENT_CHANNEL]
            if kind != RECIPIENT_EMAIL:
                # Recipients stored before the options were lower case hold
                # the API's spelling; from_option reads both.
                kind = str(from_option(RecipientChannel, kind))
            self._recipients[subentry.subentry_id] = _Recipient(
                kind=kind, key=address_key(subentry.data[CONF_ADDRESS])
            )
        self._by_address = {
            (recipient.kind, recipient.key): subentry_id
            for subentry_id, recipient in self._recipients.items()
        }
        self._statuses: dict[str, RecipientStatus] = {}
        self._listeners: dict[str, list[CALLBACK_TYPE]] = {}
        # Operation id -> the send, in the order they are due to be listed.
        self._followed: dict[str, _Followed] = {}

    def get(self, subentry_id: str) -> RecipientStatus | None:
        """Return a recipient's last message status, if a message was sent to it."""
        return self._statuses.get(subentry_id)

    def diagnostics(self) -> dict[str, Any]:
        """Return the sends followed and each recipient's status, without addresses."""
        return {
            "sends_followed": len(self._followed),
            "statuses": {
                subentry_id: held.status.value
                for subentry_id, held in self._statuses.items()
            },
        }

    @callback
    def async_restore(self, subentry_id: str, status: RecipientStatus) -> None:
        """Take a status from before a restart, unless a send made a newer one."""
        self._statuses.setdefault(subentry_id, status)

    @callback
    def async_listen(
        self, subentry_id: str, listener: Callable[[], None]
    ) -> CALLBACK_TYPE:
        """Call a listener whenever a recipient's status changes; return its remover."""
        listeners = self._listeners.setdefault(subentry_id, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_sent(
        self, request: SendRequest, operation_id: str | None, send_at: datetime | None
    ) -> None:
        """Note a send Twilio accepted: its recipients' messages are queued.

        It is followed from its send time, as the channel's coordinator
        follows it, when Twilio named its operation.
        """
        addressed = _addressed(request)
        waiting = {
            subentry_id: key
            for kind, key in addressed
            if (subentry_id := self._by_address.get((kind, key))) is not None
        }
        if not waiting:
            return
        now = dt_util.utcnow()
        # An earlier send to them is old news now: no listing waits for it.
        for followed in self._followed.values():
            for subentry_id in waiting:
                followed.waiting.pop(subentry_id, None)
        self._followed = {
            earlier_id: followed
            for earlier_id, followed in self._followed.items()
            if followed.waiting
        }
        for subentry_id in waiting:
            self._set(
                subentry_id,
                RecipientStatus(
                    status=MessageStatus.QUEUED,
                    changed_at=now,
                    operation_id=operation_id,
                ),
            )
        if operation_id is not None:
            start = max(now, send_at) if send_at else now
            self._followed[operation_id] = _Followed(
                channel=request.channel,
                waiting=waiting,
                single=len(addressed) == 1,
                start=start,
                until=start + SENT_FOLLOW_LIMIT,
            )

    async def async_refresh(
        self, channel: Channel, data: ChannelData, now: datetime
    ) -> None:
        """List the messages of one followed send of a channel's, as a poll of it.

        One listing a poll at most, and only of a send whose operation the
        poll saw change since it was last listed: with several sends
        followed, each is listed in turn. A send is listed once more after
        the poll that saw its operation final, then no longer; a failed
        listing is made again at the next poll.
        """
        self._followed = {
            operation_id: followed
            for operation_id, followed in self._followed.items()
            if followed.until > now
        }
        due = (
            (operation_id, followed, operation)
            for operation_id, followed in self._followed.items()
            if followed.channel is channel
            and followed.start <= now
            and (operation := data.operations.get(operation_id)) is not None
            and operation != followed.listed
        )
        if (chosen := next(due, None)) is None:
            return
        operation_id, followed, operation = chosen
        try:
            resources = await self._async_list(operation_id, followed)
        except TwilioCommsError as err:
            LOGGER.debug("Listing the messages of %s failed: %s", operation_id, err)
            resources = None
        settled = operation.status.is_terminal
        if resources is not None:
            followed.listed = operation
            self._observe_listing(operation_id, followed, resources)
        # Listed last next time, the others' turn first; done once listed
        # after it settled (unless what it waited for ended it already).
        still = self._followed.pop(operation_id, None)
        if still is not None and not (settled and resources is not None):
            self._followed[operation_id] = still

    async def _async_list(
        self, operation_id: str, followed: _Followed
    ) -> list[CommsResource]:
        """Return an operation's resources, up to the last of the recipients waiting."""
        wanted = set(followed.waiting.values())
        resources: list[CommsResource] = []
        async with aclosing(
            self._client.iter_resources(
                followed.channel,
                operation_id,
                page_size=MAX_PAGE_SIZE,
                max_pages=MAX_LISTING_PAGES,
            )
        ) as listing:
            async for resource in listing:
                resources.append(resource)
                if resource.to is not None:
                    wanted.discard(address_key(resource.to))
                if not wanted or followed.single:
                    break
        return resources

    @callback
    def async_observe(
        self, operation_id: str, resources: Iterable[CommsResource]
    ) -> None:
        """Show what a listing of a send's resources says of its recipients."""
        if (followed := self._followed.get(operation_id)) is not None:
            self._observe_listing(operation_id, followed, resources)

    def _observe_listing(
        self,
        operation_id: str,
        followed: _Followed,
        resources: Iterable[CommsResource],
    ) -> None:
        """Show the status of each resource that went to a recipient waiting."""
        for resource in resources:
            if resource.to is not None:
                key = address_key(resource.to)
                listed = [sid for sid, k in followed.waiting.items() if k == key]
            else:
                listed = list(followed.waiting) if followed.single else []
            for subentry_id in listed:
                self._observe(
                    subentry_id,
                    operation_id,
                    resource.id,
                    MessageStatus.parse(resource.status),
                    resource.updated_at,
                    listed=True,
                )

    @callback
    def async_message_status(
        self,
        operation_id: str | None,
        message_id: str,
        to_address: str | None,
        status: str,
        time: datetime | None,
    ) -> bool:
        """Show what a message event says; return whether a recipient's status changed.

        status is the event type's last segment ("delivered"). The message is
        found by its id when a send made it known, else by its operation and
        the address of a recipient it was the latest send to; any other
        message is not ours, or old news, and changes nothing.
        """
        if (parsed := MessageStatus.parse(status)) is None:
            return False
        if time is not None and time.tzinfo is None:
            time = time.replace(tzinfo=UTC)
        for subentry_id, held in self._statuses.items():
            if held.message_id == message_id:
                return self._observe(
                    subentry_id,
                    held.operation_id,
                    message_id,
                    parsed,
                    time,
                    listed=False,
                )
        if operation_id is None or to_address is None:
            return False
        key = address_key(to_address)
        changed = False
        for subentry_id, recipient in self._recipients.items():
            if recipient.key == key:
                changed |= self._observe(
                    subentry_id, operation_id, message_id, parsed, time, listed=False
                )
        return changed

    def _observe(
        self,
        subentry_id: str,
        operation_id: str | None,
        message_id: str,
        status: MessageStatus | None,
        time: datetime | None,
        *,
        listed: bool,
    ) -> bool:
        """Show an observation of a recipient's message, if it is news; return whether.

        An event's time is when its status came, and an event older than the
        last one shown is old news. A listing is read now, and a message's
        updatedAt need not move with its receipts (seeds 002 and 004 show
        delivered at the creation time): only a time past the status shown
        says when it changed, else it changed by the poll.
        """
        held = self._statuses.get(subentry_id)
        if (
            held is None
            or operation_id is None
            or held.operation_id != operation_id
            or held.message_id not in (None, message_id)
        ):
            # Not the latest send to the recipient, or another of its messages.
            return False
        shown = replace(held, message_id=message_id)
        now = dt_util.utcnow()
        if status is not None and status.advances(held.status):
            if listed:
                changed_at = (
                    time if time is not None and time > held.changed_at else now
                )
                shown = replace(shown, status=status, changed_at=changed_at)
            elif time is None or held.observed_at is None or time >= held.observed_at:
                shown = replace(
                    shown,
                    status=status,
                    changed_at=time or now,
                    observed_at=time or held.observed_at,
                )
        if shown == held:
            return False
        self._set(subentry_id, shown)
        return True

    def _set(self, subentry_id: str, status: RecipientStatus) -> None:
        """Hold a recipient's new status, tell its listeners, and stop what it ends."""
        self._statuses[subentry_id] = status
        if status.status.is_final and status.operation_id is not None:
            followed = self._followed.get(status.operation_id)
            if followed is not None:
                followed.waiting.pop(subentry_id, None)
                if not followed.waiting:
                    del self._followed[status.operation_id]
        for listener in list(self._listeners.get(subentry_id, ())):
            listener()
