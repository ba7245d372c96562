"""The worker's operator HTTP server: probes and dead letters, started and stopped with
the consumer."""

import asyncio
import socket

import httpx

from integration_worker.config import CONSUMER_NAME, Settings
from integration_worker.entrypoints.http import build_http_app, serve
from shared.http.auth import mint_token
from shared.messaging import SUBSCRIPTIONS, Consumer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_serves_probes_and_dead_letters_until_stopped(infra, topology):
    settings = Settings(amqp_url=infra.amqp_url, event_exchange=topology.exchange,
                        queue_prefix=topology.queue_prefix,
                        delivery_limit=topology.delivery_limit,
                        accounting_url="http://127.0.0.1:9")

    async def handler(deliveries):
        return None

    consumer = Consumer(infra.amqp_url, topology, CONSUMER_NAME, SUBSCRIPTIONS[CONSUMER_NAME],
                        handler)
    consuming = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 10)
    port = free_port()
    stop = asyncio.Event()
    server = asyncio.create_task(serve(build_http_app(settings, consumer), "127.0.0.1", port,
                                       stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            for _ in range(100):
                try:
                    await http.get("/healthz")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            ready = await http.get("/readyz")
            # Accounting is not there: the worker says so, and that its broker side is fine.
            assert ready.status_code == 503
            assert ready.json()["checks"]["broker"] == "ok"
            assert ready.json()["checks"]["accounting"].startswith("unavailable")
            assert (await http.get("/v1/dead-letters")).status_code == 401
            operator = mint_token(settings.auth_secret, "ops", roles=["operator"])
            letters = await http.get("/v1/dead-letters",
                                     headers={"Authorization": f"Bearer {operator}"})
            assert letters.status_code == 200
            assert letters.json()["queue"] == topology.dead_letter_queue_name(CONSUMER_NAME)

        # A second server on the same port does not take the process down.
        await asyncio.wait_for(serve(build_http_app(settings, consumer), "127.0.0.1", port,
                                     asyncio.Event()), 5)
    finally:
        stop.set()
        await asyncio.wait_for(server, 10)
        consuming.cancel()
        await asyncio.gather(consuming, return_exceptions=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # released
