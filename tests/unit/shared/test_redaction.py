"""No secret in a log line, an error or a health answer (issue 11, item 7): URLs are shown
with their password masked, by ``redact_url`` where we hold one and by the log handler and
/readyz for whatever a library puts in its messages."""

import logging

import httpx
import pytest
from fastapi import FastAPI

from accounting.config import Settings as AccountingSettings
from shared.http.health import health_router
from shared.logs import configure_logging
from shared.observability.logging import _OurHandler
from shared.redaction import redact_secrets, redact_url
from shared.settings import log_startup

PASSWORD = "hunter2-Pa55"


@pytest.mark.parametrize("url, shown", [
    (f"amqp://accounting:{PASSWORD}@rabbitmq:5672/dte", "amqp://accounting:***@rabbitmq:5672/dte"),
    (f"postgresql://acc:{PASSWORD}@db:5432/accounting?sslmode=require",
     "postgresql://acc:***@db:5432/accounting?sslmode=require"),
    ("postgresql+asyncpg://acc:p@ss:word@db/accounting", "postgresql+asyncpg://acc:***@db/accounting"),
    ("postgresql://acc@db/accounting", "postgresql://acc@db/accounting"),
    ("sqlite:///var/accounting.db", "sqlite:///var/accounting.db"),
    ("http://127.0.0.1:8002", "http://127.0.0.1:8002"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_redact_secrets_masks_every_url_in_a_text():
    text = f"cannot reach amqp://a:{PASSWORD}@h/ nor postgresql://b:{PASSWORD}@d:1/x; giving up"
    assert redact_secrets(text) == ("cannot reach amqp://a:***@h/ nor "
                                    "postgresql://b:***@d:1/x; giving up")


@pytest.fixture
def our_logging():
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_startup_with_password_bearing_urls_logs_no_password(capsys, our_logging, fmt):
    settings = AccountingSettings(amqp_url=f"amqp://accounting:{PASSWORD}@rabbitmq:5672/",
                                  database_url=f"postgresql://acc:{PASSWORD}@db:5432/acc",
                                  environment="development")
    configure_logging("INFO", fmt=fmt, service="accounting")
    log = logging.getLogger("accounting")
    log_startup(log, settings, "a warning", database=settings.database_url)
    # What a library might say, in a message or in a traceback.
    log.error("connection to %s lost", settings.amqp_url)
    try:
        raise ConnectionError(f"cannot connect to {settings.database_url}")
    except ConnectionError:
        log.exception("database down")
    logged = capsys.readouterr().err
    assert "amqp://accounting:***@rabbitmq:5672/" in logged
    assert "postgresql://acc:***@db:5432/acc" in logged
    assert "database down" in logged and "cannot connect to postgresql://acc:***@" in logged
    assert PASSWORD not in logged


async def test_readyz_does_not_show_a_password_an_error_carries():
    async def broker() -> None:
        raise ConnectionError(f"is RabbitMQ reachable at amqp://u:{PASSWORD}@rabbitmq:5672/?")

    app = FastAPI()
    app.include_router(health_router({"broker": broker}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t") as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "amqp://u:***@rabbitmq:5672/" in response.json()["checks"]["broker"]
    assert PASSWORD not in response.text
