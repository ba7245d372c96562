from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from invoicing.domain import errors
from invoicing.domain.imports import ImportInterrupted, UnreadableFile
from invoicing.entrypoints.http import companies, documents, imports, integration, payments
from invoicing.entrypoints.http.access import company_in_scope
from shared.http.health import health_router
from shared.http.problems import install_problem_handlers, problem_response

_PROBLEMS = {
    errors.NotFound: (404, "Not found", "/problems/not-found"),
    errors.AlreadyExists: (409, "Conflict", "/problems/conflict"),
    errors.InvalidDocument: (422, "Request is not valid", "/problems/validation-error"),
    UnreadableFile: (422, "File cannot be imported", "/problems/unreadable-file"),
    ImportInterrupted: (503, "Import interrupted", "/problems/import-interrupted"),
}


def install_routes(app: FastAPI, container) -> None:
    install_problem_handlers(app)

    @app.exception_handler(errors.InvoicingError)
    async def _domain_error(request: Request, exc: errors.InvoicingError) -> JSONResponse:
        status, title, kind = _PROBLEMS.get(type(exc), (400, "Bad request", "about:blank"))
        return problem_response(status, title, exc.detail, type=kind,
                                instance=request.url.path, **exc.extra)

    app.include_router(health_router({"database": container.check_database,
                                      "broker": container.check_broker}))
    app.state.tokens = container.settings.token_verifier
    scoped = [Depends(company_in_scope)]
    for module in (companies, documents, integration, imports, payments):
        app.include_router(module.router, dependencies=scoped)
