import asyncio

import httpx
import pytest
from sqlalchemy import select

from deploy.local.auth import GrantingAuth
from invoicing.adapters.tables import outbox
from invoicing.bootstrap import build_app
from invoicing.config import Settings
from invoicing.entrypoints.cli import migrate
from shared.events import CloudEvent
from tests.support.ruts import new_rut


async def migrated_database(infra, name: str) -> str:
    url = await infra.create_database(name)
    # Alembic runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(migrate, url)
    return url


def settings_for(infra, topology, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        amqp_url=infra.service_url("invoicing"),
        event_exchange=topology.exchange,
        queue_prefix=topology.queue_prefix,
        delivery_limit=topology.delivery_limit,
    )


@pytest.fixture(scope="package")
async def app(infra, topology):
    url = await migrated_database(infra, "invoicing_api")
    application = build_app(settings_for(infra, topology, url), background=False)
    yield application
    await application.state.container.engine.dispose()


@pytest.fixture(scope="package")
def container(app):
    return app.state.container


@pytest.fixture(scope="package")
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://invoicing",
                                 auth=GrantingAuth()) as http:
        yield http


@pytest.fixture
async def company(client):
    rut = new_rut()
    response = await client.post("/v1/companies", json={"rut": rut, "name": "Comercial Andes"})
    assert response.status_code == 201, response.text
    return rut


async def outbox_events(container, event_type: str, subject: str | None = None
                        ) -> list[CloudEvent]:
    async with container.engine.connect() as conn:
        rows = (await conn.execute(
            select(outbox.c.body).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
        )).scalars().all()
    events = [CloudEvent.model_validate_json(body) for body in rows]
    return [e for e in events if subject is None or e.subject == subject]
