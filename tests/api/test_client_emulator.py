"""The client against the Comms API emulator, over real loopback HTTP."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
import pytest

from comms_emulator import (
    EMULATOR_KEY,
    Credential,
    Emulator,
    EmulatorConfig,
    create_app,
)
from comms_emulator.config import (
    DEV_ACCOUNT_SID,
    DEV_API_KEY_SECRET,
    DEV_API_KEY_SID,
    DEV_AUTH_TOKEN,
)
from custom_components.twilio_comms.api import (
    Channel,
    Credentials,
    MessageRecipient,
    MessageSendRequest,
    OperationStatus,
    PushNotificationSendRequest,
    PushProvider,
    PushRecipient,
    TwilioCommsAccountMismatchError,
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


class Clock:
    """A clock the test moves."""

    now = NOW

    def __call__(self) -> datetime:
        """Return the current moment."""
        return self.now


async def serve(config: EmulatorConfig, clock: Clock) -> TestServer:
    """Start the emulator on loopback."""
    server = TestServer(create_app(config, clock=clock), host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
def clock() -> Clock:
    """Return the emulator's clock."""
    return Clock()


@pytest.fixture
async def emulator_server(clock: Clock) -> AsyncIterator[TestServer]:
    """Return the emulator on loopback, seeded with three pages of operations."""
    server = await serve(
        EmulatorConfig(operations_per_channel=250, active_fraction=0.2), clock
    )
    yield server
    await server.close()


def client_for(
    server: TestServer, session: ClientSession, credentials: Credentials | None = None
) -> TwilioCommsClient:
    """Return a client of the emulator."""
    return TwilioCommsClient(
        session,
        credentials or Credentials.from_auth_token(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN),
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
        pytest.param(
            Credentials.from_auth_token(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN),
            id="auth-token",
        ),
        pytest.param(
            Credentials.from_api_key(
                DEV_ACCOUNT_SID, DEV_API_KEY_SID, DEV_API_KEY_SECRET
            ),
            id="api-key",
        ),
    ],
)
async def test_lists_every_operation_like_the_truth(
    emulator_server: TestServer, session: ClientSession, credentials: Credentials
) -> None:
    """Iterating all pages yields exactly the emulator's operations, parsed."""
    client = client_for(emulator_server, session, credentials)
    operations = [
        op async for op in client.iter_operations(Channel.MESSAGES, page_size=100)
    ]
    truth = emulator(emulator_server).truth("Messages")
    assert [op.id for op in operations] == [op["id"] for op in truth["operations"]]
    assert sum(op.stats.sent or 0 for op in operations) == truth["totals"]["sent"]
    assert {op.status for op in operations} >= {
        OperationStatus.PROCESSING,
        OperationStatus.COMPLETED,
    }
    fetched = await client.get_operation(Channel.MESSAGES, operations[0].id)
    assert fetched.id == operations[0].id


async def test_filters_reach_the_server(
    emulator_server: TestServer, session: ClientSession
) -> None:
    """Date and status filters narrow the listing as the API documents."""
    client = client_for(emulator_server, session)
    operations = [
        operation
        async for operation in client.iter_operations(
            Channel.PUSH_NOTIFICATIONS,
            start_date=NOW - timedelta(hours=1),
            status=OperationStatus.PROCESSING,
        )
    ]
    assert operations
    assert all(op.status is OperationStatus.PROCESSING for op in operations)


@pytest.mark.parametrize("mode", ["body", "headers", "both", "none"])
async def test_send_message_returns_the_operation(
    session: ClientSession, clock: Clock, mode: str
) -> None:
    """A send is tracked by its id wherever the 202 carries it, or untracked."""
    server = await serve(EmulatorConfig(operation_id_mode=mode), clock)
    try:
        client = client_for(server, session)
        result = await client.send_message(
            MessageSendRequest(to=[MessageRecipient(address="+15551230000")], text="Hi")
        )
        if mode == "none":
            assert not result.tracked
            return
        assert result.tracked
        assert result.operation_id is not None
        operation = await client.get_operation(Channel.MESSAGES, result.operation_id)
        assert operation.status is OperationStatus.SCHEDULED
        page = await client.list_resources(Channel.MESSAGES, result.operation_id)
        assert len(page.items) == 1
        push = await client.send_push_notification(
            PushNotificationSendRequest(
                to=[PushRecipient(token="abc", provider=PushProvider.FCM)], body="Door"
            )
        )
        assert push.tracked
    finally:
        await server.close()


async def test_errors_map_to_the_client_hierarchy(
    session: ClientSession, clock: Clock
) -> None:
    """Each failure the emulator can produce arrives as the matching error."""
    server = await serve(
        EmulatorConfig(channels=frozenset({"Messages"}), operations_per_channel=5),
        clock,
    )
    faults = emulator(server).config.faults
    try:
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
    finally:
        await server.close()


@pytest.mark.parametrize("key_type", ["standard", "main"])
async def test_verify_account_with_either_kind(
    clock: Clock, session: ClientSession, key_type: str
) -> None:
    """The Auth Token, a Main key and a Standard key each verify their account."""
    server = await serve(
        EmulatorConfig(operations_per_channel=0, api_key_type=key_type), clock
    )
    try:
        for credentials in (
            Credentials.from_auth_token(DEV_ACCOUNT_SID, DEV_AUTH_TOKEN),
            Credentials.from_api_key(
                DEV_ACCOUNT_SID, DEV_API_KEY_SID, DEV_API_KEY_SECRET
            ),
        ):
            await client_for(server, session, credentials).verify_account()
    finally:
        await server.close()


async def test_verify_account_refuses_another_accounts_key(
    clock: Clock, session: ClientSession
) -> None:
    """A key of another account reads Comms, yet does not verify this account."""
    other = Credential(
        username="SK00000000000000000000000000000002",
        password="other-secret",
        account_sid="AC00000000000000000000000000000002",
        key_type="standard",
    )
    server = await serve(
        EmulatorConfig(operations_per_channel=0, extra_credentials=(other,)), clock
    )
    try:
        client = client_for(
            server,
            session,
            Credentials.from_api_key(DEV_ACCOUNT_SID, other.username, other.password),
        )
        await client.list_operations(Channel.MESSAGES)
        with pytest.raises(TwilioCommsAccountMismatchError):
            await client.verify_account()
    finally:
        await server.close()
