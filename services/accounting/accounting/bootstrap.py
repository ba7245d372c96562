"""The composition root: wires settings, database, broker, use cases and HTTP routes."""

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import aio_pika
from fastapi import Depends, FastAPI
from sqlalchemy import text

from accounting.adapters.metrics import sync_states
from accounting.adapters.tables import outbox
from accounting.config import Settings
from accounting.entrypoints.consumer import build_consumer
from accounting.entrypoints.http import internal, public, remembered, reports
from accounting.entrypoints.http.access import resource_in_scope
from accounting.service_layer.syncs import resume_interrupted_confirms
from accounting.service_layer.unit_of_work import Services
from shared.background import Repeating, Runtime
from shared.db import create_engine, ensure_sqlite_directory, session_factory
from shared.http.auth import operator_principal, service_principal
from shared.http.body_limit import install_body_limit
from shared.http.date_range import install_date_range_check
from shared.http.dead_letters import dead_letters_router
from shared.http.health import health_router
from shared.http.problems import install_problem_handlers
from shared.http.query_params import install_single_query_parameters
from shared.internal_api import INTERNAL_PREFIX
from shared.messaging import Publisher
from shared.messaging.dead_letters import DeadLetters
from shared.observability.http import install_observability
from shared.outbox import OutboxRelay

CONSUMER_READY_TIMEOUT = 30.0
INTERNAL_BODY_LIMIT = 64 * 1024 * 1024

DESCRIPTION = """Contracts, companies and their books. Receives integration requests and
documents from invoicing (through the integration worker), lets the accountant approve,
configure default accounts, review synchronised documents and post them as comprobantes.

Errors are RFC 9457 problem details (`application/problem+json`)."""


def confirm_resumer(services: Services) -> Repeating:
    """Finish, now and then, the confirms a process left half way (it died mid-confirm):
    on start-up and every few seconds, for those without a page posted for the lease."""
    every = min(max(services.confirm_lease.total_seconds() / 3, 1.0), 10.0)
    return Repeating(lambda: resume_interrupted_confirms(services), every,
                     "look for interrupted confirms")


def background_tasks(settings: Settings, services: Services, relay: OutboxRelay,
                     publisher: Publisher) -> Runtime:
    """The outbox relay, the event consumer and the confirm resumer, beside the API."""
    runtime = Runtime("accounting", publisher, settings.amqp_url,
                      ready_timeout=CONSUMER_READY_TIMEOUT)
    runtime.add("outbox-relay", relay.run, stop=relay.stop)
    runtime.add_consumer(build_consumer(settings, services))
    resumer = confirm_resumer(services)
    runtime.add("confirm-resumer", resumer.run, stop=resumer.stop)
    return runtime


def build_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    settings = settings or Settings()
    ensure_sqlite_directory(settings.database_url)
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    publisher = Publisher(settings.amqp_url, settings.topology)
    relay = OutboxRelay(engine, outbox, publisher, service="accounting")
    services = Services(session_factory(engine),
                        wake_relay=relay.wake if background else (lambda: None),
                        page_size=settings.confirm_page_size,
                        stall_after=timedelta(seconds=settings.sync_stall_seconds),
                        confirm_lease=timedelta(seconds=settings.confirm_lease_seconds))
    tasks = background_tasks(settings, services, relay, publisher) if background else None

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
            await tasks.check_broker()
            return
        # Without background tasks, reachability is all there is to say.
        connection = await aio_pika.connect(settings.amqp_url, timeout=5)
        await connection.close()

    app = FastAPI(title="Accounting", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.services = services
    app.state.engine = engine
    app.state.runtime = tasks
    install_problem_handlers(app)
    install_date_range_check(app)  # from ≤ to, at most 24 months
    install_single_query_parameters(app)  # ?from=…&from=… is a 422
    # The worker's proposal batches are bounded by its batch size, not by a person.
    install_body_limit(app, settings.max_body_bytes, limit_for=lambda path: (
        INTERNAL_BODY_LIMIT if path.startswith(INTERNAL_PREFIX) else settings.max_body_bytes))
    app.include_router(health_router({"database": database_check, "broker": broker_check},
                                     dead=tasks.dead if tasks is not None else None))
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
