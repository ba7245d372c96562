"""The worker's small HTTP server for operators and probes: /healthz, /readyz, /metrics
and its dead letters. It runs inside `python -m integration_worker run`, beside the consumer."""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import httpx
import uvicorn
from fastapi import Depends, FastAPI

from integration_worker.config import CONSUMER_NAME, Settings
from shared.http.auth import operator_principal
from shared.http.dead_letters import dead_letters_router
from shared.http.health import Dead, health_router
from shared.http.problems import install_problem_handlers
from shared.http.query_params import install_single_query_parameters
from shared.messaging import Consumer
from shared.messaging.dead_letters import DeadLetters
from shared.observability.http import install_observability

log = logging.getLogger(__name__)


def build_http_app(settings: Settings, consumer: Consumer, *, dead: Dead | None = None
                   ) -> FastAPI:
    """``dead``: the worker's background tasks that ended (its Runtime's), for /healthz."""

    async def broker_check() -> None:
        await consumer.check()

    async def accounting_check() -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:
            response = await client.get(settings.accounting_url.rstrip("/") + "/healthz")
            response.raise_for_status()

    app = FastAPI(title="Integration worker", version="1.0.0",
                  summary="Health of the worker and the messages it dead-lettered.")
    app.state.tokens = settings.token_verifier
    install_problem_handlers(app)
    install_single_query_parameters(app)
    app.include_router(health_router({"broker": broker_check, "accounting": accounting_check},
                                     dead=dead))
    letters = DeadLetters(settings.amqp_url, settings.topology, CONSUMER_NAME)
    app.include_router(dead_letters_router(letters,
                                           dependencies=[Depends(operator_principal)]))
    install_observability(app)
    return app


class _Server(uvicorn.Server):
    # The worker's CLI owns SIGTERM/SIGINT (it stops the consumer first); uvicorn must
    # not replace those handlers.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def serve(app: FastAPI, host: str, port: int, stop: asyncio.Event,
                log_level: str = "info") -> None:
    """Serve until ``stop`` is set. A port already taken is logged, not fatal: the
    consumer keeps working without its operator endpoints."""
    try:
        sock = _bind(host, port)
    except OSError as error:
        log.error("the worker's HTTP server cannot listen on %s:%d (%s); set WORKER_HTTP_PORT "
                  "to a free port. Consuming continues without it.", host, port, error)
        return
    log.info("worker HTTP (health, dead letters) on http://%s:%d", host,
             sock.getsockname()[1])
    server = _Server(uvicorn.Config(app, lifespan="off", log_level=log_level.lower(),
                                    access_log=False, log_config=None))
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"{CONSUMER_NAME}-http")
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)
        sock.close()
