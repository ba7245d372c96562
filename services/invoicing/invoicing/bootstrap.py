"""The composition root: settings in, a wired FastAPI app out."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aio_pika
from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from invoicing.adapters.tables import outbox
from invoicing.config import CONSUMER_NAME, Settings, ensure_sqlite_directory
from invoicing.entrypoints.consumer import make_handler
from invoicing.entrypoints.http import install_routes
from invoicing.entrypoints.http.size_limit import IMPORT_PATH_SUFFIX, too_large_detail
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.background import ensure_running, log_if_failed
from shared.db import create_engine, session_factory
from shared.http.auth import operator_principal
from shared.http.body_limit import install_body_limit
from shared.http.date_range import install_date_range_check
from shared.http.dead_letters import dead_letters_router
from shared.http.query_params import install_single_query_parameters
from shared.messaging import SUBSCRIPTIONS, Consumer, Publisher
from shared.messaging.dead_letters import DeadLetters
from shared.observability.http import install_observability
from shared.outbox import OutboxRelay
from shared.redaction import redact_url

log = logging.getLogger(__name__)

CONSUMER_READY_TIMEOUT = 30.0


@dataclass
class Container:
    """What the routes, the consumer and the tests share."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker
    relay: OutboxRelay | None = None
    publisher: Publisher | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.relay.wake if self.relay else None)

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_broker(self) -> None:
        if self.publisher is None:
            # Without background tasks, reachability is all we can say.
            connection = await aio_pika.connect(self.settings.amqp_url, timeout=5)
            await connection.close()
            return
        if not self.publisher.is_connected:
            raise ConnectionError("not connected to the broker")
        ensure_running(self.tasks)


async def _start_background(container: Container) -> None:
    settings = container.settings
    container.publisher = Publisher(settings.amqp_url, settings.topology)
    await container.publisher.connect()
    container.relay = OutboxRelay(container.engine, outbox, container.publisher,
                                  service="invoicing")
    consumer = Consumer(settings.amqp_url, settings.topology, CONSUMER_NAME,
                        SUBSCRIPTIONS[CONSUMER_NAME],
                        make_handler(container.uow, sync_page_size=settings.sync_page_size))
    for name, coroutine in (("outbox-relay", container.relay.run()),
                            ("consumer", consumer.run())):
        task = asyncio.create_task(coroutine, name=f"invoicing-{name}")
        task.add_done_callback(log_if_failed)
        container.tasks.append(task)
    # Serve only once our queue exists, so no event sent to us afterwards is lost.
    ready = asyncio.create_task(consumer.ready.wait())
    done, _ = await asyncio.wait([ready, *container.tasks], timeout=CONSUMER_READY_TIMEOUT,
                                 return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await _stop_background(container)
        raise RuntimeError(f"the event consumer did not start; is RabbitMQ reachable at "
                           f"{redact_url(settings.amqp_url)}?")


async def _stop_background(container: Container) -> None:
    for task in container.tasks:
        task.cancel()
    for task in container.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    container.tasks.clear()
    if container.publisher is not None:
        await container.publisher.close()
    container.relay = None
    container.publisher = None


def build_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    settings = settings or Settings()
    ensure_sqlite_directory(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    container = Container(settings=settings, engine=engine, sessions=session_factory(engine))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background:
            await _start_background(container)
        try:
            yield
        finally:
            await _stop_background(container)
            await engine.dispose()

    app = FastAPI(
        title="Invoicing",
        version="1.0.0",
        summary="Issuing companies, their electronic tax documents (DTE) and their "
                "integration with accounting.",
        lifespan=lifespan,
    )
    app.state.container = container
    install_routes(app, container)
    install_date_range_check(app)  # from ≤ to, at most 24 months
    install_single_query_parameters(app)  # ?from=…&from=… is a 422
    # File imports have their own, larger limit, and say how to split a file that is over it.
    install_body_limit(
        app, settings.max_body_bytes,
        limit_for=lambda path: (settings.import_max_bytes if path.endswith(IMPORT_PATH_SUFFIX)
                                else settings.max_body_bytes),
        detail_for=lambda path, limit: (too_large_detail(limit)
                                        if path.endswith(IMPORT_PATH_SUFFIX) else None))
    # Operators' view of our consumer's dead letters.
    app.include_router(dead_letters_router(
        DeadLetters(settings.amqp_url, settings.topology, CONSUMER_NAME),
        dependencies=[Depends(operator_principal)]))
    install_observability(app)
    return app
