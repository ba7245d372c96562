"""Fault 2: RabbitMQ is stopped and started again in the middle of a sync. The relays
and consumers reconnect by themselves, the sync completes, nothing is posted twice.

The broker on a developer's machine is shared by everything on it, so this uses the
gentle `rabbitmqctl stop_app` / `start_app`, keeps the outage short, waits for the broker
to be back before going on, and leaves it running whatever happens."""

import asyncio
import subprocess

import httpx
import pytest

from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    WORKER,
    assert_posted_exactly_once,
    connect_company,
    seed_documents,
    wait_in_review,
    wait_progress,
    wait_until,
    wait_until_live_documents,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow,
              pytest.mark.broker_restart]

DOCUMENTS = 3_000
LIVE_FOLIO = 900_001
BROKER_OUTAGE = 5.0  # seconds; short, as other runs on this machine share the broker


def rabbitmqctl(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def ensure_broker_running() -> None:
    """Start the RabbitMQ application (or the whole node) if it is not running."""
    if rabbitmqctl("start_app").returncode != 0:
        subprocess.run(["rabbitmq-server", "-detached"], check=False, timeout=30)
    result = rabbitmqctl("await_startup", timeout=120)
    assert result.returncode == 0, f"RabbitMQ did not come back: {result.stderr}"


async def test_services_reconnect_after_a_broker_restart(fault_stack, client):
    dead_letters = await fault_stack.dead_letters()
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    try:
        at_stop = wait_progress(client, sync["id"], DOCUMENTS // 5)
        try:
            stopped = rabbitmqctl("stop_app")
            assert stopped.returncode == 0, f"rabbitmqctl stop_app failed: {stopped.stderr}"
            assert at_stop["received"] < DOCUMENTS, "the sync ended before the broker stopped"
            # Recorded while the broker is away: committed with its event in the outbox,
            # which the relay publishes once it has reconnected.
            client.record_document(
                company.rut, direction="sales", dte_type=33, folio=LIVE_FOLIO,
                issue_date="2026-01-15", counterparty={"rut": "77777777-7", "name": "Cliente"},
                net=100_000, exempt=0, vat=19_000, total=119_000, references=[])
            await asyncio.sleep(BROKER_OUTAGE)
            async with httpx.AsyncClient(timeout=10) as http:
                during = await http.get(f"{fault_stack.accounting_url}/readyz")
        finally:
            ensure_broker_running()
        assert during.status_code == 503 and "broker" in during.text, during.text
        for name in ("invoicing", "accounting", WORKER):
            assert fault_stack.service(name).process.poll() is None, f"{name} exited"
        wait_in_review(client, sync["id"])
        assert_posted_exactly_once(client, company, sync["id"], seeded)
        for url in (fault_stack.invoicing_url, fault_stack.accounting_url):
            wait_until(lambda url=url: httpx.get(f"{url}/readyz", timeout=10).is_success,
                       what=f"{url}/readyz to be ready again", timeout=30)
        live = wait_until_live_documents(client, company.id, 1)
        assert [d["document"]["folio"] for d in live] == [LIVE_FOLIO]
        assert await fault_stack.dead_letters() == dead_letters
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error
