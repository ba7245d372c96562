"""The composition root: settings in, a wired FastAPI app out."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aio_pika
from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from invoicing.adapters.tables import outbox
from invoicing.config import CONSUMER_NAME, Settings
from invoicing.entrypoints.consumer import make_handler
from invoicing.entrypoints.http import install_routes
from invoicing.entrypoints.http.size_limit import IMPORT_PATH_SUFFIX, too_large_detail
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.background import Runtime
from shared.db import create_engine, ensure_sqlite_directory, session_factory
from shared.http.auth import operator_principal
from shared.http.body_limit import install_body_limit
from shared.http.date_range import install_date_range_check
from shared.http.dead_letters import dead_letters_router
from shared.http.query_params import install_single_query_parameters
from shared.messaging import SUBSCRIPTIONS, Consumer, Publisher
from shared.messaging.dead_letters import DeadLetters
from shared.observability.http import install_observability
from shared.outbox import OutboxRelay

CONSUMER_READY_TIMEOUT = 30.0


@dataclass
class Container:
    """What the routes, the consumer and the tests share."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker
    relay: OutboxRelay | None = None
    runtime: Runtime | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.relay.wake if self.relay else None)

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def check_broker(self) -> None:
        if self.runtime is None:
            # Without background tasks, reachability is all we can say.
            connection = await aio_pika.connect(self.settings.amqp_url, timeout=5)
            await connection.close()
            return
        await self.runtime.check_broker()

    def dead(self) -> dict[str, str]:
        return self.runtime.dead() if self.runtime is not None else {}


def background_tasks(container: Container) -> Runtime:
    """The outbox relay and the event consumer, beside the API."""
    settings = container.settings
    publisher = Publisher(settings.amqp_url, settings.topology)
    container.relay = OutboxRelay(container.engine, outbox, publisher, service="invoicing")
    runtime = Runtime("invoicing", publisher, settings.amqp_url,
                      ready_timeout=CONSUMER_READY_TIMEOUT)
    runtime.add("outbox-relay", container.relay.run, stop=container.relay.stop)
    runtime.add_consumer(Consumer(settings.amqp_url, settings.topology, CONSUMER_NAME,
                                  SUBSCRIPTIONS[CONSUMER_NAME],
                                  make_handler(container.uow,
                                               sync_page_size=settings.sync_page_size)))
    return runtime


def build_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    settings = settings or Settings()
    ensure_sqlite_directory(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    container = Container(settings=settings, engine=engine, sessions=session_factory(engine))
    if background:
        container.runtime = background_tasks(container)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if container.runtime is not None:
            await container.runtime.start()
        try:
            yield
        finally:
            if container.runtime is not None:
                await container.runtime.stop()
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
