"""Sign-in and sign-out, and the home page.

Development (ENVIRONMENT=development, or the services' development secret): the person
chooses the contract holder RUTs (Contabilidad) and company RUTs (Factura Electrónica)
and the console mints the token, as `make token` does. Otherwise the person pastes the
bearer token the identity provider gave them. Either way the token stays in the
server-side session."""

import time

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.http.auth import mint_token
from shared.rut import InvalidRut, canonical_rut
from web.api import ApiError
from web.pages import CheckedForm, SignedIn, current_session, form_text, render, see_other
from web.ruts import ruts_in

router = APIRouter()

TOKEN_HOURS = 8


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/ingresar")
async def sign_in_page(request: Request, siguiente: str = "", expirada: str = "") -> Response:
    session = current_session(request)
    if session is None:
        session = request.app.state.sessions.new()  # anonymous: it carries the CSRF token
        request.state.session = session
    elif session.signed_in and not expirada:
        return see_other(_safe_next(siguiente))
    if expirada:
        session.flash("Tu sesión expiró: vuelve a ingresar.", "error")
    return render(request, "signin.html", {"next": _safe_next(siguiente), "errors": {},
                                           "values": {}})


@router.post("/ingresar")
async def sign_in(request: Request, form: CheckedForm) -> Response:
    settings = request.app.state.settings
    target = _safe_next(form_text(form, "siguiente"))
    errors: dict[str, str] = {}
    values = {k: form_text(form, k) for k in ("contratos", "empresas", "usuario")}
    if settings.development:
        contracts, bad_contracts = ruts_in(values["contratos"])
        companies, bad_companies = ruts_in(values["empresas"])
        if bad_contracts:
            errors["contratos"] = " ".join(bad_contracts)
        if bad_companies:
            errors["empresas"] = " ".join(bad_companies)
        if not errors and not contracts and not companies:
            errors["contratos"] = ("Indica al menos un RUT: el del titular del contrato de "
                                   "Contabilidad o el de una empresa de Factura Electrónica.")
        user = values["usuario"] or "desarrollo"
        if errors:
            return render(request, "signin.html", {"next": target, "errors": errors,
                                                   "values": values}, status_code=422)
        token = mint_token(settings.auth_secret, user, contracts=contracts,
                           companies=companies, ttl_seconds=TOKEN_HOURS * 3600)
        expires_at: float | None = time.time() + TOKEN_HOURS * 3600
    else:
        token = form_text(form, "token").removeprefix("Bearer ").strip()
        try:
            # Read, not verified: the APIs verify it on every call; the console only needs
            # to know which RUTs to offer.
            claims = jwt.decode(token, options={"verify_signature": False})
            contracts = [canonical_rut(r) for r in claims.get("contracts") or []]
            companies = [canonical_rut(r) for r in claims.get("companies") or []]
            user = str(claims.get("sub") or "")
            expires_at = float(claims["exp"]) if "exp" in claims else None
        except (jwt.InvalidTokenError, InvalidRut, TypeError, ValueError):
            errors["token"] = ("No es un token válido: pega el token (JWT) que te entregó el "
                               "proveedor de identidad.")
            return render(request, "signin.html", {"next": target, "errors": errors,
                                                   "values": {}}, status_code=422)
        if expires_at is not None and expires_at <= time.time():
            errors["token"] = "Ese token ya expiró: pide uno nuevo."
            return render(request, "signin.html", {"next": target, "errors": errors,
                                                   "values": {}}, status_code=422)
    session = request.app.state.sessions.sign_in(
        current_session(request), token=token, user=user, contracts=contracts,
        companies=companies, expires_at=expires_at)
    request.state.session = session
    return see_other(target)


@router.post("/salir")
async def sign_out(request: Request, form: CheckedForm) -> Response:
    session = current_session(request)
    if session is not None:
        request.app.state.sessions.drop(session.id)
    request.state.session = None
    return see_other("/ingresar")


@router.get("/")
async def home(request: Request, session: SignedIn) -> Response:
    api = request.app.state.api
    companies = []
    for rut in session.companies:
        try:
            company = await api.company(session.token, rut)
            status = await api.integration_status(session.token, rut)
            companies.append({"rut": rut, "name": company["name"], "integration": status})
        except ApiError as error:  # one missing company does not hide the rest
            if error.status == 401:
                raise
            companies.append({"rut": rut, "name": None, "problem": _why(error)})
    contracts = []
    for rut in session.contracts:
        try:
            contract = await api.contract(session.token, rut)
            found = await api.contract_companies(session.token, rut)
            requests = await api.integration_requests(session.token, rut)
            open_requests = [r for r in requests if r["status"] in ("pending", "conflict")]
            contracts.append({"rut": rut, "name": contract["name"],
                              "companies": [c for c in found if c["status"] != "deleted"],
                              "open_requests": len(open_requests)})
        except ApiError as error:
            if error.status == 401:
                raise
            contracts.append({"rut": rut, "name": None, "problem": _why(error)})
    return render(request, "home.html", {"companies": companies, "contracts": contracts})


def _why(error: ApiError) -> str:
    if error.status == 404:
        return "no existe, o tu usuario no tiene acceso"
    return str(error)
