"""The default shape serves exactly what the emulator served before shapes existed."""

from datetime import timedelta
import hashlib
import json

from comms_emulator.config import RESOURCE_LIST_KEY

from .conftest import AUTH, ClientFactory, ManualClock, emulator_of

# The SHA-256 of every body below, recorded before shapes were added: the
# integration's snapshot tests depend on these bytes not moving.
DIGEST = "1c73894693ca2ef738a94c446218245c0a3b497291efa8786d0b358e50668bad"


async def test_default_shape_is_byte_identical(
    make_client: ClientFactory, clock: ManualClock
) -> None:
    """Listings, fetches, resources and errors at several moments hash as before."""
    client = await make_client(
        operations_per_channel=80, active_fraction=0.3, cancel_rate=0.1
    )
    digest = hashlib.sha256()
    send = {"to": [{"address": "+15551230000"}] * 4, "content": {"text": "x"}}
    await client.post("/v1/Messages", json=send, headers=AUTH)
    for step in (timedelta(0), timedelta(seconds=40), timedelta(minutes=7)):
        clock.tick(step)
        for channel in ("Messages", "PushNotifications", "Emails"):
            paths = [f"/v1/{channel}/Operations?pageSize=1000", f"/v1/{channel}"]
            for operation in emulator_of(client).truth(channel)["operations"][:12]:
                paths += [
                    f"/v1/{channel}/Operations/{operation['id']}",
                    f"/v1/{channel}/Operations/{operation['id']}/Errors",
                    f"/v1/{channel}?operationId={operation['id']}&pageSize=3",
                ]
            for path in paths:
                response = await client.get(path, headers=AUTH)
                body = await response.read()
                digest.update(path.encode() + body)
                if "operationId" in path:
                    # Each listed resource fetched by id too (content, attempts).
                    for resource in json.loads(body)[RESOURCE_LIST_KEY[channel]]:
                        fetched = await client.get(
                            f"/v1/{channel}/{resource['id']}", headers=AUTH
                        )
                        digest.update(await fetched.read())
    assert digest.hexdigest() == DIGEST
