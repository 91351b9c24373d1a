"""Peak memory of reading a gzip bomb: a small body that inflates to hundreds of MiB.

A loopback server answers an operations listing with about 255 KiB of gzip
that inflates to about 255 MiB of JSON whitespace; tracemalloc measures the
peak the client's request reaches, whether it fails or not.

Usage, from the repository root: python -m tools.bench.bench_gzip_bomb [KiB]
"""

import asyncio
import sys
import tracemalloc
import zlib

import aiohttp
from aiohttp import web

from custom_components.twilio_comms.api import (
    Channel,
    Credentials,
    TwilioCommsClient,
    TwilioCommsError,
)

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"

# The size of the compressed body the issue measured.
DEFAULT_GZIP_KIB = 255


def gzip_bomb(gzip_bytes: int) -> tuple[bytes, int]:
    """Return a gzip body of about gzip_bytes and the size it inflates to."""
    chunk = b" " * 2**20
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(b'{"operations": []')]
    inflated = 17
    while sum(map(len, parts)) < gzip_bytes:
        parts.append(compressor.compress(chunk))
        # Deflate holds output back; flushing a block makes the size visible.
        parts.append(compressor.flush(zlib.Z_FULL_FLUSH))
        inflated += len(chunk)
    parts += [compressor.compress(b"}"), compressor.flush()]
    return b"".join(parts), inflated + 1


async def measure(gzip_kib: int) -> None:
    """Serve the bomb on loopback and print the client's peak memory."""
    body, inflated = gzip_bomb(gzip_kib * 1024)

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(
            body=body,
            content_type="application/json",
            headers={"Content-Encoding": "gzip"},
        )

    app = web.Application()
    app.router.add_get("/v1/Messages/Operations", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            client = TwilioCommsClient(
                session,
                Credentials.from_auth_token(ACCOUNT_SID, AUTH_TOKEN),
                base_url=f"http://127.0.0.1:{port}/v1",
                request_timeout=120,
            )
            tracemalloc.start()
            try:
                await client.list_operations(Channel.MESSAGES)
                outcome = "read"
            except TwilioCommsError as err:
                outcome = f"{type(err).__name__}: {err}"
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    finally:
        await runner.cleanup()
    print(
        f"gzip body: {len(body) / 1024:.0f} KiB, inflates to {inflated / 2**20:.0f} MiB"
    )
    print(f"outcome: {outcome}")
    print(f"peak traced memory: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_GZIP_KIB))
