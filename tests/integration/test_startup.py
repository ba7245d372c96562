"""The services' commands as an operator runs them (issue 11, items 2 and 7): on the public
development secret without ENVIRONMENT=development they refuse to start with one readable
line; a bad setting is one line too; and what they log on the way holds no password.

No PostgreSQL or RabbitMQ is needed: each process stops before it would reach them, or
fails to reach a broker that is not there."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMMANDS = {"invoicing": ["invoicing", "serve"], "accounting": ["accounting", "serve"],
            "integration-worker": ["integration_worker", "run"]}
SECRET_NAMES = ("ENVIRONMENT", "AUTH_SECRET", "WORKER_SERVICE_SECRET", "AUTH_ALGORITHM",
                "AUTH_PUBLIC_KEY", "DATABASE_URL", "AMQP_URL", "DB_POOL_SIZE")


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES}
    return subprocess.run([sys.executable, "-m", *args], env={**base, **env}, cwd=REPO,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("service", sorted(COMMANDS))
def test_it_refuses_the_development_secret_outside_development(service):
    result = run(COMMANDS[service])  # no AUTH_SECRET: the development one; no ENVIRONMENT
    assert result.returncode != 0
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"python -m {COMMANDS[service][0]}: ")
    assert "AUTH_SECRET" in line and "ENVIRONMENT=development" in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("service", ["accounting", "integration-worker"])
def test_it_refuses_the_example_placeholder(service):
    result = run(COMMANDS[service], AUTH_SECRET="change-me-to-32-random-bytes-hex",
                 WORKER_SERVICE_SECRET="0123456789abcdef0123456789abcdef-own")
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert "AUTH_SECRET: refusing to start" in line


def test_a_bad_setting_is_one_line_naming_the_variable_and_the_rule():
    result = run(COMMANDS["accounting"], ENVIRONMENT="development", DB_POOL_SIZE="many",
                 AUTH_SECRET="short-and-secret")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "DB_POOL_SIZE: Input should be a valid integer" in line
    assert "AUTH_SECRET: String should have at least 32 characters" in line
    assert "short-and-secret" not in line
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr
    keyless = run(COMMANDS["invoicing"], ENVIRONMENT="development", AUTH_ALGORITHM="RS256")
    assert keyless.returncode == 2
    (line,) = keyless.stderr.splitlines()
    assert line.endswith("AUTH_PUBLIC_KEY: AUTH_ALGORITHM=RS256 verifies with the issuer's "
                         "public key; set it to the key's PEM")


def test_migrate_needs_no_secret():
    # The migration Jobs get only their database URL; a bad one is still one readable line.
    result = run(["accounting", "migrate"], DB_POOL_SIZE="0")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("DB_POOL_SIZE: Input should be greater than or "
                                          "equal to 1")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_what_a_starting_process_logs_holds_no_password():
    """The worker in development, pointed at a broker that is not there with a password in
    its URL: it logs its start, fails to connect, and dies with a traceback; none of that
    shows the password."""
    password, other = "Sup3r-Secret-pw", "An0ther-pw"
    result = run(COMMANDS["integration-worker"], ENVIRONMENT="development",
                 AMQP_URL=f"amqp://worker:{password}@127.0.0.1:{closed_port()}/",
                 ACCOUNTING_URL=f"http://svc:{other}@127.0.0.1:{closed_port()}",
                 WORKER_HTTP_PORT="0", LOG_FORMAT="text")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "starting in development: broker amqp://worker:***@127.0.0.1:" in output
    assert "ENVIRONMENT=development: AUTH_SECRET and WORKER_SERVICE_SECRET are public" in output
    # It did get as far as the broker (uvloop says "Connection refused", asyncio's own loop
    # "Connect call failed").
    assert re.search(r"Connection refused|Connect call failed", output)
    assert password not in output and other not in output
