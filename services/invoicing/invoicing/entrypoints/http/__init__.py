from fastapi import Depends, FastAPI

from invoicing.entrypoints.http import companies, documents, imports, integration, payments
from invoicing.entrypoints.http.access import company_in_scope
from shared.http.health import health_router
from shared.http.problems import install_problem_handlers


def install_routes(app: FastAPI, container) -> None:
    install_problem_handlers(app)  # invoicing.domain.errors are shared.errors kinds

    app.include_router(health_router({"database": container.check_database,
                                      "broker": container.check_broker},
                                     dead=container.dead))
    app.state.tokens = container.settings.token_verifier
    scoped = [Depends(company_in_scope)]
    for module in (companies, documents, integration, imports, payments):
        app.include_router(module.router, dependencies=scoped)
