"""The live benchmark's load generator against a server that stalls: every document still
goes out, on a bounded number of kept-alive connections, and the stall shows in the
durations (they run from when each document was due, not from when it found a free
connection).

The generator runs on a virtual clock that moves only when it sleeps to pace the
documents, and the server's stall ends on events, not after a time: so every figure here
is computed, and none depends on how fast or how loaded the machine is."""

import asyncio
import json

import pytest

from bench import live
from bench.seed import DocumentFactory
from deploy.local.auth import GrantingAuth
from shared.rut import rut_from_number

RATE, SECONDS = 200, 1
TOTAL = RATE * SECONDS
LAST_DUE = (TOTAL - 1) / RATE  # the last document is due this long after the first


class VirtualTime:
    """A clock that moves only by what the generator sleeps, at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.on_move = lambda: None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.on_move()
        await asyncio.sleep(0)  # the requests already due get on with it


async def test_a_stalled_server_delays_documents_but_loses_none():
    time = VirtualTime()
    received: list[dict] = []
    opened = open_now = peak = waiting = 0
    headers_seen: set[bytes] = set()
    # The server answers nothing until every connection holds a request and every
    # document is due: the generator has had to queue the rest behind the stall.
    stall_over = asyncio.Event()

    def end_the_stall_when_due() -> None:
        if waiting >= live.CONNECTIONS and time.now >= LAST_DUE - 1e-9:
            stall_over.set()

    time.on_move = end_the_stall_when_due

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal opened, open_now, peak, waiting
        opened += 1
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
                waiting += 1
                end_the_stall_when_due()
                await stall_over.wait()
                waiting -= 1
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
        # Only a guard against a hang: the run itself takes no time on the virtual clock.
        created, elapsed, durations = await asyncio.wait_for(live._create_steadily(
            f"http://127.0.0.1:{port}", rut, RATE, SECONDS, DocumentFactory(rut, seed=1),
            GrantingAuth(), clock=time.clock, sleep=time.sleep), timeout=60)
    finally:
        server.close()
        await server.wait_closed()

    assert created == len(received) == len(durations) == TOTAL
    assert len({(d["direction"], d["dte_type"], d["folio"]) for d in received}) == created
    assert b"authorization" in headers_seen
    # Every connection was needed, and never one more; none was reopened, as none sat
    # idle for IDLE_SECONDS.
    assert peak == opened == live.CONNECTIONS
    assert elapsed == pytest.approx(LAST_DUE)
    # Nothing was answered before the last document was due, so document i (due at
    # i / RATE) waited LAST_DUE - i / RATE: the first the whole stall, and those that found
    # every connection taken from when they were due, not from when one came free.
    assert sorted(durations) == pytest.approx(sorted(LAST_DUE - i / RATE
                                                     for i in range(TOTAL)))
