"""Start invoicing, accounting and the worker (and, with ``web_port``, the web console) as
real processes, and stop them.

Each service with a database is migrated first (`python -m <pkg> migrate`), then started;
the stack is up when every process with a port answers /readyz (the APIs: their database
and the broker are reachable; the console: both APIs answer).

Each service connects to RabbitMQ as its own user (DESIGN.md §12). Given only an
administrator's ``amqp_url``, ``start`` first creates those users, the vhost and the
topology (deploy/local/broker.py); given ``amqp_urls``, the services use them as they are.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from deploy.local.broker import provision, vhost_of
from shared.messaging.topology import Topology

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    name: str
    package: str
    command: list[str]
    env: dict[str, str]
    port: int | None = None
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    log_file: IO[bytes] | None = None
    migrates: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Stack:
    invoicing_database_url: str
    accounting_database_url: str
    amqp_url: str
    invoicing_port: int = 8001
    accounting_port: int = 8002
    exchange: str | None = None
    queue_prefix: str | None = None
    log_dir: Path | None = None  # None: the services log to this terminal
    web_port: int | None = None  # the web console (services/web), when set
    extra_env: dict[str, str] = field(default_factory=dict)
    amqp_urls: dict[str, str] | None = None  # service → its own AMQP URL
    vhost: str | None = None  # where start() makes the users; None: amqp_url's vhost
    # Worker processes sharing the worker queue, as replicas in a cluster do: the first is
    # "integration-worker", the others "integration-worker-2" and on (each its own log and
    # a free port for its operator endpoints).
    workers: int = 1
    services: list[Service] = field(init=False)

    def __post_init__(self) -> None:
        common = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
        common.update({"AMQP_URL": self.amqp_url, "PYTHONUNBUFFERED": "1", **self.extra_env})
        if self.log_dir is None:  # a person reads the terminal: lines, not JSON
            common.setdefault("LOG_FORMAT", "text")
        if self.exchange:
            common["EVENT_EXCHANGE"] = self.exchange
        if self.queue_prefix:
            common["QUEUE_PREFIX"] = self.queue_prefix
        py = sys.executable
        self.services = [
            Service("invoicing", "invoicing",
                    [py, "-m", "invoicing", "serve", "--port", str(self.invoicing_port)],
                    {**common, "DATABASE_URL": self.invoicing_database_url},
                    self.invoicing_port),
            Service("accounting", "accounting",
                    [py, "-m", "accounting", "serve", "--port", str(self.accounting_port)],
                    {**common, "DATABASE_URL": self.accounting_database_url},
                    self.accounting_port),
        ]
        worker_env = {**common, "ACCOUNTING_URL": f"http://127.0.0.1:{self.accounting_port}"}
        for number in range(1, self.workers + 1):
            self.services.append(Service(
                "integration-worker" if number == 1 else f"integration-worker-{number}",
                "integration_worker", [py, "-m", "integration_worker", "run"],
                worker_env if number == 1 else {**worker_env, "WORKER_HTTP_PORT": "0"}))
        if self.web_port is not None:
            self.services.append(Service(
                "web", "web", [py, "-m", "web", "serve", "--port", str(self.web_port)],
                # The console talks to the APIs only: it gets no broker credentials.
                {**{k: v for k, v in common.items() if k != "AMQP_URL"},
                 "INVOICING_URL": self.invoicing_url,
                 "ACCOUNTING_URL": self.accounting_url},
                self.web_port, migrates=False))

    @property
    def topology(self) -> Topology:
        defaults = Topology()
        return Topology(self.exchange or defaults.exchange,
                        self.queue_prefix or defaults.queue_prefix,
                        int(self.extra_env.get("DELIVERY_LIMIT", defaults.delivery_limit)))

    def create_broker_users(self) -> dict[str, str]:
        """Each service's AMQP URL: made now (the users, in their vhost) unless given."""
        if self.amqp_urls is None:
            vhost = self.vhost or vhost_of(self.amqp_url)
            self.amqp_urls = provision(self.amqp_url, self.topology, vhost,
                                       management=os.environ.get("RABBITMQ_MANAGEMENT_URL")).urls
        for service in self.services:
            # Worker replicas share the worker's user; the web console uses no broker.
            user = "integration-worker" if service.package == "integration_worker" \
                else service.name
            if user in self.amqp_urls:
                service.env["AMQP_URL"] = self.amqp_urls[user]
        return self.amqp_urls

    @property
    def invoicing_url(self) -> str:
        return self.services[0].url

    @property
    def accounting_url(self) -> str:
        return self.services[1].url

    @property
    def web_url(self) -> str | None:
        return f"http://127.0.0.1:{self.web_port}" if self.web_port is not None else None

    def migrate(self) -> None:
        for service in {s.package: s for s in self.services if s.migrates}.values():
            result = subprocess.run(
                [sys.executable, "-m", service.package, "migrate"],
                env=service.env, cwd=REPO, capture_output=True, text=True, timeout=120,
            )
            if result.returncode != 0:
                raise RuntimeError(
                    f"migrating {service.name} failed:\n{result.stdout}\n{result.stderr}"
                )

    def start(self, timeout: float = 60.0) -> None:
        self.create_broker_users()
        for service in self.services:
            if self.log_dir is not None:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                service.log_path = self.log_dir / f"{service.name}.log"
                service.log_file = service.log_path.open("ab")
            service.process = subprocess.Popen(
                service.command, env=service.env, cwd=REPO, stdout=service.log_file,
                stderr=subprocess.STDOUT if service.log_file else None,
            )
        try:
            self._wait_ready(timeout)
        except Exception:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = [s for s in self.services if s.port is not None]
        while pending:
            for service in self.services:
                if service.process and service.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited early.\n{self.log_tail(service)}")
            for service in list(pending):
                try:
                    if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                        pending.remove(service)
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                tails = "\n".join(self.log_tail(s) for s in pending)
                raise RuntimeError(f"{names} not ready after {timeout:.0f}s.\n{tails}")
            time.sleep(0.2)

    def log_tail(self, service: Service, lines: int = 40) -> str:
        if service.log_path is None or not service.log_path.exists():
            return ""
        text = service.log_path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- {service.name} log ---\n" + "\n".join(text)

    def exited(self) -> Service | None:
        """A service that has stopped by itself, if any."""
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service
        return None

    def stop(self, timeout: float = 15.0) -> None:
        running = [s.process for s in self.services if s.process and s.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for service in self.services:
            if service.log_file is not None:
                service.log_file.close()
                service.log_file = None

    def __enter__(self) -> "Stack":
        self.migrate()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
