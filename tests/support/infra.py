"""Find the PostgreSQL and RabbitMQ the tests talk to, and fail loudly without them.

Order: the URLs in DATABASE_URL / AMQP_URL; otherwise the local defaults if they answer;
otherwise containers via testcontainers when Docker is available; otherwise a failure
that says how to start them. Tests never skip for a missing service.
"""

import os
import socket
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aio_pika
import asyncpg
from sqlalchemy.engine import make_url

from shared.messaging import Topology

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"

HOW_TO_START = (
    "Start them and run again: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
    "main start` and `rabbitmq-server -detached`, or set DATABASE_URL / AMQP_URL "
    "(see README, 'Running the tests')."
)


class MissingService(RuntimeError):
    pass


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or default_port),
                                      timeout=2):
            return True
    except OSError:
        return False


def _docker_available() -> bool:
    return os.path.exists("/var/run/docker.sock") or bool(os.environ.get("DOCKER_HOST"))


@dataclass
class Infra:
    postgres_admin_url: str
    amqp_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    _containers: ExitStack = field(default_factory=ExitStack)
    _databases: list[str] = field(default_factory=list)

    @classmethod
    def discover(cls) -> "Infra":
        containers = ExitStack()
        pg = os.environ.get("DATABASE_URL")
        if pg and not make_url(pg).drivername.startswith("postgresql"):
            raise MissingService(f"DATABASE_URL must be a PostgreSQL URL for the tests, got {pg}")
        pg = pg or (LOCAL_POSTGRES if _answers(LOCAL_POSTGRES, 5432) else None)
        amqp = os.environ.get("AMQP_URL")
        amqp = amqp or (LOCAL_RABBITMQ if _answers(LOCAL_RABBITMQ, 5672) else None)
        if (pg is None or amqp is None) and _docker_available():
            pg, amqp = cls._start_containers(containers, pg, amqp)
        if pg is None or amqp is None:
            missing = " and ".join(
                n for n, u in (("PostgreSQL", pg), ("RabbitMQ", amqp)) if u is None
            )
            raise MissingService(
                f"{missing} not reachable and no Docker to start it. {HOW_TO_START}"
            )
        if not _answers(pg, 5432) or not _answers(amqp, 5672):
            raise MissingService(f"cannot connect to {pg} or {amqp}. {HOW_TO_START}")
        return cls(postgres_admin_url=pg, amqp_url=amqp, _containers=containers)

    @staticmethod
    def _start_containers(stack: ExitStack, pg: str | None, amqp: str | None):
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        if pg is None:
            container = stack.enter_context(PostgresContainer("postgres:16-alpine"))
            pg = container.get_connection_url(driver=None)
        if amqp is None:
            rabbit = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-alpine"))
            amqp = (f"amqp://guest:guest@{rabbit.get_container_host_ip()}:"
                    f"{rabbit.get_exposed_port(5672)}/")
        return pg, amqp

    # --- databases ----------------------------------------------------------------

    def _asyncpg_dsn(self, url: str) -> str:
        return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def create_database(self, name: str) -> str:
        """A new, empty database for this run; dropped by ``cleanup``."""
        db_name = f"t_{self.run_id}_{name}".replace("-", "_")
        conn = await asyncpg.connect(self._asyncpg_dsn(self.postgres_admin_url))
        try:
            await conn.execute(f'CREATE DATABASE "{db_name}"')
        finally:
            await conn.close()
        self._databases.append(db_name)
        return make_url(self.postgres_admin_url).set(database=db_name).render_as_string(
            hide_password=False
        )

    # --- broker -------------------------------------------------------------------

    def topology(self) -> Topology:
        return Topology(exchange=f"test.{self.run_id}.events",
                        queue_prefix=f"test.{self.run_id}.", delivery_limit=3)

    async def cleanup(self, consumer_names: list[str]) -> None:
        topology = self.topology()
        connection = await aio_pika.connect(self.amqp_url)
        try:
            channel = await connection.channel()
            for name in consumer_names:
                for queue in (topology.queue_name(name), topology.dead_letter_queue_name(name)):
                    await channel.queue_delete(queue)
            await channel.exchange_delete(topology.exchange)
            await channel.exchange_delete(topology.dead_letter_exchange)
        finally:
            await connection.close()
        conn = await asyncpg.connect(self._asyncpg_dsn(self.postgres_admin_url))
        try:
            for db_name in self._databases:
                await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        finally:
            await conn.close()
        self._containers.close()

