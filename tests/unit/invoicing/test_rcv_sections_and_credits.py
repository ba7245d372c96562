"""Issue 13 items 3, 5 and 6 in the readers and the import rules (no database): the RCV's
pendientes kept as pending acceptance, CredEC and GrntDep in the total rule, and notes
over the company's own 46 on the purchase side. Files written here from the SII formats
(DESIGN.md §11)."""

import io
from datetime import date

import pytest

from invoicing.adapters import sii
from invoicing.adapters.sii.rcv_csv import COMPRAS_HEADER, VENTAS_HEADER
from invoicing.domain.documents import Direction, DocumentStatus, new_document
from invoicing.domain.imports import (
    Location,
    Party,
    RcvSection,
    Rejection,
    SourceDocument,
    amounts_problem,
    draft_for,
)
from tests.support.rcv_files import PENDIENTES
from tests.support.rcv_files import compra_row as compra
from tests.support.rcv_files import rcv_file as _csv

COMPANY = "76354771-K"
SUPPLIER = "97975000-5"
TODAY = date(2024, 4, 2)


def _read(content: bytes, section: RcvSection | None = None) -> list:
    with sii.parse(io.BytesIO(content), batch_size=5, section=section) as parsed:
        return [item for batch in parsed.batches() for item in batch]


def venta(folio, tipo=33, neto=1000, iva=190, total=1190, **more):
    return {"Nro": folio, "Tipo Doc": tipo, "Tipo Venta": "Del Giro",
            "Rut cliente": "12345678-5", "Razon Social": "Inmobiliaria Sur SpA",
            "Folio": folio, "Fecha Docto": "05/03/2024", "Monto Exento": 0,
            "Monto Neto": neto, "Monto IVA": iva, "Monto total": total, **more}


# --- item 3: pendientes -------------------------------------------------------------------


def test_pendientes_rows_are_documents_pending_acceptance():
    items = _read(_csv(PENDIENTES, [compra(1), compra(2, neto=2000, iva=380, total=2380)]))
    assert [type(i) for i in items] == [SourceDocument, SourceDocument]
    assert all(i.pending_acceptance for i in items)
    draft = draft_for(COMPANY, items[1], TODAY)
    assert draft.status is DocumentStatus.PENDING_ACCEPTANCE
    assert (draft.direction, draft.total, draft.received_on) == (
        Direction.PURCHASES, 2380, date(2024, 3, 4))
    assert new_document("d-1", COMPANY, draft).pending_acceptance


def test_a_pendientes_row_that_is_wrong_is_still_rejected_with_its_line():
    items = _read(_csv(PENDIENTES, [compra(1), compra(2, total="")]))
    assert items[0].pending_acceptance
    assert isinstance(items[1], Rejection) and items[1].location == Location(line=3)
    assert "column 'Monto Total' is empty" in items[1].reason


def test_the_registro_and_a_said_section_are_not_pending():
    registro = _read(_csv(COMPRAS_HEADER, [compra(1)]))
    assert not registro[0].pending_acceptance
    assert draft_for(COMPANY, registro[0], TODAY).status is DocumentStatus.RECORDED
    said = _read(_csv(COMPRAS_HEADER, [compra(1)]), RcvSection.PENDIENTES)
    assert said[0].pending_acceptance


@pytest.mark.parametrize(("section", "reason"), [
    (RcvSection.RECLAMADOS, "the RCV's reclamados"),
    (RcvSection.NO_INCLUIR, "the RCV's 'no incluir'"),
])
def test_reclamados_and_no_incluir_stay_refused(section, reason):
    [item] = _read(_csv(COMPRAS_HEADER, [compra(1)]), section)
    assert isinstance(item, Rejection) and reason in item.reason


# --- item 5: CredEC and GrntDep -----------------------------------------------------------


def test_the_total_rule_subtracts_credec_and_adds_grntdep():
    # 10.000.000 + 1.900.000 − 1.235.000 = 10.665.000
    constructora = SourceDocument(
        location=Location(line=2), dte_type=33, folio=1, issue_date=date(2024, 3, 1),
        net=10_000_000, vat=1_900_000, construction_credit=1_235_000, total=10_665_000,
        emisor=Party(COMPANY, "Constructora Andes"), receptor=Party(SUPPLIER, "Cliente"))
    assert amounts_problem(constructora) is None
    # 50.000 + 9.500 + 15.000 = 74.500
    envases = SourceDocument(
        location=Location(line=3), dte_type=33, folio=2, issue_date=date(2024, 3, 1),
        net=50_000, vat=9_500, container_deposit=15_000, total=74_500,
        emisor=Party(COMPANY, "Embotelladora Andes"), receptor=Party(SUPPLIER, "Cliente"))
    assert amounts_problem(envases) is None
    forgot = amounts_problem(SourceDocument(**{**constructora.__dict__, "total": 11_900_000}))
    assert "− crédito empresas constructoras (CredEC) 1235000 = 10665000" in forgot


def test_rcv_ventas_reads_the_constructora_and_envases_columns():
    items = _read(_csv(VENTAS_HEADER, [
        venta(1, neto=10_000_000, iva=1_900_000, total=10_665_000,
              **{"Credito empresa constructora": 1_235_000}),
        venta(2, neto=50_000, iva=9_500, total=74_500, **{"Garantia Dep. Envases": 15_000}),
    ]))
    assert [(i.construction_credit, i.container_deposit) for i in items] == [
        (1_235_000, 0), (0, 15_000)]
    drafts = [draft_for(COMPANY, i, TODAY) for i in items]
    assert [(d.construction_credit, d.container_deposit, d.total) for d in drafts] == [
        (1_235_000, 0, 10_665_000), (0, 15_000, 74_500)]


def _dte(totales: str, tipo: int = 33, emisor: str = COMPANY, receptor: str = SUPPLIER,
         references: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<DTE xmlns="http://www.sii.cl/SiiDte" version="1.0"><Documento ID="T{tipo}F8"><Encabezado>
<IdDoc><TipoDTE>{tipo}</TipoDTE><Folio>8</Folio><FchEmis>2024-03-01</FchEmis></IdDoc>
<Emisor><RUTEmisor>{emisor}</RUTEmisor><RznSoc>Constructora Ñuñoa SpA</RznSoc></Emisor>
<Receptor><RUTRecep>{receptor}</RUTRecep><RznSocRecep>Inmobiliaria</RznSocRecep></Receptor>
<Totales>{totales}</Totales></Encabezado>
<Detalle><NroLinDet>1</NroLinDet><NmbItem>Obra</NmbItem><MontoItem>1</MontoItem></Detalle>
{references}</Documento></DTE>""".replace("\n", "\r\n").encode("iso-8859-1")


def test_a_dte_with_credec_is_read_and_adds_up():
    [doc] = _read(_dte("<MntNeto>10000000</MntNeto><TasaIVA>19</TasaIVA><IVA>1900000</IVA>"
                       "<CredEC>1235000</CredEC><MntTotal>10665000</MntTotal>"))
    assert (doc.net, doc.vat, doc.construction_credit, doc.total) == (
        10_000_000, 1_900_000, 1_235_000, 10_665_000)
    draft = draft_for(COMPANY, doc, TODAY)
    assert draft.direction is Direction.SALES and draft.construction_credit == 1_235_000


def test_a_dte_with_grntdep_is_read_and_adds_up():
    [doc] = _read(_dte("<MntNeto>50000</MntNeto><TasaIVA>19</TasaIVA><IVA>9500</IVA>"
                       "<GrntDep>15000</GrntDep><MntTotal>74500</MntTotal>"))
    assert (doc.container_deposit, doc.total) == (15_000, 74_500)
    assert draft_for(COMPANY, doc, TODAY).container_deposit == 15_000


def test_a_bad_credec_is_rejected_with_its_path():
    [rejection] = _read(_dte("<MntNeto>1000</MntNeto><IVA>190</IVA><CredEC>+5</CredEC>"
                             "<MntTotal>1185</MntTotal>"))
    assert isinstance(rejection, Rejection)
    assert "/DTE/Documento/Encabezado/Totales/CredEC is '+5'" in rejection.reason


# --- item 6: notes over the company's own 46 ----------------------------------------------


def test_an_rcv_compras_note_over_a_factura_de_compra_is_the_companys_own():
    # The 46 retained all its IVA, so does the NC: total 20.000 of neto 20.000 + IVA 3.800.
    flag = {"NCE o NDE sobre Fact. de Compra": "1"}
    items = _read(_csv(COMPRAS_HEADER, [
        compra(3, tipo=61, neto=20_000, iva=3_800, total=20_000, **flag),
        compra(4, tipo=61, neto=1_000, iva=190, total=1_190),
    ]))
    over_46, plain = items
    assert over_46.over_purchase_invoice and over_46.vat_retained == 3_800
    assert not plain.over_purchase_invoice and plain.vat_retained == 0
    note = new_document("d-3", COMPANY, draft_for(COMPANY, over_46, TODAY))
    assert (note.direction, note.issuer_rut, note.counterparty.rut) == (
        Direction.PURCHASES, COMPANY, SUPPLIER)
    assert new_document("d-4", COMPANY, draft_for(COMPANY, plain, TODAY)).issuer_rut == SUPPLIER


def test_the_flag_on_a_document_that_is_no_note_says_nothing_and_a_bad_one_is_rejected():
    items = _read(_csv(COMPRAS_HEADER, [
        compra(5, **{"NCE o NDE sobre Fact. de Compra": "1"}),
        compra(6, tipo=61, **{"NCE o NDE sobre Fact. de Compra": "quizás"}),
    ]))
    assert not items[0].over_purchase_invoice
    assert isinstance(items[1], Rejection)
    assert "column 'NCE o NDE sobre Fact. de Compra' is 'QUIZÁS'" in items[1].reason


def test_a_dte_note_the_company_issued_over_its_46_is_a_purchase():
    reference = ("<Referencia><NroLinRef>1</NroLinRef><TpoDocRef>46</TpoDocRef>"
                 "<FolioRef>9</FolioRef><CodRef>3</CodRef></Referencia>")
    [doc] = _read(_dte("<MntNeto>20000</MntNeto><IVA>3800</IVA><ImptoReten><TipoImp>15"
                       "</TipoImp><TasaImp>19</TasaImp><MontoImp>3800</MontoImp></ImptoReten>"
                       "<MntTotal>20000</MntTotal>", tipo=61, receptor="12345678-5",
                       references=reference))
    draft = draft_for(COMPANY, doc, TODAY)
    assert (draft.direction, draft.counterparty.rut, draft.vat_retained) == (
        Direction.PURCHASES, "12345678-5", 3_800)
    assert new_document("d-5", COMPANY, draft).issuer_rut == COMPANY
