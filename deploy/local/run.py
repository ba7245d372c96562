"""`make run`: migrate, then run invoicing (:8001), accounting (:8002), the worker and the
web console (:8000, WEB_PORT) in the foreground until Ctrl-C or SIGTERM, which stops them
all.

Databases: INVOICING_DATABASE_URL and ACCOUNTING_DATABASE_URL, SQLite files under var/
by default. Broker: AMQP_URL, an administrator's URL (default
amqp://guest:guest@localhost:5672/, the local broker's default administrator). With it,
`make run` creates the vhost `dte` and one user per service with fresh passwords
(deploy/local/broker.py); each service connects as its own user, never as AMQP_URL's.
"""

import os
import signal
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from deploy.local.broker import BrokerSetupError
from deploy.local.stack import REPO, Stack
from shared.redaction import redact_url

DEFAULT_AMQP = "amqp://guest:guest@localhost:5672/"
VHOST = "dte"  # the services' users and queues live here, as in production


def broker_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or 5672), 3):
            return True
    except OSError:
        return False


def stack_from_environment(data_dir: Path = REPO / "var", **overrides) -> Stack:
    """The stack as configured by the environment, on SQLite files in data_dir by default."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return Stack(
        invoicing_database_url=os.environ.get(
            "INVOICING_DATABASE_URL", f"sqlite:///{data_dir / 'invoicing.db'}"),
        accounting_database_url=os.environ.get(
            "ACCOUNTING_DATABASE_URL", f"sqlite:///{data_dir / 'accounting.db'}"),
        amqp_url=os.environ.get("AMQP_URL", DEFAULT_AMQP),
        vhost=VHOST,
        **overrides,
    )


def create_broker_users(stack: Stack) -> bool:
    """The services' broker users, or a message saying why they cannot be made."""
    try:
        stack.create_broker_users()
    except BrokerSetupError as error:
        print(f"Cannot start: each service needs a RabbitMQ user of its own, and {error}",
              file=sys.stderr)
        return False
    return True


def main() -> int:
    stack = stack_from_environment(web_port=int(os.environ.get("WEB_PORT", "8000")))
    if not broker_reachable(stack.amqp_url):
        print(f"RabbitMQ is not reachable at {redact_url(stack.amqp_url)}. Start it "
              "(`rabbitmq-server -detached`, or `docker compose up -d rabbitmq`) or set AMQP_URL.",
              file=sys.stderr)
        return 1
    stop = False

    def request_stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    if not create_broker_users(stack):
        return 1
    stack.migrate()
    stack.start()
    print(f"console    {stack.web_url}/  (open it in a browser)\n"
          f"invoicing  {stack.invoicing_url}/docs\naccounting {stack.accounting_url}/docs\n"
          f"worker     running\nbroker     vhost {VHOST}, one user per service\n"
          "Ctrl-C stops them all.", flush=True)
    code = 0
    while not stop:
        if (dead := stack.exited()) is not None:
            print(f"{dead.name} stopped unexpectedly; stopping the others.", file=sys.stderr)
            code = 1
            break
        time.sleep(0.3)
    stack.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
