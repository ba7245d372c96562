"""Schemathesis against both services' OpenAPI: no 5xx, and no response that breaks the
schema the service itself publishes.

Each app runs under a real uvicorn (in a thread, its own event loop) on a fresh, migrated
PostgreSQL database, without broker tasks (background=False), exactly as the integration
tests build it. A few resources are seeded so the schemas' examples reach real rows and
not only 404s. The number of examples per operation is bounded to keep this CI-sized.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from accounting.bootstrap import build_app as build_accounting
from accounting.config import Settings as AccountingSettings
from accounting.entrypoints.cli import migrate as migrate_accounting
from invoicing.bootstrap import build_app as build_invoicing
from invoicing.config import Settings as InvoicingSettings
from invoicing.entrypoints.cli import migrate as migrate_invoicing
from shared.http.auth import DEVELOPMENT_SECRET, mint_token

EXAMPLES_PER_OPERATION = 12
CONFIG = {"phases": {"coverage": {"unexpected-methods": []}}}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# The path examples of the schemas (76354771-K) exist, so examples hit real resources.
SEED_COMPANY = "76354771-K"
SEED_CONTRACT = "60805000-0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app) -> None:
        self.port = _free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the app under test did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@dataclass
class Target:
    """A live app, and the seeded values its path parameters take in most cases, so the
    generated requests reach real rows instead of stopping at 404."""

    url: str
    seeded: dict[str, str]
    calls: int = 0

    def call(self, case, headers: dict[str, str]) -> None:
        self.calls += 1
        if self.calls % 4:  # every fourth case keeps its generated path parameters
            for name in case.path_parameters or {}:
                if name in self.seeded:
                    case.path_parameters[name] = self.seeded[name]
        case.call_and_validate(base_url=self.url, headers=headers, checks=CHECKS)


@pytest.fixture(scope="module")
def auth_headers() -> dict[str, str]:
    """Headers every generated request carries: a token reaching the seeded resources."""
    token = mint_token(DEVELOPMENT_SECRET, "schemathesis", contracts=[SEED_CONTRACT],
                       companies=[SEED_COMPANY], roles=["operator"])
    return {"Authorization": f"Bearer {token}"}


async def _migrated(infra, name: str, migrate) -> str:
    url = await infra.create_database(name)
    await asyncio.to_thread(migrate, url)  # alembic runs its own event loop
    return url


def _common(infra, topology) -> dict:
    return {"amqp_url": infra.amqp_url, "event_exchange": topology.exchange,
            "queue_prefix": topology.queue_prefix, "delivery_limit": topology.delivery_limit}


@pytest.fixture(scope="module")
async def invoicing_db(infra):
    return await _migrated(infra, "contract_invoicing", migrate_invoicing)


@pytest.fixture(scope="module")
async def accounting_db(infra):
    return await _migrated(infra, "contract_accounting", migrate_accounting)


@pytest.fixture(scope="module")
def invoicing(infra, topology, invoicing_db, auth_headers) -> Iterator[Target]:
    settings_ = InvoicingSettings(database_url=invoicing_db, **_common(infra, topology))
    app = build_invoicing(settings_, background=False)
    with LiveServer(app) as server:
        seeded = httpx.post(f"{server.url}/v1/companies", headers=auth_headers,
                            json={"rut": SEED_COMPANY, "name": "Comercial Andes SpA"})
        assert seeded.status_code == 201, seeded.text
        yield Target(server.url, {"rut": SEED_COMPANY})


@pytest.fixture(scope="module")
def accounting(infra, topology, accounting_db, auth_headers) -> Iterator[Target]:
    settings_ = AccountingSettings(database_url=accounting_db, **_common(infra, topology))
    app = build_accounting(settings_, background=False)
    with LiveServer(app) as server:
        seeded = httpx.post(f"{server.url}/v1/contracts", headers=auth_headers,
                            json={"rut": SEED_CONTRACT, "name": "Contadores Asociados SpA"})
        assert seeded.status_code == 201, seeded.text
        company = httpx.post(f"{server.url}/v1/contracts/{SEED_CONTRACT}/companies",
                             headers=auth_headers,
                             json={"rut": SEED_COMPANY, "name": "Comercial Andes SpA"})
        assert company.status_code == 201, company.text
        yield Target(server.url, {"rut": SEED_CONTRACT, "company_id": company.json()["id"]})


def _published_schema(build_app, settings) -> schemathesis.BaseSchema:
    # The schema is what the code publishes; it does not depend on the database, so it is
    # read at collection time from an app that never connects.
    spec = build_app(settings, background=False).openapi()
    return schemathesis.openapi.from_dict(spec, config=SchemathesisConfig.from_dict(CONFIG))


_NOWHERE = "postgresql://nobody@127.0.0.1:1/none"
invoicing_schema = _published_schema(build_invoicing, InvoicingSettings(database_url=_NOWHERE))
accounting_schema = _published_schema(build_accounting,
                                      AccountingSettings(database_url=_NOWHERE))

_bounded = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])


@invoicing_schema.parametrize()
@_bounded
def test_invoicing_api(case, invoicing, auth_headers):
    invoicing.call(case, auth_headers)


@accounting_schema.parametrize()
@_bounded
def test_accounting_api(case, accounting, auth_headers):
    accounting.call(case, auth_headers)
