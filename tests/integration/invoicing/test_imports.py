"""Importing SII files (DTE XML, EnvioDTE, RCV CSV) over HTTP, on PostgreSQL."""

import asyncio
import io
import os
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from deploy.local.auth import GrantingAuth
from invoicing.adapters import tables
from invoicing.adapters.repositories import DocumentRepository
from invoicing.adapters.sii.rcv_csv import COMPRAS_HEADER
from invoicing.bootstrap import build_app
from invoicing.domain.companies import Company
from invoicing.domain.documents import Direction
from invoicing.domain.imports import ImportInterrupted
from invoicing.entrypoints.cli import migrate
from invoicing.service_layer.imports import ImportOptions, import_file
from invoicing.service_layer.outgoing import tax_document
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.db import create_engine, session_factory
from tests.integration.invoicing.conftest import migrated_database, new_rut, settings_for
from tests.support.rcv_files import NO_INCLUIR, PENDIENTES, RECLAMADOS
from tests.support.rcv_files import rcv_file as _section

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sii"


@pytest.fixture(scope="module")
async def imports_app(infra, topology):
    url = await migrated_database(infra, "invoicing_imports")
    application = build_app(settings_for(infra, topology, url), background=False)
    yield application
    await application.state.container.engine.dispose()


@pytest.fixture(scope="module")
async def http(imports_app):
    transport = httpx.ASGITransport(app=imports_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://invoicing",
                                 auth=GrantingAuth()) as client:
        yield client


async def register(http, rut: str | None = None) -> str:
    rut = rut or new_rut()
    response = await http.post("/v1/companies", json={"rut": rut, "name": "Comercial Andes"})
    assert response.status_code == 201, response.text
    return rut


async def upload(http, company: str, name: str, content: bytes | None = None, **params):
    content = (FIXTURES / name).read_bytes() if content is None else content
    return await http.post(f"/v1/companies/{company}/documents/import", params=params,
                           files={"file": (name, content, "application/octet-stream")})


async def documents(http, company: str) -> list[dict]:
    response = await http.get(f"/v1/companies/{company}/documents", params={"limit": 500})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def as_company(company: str, name: str) -> bytes:
    """A fixture whose company (76354771-K) is this test's own."""
    return (FIXTURES / name).read_bytes().replace(b"76354771-K", company.encode())


def by_folio(docs: list[dict]) -> dict[tuple[int, int], dict]:
    return {(d["dte_type"], d["folio"]): d for d in docs}


def rcv_compras(rows: list[dict]) -> bytes:
    return _section(COMPRAS_HEADER, rows)


def compra(folio: int, rut="97975000-5", tipo=33, neto=1000, iva=190, total=1190, nro=None):
    return {"Nro": nro or folio, "Tipo Doc": tipo, "Tipo Compra": "Del Giro",
            "RUT Proveedor": rut, "Razon Social": "Proveedor SpA", "Folio": folio,
            "Fecha Docto": "02/03/2024", "Fecha Recepcion": "02/03/2024 10:00:00",
            "Monto Exento": 0, "Monto Neto": neto, "Monto IVA Recuperable": iva,
            "Monto Total": total}


# --- DTE XML -------------------------------------------------------------------------


async def test_the_sii_example_f60t33_is_a_purchase_of_its_receptor(http):
    company = await register(http, "77.777.777-7")
    before = date.today()
    response = await upload(http, company, "F60T33.xml")
    after = date.today()
    assert response.status_code == 200, response.text
    assert response.json() == {"format": "dte-xml", "created": 1, "pending": 0,
                               "accepted": 0, "duplicates": 0, "rejected": 0,
                               "conflicts": 0, "items": [], "items_omitted": 0}
    [doc] = await documents(http, company)
    assert doc == {
        "id": doc["id"], "company_rut": "77777777-7", "direction": "purchases", "dte_type": 33,
        "folio": 60, "issue_date": "2003-10-13", "issuer_rut": "97975000-5",
        "counterparty": {"rut": "97975000-5", "name": "RUT DE PRUEBA"},
        "net": 100_000, "exempt": 0, "vat": 19_000, "total": 119_000, "references": [],
        "other_taxes": [], "vat_retained": 0, "foreign_currency": None,
        # A DTE file says nothing of its reception: the day it was imported.
        "received_on": doc["received_on"], "vat_breakdown": None,
        "construction_credit": 0, "container_deposit": 0, "status": "recorded",
    }
    assert before.isoformat() <= doc["received_on"] <= after.isoformat()

    again = await upload(http, company, "F60T33.xml", items="all")
    assert again.status_code == 200
    summary = again.json()
    assert (summary["created"], summary["duplicates"], summary["rejected"]) == (0, 1, 0)
    [item] = summary["items"]
    assert item["status"] == "duplicate" and item["document_id"] == doc["id"]
    assert item["xml_path"] == "/DTE" and doc["id"] in item["reason"]
    assert await documents(http, company) == [doc]


async def test_a_dte_of_another_company_is_rejected_saying_so(http):
    company = await register(http)
    summary = (await upload(http, company, "F60T33.xml")).json()
    assert (summary["created"], summary["rejected"]) == (0, 1)
    [item] = summary["items"]
    assert item["status"] == "rejected" and (item["dte_type"], item["folio"]) == (33, 60)
    assert "neither the emisor (97975000-5) nor the receptor (77777777-7)" in item["reason"]
    assert await documents(http, company) == []


async def test_an_envio_dte_with_several_types(http):
    company = await register(http, "76.354.771-K")
    response = await upload(http, company, "envio_dte.xml", items="all")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["format"], summary["created"], summary["rejected"]) == ("envio-dte", 4, 0)
    assert [i["xml_path"] for i in summary["items"]] == [
        f"/EnvioDTE/SetDTE/DTE[{n}]" for n in (1, 2, 3, 4)]
    docs = by_folio(await documents(http, company))
    factura = docs[(33, 101)]
    assert (factura["direction"], factura["issuer_rut"]) == ("purchases", "97975000-5")
    assert factura["other_taxes"] == [{"code": 24, "rate": 31.5, "amount": 31_500}]
    assert factura["total"] == 150_500
    assert docs[(34, 7)]["exempt"] == 50_000 and docs[(34, 7)]["vat"] == 0
    credit = docs[(61, 15)]
    # The purchase-order reference (801, folio "OC-77") is not a tax document: left out.
    assert credit["references"] == [{"dte_type": 33, "folio": 101, "issue_date": "2024-03-04",
                                     "code": 3, "reason": "Devolución parcial"}]
    compra46 = docs[(46, 9)]
    assert (compra46["direction"], compra46["issuer_rut"]) == ("purchases", "76354771-K")
    assert compra46["counterparty"] == {"rut": "12345678-5", "name": "Juan Pérez Agricultor"}
    assert (compra46["vat"], compra46["vat_retained"], compra46["total"]) == (38_000, 38_000,
                                                                               200_000)


# --- RCV CSV -------------------------------------------------------------------------


async def test_an_rcv_compras_month(http):
    company = await register(http)
    response = await upload(http, company, "rcv_compras_2024_03.csv")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["format"], summary["created"], summary["duplicates"],
            summary["rejected"]) == ("rcv-compras", 7, 0, 0)
    docs = by_folio(await documents(http, company))
    assert {d["direction"] for d in docs.values()} == {"purchases"}
    assert docs[(33, 60)]["counterparty"] == {"rut": "97975000-5", "name": "RUT DE PRUEBA"}
    assert docs[(33, 200)]["other_taxes"] == [{"code": 24, "rate": 31.5, "amount": 31_500},
                                              {"code": 27, "rate": 10.0, "amount": 9_500}]
    assert docs[(33, 300)]["vat"] == 7_600  # IVA de uso común
    assert docs[(34, 45)]["counterparty"]["name"] == "Asesorías Ñandú EIRL"
    assert docs[(46, 9)]["issuer_rut"] == company and docs[(46, 9)]["vat_retained"] == 38_000
    assert docs[(56, 5)]["total"] == 5_950
    # Fecha Recepcion, which dates the crédito fiscal (DL 825 art. 24), stays on each.
    assert {d["received_on"] for d in docs.values()} <= {f"2024-03-{n:02d}" for n in
                                                         range(1, 32)}
    assert docs[(33, 60)]["received_on"] == "2024-03-04"

    again = (await upload(http, company, "rcv_compras_2024_03.csv")).json()
    assert (again["created"], again["duplicates"], again["rejected"]) == (0, 7, 0)
    assert len(await documents(http, company)) == 7


async def test_an_rcv_ventas_month(http):
    company = await register(http)
    summary = (await upload(http, company, "rcv_ventas_2024_03.csv")).json()
    assert (summary["format"], summary["created"], summary["rejected"]) == ("rcv-ventas", 5, 0)
    docs = by_folio(await documents(http, company))
    assert {d["direction"] for d in docs.values()} == {"sales"}
    assert docs[(33, 1001)]["issuer_rut"] == company
    assert docs[(61, 51)]["references"] == [{"dte_type": 33, "folio": 1001, "issue_date": None,
                                             "code": None, "reason": None}]
    received46 = docs[(46, 700)]  # a buyer issued it to the company, which sold
    assert received46["issuer_rut"] == "97975000-5" and received46["vat_retained"] == 57_000
    assert docs[(33, 1002)]["other_taxes"] == [{"code": 271, "rate": 18.0, "amount": 18_000}]


async def test_one_bad_row_does_not_block_the_others(http):
    company = await register(http)
    content = rcv_compras([
        compra(1),
        compra(2, rut="97975000-4"),                 # bad check digit
        compra(3, tipo=52),                          # guía de despacho: not supported
        compra(4, total=9999),                       # amounts do not add up
        {**compra(5), "Folio": ""},                  # missing folio
        compra(1, nro=6),                            # the same document twice in the file
        {**compra(7), "Fecha Docto": "2024/03/02"},  # unreadable date
        compra(8),
    ])
    response = await upload(http, company, "rcv.csv", content)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["created"], summary["duplicates"], summary["rejected"]) == (2, 1, 5)
    reasons = {item["line"]: item["reason"] for item in summary["items"]}
    assert set(reasons) == {3, 4, 5, 6, 8}
    assert "check digit 4" in reasons[3] and "RUT Proveedor" in reasons[3]
    assert "dte_type 52 is not supported" in reasons[4]
    assert "amounts do not add up" in reasons[5] and "9999" in reasons[5]
    assert "'Folio' is empty" in reasons[6]
    assert "not a date (DD/MM/YYYY)" in reasons[8]
    assert sorted(d["folio"] for d in await documents(http, company)) == [1, 8]


# --- hostile and malformed files -----------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE DTE [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<DTE xmlns="http://www.sii.cl/SiiDte"><Documento><Encabezado><Emisor>
<RznSoc>&lol3;</RznSoc></Emisor></Encabezado></Documento></DTE>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE DTE [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<DTE xmlns="http://www.sii.cl/SiiDte"><Documento><Encabezado><Emisor>
<RznSoc>&xxe;</RznSoc></Emisor></Encabezado></Documento></DTE>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE DTE SYSTEM "http://127.0.0.1:9/evil.dtd">
<DTE xmlns="http://www.sii.cl/SiiDte"/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE DTE [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<DTE xmlns="http://www.sii.cl/SiiDte"/>"""


def _deep() -> bytes:
    return (b'<?xml version="1.0"?><EnvioDTE xmlns="http://www.sii.cl/SiiDte"><SetDTE>'
            + b"<a>" * 5000 + b"</a>" * 5000 + b"</SetDTE></EnvioDTE>")


def _envio_then_broken() -> bytes:
    # A good DTE first: a file refused as a whole must not import even that one.
    text = (FIXTURES / "envio_dte.xml").read_bytes()
    return text[: text.index(b"</SetDTE>")]


def _huge_root_attribute() -> bytes:
    # One 16 MiB attribute: expat 2.5 re-reads an unfinished token on every chunk fed, so
    # this cost minutes of CPU before the reader bounded a tag's size.
    return (b'<?xml version="1.0" encoding="ISO-8859-1"?>\r\n<EnvioDTE xmlns="'
            b'http://www.sii.cl/SiiDte" version="1.0" x="' + b"A" * (16 << 20)
            + b'"><SetDTE ID="S"></SetDTE></EnvioDTE>\r\n')


def _huge_comment() -> bytes:
    return (b'<?xml version="1.0"?><EnvioDTE xmlns="http://www.sii.cl/SiiDte"><!--'
            + b"<> " * (1 << 20) + b"--><SetDTE/></EnvioDTE>")


def _huge_text() -> bytes:
    text = (FIXTURES / "envio_dte.xml").read_bytes()
    return text.replace(b"<NmbItem>Pisco reservado</NmbItem>",
                        b"<NmbItem>" + b"Pisco " * 400_000 + b"</NmbItem>")


@pytest.mark.parametrize(("content", "expected"), [
    (_huge_root_attribute(), "a tag (with its attributes), comment or processing "
                             "instruction of more than 256 KiB, starting at line 2"),
    (_huge_comment(), "comment or processing instruction of more than 256 KiB"),
    (_huge_text(), "text of more than 1,048,576 characters in one element (line 19)"),
    (BILLION_LAUGHS, "billion laughs"),
    (EXTERNAL_ENTITY, "external-entity"),
    (EXTERNAL_DTD, "DOCTYPE"),
    (PARAMETER_ENTITY, "DOCTYPE"),
    (_deep(), "nests elements more than"),
    (_envio_then_broken(), "not well-formed XML"),
], ids=["huge-attribute", "huge-comment", "huge-text", "billion-laughs", "external-entity",
        "external-dtd", "parameter-entity",
        "deep-nesting", "truncated"])
async def test_hostile_or_broken_xml_is_refused_whole(http, content, expected):
    company = await register(http)
    response = await upload(http, company, "dte.xml", content)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/unreadable-file"
    assert expected in problem["detail"]
    assert await documents(http, company) == []


async def test_a_file_over_the_size_limit_is_refused(imports_app):
    settings = imports_app.state.container.settings.model_copy(update={"import_max_bytes": 2048})
    small = build_app(settings, background=False)
    company = new_rut()
    big = (FIXTURES / "envio_dte.xml").read_bytes()
    try:
        transport = httpx.ASGITransport(app=small)
        async with httpx.AsyncClient(transport=transport, base_url="http://i",
                                 auth=GrantingAuth()) as client:
            await register(client, company)
            declared = await upload(client, company, "envio.xml", big)
            assert declared.status_code == 413, declared.text
            problem = declared.json()
            assert problem["type"] == "/problems/too-large" and problem["limit_bytes"] == 2048
            assert "nothing was imported" in problem["detail"]

            # Without a Content-Length the limit applies while the body streams in.
            boundary = "b0undary"
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                    f"filename=\"envio.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() \
                + big + f"\r\n--{boundary}--\r\n".encode()

            async def chunks():
                for start in range(0, len(body), 1000):
                    yield body[start:start + 1000]

            streamed = await client.post(
                f"/v1/companies/{company}/documents/import", content=chunks(),
                headers={"content-type": f"multipart/form-data; boundary={boundary}"})
            assert streamed.status_code == 413, streamed.text
            assert streamed.json()["type"] == "/problems/too-large"
            assert await documents(client, company) == []
    finally:
        await small.state.container.engine.dispose()


async def test_csv_with_a_wrong_header_says_what_was_expected(http):
    company = await register(http)
    content = b"Nro;Tipo Doc;RUT Proveedor;Folio\r\n1;33;97975000-5;1\r\n"
    problem = (await upload(http, company, "rcv.csv", content)).json()
    assert problem["status"] == 422
    assert "missing column(s) 'Razon Social', 'Fecha Docto'" in problem["detail"]
    assert ";".join(COMPRAS_HEADER) in problem["detail"]
    assert "Monto Total" in problem["missing_columns"]


async def test_csv_with_a_wrong_delimiter_is_refused(http):
    company = await register(http)
    content = rcv_compras([compra(1)]).replace(b";", b",")
    response = await upload(http, company, "rcv.csv", content)
    assert response.status_code == 422
    assert "separated by ','" in response.json()["detail"]
    assert "with ';'" in response.json()["detail"]


async def test_csv_that_is_not_utf8_is_refused_and_nothing_is_imported(http):
    company = await register(http)
    rows = [compra(n) for n in range(1, 4)]
    rows[2]["Razon Social"] = "Ñandú"
    content = rcv_compras(rows[:2]) + rcv_compras(rows[2:]).split(b"\r\n", 1)[1].decode() \
        .encode("latin-1")
    response = await upload(http, company, "rcv.csv", content)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "not UTF-8" in detail and "on line 4" in detail and "CSV UTF-8" in detail
    assert await documents(http, company) == []


async def test_forced_format_and_unknown_files(http):
    company = await register(http)
    ventas = await upload(http, company, "rcv_compras_2024_03.csv", format="rcv-ventas")
    assert ventas.status_code == 422 and "'Rut cliente'" in ventas.json()["detail"]
    xml_as_csv = await upload(http, company, "F60T33.xml", format="rcv-compras")
    assert xml_as_csv.status_code == 422 and "is an XML document" in xml_as_csv.json()["detail"]
    envio = await upload(http, company, "F60T33.xml", format="envio-dte")
    assert envio.status_code == 422 and "is a dte-xml" in envio.json()["detail"]
    text = await upload(http, company, "notes.txt", b"hello\nworld\n")
    assert text.status_code == 422 and "?format=" in text.json()["detail"]
    bad_format = await upload(http, company, "F60T33.xml", format="pdf")
    assert bad_format.status_code == 422
    assert await documents(http, company) == []


async def test_an_unknown_company_is_not_found(http):
    response = await upload(http, new_rut(), "F60T33.xml")
    assert response.status_code == 404
    assert "create it first" in response.json()["detail"]


# --- large files, the service layer and the CLI --------------------------------------


async def test_a_large_rcv_is_imported_in_batches(imports_app, http, tmp_path):
    company = await register(http)
    content = rcv_compras([compra(n) for n in range(1, 5_001)])
    path = tmp_path / "rcv.csv"
    path.write_bytes(content)
    container = imports_app.state.container
    seen = []
    options = ImportOptions(batch_size=700)
    with path.open("rb") as file:
        summary = await import_file(container.uow, company, file, options=options,
                                    progress=lambda done, total: seen.append((done, total)))
    assert (summary.created, summary.duplicates, summary.rejected) == (5_000, 0, 0)
    assert seen[0] == (0, 5_000) and seen[-1] == (5_000, 5_000) and len(seen) == 9
    with path.open("rb") as file:
        again = await import_file(container.uow, company, file, options=options)
    assert (again.created, again.duplicates) == (0, 5_000)
    listed = await http.get(f"/v1/companies/{company}/documents", params={"limit": 1})
    assert listed.json()["total"] == 5_000


async def test_only_a_bounded_number_of_items_is_listed(imports_app, http, tmp_path):
    company = await register(http)
    path = tmp_path / "rcv.csv"
    path.write_bytes(rcv_compras([compra(n, tipo=52) for n in range(1, 31)]))
    with path.open("rb") as file:
        summary = await import_file(imports_app.state.container.uow, company, file,
                                    options=ImportOptions(max_items=10))
    assert summary.rejected == 30 and len(summary.items) == 10 and summary.items_omitted == 20


async def test_the_cli_imports_with_a_progress_bar(imports_app, http):
    company = await register(http)
    env = {**os.environ, "DATABASE_URL": imports_app.state.container.settings.database_url,
           "COLUMNS": "120"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "invoicing", "import", str(FIXTURES / "rcv_ventas_2024_03.csv"),
        "--company", company, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    assert "format rcv-ventas: 5 created, 0 already present, 0 rejected" in output
    assert "5/5" in output
    assert len(await documents(http, company)) == 5

    refused = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "invoicing", "import", str(FIXTURES / "F60T33.xml"),
        "--company", company, "--format", "rcv-compras", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output = (await refused.communicate())[0].decode()
    assert refused.returncode == 1 and "not imported" in output


# --- issue 13: exports, boletas, bounds, dates, folios, names, empty envelopes --------


async def test_exports_in_foreign_currency_are_stored_in_pesos_keeping_the_currency(
        http, imports_app):
    company = await register(http)
    response = await upload(http, company, "envio_exportaciones.xml",
                            as_company(company, "envio_exportaciones.xml"))
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["created"], summary["rejected"]) == (3, 1)
    [refused] = summary["items"]
    assert (refused["xml_path"], refused["folio"]) == ("/EnvioDTE/SetDTE/DTE[4]", 503)
    assert "the amounts are in DOLAR USA" in refused["reason"]
    assert "missing /EnvioDTE/SetDTE/DTE[4]/Exportaciones/Encabezado/OtraMoneda/" \
           "MntTotOtrMnda" in refused["reason"]
    docs = by_folio(await documents(http, company))
    stated = docs[(110, 501)]  # MntTotOtrMnda gives the pesos
    assert (stated["direction"], stated["exempt"], stated["vat"], stated["total"]) == (
        "sales", 28_775_824, 0, 28_775_824)
    assert stated["foreign_currency"] == {"currency": "DOLAR USA", "total": "30276.00",
                                          "exchange_rate": "950.45"}
    assert stated["counterparty"] == {"rut": "55555555-5", "name": "Wine Importers Inc."}
    rated = docs[(110, 502)]  # only TpoCambio: round(1250.50 × 1021.3377 = 1,277,182.79)
    assert rated["total"] == rated["exempt"] == 1_277_183
    assert rated["foreign_currency"]["currency"] == "EURO"
    note = docs[(112, 20)]  # 605.00 × 948.1 = 573,600.5, rounded half up
    assert note["total"] == 573_601
    assert note["references"][0]["folio"] == 501

    # Its event carries the pesos in the amounts and the currency beside them.
    async with imports_app.state.container.uow() as unit:
        page = await unit.documents.page(company, None, None, 0, 10)
    event = tax_document(next(d for d in page if d.folio == 501)).model_dump(mode="json")
    assert (event["exempt"], event["total"]) == (28_775_824, 28_775_824)
    assert event["foreign_currency"] == {"currency": "DOLAR USA", "total": "30276.00",
                                         "exchange_rate": "950.45"}


async def test_an_envio_boleta_with_the_iva_inside_the_total(http):
    company = await register(http)
    response = await upload(http, company, "envio_boleta.xml",
                            as_company(company, "envio_boleta.xml"), items="all")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["format"], summary["created"], summary["rejected"]) == ("envio-boleta", 4, 0)
    assert summary["items"][1]["xml_path"] == "/EnvioBOLETA/SetDTE/DTE[2]"
    docs = by_folio(await documents(http, company))
    only_total = docs[(39, 3001)]  # neto = round(5990 / 1.19) = 5034, IVA the rest
    assert (only_total["net"], only_total["vat"], only_total["total"]) == (5_034, 956, 5_990)
    assert only_total["direction"] == "sales"
    assert only_total["counterparty"]["rut"] == "66666666-6"
    with_exempt = docs[(39, 3002)]  # no receptor at all: the final consumer
    assert (with_exempt["net"], with_exempt["exempt"], with_exempt["vat"]) == (10_000, 1_000,
                                                                              1_900)
    assert with_exempt["counterparty"] == {"rut": "66666666-6", "name": "Consumidor final"}
    assert (docs[(39, 3003)]["net"], docs[(39, 3003)]["vat"]) == (8_403, 1_597)
    exenta = docs[(41, 77)]
    assert (exenta["net"], exenta["exempt"], exenta["vat"], exenta["total"]) == (0, 3_500, 0,
                                                                                3_500)


async def test_an_envio_dte_without_documents_is_refused(http):
    company = await register(http)
    content = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\r\n<EnvioDTE xmlns="'
               b'http://www.sii.cl/SiiDte" version="1.0"><SetDTE ID="S"><Caratula version="1.0">'
               b"<RutEmisor>97975000-5</RutEmisor></Caratula></SetDTE></EnvioDTE>\r\n")
    response = await upload(http, company, "envio.xml", content)
    assert response.status_code == 422, response.text
    assert "holds no DTE in its SetDTE" in response.json()["detail"]


def _single(folio: str = "8", fecha: str = "2024-03-01", name: str = "Peñalolén Ltda.",
            total: str = "1190", net: str = "1000") -> bytes:
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<DTE xmlns="http://www.sii.cl/SiiDte" version="1.0"><Documento ID="X"><Encabezado>
<IdDoc><TipoDTE>33</TipoDTE><Folio>{folio}</Folio><FchEmis>{fecha}</FchEmis></IdDoc>
<Emisor><RUTEmisor>97975000-5</RUTEmisor><RznSoc>{name}</RznSoc></Emisor>
<Receptor><RUTRecep>76354771-K</RUTRecep><RznSocRecep>Andes</RznSocRecep></Receptor>
<Totales><MntNeto>{net}</MntNeto><IVA>190</IVA><MntTotal>{total}</MntTotal></Totales>
</Encabezado></Documento></DTE>""".replace("\n", "\r\n").encode("iso-8859-1",
                                                       errors="xmlcharrefreplace")


@pytest.mark.parametrize(("content", "expected"), [
    (_single(folio="+8"), "Folio is '+8', not a whole number ≥ 0 written in digits 0-9"),
    (_single(folio="８"), "Folio is '８', not a whole number"),
    (_single(folio="٨"), "Folio is '٨', not a whole number"),
    (_single(folio="12345678901"), "folio must be a positive integer of at most 10 digits"),
    (_single(net="1" + "0" * 16, total="1" + "0" * 13 + "190"),
     "total is 10000000000000190, beyond the largest amount that can be recorded"),
    (_single(fecha="2002-12-31"), "the issue date 2002-12-31 is before 2003-01-01"),
    (_single(fecha="2099-01-01"), "the issue date 2099-01-01 is more than 60 days ahead"),
], ids=["plus", "fullwidth", "arabic-indic", "eleven-digits", "amount-overflow", "before-2003",
        "far-ahead"])
async def test_a_document_that_cannot_be_recorded_is_rejected_with_its_reason(
        http, content, expected):
    company = await register(http)
    response = await upload(http, company, "dte.xml",
                            content.replace(b"76354771-K", company.encode()))
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["created"], summary["rejected"]) == (0, 1), summary
    assert expected in summary["items"][0]["reason"]


@pytest.mark.parametrize("name", ["Proveedor\x1bSpA", "Proveedor&#1;SpA"])
async def test_control_characters_are_not_xml_so_the_file_is_refused(http, name):
    company = await register(http)
    response = await upload(http, company, "dte.xml",
                            _single(name=name).replace(b"76354771-K", company.encode()))
    assert response.status_code == 422, response.text
    assert "not well-formed XML" in response.json()["detail"]


async def test_rcv_rows_with_control_characters_or_impossible_dates_are_rejected(http):
    company = await register(http)
    content = rcv_compras([
        compra(1),
        {**compra(2), "Razon Social": "Proveedor\x00SpA"},
        {**compra(3), "Razon Social": "Provee\x07dor"},
        {**compra(4), "Fecha Docto": "31/12/2002"},
        {**compra(5), "Folio": "+5"},
        {**compra(6), "Folio": "\uff16"},
        compra(7),
    ])
    summary = (await upload(http, company, "rcv.csv", content)).json()
    assert (summary["created"], summary["rejected"]) == (2, 5), summary
    reasons = {item["line"]: item["reason"] for item in summary["items"]}
    assert "control character (NUL, U+0000 at position 10)" in reasons[3]
    assert "control character (U+0007 at position 7)" in reasons[4]
    assert "before 2003-01-01" in reasons[5]
    assert "'Folio' is '+5', not a whole number" in reasons[6]
    assert "'Folio' is '\uff16', not a whole number" in reasons[7]


async def test_an_unbalanced_quote_refuses_the_file_naming_its_line(http):
    company = await register(http)
    content = rcv_compras([compra(n) for n in range(1, 5)])
    # Line 3: the quote never closes there (a later quote would close it, rows merged).
    content = content.replace(b";Proveedor SpA;2;", b';"Proveedor SpA;2;', 1)
    response = await upload(http, company, "rcv.csv", content)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert "A quote (\") opens on line 3" in detail and "nothing was imported" in detail
    assert await documents(http, company) == []


async def test_cr_only_line_endings_are_read(http):
    company = await register(http)
    content = rcv_compras([compra(n) for n in range(1, 4)]).replace(b"\r\n", b"\r")
    summary = (await upload(http, company, "rcv.csv", content)).json()
    assert (summary["created"], summary["rejected"]) == (3, 0), summary


async def test_utf16_and_the_rcv_resumen_get_a_message_to_act_on(http):
    company = await register(http)
    utf16 = rcv_compras([compra(1)]).decode().encode("utf-16")
    response = await upload(http, company, "rcv.csv", utf16)
    assert response.status_code == 422
    assert "UTF-16" in response.json()["detail"] and "CSV UTF-8" in response.json()["detail"]
    resumen = (b"Tipo Documento;Total Documentos;Monto Exento;Monto Neto;"
               b"IVA Recuperable;Monto Total\r\nFactura Electronica (33);12;0;1000000;"
               b"190000;1190000\r\n")
    response = await upload(http, company, "resumen.csv", resumen)
    assert response.status_code == 422
    assert "resumen" in response.json()["detail"]
    assert "Descargar Detalles" in response.json()["detail"]
    assert await documents(http, company) == []


async def test_values_beyond_what_can_be_stored_are_rejected_per_row_and_all_rows_counted(
        imports_app, http, tmp_path):
    company = await register(http)
    rows = [compra(n) for n in range(1, 2_501)]
    rows[2_099]["Folio"] = 10**16  # line 2,101 (the header is line 1)
    rows[2_299].update({"Monto Neto": 10**16, "Monto IVA Recuperable": 0,
                        "Monto Total": 10**16})
    path = tmp_path / "rcv.csv"
    path.write_bytes(rcv_compras(rows))
    with path.open("rb") as file:
        summary = await import_file(imports_app.state.container.uow, company, file,
                                    options=ImportOptions(batch_size=500))
    assert (summary.created, summary.duplicates, summary.rejected) == (2_498, 0, 2)
    assert summary.processed == 2_500
    folio, amount = summary.items
    assert folio.location.line == 2_101
    assert "folio must be a positive integer of at most 10 digits" in folio.reason
    assert amount.location.line == 2_301 and "beyond the largest amount" in amount.reason
    listed = await http.get(f"/v1/companies/{company}/documents", params={"limit": 1})
    assert listed.json()["total"] == 2_498


async def test_an_import_the_database_stops_says_what_was_recorded(imports_app, http, tmp_path):
    company = await register(http)
    path = tmp_path / "rcv.csv"
    path.write_bytes(rcv_compras([compra(n) for n in range(1, 1_001)]))
    real, opened = imports_app.state.container.uow, []

    def failing_third_batch():  # the database going away while the third batch commits
        opened.append(1)
        unit = real()
        if len(opened) == 4:  # the first opens to find the company
            async def broken_commit():
                raise ConnectionError("connection to the database lost")
            unit.commit = broken_commit
        return unit

    with path.open("rb") as file, pytest.raises(ImportInterrupted) as stopped:
        await import_file(failing_third_batch, company, file,
                          options=ImportOptions(batch_size=300))
    assert "stopped at line 602 of 1000 documents" in stopped.value.detail
    assert "The 600 documents before it are done (600 created" in stopped.value.detail
    assert stopped.value.extra["created"] == 600
    listed = await http.get(f"/v1/companies/{company}/documents", params={"limit": 1})
    assert listed.json()["total"] == 600  # exactly what the error says

    with path.open("rb") as file:
        again = await import_file(real, company, file, options=ImportOptions(batch_size=300))
    assert (again.created, again.duplicates) == (400, 600)


async def test_the_same_folio_with_other_amounts_is_a_conflict_showing_both(http):
    company = await register(http)
    await upload(http, company, "rcv.csv", rcv_compras([compra(1), compra(2)]))
    again = rcv_compras([compra(1), compra(2, neto=2000, iva=380, total=2380)])
    response = await upload(http, company, "rcv.csv", again)
    summary = response.json()
    assert (summary["created"], summary["duplicates"], summary["conflicts"],
            summary["rejected"]) == (0, 1, 1, 0)
    [conflict] = summary["items"]
    assert (conflict["status"], conflict["line"], conflict["folio"]) == ("conflict", 3, 2)
    assert "recorded total 1190, neto 1000" in conflict["reason"]
    assert "this file says total 2380, neto 2000" in conflict["reason"]
    recorded = by_folio(await documents(http, company))[(33, 2)]
    assert conflict["document_id"] == recorded["id"] and recorded["total"] == 1190


async def _cli(env, *args):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "invoicing", "import", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output = (await process.communicate())[0].decode()
    return process.returncode, output


async def test_the_cli_exit_codes_and_registering_the_company(imports_app, http, tmp_path):
    env = {**os.environ, "DATABASE_URL": imports_app.state.container.settings.database_url,
           "COLUMNS": "200"}
    ventas = str(FIXTURES / "rcv_ventas_2024_03.csv")
    company = new_rut()
    code, output = await _cli(env, ventas, "--company", company)
    assert code == 1 and f"Company {company} is not registered" in output
    assert "--name" in output

    code, output = await _cli(env, ventas, "--company", company, "--name", "Ferretería Sur")
    assert code == 0, output
    assert f"registered company {company} (Ferretería Sur)" in output
    assert "5 created" in output
    company_page = await http.get(f"/v1/companies/{company}")
    assert company_page.json()["name"] == "Ferretería Sur"

    all_bad = tmp_path / "rcv.csv"
    all_bad.write_bytes(rcv_compras([compra(n, tipo=52) for n in range(1, 4)]))
    code, output = await _cli(env, str(all_bad), "--company", company)
    assert code == 3, output
    assert "3 rejected" in output and "every document of the file was rejected" in output

    code, output = await _cli(env, str(tmp_path / "missing.csv"), "--company", company)
    assert code == 2 and "is not a file" in output


async def test_the_rcv_iva_columns_are_kept_apart_on_the_document_and_its_event(
        imports_app, http):
    company = await register(http)
    row = {**compra(1, neto=100_000, iva=10_000, total=119_000),
           "Monto Iva No Recuperable": 4_000, "Codigo IVA No Rec.": 3, "IVA uso Comun": 5_000,
           "Monto Neto Activo Fijo": 60_000, "IVA Activo Fijo": 11_400,
           "Impto. Sin Derecho a Credito": 700, "IVA No Retenido": 300,
           "Tabacos Puros": 1, "Tabacos Cigarrillos": 2, "Tabacos Elaborados": 3}
    summary = (await upload(http, company, "rcv.csv", rcv_compras([row, compra(2)]))).json()
    assert summary["created"] == 2, summary
    docs = by_folio(await documents(http, company))
    expected = {"recoverable": 10_000, "non_recoverable": 4_000, "non_recoverable_code": 3,
                "common_use": 5_000, "fixed_asset_net": 60_000, "fixed_asset_vat": 11_400,
                "without_credit": 700, "not_retained": 300, "tobacco_cigars": 1,
                "tobacco_cigarettes": 2, "tobacco_processed": 3}
    assert docs[(33, 1)]["vat_breakdown"] == expected
    assert docs[(33, 1)]["vat"] == 19_000  # as before: recuperable + no recuperable + uso común
    assert docs[(33, 2)]["vat_breakdown"]["recoverable"] == 190
    async with imports_app.state.container.uow() as unit:
        page = await unit.documents.page(company, None, None, 0, 10)
    event = tax_document(next(d for d in page if d.folio == 1)).model_dump(mode="json")
    assert event["vat_breakdown"] == expected and event["vat"] == 19_000


async def test_a_breakdown_is_stored_as_the_columns_it_says_and_read_back_whole(
        imports_app, http):
    company = await register(http)
    code_zero = {**compra(2, iva=0, total=1190), "Monto Iva No Recuperable": 190,
                 "Codigo IVA No Rec.": 0}
    await upload(http, company, "rcv.csv", rcv_compras([compra(1), code_zero]))
    async with imports_app.state.container.uow() as unit:
        stored = dict((await unit.session.execute(
            select(tables.documents.c.folio, tables.documents.c.vat_breakdown)
            .where(tables.documents.c.company_rut == company))).all())
    # Half of an imported row was its breakdown's zeros: only what a column says is kept.
    assert stored == {1: {"recoverable": 190},
                      2: {"non_recoverable": 190, "non_recoverable_code": 0}}
    docs = by_folio(await documents(http, company))
    zeros = {"recoverable": 0, "non_recoverable": 0, "non_recoverable_code": None,
             "common_use": 0, "fixed_asset_net": 0, "fixed_asset_vat": 0,
             "without_credit": 0, "not_retained": 0, "tobacco_cigars": 0,
             "tobacco_cigarettes": 0, "tobacco_processed": 0}
    assert docs[(33, 1)]["vat_breakdown"] == {**zeros, "recoverable": 190}
    assert docs[(33, 2)]["vat_breakdown"] == {**zeros, "non_recoverable": 190,
                                              "non_recoverable_code": 0}


async def test_a_note_the_company_issued_over_its_own_factura_de_compra_is_a_purchase(http):
    company = await register(http)
    note = f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<DTE xmlns="http://www.sii.cl/SiiDte" version="1.0"><Documento ID="F3T61"><Encabezado>
<IdDoc><TipoDTE>61</TipoDTE><Folio>3</Folio><FchEmis>2024-03-25</FchEmis></IdDoc>
<Emisor><RUTEmisor>{company}</RUTEmisor><RznSoc>Comercial Andes SpA</RznSoc></Emisor>
<Receptor><RUTRecep>12345678-5</RUTRecep><RznSocRecep>Juan Pérez Agricultor</RznSocRecep>
</Receptor><Totales><MntNeto>20000</MntNeto><IVA>3800</IVA><ImptoReten><TipoImp>15</TipoImp>
<TasaImp>19</TasaImp><MontoImp>3800</MontoImp></ImptoReten><MntTotal>20000</MntTotal>
</Totales></Encabezado>
<Detalle><NroLinDet>1</NroLinDet><NmbItem>Trigo devuelto</NmbItem><MontoItem>20000</MontoItem>
</Detalle>
<Referencia><NroLinRef>1</NroLinRef><TpoDocRef>46</TpoDocRef><FolioRef>9</FolioRef>
<FchRef>2024-03-20</FchRef><CodRef>3</CodRef><RazonRef>Devolución</RazonRef></Referencia>
</Documento></DTE>""".replace("\n", "\r\n").encode("iso-8859-1")
    summary = (await upload(http, company, "nc.xml", note)).json()
    assert summary["created"] == 1, summary
    [doc] = await documents(http, company)
    assert (doc["direction"], doc["issuer_rut"]) == ("purchases", company)
    assert doc["counterparty"]["rut"] == "12345678-5" and doc["vat_retained"] == 3_800


@pytest.mark.parametrize(("header", "reason"), [
    (RECLAMADOS, "the RCV's reclamados"),
    (NO_INCLUIR, "the RCV's 'no incluir'"),
], ids=["reclamados", "no-incluir"])
async def test_rcv_sections_other_than_the_registro_are_told_from_the_header(
        http, header, reason):
    company = await register(http)
    content = _section(header, [compra(1), compra(2)])
    summary = (await upload(http, company, "rcv.csv", content)).json()
    assert (summary["created"], summary["rejected"]) == (0, 2), summary
    assert [i["line"] for i in summary["items"]] == [2, 3]
    assert all(reason in i["reason"] for i in summary["items"])
    assert await documents(http, company) == []


async def test_pendientes_are_told_from_the_header_and_kept_pending(http):
    company = await register(http)
    summary = (await upload(http, company, "rcv.csv", _section(PENDIENTES, [compra(1)]))).json()
    assert (summary["created"], summary["pending"], summary["rejected"]) == (0, 1, 0), summary
    [doc] = await documents(http, company)
    assert doc["status"] == "pending_acceptance"


async def test_the_section_can_be_said(http):
    company = await register(http)
    content = rcv_compras([compra(1)])
    said = (await upload(http, company, "rcv.csv", content, section="reclamados")).json()
    assert (said["created"], said["rejected"]) == (0, 1)
    registro = (await upload(http, company, "rcv.csv", content, section="registro")).json()
    assert registro["created"] == 1


async def test_a_folio_twice_in_one_file_is_recorded_once_the_first_time_it_appears(
        imports_app, http, tmp_path):
    company = await register(http)
    rows = [compra(n) for n in range(1, 8)]
    rows.insert(3, compra(2))  # line 5: the same as line 3, in the same batch
    rows.append(compra(1, neto=2000, iva=380, total=2380))  # line 10: in the next batch
    path = tmp_path / "rcv.csv"
    path.write_bytes(rcv_compras(rows))
    with path.open("rb") as file:
        summary = await import_file(imports_app.state.container.uow, company, file,
                                    options=ImportOptions(batch_size=5, all_items=True))
    assert (summary.created, summary.duplicates, summary.conflicts) == (7, 1, 1)
    recorded = by_folio(await documents(http, company))
    statuses = [(i.location.line, i.status, i.folio, i.document_id) for i in summary.items]
    assert statuses == [
        (2, "created", 1, recorded[(33, 1)]["id"]), (3, "created", 2, recorded[(33, 2)]["id"]),
        (4, "created", 3, recorded[(33, 3)]["id"]), (5, "duplicate", 2, recorded[(33, 2)]["id"]),
        (6, "created", 4, recorded[(33, 4)]["id"]), (7, "created", 5, recorded[(33, 5)]["id"]),
        (8, "created", 6, recorded[(33, 6)]["id"]), (9, "created", 7, recorded[(33, 7)]["id"]),
        (10, "conflict", 1, recorded[(33, 1)]["id"])]
    assert "this file says total 2380" in summary.items[-1].reason
    assert recorded[(33, 1)]["total"] == 1190  # the first line's amounts


async def test_the_embedded_sqlite_database_imports_the_same_way(tmp_path):
    url = f"sqlite:///{tmp_path}/invoicing.db"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    company = new_rut()
    try:
        async with UnitOfWork(sessions) as unit:
            await unit.companies.add(Company(company, "Comercial Andes"))
            await unit.commit()
        first = rcv_compras([compra(1), compra(2), compra(3, tipo=52), compra(2)])
        again = rcv_compras([compra(1), compra(2, neto=2000, iva=380, total=2380), compra(4)])
        summaries = []
        for content in (first, again):
            summaries.append(await import_file(lambda: UnitOfWork(sessions), company,
                                               io.BytesIO(content),
                                               options=ImportOptions(batch_size=2)))
        async with UnitOfWork(sessions) as unit:
            stored = await unit.documents.page(company, None, None, 0, 10)
    finally:
        await engine.dispose()
    counts = [(s.created, s.duplicates, s.conflicts, s.rejected) for s in summaries]
    assert counts == [(2, 1, 0, 1), (1, 1, 1, 0)]
    assert [(i.location.line, i.status) for i in summaries[0].items] == [(4, "rejected")]
    [conflict] = summaries[1].items
    assert (conflict.location.line, conflict.status, conflict.folio) == (3, "conflict", 2)
    by = {d.folio: d for d in stored}
    assert sorted(by) == [1, 2, 4] and conflict.document_id == by[2].id
    assert (by[2].total, by[2].vat_breakdown.recoverable, by[2].received_on) == (
        1190, 190, date(2024, 3, 2))
    assert by[1].references == () and by[1].other_taxes == () and by[1].foreign_currency is None


# --- a re-import, key first ---------------------------------------------------------------


async def test_a_reimport_counts_its_duplicates_and_lists_each_with_its_recorded_id(http):
    company = await register(http)
    content = rcv_compras([compra(1), compra(2, rut="76086428-5"), compra(3, tipo=34,
                                                                         iva=0, total=1000)])
    first = (await upload(http, company, "rcv.csv", content)).json()
    assert first["created"] == 3
    again = (await upload(http, company, "rcv.csv", content)).json()
    assert (again["created"], again["duplicates"], again["conflicts"], again["items"]) == (
        0, 3, 0, [])
    listed = (await upload(http, company, "rcv.csv", content, items="all")).json()
    recorded = by_folio(await documents(http, company))
    assert [(i["line"], i["status"], i["dte_type"], i["folio"], i["document_id"])
            for i in listed["items"]] == [
        (2, "duplicate", 33, 1, recorded[(33, 1)]["id"]),
        (3, "duplicate", 33, 2, recorded[(33, 2)]["id"]),
        (4, "duplicate", 34, 3, recorded[(34, 3)]["id"])]
    assert f"already recorded as document {recorded[(33, 1)]['id']}" in \
        listed["items"][0]["reason"]


async def test_a_reimport_with_one_amount_changed_reports_that_conflict_with_both_totals(http):
    company = await register(http)
    await upload(http, company, "rcv.csv", rcv_compras([compra(1), compra(2), compra(3)]))
    # Folio 2's IVA changed (and so its total): 1000 + 200 = 1200.
    changed = rcv_compras([compra(1), compra(2, iva=200, total=1200), compra(3)])
    summary = (await upload(http, company, "rcv.csv", changed)).json()
    assert (summary["created"], summary["duplicates"], summary["conflicts"]) == (0, 2, 1)
    [conflict] = summary["items"]
    assert (conflict["status"], conflict["line"], conflict["folio"]) == ("conflict", 3, 2)
    assert "recorded total 1190, neto 1000, exento 0, IVA 190" in conflict["reason"]
    assert "this file says total 1200, neto 1000, exento 0, IVA 200" in conflict["reason"]
    assert by_folio(await documents(http, company))[(33, 2)]["total"] == 1190


async def test_a_recorded_row_broken_in_another_field_is_a_duplicate_and_a_new_one_rejected(
        http):
    company = await register(http)
    await upload(http, company, "rcv.csv", rcv_compras([compra(1)]))
    broken = {"Fecha Docto": "31/02/2024", "Razon Social": ""}
    summary = (await upload(http, company, "rcv.csv", rcv_compras(
        [{**compra(1), **broken}, {**compra(2), **broken}]), items="all")).json()
    assert (summary["created"], summary["duplicates"], summary["rejected"]) == (0, 1, 1)
    duplicate, rejected = summary["items"]
    assert (duplicate["line"], duplicate["status"], duplicate["folio"]) == (2, "duplicate", 1)
    assert (rejected["line"], rejected["status"], rejected["folio"]) == (3, "rejected", 2)
    assert "column 'Fecha Docto' is '31/02/2024', not a date" in rejected["reason"]
    assert "column 'Razon Social' is empty" in rejected["reason"]


async def test_a_key_that_cannot_be_read_is_rejected_as_on_a_first_import(http):
    company = await register(http)
    await upload(http, company, "rcv.csv", rcv_compras([compra(1)]))
    summary = (await upload(http, company, "rcv.csv", rcv_compras(
        [compra(1, rut="97975000-4"), {**compra(1), "Folio": "+1"}]))).json()
    assert (summary["duplicates"], summary["rejected"]) == (0, 2)
    bad_rut, bad_folio = summary["items"]
    assert bad_rut["line"] == 2 and "column 'RUT Proveedor'" in bad_rut["reason"]
    assert bad_folio["line"] == 3 and "column 'Folio' is '+1'" in bad_folio["reason"]


async def test_a_pending_document_the_reimported_registro_lists_is_accepted(http):
    company = await register(http)
    pendiente = _section(PENDIENTES, [compra(1)])
    assert (await upload(http, company, "pend.csv", pendiente)).json()["pending"] == 1
    again = (await upload(http, company, "pend.csv", pendiente)).json()
    assert (again["pending"], again["duplicates"]) == (0, 1)
    registro = (await upload(http, company, "rcv.csv", rcv_compras([compra(1)]))).json()
    assert (registro["accepted"], registro["duplicates"]) == (1, 0)
    [doc] = await documents(http, company)
    assert doc["status"] == "recorded"


# --- a first import, no key looked up ------------------------------------------------------


@pytest.fixture
def lookups(monkeypatch) -> list[int]:
    """The keys each recorded_by_key call is asked for (the real query still runs)."""
    asked: list[int] = []
    real = DocumentRepository.recorded_by_key

    async def counted(self, company_rut, direction, keys):
        asked.append(len(keys))
        return await real(self, company_rut, direction, keys)

    monkeypatch.setattr(DocumentRepository, "recorded_by_key", counted)
    return asked


async def test_a_first_import_looks_no_key_up_and_a_reimport_looks_up_each_batch(
        imports_app, http, lookups):
    company = await register(http)
    uow = imports_app.state.container.uow
    async with uow() as unit:
        assert await unit.documents.directions_recorded(company) == frozenset()
    content = rcv_compras([compra(n) for n in range(1, 6)])
    first = await import_file(uow, company, io.BytesIO(content),
                              options=ImportOptions(batch_size=2))
    assert (first.created, lookups) == (5, [])
    async with uow() as unit:
        assert await unit.documents.directions_recorded(company) == {Direction.PURCHASES}
    again = await import_file(uow, company, io.BytesIO(content),
                              options=ImportOptions(batch_size=2))
    assert (again.created, again.duplicates, lookups) == (0, 5, [2, 2, 1])


async def test_a_first_import_still_tells_the_folios_recorded_once_it_started(
        imports_app, http, lookups, monkeypatch):
    company = await register(http)
    await upload(http, company, "rcv.csv", rcv_compras([compra(1), compra(2)]))

    async def nothing_yet(self, company_rut):  # as checked before those two were recorded
        return frozenset()

    monkeypatch.setattr(DocumentRepository, "directions_recorded", nothing_yet)
    content = rcv_compras([compra(1), compra(2, iva=200, total=1200), compra(3)])
    summary = await import_file(imports_app.state.container.uow, company,
                                io.BytesIO(content), options=ImportOptions(batch_size=2))
    assert lookups == []
    assert (summary.created, summary.duplicates, summary.conflicts) == (1, 1, 1)
    [conflict] = summary.items
    assert (conflict.location.line, conflict.folio) == (3, 2)
    assert "this file says total 1200" in conflict.reason
    assert by_folio(await documents(http, company))[(33, 2)]["total"] == 1190
