"""`make run`: migrate, then run invoicing (:8001), accounting (:8002) and the worker in
the foreground until Ctrl-C or SIGTERM, which stops all three.

Databases: INVOICING_DATABASE_URL and ACCOUNTING_DATABASE_URL, SQLite files under var/
by default. Broker: AMQP_URL (default amqp://guest:guest@localhost:5672/).
"""

import os
import signal
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from deploy.local.stack import REPO, Stack
from shared.redaction import redact_url

DEFAULT_AMQP = "amqp://guest:guest@localhost:5672/"


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
        **overrides,
    )


def main() -> int:
    stack = stack_from_environment()
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
    stack.migrate()
    stack.start()
    print(f"invoicing  {stack.invoicing_url}/docs\naccounting {stack.accounting_url}/docs\n"
          "worker     running\nCtrl-C stops all three.", flush=True)
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
