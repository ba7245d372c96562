"""One stack for all the fault tests, on an exchange and queues of its own (so a fault
left behind cannot leak into the e2e tests' queues). Each test uses its own company, and
starts with every service running whatever the test before it did."""

import pytest

from deploy.local.client import FlowClient
from tests.conftest import CONSUMERS
from tests.faults.support import delete_topology, own_topology, start_fault_stack


@pytest.fixture(scope="package")
async def fault_stack(infra, tmp_path_factory):
    topology = own_topology(infra, "faults")
    stack = await start_fault_stack(infra, topology, tmp_path_factory.mktemp("faults-logs"),
                                    "faults")
    try:
        yield stack
    finally:
        stack.stop()
        await delete_topology(infra.amqp_url, topology, CONSUMERS)


@pytest.fixture(autouse=True)
def every_service_running(fault_stack):
    fault_stack.start_stopped()


@pytest.fixture
def client(fault_stack):
    client = FlowClient(fault_stack.invoicing_url, fault_stack.accounting_url, timeout=120)
    yield client
    client.close()
