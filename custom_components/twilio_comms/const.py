"""Constants for the Twilio Comms integration."""

from datetime import timedelta
from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "twilio_comms"
LOGGER: Final = logging.getLogger(__package__)

CONF_ACCOUNT_SID: Final = "account_sid"
CONF_AUTH_TOKEN: Final = "auth_token"
CONF_API_KEY_SID: Final = "api_key_sid"
CONF_API_KEY_SECRET: Final = "api_key_secret"
CONF_CREDENTIAL_KIND: Final = "credential_kind"
CONF_CHANNELS: Final = "channels"
CONF_WINDOW_HOURS: Final = "window_hours"
CONF_FAILURE_THRESHOLD: Final = "failure_threshold"
# Off by default, and absent from the options of entries made before it.
CONF_INSTANT_UPDATES: Final = "instant_updates"

# Config subentries of type "recipient": one notify entity each.
SUBENTRY_RECIPIENT: Final = "recipient"
CONF_ADDRESS: Final = "address"
CONF_RECIPIENT_CHANNEL: Final = "recipient_channel"
CONF_SENDER: Final = "sender"
# The sender's own channel, kept when it differs from the recipient's (a
# whatsapp: sender of a phone recipient); absent in subentries made before.
CONF_SENDER_CHANNEL: Final = "sender_channel"
# The recipient channel option of an email recipient: its address is an email
# address, its sender one too, and its notify entity sends emails. The API's
# RecipientChannel is a message recipient's, so email is not one of its values.
RECIPIENT_EMAIL: Final = "email"


class CredentialKind(StrEnum):
    """Which pair of secrets an entry authenticates with (CONF_CREDENTIAL_KIND)."""

    AUTH_TOKEN = "auth_token"
    API_KEY = "api_key"


# The Comms API keeps records for 7 days, so a longer window could only ever
# show partial data.
MAX_WINDOW_HOURS: Final = 7 * 24

# One day matches how people read send statistics ("today's sends") and keeps
# the first refresh small.
DEFAULT_WINDOW_HOURS: Final = 24

# The shortest window that still smooths out a single small operation.
MIN_WINDOW_HOURS: Final = 1

# Carrier-filtered SMS commonly sees a few percent of failures; above 5 % is
# worth a look at the Twilio console.
DEFAULT_FAILURE_THRESHOLD: Final = 5.0

# While an operation is scheduled or processing, its stats move every few
# seconds; 20 s makes transitions show up promptly at about 3 requests per
# channel per poll, far below any Twilio rate limit.
ACTIVE_UPDATE_INTERVAL: Final = timedelta(seconds=20)

# When nothing is in flight, the only news is a new operation; 2 minutes keeps
# that visible soon while costing one request per channel per poll
# (720 requests per channel per day).
IDLE_UPDATE_INTERVAL: Final = timedelta(minutes=2)

# While an operation this integration sent is being processed, polling every
# 5 s shows its progress as it happens; it lasts only until the operation is
# final, or SENT_FOLLOW_LIMIT at most (a scheduled send can wait for hours).
SENT_UPDATE_INTERVAL: Final = timedelta(seconds=5)
SENT_FOLLOW_LIMIT: Final = timedelta(minutes=15)

# While instant updates flow, a channel with events polls only to reconcile:
# a poll every 15 minutes catches what an event never brought, at 4 requests
# an hour instead of 30 (idle) to 180 (active).
RECONCILE_UPDATE_INTERVAL: Final = timedelta(minutes=15)

# How long an event may still be on its way: Twilio aims at 2 seconds for a
# first delivery attempt (docs/event-streams.md §7). A poll that finds a
# change younger than this (our own send, polled at once) has not missed it.
EVENT_GRACE: Final = timedelta(minutes=1)

# The longest one refresh of a channel may take, all its requests together.
# Each request has its own 10 s timeout, but a listing may follow 100 pages:
# without a deadline, slow pages could stretch one refresh past 16 minutes.
# Two minutes is the idle interval, so a refresh never outlasts the wait for
# the next one; a full window of 100 pages fits if pages take under 1.2 s.
REFRESH_DEADLINE: Final = timedelta(minutes=2)

# Overlap when asking for operations created since the newest one seen:
# protects against clock skew between Twilio's servers and a late write of an
# operation's createdAt.
CREATED_SINCE_OVERLAP: Final = timedelta(minutes=2)

# Environment variable that points the client at another Comms API base URL.
# Development only: scripts/develop and the tests set it to the emulator.
BASE_URL_ENV: Final = "TWILIO_COMMS_BASE_URL"
