"""Fixtures for tests on real PostgreSQL and RabbitMQ (see tests/support/infra.py)."""

import os

import pytest

from deploy.local.broker import BrokerSetupError
from tests.support.infra import Infra, MissingService

# The services the tests start, in process or as processes, run on the public development
# secrets: say so explicitly, as `make run` does (shared/settings.py, startup_check).
os.environ["ENVIRONMENT"] = "development"

# Every consumer the services declare; their test queues are deleted after the run.
CONSUMERS = ["invoicing", "accounting", "integration-worker", "probe"]


@pytest.fixture(scope="session")
async def infra():
    try:
        found = Infra.discover()
        found.users()  # the run's vhost and broker users, now: a failure says why
    except (MissingService, BrokerSetupError) as error:
        pytest.fail(str(error), pytrace=False)
    yield found
    await found.cleanup(CONSUMERS)


@pytest.fixture(scope="session")
def topology(infra):
    """A unique exchange and queue prefix for this run, removed afterwards."""
    return infra.topology()
