"""The background tasks of a process (outbox relay, event consumer, periodic jobs): how
the two API services and the integration worker start them, stop them and say whether they
are still alive.

Stopping lets each task finish what it has in hand (the consumer its batch, handled and
acked; the relay its round, published and marked) before it ends, so nothing is lost and
nothing is done twice by halves; a task that does not finish within ``stop_grace``
seconds is cancelled, which rolls its transaction back (its work is redone on the next
start: handlers and the relay are idempotent).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from shared.messaging import Consumer, Publisher
from shared.redaction import redact_secrets, redact_url

log = logging.getLogger(__name__)

READY_TIMEOUT = 30.0
STOP_GRACE = 20.0

Run = Callable[[], Coroutine[Any, Any, None]]
Stop = Callable[[], Awaitable[None]]


@dataclass
class _Job:
    name: str
    run: Run
    stop: Stop | None
    ready: asyncio.Event | None
    task: asyncio.Task | None = None


class Repeating:
    """A job run every ``every`` seconds until stopped; a round in hand finishes first."""

    def __init__(self, job: Callable[[], Awaitable[object]], every: float, what: str):
        self._job = job
        self._every = every
        self._what = what
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                await self._job()
            except Exception:  # noqa: BLE001 - the database may be what failed; next round
                log.warning("could not %s; trying again in %.0fs", self._what, self._every,
                            exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._every)

    async def stop(self) -> None:
        self._stopping.set()


class Runtime:
    """Start, stop and health of one service's background tasks and their publisher
    (``None`` for a process that publishes nothing: the worker only consumes)."""

    def __init__(self, service: str, publisher: Publisher | None, amqp_url: str, *,
                 ready_timeout: float = READY_TIMEOUT, stop_grace: float = STOP_GRACE):
        self.service = service
        self.publisher = publisher
        self._amqp_url = redact_url(amqp_url)
        self._ready_timeout = ready_timeout
        self._stop_grace = stop_grace
        self._jobs: list[_Job] = []
        self._stopping = False
        self.started = asyncio.Event()  # set once start() returned: the app serves

    def add(self, name: str, run: Run, *, stop: Stop | None = None,
            ready: asyncio.Event | None = None) -> None:
        """A task to run beside the API: ``stop`` asks it to end once the work in hand is
        done (without one it is cancelled); start() waits for ``ready``."""
        self._jobs.append(_Job(f"{self.service}-{name}", run, stop, ready))

    def add_consumer(self, consumer: Consumer) -> None:
        # Serve only once our queue is consumed, so no event sent to us waits unseen.
        self.add("consumer", consumer.run, stop=consumer.stop, ready=consumer.ready)

    @property
    def tasks(self) -> list[asyncio.Task]:
        return [job.task for job in self._jobs if job.task is not None]

    async def start(self) -> None:
        self._stopping = False
        if self.publisher is not None:
            # Connecting declares every queue, so nothing we emit is dropped as unroutable.
            await self.publisher.connect()
        for job in self._jobs:
            job.task = asyncio.create_task(job.run(), name=job.name)
            job.task.add_done_callback(self._ended)
        waits = [asyncio.create_task(job.ready.wait()) for job in self._jobs if job.ready]
        if not waits:
            self.started.set()
            return
        ready = asyncio.create_task(asyncio.wait(waits))
        done, _ = await asyncio.wait([ready, *self.tasks], timeout=self._ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            for wait in waits:
                wait.cancel()
            ready.cancel()
            ended = {job.name: _why(job.task) for job in self._jobs
                     if job.task is not None and job.task.done()}
            await self.stop()
            if ended:
                raise RuntimeError("background tasks stopped while starting: " + "; ".join(
                    f"{name}: {why}" for name, why in ended.items()))
            raise RuntimeError(f"the event consumer did not start; is RabbitMQ reachable at "
                               f"{self._amqp_url}?")
        self.started.set()

    async def stop(self) -> None:
        self._stopping = True
        self.started.clear()
        running = [job for job in self._jobs if job.task is not None and not job.task.done()]
        graceful = [job for job in running if job.stop is not None]
        try:
            async with asyncio.timeout(self._stop_grace):
                await asyncio.gather(*(job.stop() for job in graceful if job.stop),
                                     return_exceptions=True)
                if graceful:
                    await asyncio.wait([job.task for job in graceful if job.task])
        except TimeoutError:
            log.warning("background tasks did not finish their work in hand within %gs; "
                        "cancelled (it is redone on the next start)", self._stop_grace)
        tasks = [job.task for job in running if job.task is not None]
        for task in tasks:
            task.cancel()  # a no-op for those that ended by themselves
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for job in self._jobs:
            job.task = None
        if self.publisher is not None:
            await self.publisher.close()

    def dead(self) -> dict[str, str]:
        """The tasks that ended while they should run, each with why: for /healthz."""
        if self._stopping:
            return {}
        return {job.name: _why(job.task) for job in self._jobs
                if job.task is not None and job.task.done()}

    async def check_broker(self) -> None:
        """For /readyz: raise unless connected and every task runs."""
        if self.publisher is not None and not self.publisher.is_connected:
            raise ConnectionError("not connected to RabbitMQ")
        for name, why in self.dead().items():
            raise RuntimeError(f"background task {name} has stopped: {why}")

    def _ended(self, task: asyncio.Task) -> None:
        if self._stopping:
            return
        if task.cancelled() or task.exception() is None:
            log.error("background task %s ended: %s", task.get_name(), _why(task))
        else:
            log.error("background task %s stopped", task.get_name(),
                      exc_info=task.exception())


def _why(task: asyncio.Task | None) -> str:
    if task is None or not task.done():
        return "running"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    if error is None:
        return "returned"
    # An error may quote a URL with its password: masked before anyone sees it.
    return redact_secrets(f"{error.__class__.__name__}: {error}")[:300]
