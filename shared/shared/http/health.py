"""/healthz (the process is alive, its background tasks too) and /readyz (its database and
broker are reachable)."""

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.redaction import redact_secrets

Check = Callable[[], Awaitable[None]]
Dead = Callable[[], Mapping[str, str]]

HEALTHZ_DESCRIPTION = """200 while the process serves and every background task it runs
(outbox relay, event consumer, periodic jobs) is alive; 503 naming each task that ended
and why (`tasks`), so a liveness probe restarts a process that would otherwise answer
requests while nothing consumes or publishes its events."""


class Health(BaseModel):
    status: str = Field(examples=["unhealthy"])
    tasks: dict[str, str] | None = Field(
        default=None, description="each background task that ended, with why",
        examples=[{"accounting-consumer": "RuntimeError: …"}])


def health_router(checks: dict[str, Check], dead: Dead | None = None) -> APIRouter:
    """``dead``: the background tasks that ended, each with why (shared.background)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process and its background tasks are alive",
                description=HEALTHZ_DESCRIPTION,
                responses={200: {"model": Health},
                           503: {"model": Health, "description": "A background task ended"}})
    async def healthz() -> JSONResponse:
        ended = dict(dead()) if dead is not None else {}
        if ended:
            return JSONResponse({"status": "unhealthy", "tasks": ended}, status_code=503)
        return JSONResponse({"status": "ok"})

    @router.get("/readyz", summary="The database and the broker are reachable")
    async def readyz() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as error:  # noqa: BLE001 - any failure means not ready
                # An error may quote a URL with its password: masked before anyone sees it.
                results[name] = redact_secrets(
                    f"unavailable: {error.__class__.__name__}: {error}")[:300]
        ready = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    return router
