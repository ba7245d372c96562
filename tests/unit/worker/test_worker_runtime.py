"""The worker runs its consumer on the shared runtime, as the two APIs do: a consumer that
dies turns /healthz 503 naming it and ends the worker saying why (the process exits and is
restarted); a stop lets the batch in hand finish."""

import asyncio

import httpx
import pytest

from integration_worker.bootstrap import BackgroundTaskDied, Worker, background_tasks
from integration_worker.config import Settings
from integration_worker.entrypoints.http import build_http_app

SETTINGS = Settings(amqp_url="amqp://worker:s3cret@broker/", accounting_url="http://127.0.0.1:9")


class FakeConsumer:
    """Stands in for shared.messaging.Consumer: consumes until stopped, or dies when told."""

    def __init__(self) -> None:
        self.ready = asyncio.Event()
        self.die = asyncio.Event()
        self.stopped = asyncio.Event()
        self.stop_calls = 0

    async def run(self) -> None:
        if not self.die.is_set():  # told before it started: it never gets ready
            self.ready.set()
            done = asyncio.create_task(self.stopped.wait())
            dies = asyncio.create_task(self.die.wait())
            try:
                await asyncio.wait({done, dies}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                done.cancel()
                dies.cancel()
        if self.die.is_set():
            raise ConnectionError("channel closed by amqp://worker:s3cret@broker/")

    async def stop(self) -> None:
        self.stop_calls += 1
        self.stopped.set()

    async def check(self) -> None:
        if self.die.is_set():
            raise ConnectionError("integration-worker is not connected to RabbitMQ")


class FakeAccountingClient:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def worker() -> Worker:
    consumer = FakeConsumer()
    return Worker(consumer=consumer, accounting=FakeAccountingClient(),  # type: ignore[arg-type]
                  runtime=background_tasks(SETTINGS, consumer))  # type: ignore[arg-type]


def client(built: Worker) -> httpx.AsyncClient:
    app = build_http_app(SETTINGS, built.consumer, dead=built.runtime.dead)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://worker")


async def test_a_dead_consumer_turns_healthz_503_naming_it_and_why():
    built = worker()
    async with client(built) as http:
        await built.runtime.start()
        try:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            built.consumer.die.set()
            await asyncio.wait(built.runtime.tasks)
            health = await http.get("/healthz")
            ready = await http.get("/readyz")
        finally:
            await built.runtime.stop()
    assert health.status_code == 503
    # The password in the error is masked before anyone sees it.
    assert health.json() == {"status": "unhealthy", "tasks": {
        "integration-worker-consumer":
            "ConnectionError: channel closed by amqp://worker:***@broker/"}}
    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"].startswith("unavailable: ConnectionError")


async def test_a_dead_consumer_ends_the_worker_naming_it_and_closes_its_client():
    built = worker()
    stop = asyncio.Event()
    running = asyncio.create_task(built.run(stop))
    await built.consumer.ready.wait()
    built.consumer.die.set()
    with pytest.raises(BackgroundTaskDied, match=r"^integration-worker-consumer: "
                                                 r"ConnectionError: channel closed by "
                                                 r"amqp://worker:\*\*\*@broker/$"):
        await running
    assert built.accounting.closed
    assert built.runtime.tasks == []


async def test_a_stop_asks_the_consumer_to_finish_then_ends_the_worker_cleanly():
    built = worker()
    stop = asyncio.Event()
    running = asyncio.create_task(built.run(stop))
    await built.consumer.ready.wait()
    async with client(built) as http:
        assert (await http.get("/healthz")).status_code == 200
        stop.set()
        assert await running is None
        # A stop is not a death: /healthz stays 200 on the way out.
        assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert built.consumer.stop_calls == 1
    assert built.accounting.closed
    assert built.runtime.tasks == []


async def test_a_consumer_that_dies_while_starting_fails_the_start_and_closes_the_client():
    built = worker()
    built.consumer.die.set()  # the broker refused it on connecting
    with pytest.raises(RuntimeError, match="stopped while starting: integration-worker-"
                                           "consumer: ConnectionError"):
        await built.run(asyncio.Event())
    assert built.accounting.closed
