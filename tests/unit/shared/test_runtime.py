"""The runtime both API services run their background tasks on: a stop lets the work in
hand finish, a task that dies turns /healthz unhealthy naming it and why."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from shared.background import Repeating, Runtime
from shared.http.health import health_router


class FakePublisher:
    """Stands in for shared.messaging.Publisher: only whether it is connected matters."""

    def __init__(self):
        self.is_connected = False

    async def connect(self):
        self.is_connected = True

    async def close(self):
        self.is_connected = False


class Batches:
    """A consumer-like job: takes a batch, works on it in several steps, and stops only
    between batches once asked."""

    def __init__(self):
        self.in_hand = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = 0
        self.stopping = False

    async def run(self):
        while not self.stopping:
            self.in_hand.set()
            await self.release.wait()
            for _ in range(3):  # the batch's steps: none may be skipped
                await asyncio.sleep(0)
            self.finished += 1
            self.release.clear()

    async def stop(self):
        self.stopping = True


def runtime(**options) -> Runtime:
    return Runtime("svc", FakePublisher(), "amqp://user:s3cret@broker/", **options)


async def test_stop_lets_the_batch_in_hand_finish_then_ends_the_task():
    batches = Batches()
    rt = runtime()
    rt.add("consumer", batches.run, stop=batches.stop)
    await rt.start()
    await batches.in_hand.wait()
    stopping = asyncio.create_task(rt.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waits for the batch
    batches.release.set()
    await stopping
    assert batches.finished == 1
    assert rt.tasks == [] and rt.publisher.is_connected is False
    assert rt.dead() == {}  # a stop is not a death


async def test_a_task_that_will_not_stop_is_cancelled_after_the_grace():
    never = asyncio.Event()
    rt = runtime(stop_grace=0.01)

    async def stuck():
        await never.wait()

    async def ignore():
        pass

    rt.add("stuck", stuck, stop=ignore)
    await rt.start()
    await rt.stop()
    assert rt.tasks == []


async def test_a_dead_task_makes_healthz_503_naming_it_and_why():
    died = asyncio.Event()

    async def doomed():
        died.set()
        raise OSError("disk on fire at amqp://user:s3cret@broker/")

    rt = runtime()
    rt.add("relay", doomed)
    alive = Batches()  # a task that keeps running: not named
    rt.add("consumer", alive.run, stop=alive.stop)
    app = FastAPI()
    app.include_router(health_router({"broker": rt.check_broker}, dead=rt.dead))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        await rt.start()
        try:
            await died.wait()
            await asyncio.sleep(0)  # its done-callback
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
        finally:
            alive.release.set()
            await rt.stop()
        after_stop = await client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unhealthy",
                             "tasks": {"svc-relay": "OSError: disk on fire at "
                                                    "amqp://user:***@broker/"}}
    assert ready.status_code == 503
    assert "svc-relay has stopped: OSError" in ready.json()["checks"]["broker"]
    assert (after_stop.status_code, after_stop.json()) == (200, {"status": "ok"})


async def test_start_fails_saying_where_the_broker_was_when_the_consumer_never_gets_ready():
    never = asyncio.Event()

    async def waits():
        await asyncio.Event().wait()

    rt = runtime(ready_timeout=0.01)
    rt.add("consumer", waits, ready=never)
    with pytest.raises(RuntimeError, match=r"reachable at amqp://user:\*\*\*@broker/"):
        await rt.start()
    assert rt.tasks == [] and rt.publisher.is_connected is False


async def test_repeating_finishes_its_round_then_stops():
    rounds = []
    started, release = asyncio.Event(), asyncio.Event()

    async def job():
        started.set()
        await release.wait()
        rounds.append("done")

    repeating = Repeating(job, 3600, "wait")
    task = asyncio.create_task(repeating.run())
    await started.wait()
    await repeating.stop()
    release.set()
    await task  # ends without waiting the hour
    assert rounds == ["done"]


async def test_a_task_that_dies_while_starting_fails_the_start_naming_it():
    never = asyncio.Event()

    async def waits():
        await never.wait()

    async def broken():
        raise ValueError("no such table: outbox")

    rt = runtime()
    rt.add("consumer", waits, ready=never)
    rt.add("relay", broken)
    with pytest.raises(RuntimeError, match="stopped while starting: svc-relay: ValueError: "
                                           "no such table: outbox"):
        await rt.start()
    assert not rt.started.is_set()
