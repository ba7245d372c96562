"""Two worker processes on one queue, as `deploy/k8s` runs them (replicas: 2), with
invoicing and accounting as real processes, on an exchange and queues of their own."""

import pytest

from deploy.local.client import FlowClient
from tests.conftest import CONSUMERS
from tests.faults.support import FaultStack, delete_topology, own_topology
from tests.support.stacks import start_stack

WORKERS = ("integration-worker", "integration-worker-2")


@pytest.fixture(scope="package")
async def replicas(infra, tmp_path_factory):
    topology = own_topology(infra, "replicas")
    stack = await start_stack(infra, topology, tmp_path_factory.mktemp("replicas-logs"),
                              "replicas", cls=FaultStack, workers=len(WORKERS))
    stack.topology = topology
    try:
        yield stack
    finally:
        stack.stop()
        await delete_topology(infra.amqp_url, topology, CONSUMERS)


@pytest.fixture
def client(replicas):
    client = FlowClient(replicas.invoicing_url, replicas.accounting_url, timeout=120)
    yield client
    client.close()
