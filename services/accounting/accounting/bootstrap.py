"""The composition root: wires settings, database, broker, use cases and HTTP routes."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aio_pika
from fastapi import Depends, FastAPI
from sqlalchemy import text

from accounting.adapters.metrics import sync_states
from accounting.adapters.tables import outbox
from accounting.config import Settings, ensure_sqlite_dir
from accounting.entrypoints.consumer import build_consumer
from accounting.entrypoints.http import internal, public, remembered, reports
from accounting.entrypoints.http.access import resource_in_scope
from accounting.service_layer.syncs import resume_interrupted_confirms
from accounting.service_layer.unit_of_work import Services
from shared.background import ensure_running, log_if_failed
from shared.db import create_engine, session_factory
from shared.http.auth import operator_principal, service_principal
from shared.http.body_limit import install_body_limit
from shared.http.date_range import install_date_range_check
from shared.http.dead_letters import dead_letters_router
from shared.http.health import health_router
from shared.http.problems import install_problem_handlers
from shared.http.query_params import install_single_query_parameters
from shared.internal_api import INTERNAL_PREFIX
from shared.messaging import Consumer, Publisher
from shared.messaging.dead_letters import DeadLetters
from shared.observability.http import install_observability
from shared.outbox import OutboxRelay
from shared.redaction import redact_url

log = logging.getLogger(__name__)

CONSUMER_READY_TIMEOUT = 30.0
INTERNAL_BODY_LIMIT = 64 * 1024 * 1024

DESCRIPTION = """Contracts, companies and their books. Receives integration requests and
documents from invoicing (through the integration worker), lets the accountant approve,
configure default accounts, review synchronised documents and post them as comprobantes.

Errors are RFC 9457 problem details (`application/problem+json`)."""


async def resume_confirms(services: Services) -> None:
    """Finish, now and then, the confirms a process left half way (it died mid-confirm):
    on start-up and every few seconds, for those without a page posted for the lease."""
    every = min(max(services.confirm_lease.total_seconds() / 3, 1.0), 10.0)
    while True:
        try:
            await resume_interrupted_confirms(services)
        except Exception:  # noqa: BLE001 - the database may be what failed; next round
            log.warning("could not look for interrupted confirms; trying again in %.0fs",
                        every, exc_info=True)
        await asyncio.sleep(every)


class Background:
    """The outbox relay, the event consumer and the confirm resumer, beside the API."""

    def __init__(self, settings: Settings, services: Services, relay: OutboxRelay,
                 publisher: Publisher):
        self.publisher = publisher
        self._relay = relay
        self._services = services
        self._consumer: Consumer = build_consumer(settings, services)
        self._amqp_url = redact_url(settings.amqp_url)
        self.tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        # Connecting declares every queue, so nothing we emit is dropped as unroutable.
        await self.publisher.connect()
        for name, coroutine in (("outbox-relay", self._relay.run()),
                                ("consumer", self._consumer.run()),
                                ("confirm-resumer", resume_confirms(self._services))):
            task = asyncio.create_task(coroutine, name=f"accounting-{name}")
            task.add_done_callback(log_if_failed)
            self.tasks.append(task)
        # Serve only once our queue is consumed, so no event sent to us waits unseen.
        ready = asyncio.create_task(self._consumer.ready.wait())
        done, _ = await asyncio.wait([ready, *self.tasks], timeout=CONSUMER_READY_TIMEOUT,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            await self.stop()
            raise RuntimeError("the event consumer did not start; is RabbitMQ reachable at "
                               f"{self._amqp_url}?")

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._consumer.stop()  # the batch in hand finishes and is acked
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks.clear()
        await self.publisher.close()

    async def check(self) -> None:
        if not self.publisher.is_connected:
            raise ConnectionError("not connected to RabbitMQ")
        ensure_running(self.tasks)


def build_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    settings = settings or Settings()
    ensure_sqlite_dir(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    publisher = Publisher(settings.amqp_url, settings.topology)
    relay = OutboxRelay(engine, outbox, publisher, service="accounting")
    services = Services(session_factory(engine),
                        wake_relay=relay.wake if background else (lambda: None),
                        page_size=settings.confirm_page_size,
                        stall_after=timedelta(seconds=settings.sync_stall_seconds),
                        confirm_lease=timedelta(seconds=settings.confirm_lease_seconds))
    tasks = Background(settings, services, relay, publisher) if background else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if tasks is not None:
            await tasks.start()
        try:
            yield
        finally:
            if tasks is not None:
                await tasks.stop()
            await engine.dispose()

    async def database_check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def broker_check() -> None:
        if tasks is not None:
            await tasks.check()
            return
        # Without background tasks, reachability is all there is to say.
        connection = await aio_pika.connect(settings.amqp_url, timeout=5)
        await connection.close()

    app = FastAPI(title="Accounting", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.services = services
    app.state.engine = engine
    install_problem_handlers(app)
    install_date_range_check(app)  # from ≤ to, at most 24 months
    install_single_query_parameters(app)  # ?from=…&from=… is a 422
    # The worker's proposal batches are bounded by its batch size, not by a person.
    install_body_limit(app, settings.max_body_bytes, limit_for=lambda path: (
        INTERNAL_BODY_LIMIT if path.startswith(INTERNAL_PREFIX) else settings.max_body_bytes))
    app.include_router(health_router({"database": database_check, "broker": broker_check}))
    app.state.tokens = settings.token_verifier
    app.state.service_tokens = settings.service_token_verifier  # the worker's, for /internal
    scoped = [Depends(resource_in_scope)]
    app.include_router(public.router, dependencies=scoped)
    app.include_router(reports.router, dependencies=scoped)
    app.include_router(remembered.router, dependencies=scoped)
    app.include_router(internal.router, dependencies=[Depends(service_principal)])
    # Operators' view of our consumer's dead letters.
    app.include_router(dead_letters_router(
        DeadLetters(settings.amqp_url, settings.topology, settings.consumer_name),
        dependencies=[Depends(operator_principal)]))
    install_observability(app, refresh=[sync_states(engine, services.stall_after)])
    return app
