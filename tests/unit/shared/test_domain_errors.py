"""Domain errors: raised without HTTP, answered as the problem details they always were."""

import httpx
import pytest
from fastapi import FastAPI

from accounting.domain import errors as accounting_errors
from invoicing.domain import errors as invoicing_errors
from invoicing.domain.imports import ImportInterrupted, UnreadableFile
from shared import errors
from shared.http.problems import install_problem_handlers


def _app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def _answer(error: Exception) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(error))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/boom")


@pytest.mark.parametrize("error, status, title, kind", [
    (accounting_errors.NotFound("no company 7"), 404, "Not found", "/problems/not-found"),
    (accounting_errors.Conflict("sync 3 is open"), 409, "Conflict", "/problems/conflict"),
    (accounting_errors.Unprocessable("to before from"), 422, "Request is not valid",
     "/problems/validation-error"),
    (invoicing_errors.AlreadyExists("folio 9 exists"), 409, "Conflict", "/problems/conflict"),
    (invoicing_errors.InvalidDocument("neto < 0"), 422, "Request is not valid",
     "/problems/validation-error"),
    (invoicing_errors.InvoicingError("odd"), 400, "Bad request", "about:blank"),
    (UnreadableFile("The file is empty."), 422, "File cannot be imported",
     "/problems/unreadable-file"),
    (ImportInterrupted("3 of 9 recorded"), 503, "Import interrupted",
     "/problems/import-interrupted"),
    (errors.Forbidden("operators only"), 403, "Forbidden", "/problems/forbidden"),
])
async def test_each_kind_answers_its_status_title_and_type(error, status, title, kind):
    response = await _answer(error)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": kind, "title": title, "status": status,
                               "detail": str(error), "instance": "/boom"}


async def test_a_raise_names_its_own_title_type_and_extra_members_after_the_standard_ones():
    error = accounting_errors.Conflict("settings changed", title="Settings changed",
                                       type="/problems/stale-settings", stale=[{"version": 2}])
    response = await _answer(error)
    assert response.status_code == 409
    assert list(response.json()) == ["type", "title", "status", "detail", "instance", "stale"]
    assert response.json()["type"] == "/problems/stale-settings"
    assert response.json()["title"] == "Settings changed"
    assert response.json()["stale"] == [{"version": 2}]


def test_an_own_title_does_not_change_the_kinds():
    accounting_errors.Conflict("x", title="Cannot connect yet")
    assert accounting_errors.Conflict("y").title == "Conflict"
    assert errors.Conflict("z").type is None
