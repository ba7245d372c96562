"""The worker's /readyz while its broker is gone (issue 12, item 4: it said the broker was
fine while RabbitMQ was down, 8 probes of 8).

The shared RabbitMQ is not stopped: the worker reaches it through a TCP proxy of the
test's own, which first stops forwarding (a broker that no longer answers, the connection
still open) and is then closed (connections cut, nothing listening). /readyz answers 503
naming the broker in both cases, and 200 again once the proxy is back.
"""

import asyncio
import contextlib
import time

import httpx
import pytest
from yarl import URL

from integration_worker.bootstrap import build_worker
from integration_worker.config import Settings
from integration_worker.entrypoints.http import build_http_app

pytestmark = [pytest.mark.faults]


@pytest.fixture
def every_service_running():
    """This test runs a worker of its own, not the fault stack (tests/faults/conftest.py)."""


class Proxy:
    """Forwards TCP connections from a local port to ``target``; can stop forwarding
    (``freeze``) and close every connection and the port (``close``)."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.frozen = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.frozen.clear()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(self._pipe(reader, upstream_writer),
                             self._pipe(upstream_reader, writer), return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.frozen.is_set():
                    continue  # swallowed: the other side hears nothing
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    def freeze(self) -> None:
        self.frozen.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None


async def broker_check(http: httpx.AsyncClient) -> tuple[int, str]:
    response = await http.get("/readyz")
    return response.status_code, response.json()["checks"]["broker"]


async def test_readyz_names_the_broker_when_it_stops_answering_or_goes(infra, topology):
    broker = URL(infra.amqp_url)
    proxy = Proxy(broker.host or "127.0.0.1", broker.port or 5672)
    await proxy.start()
    settings = Settings(amqp_url=str(broker.with_port(proxy.port)),
                        event_exchange=topology.exchange, queue_prefix=topology.queue_prefix,
                        delivery_limit=topology.delivery_limit,
                        accounting_url="http://127.0.0.1:9")
    worker = build_worker(settings)
    app = build_http_app(settings, worker.consumer)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    transport = httpx.ASGITransport(app=app)
    try:
        await asyncio.wait_for(worker.consumer.ready.wait(), 30)
        async with httpx.AsyncClient(transport=transport, base_url="http://worker") as http:
            # Accounting is not there (port 9): only the broker's check matters here.
            assert await broker_check(http) == (503, "ok")

            proxy.freeze()  # the broker stops answering; the connection stays open
            started = time.monotonic()
            status, broker = await broker_check(http)
            while broker == "ok" and time.monotonic() - started < 30:
                await asyncio.sleep(0.2)
                status, broker = await broker_check(http)
            assert status == 503 and broker.startswith("unavailable"), broker
            assert "RabbitMQ did not answer" in broker, broker
            frozen_after = time.monotonic() - started

            await proxy.close()  # and then it is gone: connections cut, port closed
            started = time.monotonic()
            for _ in range(8):  # the 8 probes: every one says so
                status, broker = await broker_check(http)
                assert status == 503 and broker.startswith("unavailable"), broker
                assert "RabbitMQ" in broker, broker
            closed_after = time.monotonic() - started

            await proxy.start(proxy.port)  # back: the robust connection reconnects
            started = time.monotonic()
            while (await broker_check(http))[1] != "ok":
                assert time.monotonic() - started < 60, "the worker did not reconnect"
                await asyncio.sleep(0.5)
            print(f"\nbroker not answering: /readyz 503 after {frozen_after:.1f} s; broker "
                  f"gone: 8 of 8 probes 503 within {closed_after:.1f} s; back: 200 after "
                  f"{time.monotonic() - started:.1f} s")
    finally:
        stop.set()
        await proxy.close()
        await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), 30)
