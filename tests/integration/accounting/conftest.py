"""The accounting app on a fresh, migrated PostgreSQL database, driven in-process."""

import asyncio
import json

import httpx
import pytest
from sqlalchemy import func, select

from accounting.adapters.tables import (
    documents_with_state,
    outbox,
    sync_document_counts,
    sync_document_states,
    sync_documents,
)
from accounting.bootstrap import build_app
from accounting.config import Settings
from accounting.entrypoints.cli import migrate
from deploy.local.auth import GrantingAuth
from shared.events import CloudEvent
from shared.http.auth import DEVELOPMENT_SERVICE_SECRET, ServiceToken
from tests.support.ruts import new_rut

# What the integration worker sends to the internal API, signed with its own credential.
AS_WORKER = ServiceToken(DEVELOPMENT_SERVICE_SECRET, sub="integration-worker")


@pytest.fixture(scope="session")
async def accounting_db(infra):
    url = await infra.create_database("accounting")
    # Alembic runs its own event loop: keep it off the test loop.
    await asyncio.to_thread(migrate, url)
    return url


@pytest.fixture(scope="session")
async def app(infra, topology, accounting_db):
    settings = Settings(database_url=accounting_db, amqp_url=infra.service_url("accounting"),
                        event_exchange=topology.exchange, queue_prefix=topology.queue_prefix)
    application = build_app(settings, background=False)
    yield application
    await application.state.engine.dispose()


@pytest.fixture(scope="session")
def services(app):
    return app.state.services


@pytest.fixture(autouse=True)
async def document_counts_stay_true(request):
    """After every test that used the app: each session's kept per-status counts equal a
    count of its documents, whatever the test made them go through."""
    if "app" not in request.fixturenames:
        yield
        return
    services = request.getfixturevalue("services")
    yield
    async with services.uow() as uow:
        counted = {(sync_id, status): n for sync_id, status, n in (await uow.session.execute(
            select(sync_documents.c.sync_id, sync_document_states.c.status, func.count())
            .select_from(documents_with_state)
            .group_by(sync_documents.c.sync_id, sync_document_states.c.status))).all()}
        kept = {(sync_id, status): n for sync_id, status, n in (await uow.session.execute(
            select(sync_document_counts.c.sync_id, sync_document_counts.c.status,
                   sync_document_counts.c.count))).all() if n}
    assert kept == counted


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://accounting",
                                 auth=GrantingAuth()) as c:
        yield c


async def outbox_events(services, event_type: str, **data) -> list[CloudEvent]:
    """Events staged in the outbox of this type whose data has the given values."""
    async with services.sessions() as session:
        bodies = (await session.execute(
            select(outbox.c.body).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
        )).scalars().all()
    events = [CloudEvent.model_validate(json.loads(b)) for b in bodies]
    return [e for e in events if all(e.data.get(k) == v for k, v in data.items())]


@pytest.fixture
def rut():
    return new_rut
