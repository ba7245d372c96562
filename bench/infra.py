"""The bench's own databases, exchange and queues: made for one run, removed after it."""

import os
import shutil
import socket
import sys
import tempfile
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import asyncpg
from sqlalchemy.engine import make_url

from deploy.local.broker import remove
from shared.messaging import SUBSCRIPTIONS, Topology
from shared.messaging.access import SERVICES
from shared.redaction import redact_url

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def admin_postgres_url() -> str:
    url = (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
           or DEFAULT_POSTGRES)
    if not make_url(url).drivername.startswith("postgresql"):
        raise SystemExit(f"BENCH_DATABASE_URL / DATABASE_URL must be a PostgreSQL admin URL "
                         f"(used to create and drop the bench's databases), got {redact_url(url)}")
    return url


def amqp_url() -> str:
    return os.environ.get("AMQP_URL") or DEFAULT_AMQP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class RunResources:
    """Everything this run creates on the shared PostgreSQL and RabbitMQ, for cleanup."""

    postgres_admin_url: str
    amqp_url: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    databases: list[str] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    exchanges: list[str] = field(default_factory=list)
    broker_users: list[str] = field(default_factory=list)  # made by each Stack's start
    temp_dirs: list[Path] = field(default_factory=list)

    def topology(self, label: str) -> Topology:
        topology = Topology(exchange=f"bench.{self.run_id}.{label}.events",
                            queue_prefix=f"bench.{self.run_id}.{label}.", delivery_limit=5)
        for name in SUBSCRIPTIONS:
            self.queues += [topology.queue_name(name), topology.dead_letter_queue_name(name)]
        self.exchanges += [topology.exchange, topology.dead_letter_exchange]
        self.broker_users += [topology.user_name(s) for s in SERVICES]
        return topology

    def queue(self, label: str) -> str:
        name = f"bench.{self.run_id}.{label}"
        self.queues.append(name)
        return name

    async def create_database(self, label: str) -> str:
        name = f"bench_{self.run_id}_{label}"
        conn = await asyncpg.connect(asyncpg_dsn(self.postgres_admin_url))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.databases.append(name)
        return make_url(self.postgres_admin_url).set(database=name).render_as_string(
            hide_password=False)

    def sqlite_url(self, label: str) -> str:
        if not self.temp_dirs:
            self.temp_dirs.append(Path(tempfile.mkdtemp(prefix=f"bench-{self.run_id}-")))
        return f"sqlite:///{self.temp_dirs[0] / f'{label}.db'}"

    def log_dir(self, label: str) -> Path:
        if not self.temp_dirs:
            self.temp_dirs.append(Path(tempfile.mkdtemp(prefix=f"bench-{self.run_id}-")))
        return self.temp_dirs[0] / f"logs-{label}"

    async def cleanup(self, *, keep_logs: bool = False) -> None:
        """Remove everything; a part that fails (a broker restarted under us) does not
        stop the others, and what is left is named so it can be removed by hand."""
        leftovers = []
        try:
            connection = await aio_pika.connect(self.amqp_url)
            try:
                channel = await connection.channel()
                for queue in self.queues:
                    await channel.queue_delete(queue)
                for exchange in self.exchanges:
                    await channel.exchange_delete(exchange)
            finally:
                await connection.close()
        except Exception as error:  # noqa: BLE001 - report and go on with the databases
            leftovers.append(f"queues and exchanges bench.{self.run_id}.* ({error})")
        try:
            remove(self.amqp_url, None, self.broker_users,
                   management=os.environ.get("RABBITMQ_MANAGEMENT_URL"))
        except Exception as error:  # noqa: BLE001
            leftovers.append(f"broker users bench.{self.run_id}.* ({error})")
        try:
            conn = await asyncpg.connect(asyncpg_dsn(self.postgres_admin_url))
            try:
                for name in self.databases:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()
        except Exception as error:  # noqa: BLE001
            leftovers.append(f"databases {', '.join(self.databases)} ({error})")
        if not keep_logs:
            for path in self.temp_dirs:
                shutil.rmtree(path, ignore_errors=True)
        if leftovers:
            print("bench: could not remove " + "; ".join(leftovers), file=sys.stderr)


@asynccontextmanager
async def resources():
    run = RunResources(admin_postgres_url(), amqp_url())
    try:
        yield run
    finally:
        await run.cleanup(keep_logs=bool(os.environ.get("BENCH_KEEP_LOGS")))
