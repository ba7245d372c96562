"""The console's own behaviour with the APIs replaced by a fake transport: sessions and
cookies, CSRF on every form, sign-in in both modes, where API messages are shown."""

import json
import re

import httpx
import jwt
import pytest
from fastapi.routing import APIRoute

from shared.http.auth import DEVELOPMENT_SECRET, TokenVerifier
from web.app import create_app
from web.config import Settings
from web.routes import accounting, books, invoicing, remembered, review, signin
from web.routes.accounting import missing_steps
from web.sessions import COOKIE_NAME

CONTRACT, COMPANY_RUT, COMPANY_ID = "78000000-7", "76354771-K", "c-1"
CHART = [
    {"code": "110102", "name": "Banco", "type": "asset", "postable": True, "auxiliary": False,
     "active": True},
    {"code": "110310", "name": "Clientes", "type": "asset", "postable": True,
     "auxiliary": True, "active": True},
    {"code": "3101", "name": "Ventas", "type": "income", "postable": False,
     "auxiliary": False, "active": True},
    {"code": "310115", "name": "Ventas de Productos", "type": "income", "postable": True,
     "auxiliary": False, "active": True},
    {"code": "310199", "name": "Ventas Antiguas", "type": "income", "postable": True,
     "auxiliary": False, "active": False},
]
EMPTY_SETTINGS = {"sales": {"auxiliary_account": None, "detail_account": None},
                  "purchases": {"auxiliary_account": None, "detail_account": None},
                  "payments_account": None, "collections_account": None, "auto_post": False,
                  "other_tax_accounts": {"24": "210720"}, "missing": ["x", "x", "x", "x"]}


class FakeApis:
    """Both services: answers by method and path; records every call."""

    def __init__(self):
        self.calls: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], tuple[int, object]] = {
            ("GET", f"/v1/companies/{COMPANY_ID}"): (200, {
                "id": COMPANY_ID, "contract_rut": CONTRACT, "rut": COMPANY_RUT,
                "name": "Ferretería", "status": "active"}),
            ("GET", f"/v1/companies/{COMPANY_ID}/settings/invoice-integration"):
                (200, EMPTY_SETTINGS),
            ("GET", f"/v1/companies/{COMPANY_ID}/accounts"): (200, CHART),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        status, body = self.answers.get((request.method, request.url.path), (404, {
            "title": "Not found", "status": 404, "detail": "nothing here"}))
        return httpx.Response(status, json=body)


@pytest.fixture
def fake():
    return FakeApis()


def make_client(fake, **settings) -> httpx.AsyncClient:
    app = create_app(Settings(**settings), transport=httpx.MockTransport(fake))
    scheme = "http" if app.state.settings.development else "https"  # Secure cookies
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url=f"{scheme}://console.test", follow_redirects=False)
    client.app = app
    return client


@pytest.fixture
async def client(fake):
    async with make_client(fake, environment="development") as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def sign_in(client: httpx.AsyncClient, **fields) -> None:
    token = csrf_of((await client.get("/ingresar")).text)
    answer = await client.post("/ingresar", data={"csrf_token": token, "contratos": CONTRACT,
                                            "empresas": COMPANY_RUT, **fields})
    assert answer.status_code == 303, answer.text


async def test_without_a_session_every_screen_sends_to_sign_in(client):
    answer = await client.get(f"/contabilidad/empresas/{COMPANY_ID}/integraciones")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/ingresar?siguiente=/contabilidad/")


async def test_the_session_cookie_is_http_only_and_same_site_lax(client):
    answer = await client.get("/ingresar")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # development over plain HTTP
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"


async def test_outside_development_the_cookie_is_secure(fake):
    async with make_client(fake, environment="production", auth_secret="x" * 40) as client:
        assert "Secure" in (await client.get("/ingresar")).headers["set-cookie"]


async def test_signing_in_mints_a_token_kept_on_the_server_under_a_new_session_id(client):
    first = await client.get("/ingresar")
    anonymous = first.cookies[COOKIE_NAME]
    answer = await client.post("/ingresar", data={"csrf_token": csrf_of(first.text),
                                            "contratos": "78.000.000-7",
                                            "empresas": "76354771-k", "usuario": "ana"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    signed = answer.cookies[COOKIE_NAME]
    assert signed != anonymous
    assert "eyJ" not in answer.headers["set-cookie"]  # the cookie holds no token
    session = client.app.state.sessions.get(signed)
    principal = TokenVerifier(DEVELOPMENT_SECRET).verify(session.token)
    assert principal.sub == "ana"
    assert principal.contracts == {CONTRACT} and principal.companies == {COMPANY_RUT}
    assert client.app.state.sessions.get(anonymous) is None


async def test_a_bad_rut_at_sign_in_is_explained_next_to_its_field(client):
    token = csrf_of((await client.get("/ingresar")).text)
    answer = await client.post("/ingresar", data={"csrf_token": token, "contratos": "78000000-8"})
    assert answer.status_code == 422
    assert 'id="contratos-error"' in answer.text and "debería ser 7" in answer.text


async def test_a_post_without_the_sessions_csrf_token_is_refused(client, fake):
    token = csrf_of((await client.get("/ingresar")).text)
    refused = await client.post("/ingresar", data={"csrf_token": token[::-1],
                                                   "contratos": CONTRACT})
    assert refused.status_code == 403 and "Formulario vencido" in refused.text
    assert (await client.post("/ingresar", data={"contratos": CONTRACT})).status_code == 403


def _post_routes():
    for module in (signin, invoicing, accounting, review, books, remembered):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and "POST" in route.methods:
                yield route


async def test_every_form_of_the_console_is_checked_against_csrf(client, fake):
    await sign_in(client)
    routes = list(_post_routes())
    assert len(routes) >= 10
    calls_before = len(fake.calls)
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "x", route.path)
        answer = await client.post(path, data={"csrf_token": "forged", "company_id": "c"})
        assert answer.status_code == 403, route.path
        answer = await client.post(path, data={"company_id": "c"}, headers={"X-CSRF-Token": ""})
        assert answer.status_code == 403, route.path
    assert len(fake.calls) == calls_before  # nothing reached an API


async def test_htmx_sends_the_csrf_token_as_a_header(client, fake):
    await sign_in(client)
    page = await client.get("/")
    header = re.search(r"hx-headers='(\{[^']+\})'", page.text).group(1)
    token = json.loads(header)["X-CSRF-Token"]
    fake.answers[("POST", f"/v1/companies/{COMPANY_ID}/hide")] = (200, {
        "id": COMPANY_ID, "contract_rut": CONTRACT, "rut": COMPANY_RUT, "name": "Ferretería",
        "status": "hidden"})
    answer = await client.post(f"/contabilidad/{CONTRACT}/empresas/{COMPANY_ID}/ocultar",
                         headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert answer.status_code == 303


async def test_the_api_is_called_with_the_sessions_bearer_token(client, fake):
    await sign_in(client)
    await client.get(f"/contabilidad/empresas/{COMPANY_ID}/configuracion")
    sent = {r.headers.get("authorization") for r in fake.calls}
    assert len(sent) == 1 and next(iter(sent)).startswith("Bearer ey")


async def test_sign_out_forgets_the_session(client):
    await sign_in(client)
    token = csrf_of((await client.get("/")).text)
    assert (await client.post("/salir", data={"csrf_token": token})).status_code == 303
    assert (await client.get("/")).status_code == 303


async def test_when_the_api_says_401_the_person_signs_in_again(client, fake):
    await sign_in(client)
    fake.answers[("GET", f"/v1/companies/{COMPANY_ID}")] = (401, {
        "title": "Not authenticated", "status": 401, "detail": "expired"})
    answer = await client.get(f"/contabilidad/empresas/{COMPANY_ID}/integraciones")
    assert answer.status_code == 303 and answer.headers["location"] == "/ingresar?expirada=1"
    assert (await client.get("/")).status_code == 303


async def test_outside_development_the_person_pastes_the_identity_providers_token(fake):
    secret = "y" * 40
    async with make_client(fake, environment="production", auth_secret=secret) as client:
        page = await client.get("/ingresar")
        assert 'name="token"' in page.text and 'name="contratos"' not in page.text
        token = jwt.encode({"sub": "ana", "exp": 4_000_000_000, "contracts": ["78.000.000-7"],
                            "companies": []}, "the identity provider's own signing key",
                           algorithm="HS256")
        answer = await client.post("/ingresar", data={"csrf_token": csrf_of(page.text),
                                                "token": f"Bearer {token}"})
        assert answer.status_code == 303
        session = client.app.state.sessions.get(answer.cookies[COOKIE_NAME])
        assert session.token == token and session.contracts == (CONTRACT,)
        bad = await client.post("/ingresar", data={"csrf_token": session.csrf_token,
                                             "token": "no-es-un-token"})
        assert bad.status_code == 422 and "No es un token válido" in bad.text


def test_only_an_explicit_development_environment_means_development_mode():
    # The test run itself sets ENVIRONMENT=development: say "production" here explicitly.
    assert not Settings(environment="production").development
    assert not Settings(environment="production", auth_secret="z" * 40).development
    assert Settings(auth_secret="z" * 40, environment="development").development
    assert not Settings(environment="production").development


async def test_the_drop_downs_offer_only_accounts_that_fit_the_role(client):
    await sign_in(client)
    page = (await client.get(f"/contabilidad/empresas/{COMPANY_ID}/configuracion?editar=1")).text
    sales_detail = re.search(r'<select id="ventas_detalle".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', sales_detail) == ["310115"]
    sales_aux = re.search(r'<select id="ventas_auxiliar".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', sales_aux) == ["110310"]
    payments = re.search(r'<select id="pagos".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', payments) == ["110102"]


async def test_the_apis_validation_messages_go_next_to_their_fields(client, fake):
    await sign_in(client)
    fake.answers[("PUT", f"/v1/companies/{COMPANY_ID}/settings/invoice-integration")] = (422, {
        "title": "Request is not valid", "status": 422, "detail": "…",
        "errors": [{"field": "sales.detail_account", "message": "account 110310 is wrong"},
                   {"field": "other_tax_accounts.24", "message": "tax account is wrong"}]})
    token = csrf_of((await client.get(f"/contabilidad/empresas/{COMPANY_ID}/configuracion")).text)
    answer = await client.post(f"/contabilidad/empresas/{COMPANY_ID}/configuracion", data={
        "csrf_token": token, "ventas_auxiliar": "110310", "ventas_detalle": "110310",
        "compras_auxiliar": "210210", "compras_detalle": "410230"})
    assert answer.status_code == 422
    error = re.search(r'<div class="field-error" id="ventas_detalle-error">(.*?)</div>',
                      answer.text, re.S)
    assert error and "account 110310 is wrong" in error.group(1)
    assert 'aria-describedby="ventas_detalle-help ventas_detalle-error"' in answer.text
    # The tax code's row was not in this post: its message goes to the tax's new row.
    error = re.search(r'<div class="field-error" id="impuesto_venta_nuevo-error">(.*?)</div>',
                      answer.text, re.S)
    assert error and "tax account is wrong" in error.group(1)
    put = next(r for r in fake.calls if r.method == "PUT")
    assert json.loads(put.content) == {
        "sales": {"auxiliary_account": "110310", "detail_account": "110310"},
        "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
        "payments_account": None, "collections_account": None, "fixed_asset_account": None,
        "non_recoverable_vat_account": None, "auto_post": False,
        "other_tax_accounts": {"24": "210720"}, "purchase_other_tax_accounts": {},
        "issued_vat_tolerance": 2, "purchase_entry_date": "received"}


async def test_a_missing_mandatory_account_is_said_before_calling_the_api(client, fake):
    await sign_in(client)
    token = csrf_of((await client.get(f"/contabilidad/empresas/{COMPANY_ID}/configuracion")).text)
    answer = await client.post(f"/contabilidad/empresas/{COMPANY_ID}/configuracion",
                         data={"csrf_token": token, "ventas_auxiliar": "110310"})
    assert answer.status_code == 422
    assert 'id="compras_detalle-error"' in answer.text
    assert not any(r.method == "PUT" for r in fake.calls)


def test_what_is_missing_before_conectar_links_where_to_fix_it():
    company = {"id": COMPANY_ID, "contract_rut": CONTRACT, "rut": COMPANY_RUT}
    steps = missing_steps({"request_status": "pending"}, EMPTY_SETTINGS, company, ())
    assert steps[0]["url"] == f"/contabilidad/{CONTRACT}/solicitudes"
    assert [s["url"].rsplit("#", 1)[1] for s in steps[1:]] == [
        "ventas_auxiliar", "ventas_detalle", "compras_auxiliar", "compras_detalle"]
    none = missing_steps({"request_status": "none"}, EMPTY_SETTINGS, company, (COMPANY_RUT,))
    assert none[0]["url"] == f"/factura/{COMPANY_RUT}/integracion"
    assert "78.000.000-7" in none[0]["text"]
    configured = {**EMPTY_SETTINGS, "sales": {"auxiliary_account": "1", "detail_account": "2"},
                  "purchases": {"auxiliary_account": "3", "detail_account": "4"}}
    assert missing_steps({"request_status": "approved"}, configured, company, ()) == []


async def test_static_files_are_served_from_the_package_not_a_cdn(client):
    await sign_in(client)
    page = (await client.get("/ingresar?expirada=1")).text
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["/static/htmx-2.0.11.min.js", "/static/app.js"]
    for src in scripts:
        assert (await client.get(src)).status_code == 200
