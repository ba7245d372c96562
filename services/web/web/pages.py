"""What every screen needs: the session, CSRF-checked forms, rendering and redirects."""

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from web import formatting
from web.sessions import CSRF_FIELD, CSRF_HEADER, Session

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters.update(formatting.FILTERS)
TEMPLATES.env.globals["urlencode"] = urlencode


class SignInRequired(Exception):
    """No session, or one whose token expired: go to the sign-in page."""

    def __init__(self, message: str = ""):
        self.message = message


class CsrfRejected(Exception):
    pass


def current_session(request: Request) -> Session | None:
    return getattr(request.state, "session", None)


def signed_in(request: Request) -> Session:
    session = current_session(request)
    if session is None or not session.signed_in:
        expired = session is not None and session.token is not None
        raise SignInRequired("Tu sesión expiró: vuelve a ingresar." if expired else "")
    return session


SignedIn = Annotated[Session, Depends(signed_in)]


async def csrf_form(request: Request) -> FormData:
    """The POST's form, once its CSRF token matches the session's (sent as the hidden
    field, or as the X-CSRF-Token header by htmx)."""
    session = current_session(request)
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if session is None or not session.csrf_ok(sent if isinstance(sent, str) else None):
        raise CsrfRejected()
    return form


CheckedForm = Annotated[FormData, Depends(csrf_form)]


def render(request: Request, template: str, context: Mapping[str, Any] | None = None,
           status_code: int = 200, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    session = current_session(request)
    fragment = template.startswith("_")
    values = {
        "session": session,
        "csrf_token": session.csrf_token if session else "",
        "flashes": session.take_flashes() if session and not fragment else [],
        "development": request.app.state.settings.development,
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status_code,
                                      headers=dict(headers or {}))


def see_other(url: str) -> RedirectResponse:
    """After a POST: the browser GETs the page (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_redirect(request: Request, url: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return see_other(url)


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
