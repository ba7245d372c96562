"""The live benchmark's load generator against a server that stalls for a while: every
document still goes out, on a bounded number of kept-alive connections, and the stall
shows in the durations (they run from when each document was due, not from when it
found a free connection)."""

import asyncio
import json

from bench import live
from bench.seed import DocumentFactory
from deploy.local.auth import GrantingAuth
from shared.rut import rut_from_number

RATE, SECONDS, STALL = 200, 1, 0.3


async def test_a_stalled_server_delays_documents_but_loses_none():
    received: list[dict] = []
    open_now = peak = 0
    headers_seen: set[bytes] = set()
    stall_until: float | None = None  # from the first request on, however late it comes

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now, peak, stall_until
        open_now += 1
        peak = max(peak, open_now)
        try:
            while not reader.at_eof():
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                lines = head.split(b"\r\n")
                fields = dict(line.lower().split(b": ", 1) for line in lines[1:] if line)
                headers_seen.update(fields)
                received.append(json.loads(await reader.readexactly(
                    int(fields[b"content-length"]))))
                # The first moments answer nothing: requests pile up behind the stall.
                now = asyncio.get_running_loop().time()
                if stall_until is None:
                    stall_until = now + STALL
                await asyncio.sleep(max(0.0, stall_until - now))
                writer.write(b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
                             b"content-length: 2\r\n\r\n{}")
                await writer.drain()
        finally:
            open_now -= 1
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rut = rut_from_number(76_000_001)
    try:
        created, _, durations = await asyncio.wait_for(live._create_steadily(
            f"http://127.0.0.1:{port}", rut, RATE, SECONDS, DocumentFactory(rut, seed=1),
            GrantingAuth()), timeout=30)
    finally:
        server.close()
        await server.wait_closed()

    assert created == len(received) == len(durations) == RATE * SECONDS
    assert len({(d["direction"], d["dte_type"], d["folio"]) for d in received}) == created
    assert b"authorization" in headers_seen
    assert peak <= live.CONNECTIONS
    # The first document waited out the whole stall, counted from when it was due, which is
    # no later than it arrived. (How fast the others went is the machine's business.)
    assert max(durations) >= STALL * 0.9
