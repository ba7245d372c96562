"""The three services as real processes on this run's databases, exchange and queues."""

import socket
from pathlib import Path

import pytest

from deploy.local.stack import Stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_stack(infra, topology, log_dir: Path, name: str, cls: type[Stack] = Stack,
                      env: dict[str, str] | None = None, **options) -> Stack:
    stack = cls(
        invoicing_database_url=await infra.create_database(f"{name}_invoicing"),
        accounting_database_url=await infra.create_database(f"{name}_accounting"),
        amqp_url=infra.amqp_url,
        amqp_urls=infra.users(topology).urls,  # each service as its own broker user
        invoicing_port=free_port(),
        accounting_port=free_port(),
        exchange=topology.exchange,
        queue_prefix=topology.queue_prefix,
        log_dir=log_dir,
        # WORKER_HTTP_PORT 0: a free port, so stacks running side by side do not clash.
        # Small sync pages, so the tests' syncs of tens or hundreds of documents go in
        # several invoices.synced messages, as a year of documents does.
        # ENVIRONMENT=development: they run on the public development secrets.
        extra_env={"ENVIRONMENT": "development",
                   "DELIVERY_LIMIT": str(topology.delivery_limit), "WORKER_HTTP_PORT": "0",
                   "SYNC_PAGE_SIZE": "50", **(env or {})},
        **options,
    )
    stack.migrate()
    stack.start()
    return stack


def module_stack(name: str):
    """A module-scoped `stack` fixture: `stack = module_stack("e2e_books")`."""

    @pytest.fixture(scope="module")
    async def stack(infra, topology, tmp_path_factory):
        started = await start_stack(infra, topology, tmp_path_factory.mktemp(f"{name}-logs"),
                                    name)
        yield started
        started.stop()

    return stack
