"""The client against the Comms API emulator, over real loopback HTTP."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
import pytest
from pytest_aiohttp import AiohttpServer

from comms_emulator import EMULATOR_KEY, Emulator, EmulatorConfig, create_app
from comms_emulator.config import (
    DEV_ACCOUNT_SID,
    DEV_API_KEY_SECRET,
    DEV_API_KEY_SID,
    DEV_AUTH_TOKEN,
)
from custom_components.twilio_comms.api import (
    Channel,
    Credentials,
    EmailAddress,
    EmailSendRequest,
    MessageRecipient,
    MessageSendRequest,
    OperationStatus,
    PushNotificationSendRequest,
    PushProvider,
    PushRecipient,
    TwilioCommsAuthenticationError,
    TwilioCommsClient,
    TwilioCommsForbiddenError,
    TwilioCommsInvalidResponseError,
    TwilioCommsNotFoundError,
    TwilioCommsRateLimitError,
    TwilioCommsServerError,
    TwilioCommsTimeoutError,
)

# The real time: a Retry-After HTTP-date is read against the wall clock.
NOW = datetime.now(UTC).replace(microsecond=0)

AUTH = Credentials.from_auth_token(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN)

type Serve = Callable[..., Awaitable[TestServer]]


@pytest.fixture
def serve(aiohttp_server: AiohttpServer) -> Serve:
    """Return a way to start the emulator on loopback with a configuration."""

    async def start(**config: Any) -> TestServer:
        app = create_app(EmulatorConfig(**config), clock=lambda: NOW)
        server: TestServer = await aiohttp_server(app)
        return server

    return start


def client_for(
    server: TestServer, session: ClientSession, credentials: Credentials = AUTH
) -> TwilioCommsClient:
    """Return a client of the emulator."""
    return TwilioCommsClient(
        session,
        credentials,
        base_url=str(server.make_url("/v1")),
        rest_base_url=str(server.make_url("/2010-04-01")),
        request_timeout=0.5,
    )


def emulator(server: TestServer) -> Emulator:
    """Return the emulator behind a server."""
    return server.app[EMULATOR_KEY]


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(AUTH, id="auth-token"),
        pytest.param(Credentials.from_api_key(DEV_ACCOUNT_SID, DEV_API_KEY_SID, DEV_API_KEY_SECRET), id="api-key"),
    ],
)  # fmt: skip
async def test_lists_operations_like_the_truth(
    serve: Serve, session: ClientSession, credentials: Credentials
) -> None:
    """All pages yield exactly the emulator's operations; filters narrow them."""
    server = await serve(operations_per_channel=250, active_fraction=0.2)
    client = client_for(server, session, credentials)
    operations = [
        op async for op in client.iter_operations(Channel.MESSAGES, page_size=100)
    ]
    truth = emulator(server).truth("Messages")
    assert [op.id for op in operations] == [op["id"] for op in truth["operations"]]
    assert sum(op.stats.sent or 0 for op in operations) == truth["totals"]["sent"]
    assert {op.status for op in operations} >= {
        OperationStatus.PROCESSING,
        OperationStatus.COMPLETED,
    }
    fetched = await client.get_operation(Channel.MESSAGES, operations[0].id)
    assert fetched.id == operations[0].id
    processing = [
        op
        async for op in client.iter_operations(
            Channel.PUSH_NOTIFICATIONS,
            start_date=NOW - timedelta(hours=1),
            status=OperationStatus.PROCESSING,
        )
    ]
    assert processing
    assert all(op.status is OperationStatus.PROCESSING for op in processing)


@pytest.mark.parametrize("mode", ["body", "headers", "both", "none"])
async def test_send_message_returns_the_operation(
    serve: Serve, session: ClientSession, mode: str
) -> None:
    """A send is tracked by its id wherever the 202 carries it, or untracked."""
    client = client_for(await serve(operation_id_mode=mode), session)
    result = await client.send(
        MessageSendRequest(to=[MessageRecipient(address="+15551230000")], text="Hi")
    )
    assert result.tracked is (mode != "none")
    if result.operation_id is None:
        return
    operation = await client.get_operation(Channel.MESSAGES, result.operation_id)
    assert operation.status is OperationStatus.SCHEDULED
    messages = [
        message
        async for message in client.iter_resources(
            Channel.MESSAGES, result.operation_id
        )
    ]
    assert [message.to for message in messages] == ["+15551230000"]
    push = await client.send(
        PushNotificationSendRequest(
            to=[PushRecipient(token="abc", provider=PushProvider.FCM)], body="Door"
        )
    )
    assert push.tracked
    email = await client.send(
        EmailSendRequest(
            to=[EmailAddress(address="ann@example.com")], subject="Door", text="Open"
        )
    )
    assert email.tracked
    assert email.operation_id is not None
    emails = [
        item async for item in client.iter_resources(Channel.EMAILS, email.operation_id)
    ]
    assert [item.id.startswith("comms_email_") for item in emails] == [True]


async def test_errors_map_to_the_client_hierarchy(
    serve: Serve, session: ClientSession
) -> None:
    """Each failure the emulator can produce arrives as the matching error."""
    server = await serve(channels=frozenset({"Messages"}), operations_per_channel=5)
    faults = emulator(server).config.faults
    client = client_for(server, session)
    with pytest.raises(TwilioCommsForbiddenError):
        await client.list_operations(Channel.EMAILS)
    with pytest.raises(TwilioCommsNotFoundError):
        await client.get_operation(
            Channel.MESSAGES, "comms_operation_01h9krwprkeee8fzqspvwy6nq8"
        )
    bad = client_for(
        server, session, Credentials.from_auth_token(DEV_ACCOUNT_SID, "wrong")
    )
    with pytest.raises(TwilioCommsAuthenticationError):
        await bad.list_operations(Channel.MESSAGES)
    faults.rate_limit = 1.0
    with pytest.raises(TwilioCommsRateLimitError) as rate_limited:
        await client.list_operations(Channel.MESSAGES)
    assert 0 <= rate_limited.value.retry_after <= 31
    faults.rate_limit = 0.0
    faults.unavailable = 1.0
    with pytest.raises(TwilioCommsServerError):
        await client.list_operations(Channel.MESSAGES)
    faults.unavailable = 0.0
    faults.malformed_json = 1.0
    with pytest.raises(TwilioCommsInvalidResponseError):
        await client.list_operations(Channel.MESSAGES)
    faults.malformed_json = 0.0
    faults.slow, faults.slow_seconds = 1.0, 2.0
    with pytest.raises(TwilioCommsTimeoutError):
        await client.list_operations(Channel.MESSAGES)
    faults.slow = 0.0
    faults.unknown_status = faults.missing_stats = 1.0
    page = await client.list_operations(Channel.MESSAGES)
    assert {op.status for op in page.items} == {OperationStatus.UNKNOWN}
    assert all(op.raw_status for op in page.items)
    assert all(len(op.stats.as_dict()) < 12 for op in page.items)
