"""Coordinators of the Twilio Comms integration: one per tracked channel."""

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    Channel,
    ChannelData,
    ChannelTracker,
    Operation,
    OperationStatus,
    TwilioCommsAuthenticationError,
    TwilioCommsClient,
    TwilioCommsError,
    TwilioCommsRateLimitError,
    TwilioCommsServerError,
)
from .const import (
    ACTIVE_UPDATE_INTERVAL,
    CONF_WINDOW_HOURS,
    CREATED_SINCE_OVERLAP,
    DOMAIN,
    EVENT_GRACE,
    IDLE_UPDATE_INTERVAL,
    LOGGER,
    RECONCILE_UPDATE_INTERVAL,
    REFRESH_DEADLINE,
    SENT_FOLLOW_LIMIT,
    SENT_UPDATE_INTERVAL,
)
from .helpers import UPDATE_FAILURES, Failure, failure_of, failure_placeholders
from .recipients import Recipients

if TYPE_CHECKING:
    # Instant updates drive the coordinators: only type checking imports them.
    from .instant_updates import InstantUpdates

type TwilioCommsConfigEntry = ConfigEntry[TwilioCommsRuntimeData]

LIFETIME_STORAGE_VERSION: Final = 1

_LONG_AGO: Final = datetime.min.replace(tzinfo=UTC)

# Operations one delivery's events make us read by id; past this, one poll
# reads them all more cheaply.
MAX_READS_PER_DELIVERY: Final = 10

# Lifetime counts are written this long after they change, so a burst of
# polls makes one write; a crash loses at most this much counting, and what
# it loses is counted again from the marks written with it, not twice.
LIFETIME_SAVE_DELAY: Final = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class TwilioCommsRuntimeData:
    """What a loaded entry holds: client, lifetime store, coordinators, recipients."""

    client: TwilioCommsClient
    lifetime: LifetimeStore
    coordinators: dict[Channel, ChannelCoordinator]
    recipients: Recipients
    # None while the Instant updates option is off.
    instant_updates: InstantUpdates | None = None


class LifetimeStore:
    """Where an entry's lifetime counting survives restarts and reloads.

    One file per entry holds each channel's lifetime record (the tracker's
    invariant 10); a channel no longer tracked keeps its record, so tracking
    it again goes on counting.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Initialise the store of one entry; nothing is read yet."""
        self._store = Store[dict[str, Any]](
            hass, LIFETIME_STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}"
        )
        self._records: dict[str, Any] = {}
        self._trackers: dict[Channel, ChannelTracker] = {}

    async def async_load(self) -> None:
        """Read the channels' records, as lifetime_record wrote them."""
        self._records = await self._store.async_load() or {}

    def attach(self, channel: Channel, tracker: ChannelTracker) -> None:
        """Make a channel's tracker count on from its record, and write it from now on."""
        if (record := self._records.get(channel)) is not None:
            tracker.restore_lifetime(record)
        self._trackers[channel] = tracker

    @callback
    def async_schedule_save(self) -> None:
        """Write the records soon (once for many calls)."""
        self._store.async_delay_save(self._collect, LIFETIME_SAVE_DELAY)

    async def async_save(self) -> None:
        """Write the records now: the entry unloads, and a reload reads them next."""
        await self._store.async_save(self._collect())

    async def async_remove(self) -> None:
        """Delete the file, along with the entry."""
        await self._store.async_remove()

    def _collect(self) -> dict[str, Any]:
        now = dt_util.utcnow()
        return self._records | {
            channel.value: tracker.lifetime_record(now)
            for channel, tracker in self._trackers.items()
        }


def not_entitled_issue_id(entry: ConfigEntry, channel: Channel) -> str:
    """Return the repair issue id for a channel the account cannot use."""
    return f"{entry.entry_id}_{channel}_not_entitled"


class ChannelCoordinator(DataUpdateCoordinator[ChannelData]):
    """Poll one channel's operations, incrementally and adaptively."""

    config_entry: TwilioCommsConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: TwilioCommsConfigEntry,
        client: TwilioCommsClient,
        channel: Channel,
        lifetime: LifetimeStore,
        *,
        recipients: Recipients | None = None,
    ) -> None:
        """Initialise the coordinator of one channel, its lifetime counting attached.

        Its polls also list the messages of the recipients' sends it follows.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {channel}",
            update_interval=IDLE_UPDATE_INTERVAL,
        )
        self.channel = channel
        self.tracker = ChannelTracker(
            client=client,
            channel=channel,
            window=timedelta(hours=entry.options[CONF_WINDOW_HOURS]),
            overlap=CREATED_SINCE_OVERLAP,
            recheck_after=IDLE_UPDATE_INTERVAL,
        )
        self._lifetime = lifetime
        lifetime.attach(channel, self.tracker)
        self._recipients = recipients
        # Polls and reads of operations events name each build on the
        # tracker state the other left: never two at once. A poll keeps it
        # until it returns, so the data shown is always the tracker's latest.
        self._tracker_lock = asyncio.Lock()
        # Per operation whose read by event waits for the lock, the stages
        # the events asked about: a later event of it joins that read.
        self._waiting_reads: dict[str, set[OperationStatus]] = {}
        # Events bring this channel's changes, so it polls only to reconcile.
        self.events_flowing = False

    @override
    async def _async_update_data(self) -> ChannelData:
        """Refresh the channel and the recipients' statuses."""
        now = dt_util.utcnow()
        if self.events_flowing:
            # Should this poll fail, the entities are unavailable until one
            # succeeds: the next comes at the active pace (or when Twilio
            # asks), not the reconcile's. One that succeeds adapts it.
            self.update_interval = ACTIVE_UPDATE_INTERVAL
        # What a poll waits for holds the lock for one GET, within the
        # client's timeout.
        async with self._tracker_lock:
            data = await self._async_refresh_tracker(now)
            if self._recipients is not None and not self.events_flowing:
                # Outside the refresh's deadline: a slow listing must not
                # fail the poll. While events flow, message events bring the
                # recipients' statuses.
                await self._recipients.async_refresh(self.channel, data, now)
        if self.events_flowing and _missed_by_events(data, now):
            LOGGER.warning(
                "%s: a poll found a change no event brought; polling as usual "
                "until events flow again",
                self.channel.product_name,
            )
            self.events_flowing = False
        self._adapt_interval(now)
        if self.data is None or data.lifetime != self.data.lifetime:
            self._lifetime.async_schedule_save()
        return data

    async def _async_refresh_tracker(self, now: datetime) -> ChannelData:
        """Refresh the tracker, mapping every client error to Home Assistant's."""
        placeholders = {"channel": self.channel.product_name}
        deadline = REFRESH_DEADLINE.total_seconds()
        try:
            # The client raises its own timeouts as TwilioCommsError; a bare
            # TimeoutError is this deadline. The tracker keeps its previous
            # state when a refresh is cut short (its invariant 2).
            async with asyncio.timeout(deadline):
                data = await self.tracker.async_refresh(now)
        except TimeoutError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="refresh_deadline",
                translation_placeholders={**placeholders, "seconds": f"{deadline:g}"},
            ) from err
        except TwilioCommsAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except TwilioCommsRateLimitError as err:
            wait = self._wait(err.retry_after)
            raise UpdateFailed(
                retry_after=wait,
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={
                    **placeholders,
                    "retry_after": str(round(wait)),
                },
            ) from err
        except TwilioCommsError as err:
            failure = failure_of(err)
            if failure is Failure.NOT_ENTITLED:
                self._set_not_entitled(True)
            # A 503 may say when to come back (comms-api.md §5), like a 429.
            retry_after = (
                err.retry_after if isinstance(err, TwilioCommsServerError) else None
            )
            raise UpdateFailed(
                retry_after=None if retry_after is None else self._wait(retry_after),
                translation_domain=DOMAIN,
                translation_key=UPDATE_FAILURES[failure],
                translation_placeholders={**placeholders, **failure_placeholders(err)},
            ) from err
        self._set_not_entitled(False)
        return data

    @callback
    def async_follow(self, operation_id: str, send_at: datetime | None = None) -> None:
        """Watch an operation we sent closely from its send time until it is final.

        It is read at once, in the background: the send that asked for this
        has returned already, and a slow poll must never hold it up. While
        events flow, they bring it within seconds, so no poll is made for it.
        """
        now = dt_util.utcnow()
        start = max(now, send_at) if send_at else now
        self.tracker.follow(operation_id, start, start + SENT_FOLLOW_LIMIT)
        self._adapt_interval(now)
        if self.events_flowing:
            return
        self.config_entry.async_create_background_task(
            self.hass,
            self.async_request_refresh(),
            name=f"{self.name} follow {operation_id}",
        )

    async def async_read_operations(
        self, stages: Mapping[str, Collection[OperationStatus]]
    ) -> None:
        """Show operations that events say reached stages, as a poll would.

        Those shown at their stages or further on already (late, reordered
        or re-sent events) cost nothing. Past MAX_READS_PER_DELIVERY
        operations left to read, one poll reads them instead.
        """
        unshown = {
            operation_id: reached
            for operation_id, reached in stages.items()
            if not self._shown(operation_id, reached)
        }
        if len(unshown) > MAX_READS_PER_DELIVERY:
            await self.async_request_refresh()
            return
        for operation_id, reached in unshown.items():
            await self._async_read_operation(operation_id, reached)

    async def _async_read_operation(
        self, operation_id: str, stages: Collection[OperationStatus]
    ) -> None:
        """Read an operation for its events, unless a read of it waits its turn.

        That one starts after these events came, so it sees at least as
        much. A read that fails shows nothing, so the next poll comes at the
        active pace instead of the reconcile's (unless Twilio asked us to
        slow down); later failures leave it where it is, so they cannot put
        it off, nor one Twilio asked to wait for. Only unloading the entry
        cancels a read waiting its turn, and the coordinator goes with it.
        """
        if (waiting := self._waiting_reads.get(operation_id)) is not None:
            waiting.update(stages)
            return
        self._waiting_reads[operation_id] = wanted = set(stages)
        try:
            async with self._tracker_lock:
                del self._waiting_reads[operation_id]
                # The read or poll this one waited for may have shown it.
                if self._shown(operation_id, wanted):
                    return
                data = await self.tracker.async_read(operation_id, dt_util.utcnow())
        except TwilioCommsError as err:
            LOGGER.debug("Reading %s for its event failed: %s", operation_id, err)
            # Refused with a 429: the reconcile poll comes well after any
            # wait Twilio asks for.
            if (
                not isinstance(err, TwilioCommsRateLimitError)
                and self.update_interval == RECONCILE_UPDATE_INTERVAL
            ):
                self.update_interval = ACTIVE_UPDATE_INTERVAL
                self._schedule_refresh()
            return
        # Not async_set_updated_data: it would put the next poll off again at
        # every event, and a steady flow of events would stop reconciling.
        self.data = data
        self.async_update_listeners()

    def _shown(self, operation_id: str, stages: Collection[OperationStatus]) -> bool:
        """Return whether the operation is shown at every stage named, or further on."""
        return all(self.tracker.shows_at_least(operation_id, stage) for stage in stages)

    @callback
    def async_events_flow(self) -> None:
        """Note that events arrive: from now on, poll only to reconcile.

        The poll scheduled at the faster interval is put off too: it would
        only find what the events bring.
        """
        if not self.events_flowing:
            self.events_flowing = True
            self._adapt_interval(dt_util.utcnow())
            self._schedule_refresh()

    @callback
    def async_events_stop(self) -> None:
        """Note that events no longer arrive: poll as usual."""
        self.events_flowing = False
        self._adapt_interval(dt_util.utcnow())

    def _wait(self, retry_after: float) -> float:
        """Return the seconds to wait as Twilio asked, but never less than a poll.

        Retry-After: 0, or an HTTP-date already past, must not make a tight loop.
        """
        interval = self.update_interval or IDLE_UPDATE_INTERVAL
        return max(retry_after, interval.total_seconds())

    def _adapt_interval(self, now: datetime) -> None:
        """Poll fast only while something can still change, fastest for our sends.

        While events flow they bring every change: a poll only reconciles.
        """
        if self.events_flowing:
            self.update_interval = RECONCILE_UPDATE_INTERVAL
        elif self.tracker.is_following(now):
            self.update_interval = SENT_UPDATE_INTERVAL
        elif self.tracker.has_active:
            self.update_interval = ACTIVE_UPDATE_INTERVAL
        else:
            self.update_interval = IDLE_UPDATE_INTERVAL

    def _set_not_entitled(self, not_entitled: bool) -> None:
        """Raise or clear the repair issue for a channel the account cannot use."""
        issue_id = not_entitled_issue_id(self.config_entry, self.channel)
        if not not_entitled:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="channel_not_entitled",
            translation_placeholders={
                "channel": self.channel.product_name,
                "title": self.config_entry.title,
            },
        )


def _missed_by_events(data: ChannelData, now: datetime) -> bool:
    """Return whether a poll saw a change an event should have brought first.

    Twilio has events for an operation becoming scheduled, processing and
    completed, not canceled (comms-api.md §12). A change Twilio made less
    than EVENT_GRACE ago may have its event still on the way; one without
    any time counts as missed.
    """
    return any(
        transition.operation.status is not OperationStatus.CANCELED
        and _changed_at(transition.operation) <= now - EVENT_GRACE
        for transition in data.transitions
    )


def _changed_at(operation: Operation) -> datetime:
    """Return when Twilio last changed an operation; long ago if it does not say."""
    return operation.updated_at or operation.created_at or _LONG_AGO
