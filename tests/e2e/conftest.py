"""One helper to start the three services as real processes on this run's PostgreSQL
databases and RabbitMQ exchange, for each e2e module."""

import socket
from pathlib import Path

from deploy.local.stack import Stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def start_stack(infra, topology, log_dir: Path, name: str) -> Stack:
    stack = Stack(
        invoicing_database_url=await infra.create_database(f"{name}_invoicing"),
        accounting_database_url=await infra.create_database(f"{name}_accounting"),
        amqp_url=infra.amqp_url,
        invoicing_port=free_port(),
        accounting_port=free_port(),
        exchange=topology.exchange,
        queue_prefix=topology.queue_prefix,
        log_dir=log_dir,
        extra_env={"DELIVERY_LIMIT": str(topology.delivery_limit)},
    )
    stack.migrate()
    stack.start()
    return stack
