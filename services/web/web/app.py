"""The console's ASGI application: sessions, security headers, errors, the screens."""

from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from web.api import Api, ApiError, Unavailable
from web.config import Settings
from web.pages import CsrfRejected, SignInRequired, current_session, render, see_other
from web.sessions import COOKIE_NAME, SessionStore

STATIC = Path(__file__).parent / "static"

# No inline script or style anywhere: what runs is the console's own files.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def create_app(settings: Settings | None = None, *,
               transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await app.state.api.close()

    app = FastAPI(title="Consola Factura Electrónica y Contabilidad", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = SessionStore(settings.session_idle_minutes * 60, settings.max_sessions)
    app.state.api = Api(settings.invoicing_url, settings.accounting_url,
                        timeout=settings.api_timeout_seconds, transport=transport)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def sessions_and_headers(request: Request, call_next):
        store: SessionStore = request.app.state.sessions
        request.state.session = store.get(request.cookies.get(COOKIE_NAME))
        request.state.cookie_session = request.state.session
        response: Response = await call_next(request)
        session = request.state.session
        if session is not request.state.cookie_session:
            if session is None:
                response.delete_cookie(COOKIE_NAME, path="/")
            else:
                response.set_cookie(COOKIE_NAME, session.id, httponly=True, samesite="lax",
                                    secure=settings.secure_cookie, path="/")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        session = current_session(request)
        if session is not None and session.token is not None:  # expired: start over
            request.app.state.sessions.drop(session.id)
            request.state.session = None
        target = "/ingresar" + (f"?siguiente={request.url.path}" if request.method == "GET"
                                and request.url.path not in ("/", "/ingresar") else "")
        if exc.message:
            target += ("&" if "?" in target else "?") + "expirada=1"
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return see_other(target)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return render(request, "error.html", {
            "title": "Formulario vencido",
            "message": "El formulario no traía la clave de seguridad de esta sesión (puede "
                       "haber expirado, o venir de otra página). Vuelve a la página, recárgala "
                       "e inténtalo de nuevo."}, status_code=403)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if exc.status == 401:
            session = current_session(request)
            if session is not None:
                request.app.state.sessions.drop(session.id)
                request.state.session = None
            return see_other("/ingresar?expirada=1")
        if exc.status == 404:
            return render(request, "error.html", {
                "title": "No encontrado",
                "message": "Lo que buscas no existe, o tu usuario no tiene acceso a ello."},
                status_code=404)
        if isinstance(exc, Unavailable):
            return render(request, "error.html", {"title": "Servicio no disponible",
                                                  "message": exc.detail}, status_code=503)
        return render(request, "error.html", {
            "title": "No se pudo completar la acción",
            "message": "El servicio respondió:", "detail": exc.detail},
            status_code=exc.status if 400 <= exc.status < 600 else 502)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        found = await request.app.state.api.ready()
        return JSONResponse({"status": "ok" if all(found.values()) else "unavailable",
                             **found}, status_code=200 if all(found.values()) else 503)

    from web.routes import accounting, books, invoicing, remembered, review, signin

    for module in (signin, invoicing, accounting, review, books, remembered):
        app.include_router(module.router)
    return app
