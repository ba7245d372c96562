"""Find the PostgreSQL and RabbitMQ the tests talk to, and fail loudly without them.

Order: the URLs in DATABASE_URL / AMQP_URL; otherwise the local defaults if they answer;
otherwise containers via testcontainers when Docker is available; otherwise a failure
that says how to start them. Tests never skip for a missing service.

The broker URL found is an administrator's. Each run works in a vhost of its own
(``test.<run id>``) with the services' own users, made as production's are
(deploy/local/broker.py): ``service_url(service)`` logs in as a service, and
``amqp_url`` as the run's operator, who may do anything in the vhost and stamp any
``user_id`` (so a test can publish as a service would). Both are removed afterwards.
"""

import os
import socket
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import asyncpg
from sqlalchemy.engine import make_url

from deploy.local.broker import BrokerUsers, provision, remove
from shared.messaging import Topology
from shared.messaging.access import owner_of

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
    admin_amqp_url: str
    management_url: str | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    _containers: ExitStack = field(default_factory=ExitStack)
    _databases: list[str] = field(default_factory=list)
    _users: dict[Topology, BrokerUsers] = field(default_factory=dict)

    @classmethod
    def discover(cls) -> "Infra":
        containers = ExitStack()
        pg = os.environ.get("DATABASE_URL")
        if pg and not make_url(pg).drivername.startswith("postgresql"):
            raise MissingService(f"DATABASE_URL must be a PostgreSQL URL for the tests, got {pg}")
        pg = pg or (LOCAL_POSTGRES if _answers(LOCAL_POSTGRES, 5432) else None)
        amqp = os.environ.get("AMQP_URL")
        amqp = amqp or (LOCAL_RABBITMQ if _answers(LOCAL_RABBITMQ, 5672) else None)
        management = os.environ.get("RABBITMQ_MANAGEMENT_URL")
        if (pg is None or amqp is None) and _docker_available():
            pg, amqp, started = cls._start_containers(containers, pg, amqp)
            management = management or started
        if pg is None or amqp is None:
            missing = " and ".join(
                n for n, u in (("PostgreSQL", pg), ("RabbitMQ", amqp)) if u is None
            )
            raise MissingService(
                f"{missing} not reachable and no Docker to start it. {HOW_TO_START}"
            )
        if not _answers(pg, 5432) or not _answers(amqp, 5672):
            raise MissingService(f"cannot connect to {pg} or {amqp}. {HOW_TO_START}")
        return cls(postgres_admin_url=pg, admin_amqp_url=amqp, management_url=management,
                   _containers=containers)

    @staticmethod
    def _start_containers(stack: ExitStack, pg: str | None, amqp: str | None):
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        management = None
        if pg is None:
            container = stack.enter_context(PostgresContainer("postgres:16-alpine"))
            pg = container.get_connection_url(driver=None)
        if amqp is None:
            # With the management API: the run's users are made through it.
            rabbit = stack.enter_context(RabbitMqContainer("rabbitmq:3.13-management-alpine"))
            host = rabbit.get_container_host_ip()
            amqp = f"amqp://guest:guest@{host}:{rabbit.get_exposed_port(5672)}/"
            management = f"http://guest:guest@{host}:{rabbit.get_exposed_port(15672)}"
        return pg, amqp, management

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

    @property
    def vhost(self) -> str:
        return f"test.{self.run_id}"

    @property
    def operator(self) -> str:
        return f"test.{self.run_id}.operator"

    def topology(self) -> Topology:
        return Topology(exchange=f"test.{self.run_id}.events",
                        queue_prefix=f"test.{self.run_id}.", delivery_limit=3)

    def users(self, topology: Topology | None = None) -> BrokerUsers:
        """The services' users for ``topology`` (the run's by default) in the run's vhost,
        made on first use; its exchanges and queues are declared with them."""
        run = self.topology()
        if run not in self._users:  # first the run's, with the operator
            self._users[run] = provision(self.admin_amqp_url, run, self.vhost,
                                         management=self.management_url,
                                         impersonator=self.operator)
        topology = topology or run
        if topology not in self._users:
            self._users[topology] = provision(self.admin_amqp_url, topology, self.vhost,
                                              management=self.management_url)
        return self._users[topology]

    @property
    def amqp_url(self) -> str:
        """The run's operator: everything in the vhost, any ``user_id``."""
        return self.users().urls[self.operator]

    def service_url(self, service: str, topology: Topology | None = None) -> str:
        return self.users(topology).urls[service]

    def owner_user(self, event_type: str, topology: Topology | None = None) -> str:
        """The broker user consumers accept ``event_type`` from: the ``user_id`` a test
        publishing as the operator stamps to pass for its owner."""
        owner = owner_of(event_type)
        assert owner is not None, f"no service owns {event_type}"
        return (topology or self.topology()).user_name(owner)

    async def cleanup(self, consumer_names: list[str]) -> None:
        if self._users:
            names = [self.operator] + [topology.user_name(s) for topology, users in
                                       self._users.items() for s in users.urls
                                       if s != self.operator]
            remove(self.admin_amqp_url, self.vhost, names, management=self.management_url)
        conn = await asyncpg.connect(self._asyncpg_dsn(self.postgres_admin_url))
        try:
            for db_name in self._databases:
                await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        finally:
            await conn.close()
        self._containers.close()

