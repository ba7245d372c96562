"""Reading SII files and turning their documents into drafts (no database)."""

import dataclasses
import io
import uuid
import warnings
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from invoicing.adapters import repositories, sii
from invoicing.adapters.sii import dte_xml, rcv_csv
from invoicing.domain import documents as model
from invoicing.domain.documents import Direction, OtherTax
from invoicing.domain.imports import (
    ImportFormat,
    Location,
    Party,
    Rejected,
    Rejection,
    SourceDocument,
    UnreadableFile,
    amounts_problem,
    draft_for,
)
from invoicing.service_layer.imports import new_ids
from shared.db import json_text

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sii"
COMPANY = "76354771-K"
OTHER = "97975000-5"


def source(**changes) -> SourceDocument:
    values = dict(location=Location(line=2), dte_type=33, folio=1, issue_date=date(2024, 3, 1),
                  net=1000, vat=190, total=1190, emisor=Party(OTHER, "Proveedor"),
                  receptor=Party(COMPANY, "Andes"))
    values.update(changes)
    return SourceDocument(**values)


@pytest.mark.parametrize(("dte_type", "company_is", "direction", "counterparty"), [
    (33, "receptor", Direction.PURCHASES, OTHER),
    (33, "emisor", Direction.SALES, OTHER),
    (61, "receptor", Direction.PURCHASES, OTHER),
    (46, "emisor", Direction.PURCHASES, OTHER),  # the buyer issues a factura de compra
    (46, "receptor", Direction.SALES, OTHER),
])
def test_direction_follows_the_companys_role(dte_type, company_is, direction, counterparty):
    parties = {"emisor": Party(COMPANY, "Andes"), "receptor": Party(OTHER, "Otro")}
    if company_is == "receptor":
        parties = {"emisor": Party(OTHER, "Otro"), "receptor": Party(COMPANY, "Andes")}
    draft = draft_for(COMPANY, source(dte_type=dte_type, **parties))
    assert draft.direction is direction and draft.counterparty.rut == counterparty


def test_a_dte_of_neither_party_is_rejected():
    with pytest.raises(Rejected, match="neither the emisor .* nor the receptor"):
        draft_for("12345678-5", source())


def test_amounts_add_up_with_additional_taxes_and_retained_vat():
    assert amounts_problem(source()) is None
    ila = source(total=1505, other_taxes=(OtherTax(24, 315, 31.5),))
    assert amounts_problem(ila) is None
    retained = source(dte_type=46, total=1000, vat_retained=190)
    assert amounts_problem(retained) is None
    problem = amounts_problem(source(total=1200))
    assert "neto 1000 + exento 0 + IVA 190 = 1190, but the total is 1200" in problem
    with pytest.raises(Rejected, match="do not add up"):
        draft_for(COMPANY, source(total=1))


def test_our_rcv_headers_are_cl_sii_s():
    """cl-sii encodes the SII's export columns; keep ours in step when it changes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from cl_sii.rcv import parse_csv

    def header_of(function) -> tuple:
        return next(c for c in function.__code__.co_consts
                    if isinstance(c, tuple) and c and c[0] == "Nro")

    assert header_of(parse_csv.parse_rcv_compra_registro_csv_file) == rcv_csv.COMPRAS_HEADER
    assert header_of(parse_csv.parse_rcv_venta_csv_file) == rcv_csv.VENTAS_HEADER


def _read(content: bytes, kind: ImportFormat | None = None) -> list:
    with sii.parse(io.BytesIO(content), kind, batch_size=7) as parsed:
        return [item for batch in parsed.batches() for item in batch]


def test_the_f60t33_example_reads_as_the_sii_published_it():
    [doc] = _read((FIXTURES / "F60T33.xml").read_bytes())
    assert (doc.dte_type, doc.folio, doc.issue_date) == (33, 60, date(2003, 10, 13))
    assert doc.emisor == Party("97975000-5", "RUT DE PRUEBA")
    assert doc.receptor == Party("77777777-7", "EMPRESA  LTDA")
    assert (doc.net, doc.exempt, doc.vat, doc.total) == (100_000, 0, 19_000, 119_000)


def _dte(totales: str, emisor: str = "97975000-5", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="ISO-8859-1"?>
<DTE xmlns="http://www.sii.cl/SiiDte"><Documento><Encabezado>
<IdDoc><TipoDTE>33</TipoDTE><Folio>8</Folio><FchEmis>2024-03-01</FchEmis></IdDoc>
<Emisor><RUTEmisor>{emisor}</RUTEmisor><RznSoc>Peñalolén Ltda.</RznSoc></Emisor>
<Receptor><RUTRecep>{COMPANY}</RUTRecep><RznSocRecep>Andes</RznSocRecep></Receptor>
<Totales>{totales}</Totales></Encabezado>{extra}</Documento></DTE>""".encode("iso-8859-1")


def test_iso_8859_1_names_are_read():
    [doc] = _read(_dte("<MntNeto>1</MntNeto><IVA>0</IVA><MntTotal>1</MntTotal>"))
    assert doc.emisor.name == "Peñalolén Ltda."


def test_a_missing_total_and_a_bad_rut_are_rejected_with_their_xml_paths():
    [rejection] = _read(_dte("<MntNeto>1</MntNeto>", emisor="97975000-4"))
    assert isinstance(rejection, Rejection)
    assert (rejection.dte_type, rejection.folio) == (33, 8)
    assert "missing /DTE/Documento/Encabezado/Totales/MntTotal" in rejection.reason
    assert "/DTE/Documento/Encabezado/Emisor/RUTEmisor: RUT '97975000-4'" in rejection.reason


def test_retention_codes_are_retained_vat_and_others_additional_taxes():
    taxes = ("<ImptoReten><TipoImp>15</TipoImp><TasaImp>19</TasaImp><MontoImp>190</MontoImp>"
             "</ImptoReten><ImptoReten><TipoImp>27</TipoImp><TasaImp>10</TasaImp>"
             "<MontoImp>100</MontoImp></ImptoReten>")
    [doc] = _read(_dte(f"<MntNeto>1000</MntNeto><IVA>190</IVA>{taxes}<MntTotal>1100</MntTotal>"))
    assert doc.vat_retained == 190 and doc.other_taxes == (OtherTax(27, 100, 10.0),)


def test_the_suplementeros_retention_is_income_tax_added_to_the_total_not_iva_retained():
    # A newspaper distributor's factura: neto 200.000, IVA 38.000, and 0,5 % of a public
    # price of 300.000 retained for the suplementero's income tax: 1.500, charged on top.
    # 200.000 + 38.000 + 1.500 = 239.500.
    taxes = ("<ImptoReten><TipoImp>53</TipoImp><TasaImp>0.5</TasaImp><MontoImp>1500</MontoImp>"
             "</ImptoReten>")
    [doc] = _read(_dte(f"<MntNeto>200000</MntNeto><IVA>38000</IVA>{taxes}"
                       "<MntTotal>239500</MntTotal>"))
    assert doc.vat_retained == 0 and doc.other_taxes == (OtherTax(53, 1_500, 0.5),)


def test_an_xml_that_is_no_dte_is_refused():
    with pytest.raises(UnreadableFile, match="root element is <Invoice>"):
        _read(b"<Invoice/>")


def test_entities_are_refused_before_any_document_is_read():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE DTE [<!ENTITY a "aaaa">]>'
            b'<DTE xmlns="http://www.sii.cl/SiiDte">&a;</DTE>')
    with pytest.raises(UnreadableFile, match="DTD or entities"):
        list(dte_xml.read(io.BytesIO(bomb), ImportFormat.DTE_XML))


def _csv(*rows: str) -> bytes:
    return ("\r\n".join([";".join(rcv_csv.COMPRAS_HEADER), *rows]) + "\r\n").encode()


def _row(**values) -> str:
    base = {"Nro": "1", "Tipo Doc": "33", "RUT Proveedor": "97975000-5",
            "Razon Social": "Proveedor", "Folio": "4", "Fecha Docto": "01/03/2024",
            "Fecha Recepcion": "01/03/2024 10:00:00", "Monto Exento": "0",
            "Monto Neto": "1000", "Monto IVA Recuperable": "190", "Monto Total": "1190"}
    base.update(values)
    return ";".join(str(base.get(name, "")) for name in rcv_csv.COMPRAS_HEADER)


def test_the_tax_rows_of_a_rejected_document_are_named_in_its_rejection():
    tax = {"Nro": "", "Fecha Recepcion": "", "Monto Total": "", "Codigo Otro Impuesto": "27",
           "Valor Otro Impuesto": "100"}
    [rejected, kept] = _read(_csv(_row(**{"Razon Social": ""}), _row(**tax), _row(**tax),
                                  _row(Folio="5")))
    assert isinstance(rejected, Rejection) and rejected.location.line == 2
    assert rejected.reason == ("column 'Razon Social' is empty (so are the additional taxes "
                               "on line(s) 3, 4, which belong to it)")
    assert isinstance(kept, SourceDocument) and (kept.folio, kept.location.line) == (5, 5)


def test_a_row_is_read_key_first_as_the_import_asks_the_database():
    keyed = rcv_csv.KeyedReader()
    content = _csv(_row(**{"Monto IVA Recuperable": "150", "Monto Iva No Recuperable": "40",
                           "Fecha Docto": "not a date"}),
                   _row(Folio="+5"), _row(**{"Tipo Doc": "46", "Folio": "6"}))
    with sii.parse(io.BytesIO(content), batch_size=7, keyed=True) as parsed:
        entries = [entry for batch in parsed.batches() for entry in batch]
        assert parsed.keyed is not None
        keyed = parsed.keyed
    # IVA is recuperable + no recuperable, as the document's: 150 + 40 = 190.
    assert [entry[:3] for entry in entries] == [
        (2, (33, 4, "97975000-5", False), (1190, 1000, 0, 190)),
        (3, None, None),
        (4, (46, 6, "97975000-5", True), (1190, 1000, 0, 190))]
    assert "'Fecha Docto' is 'not a date'" in keyed.document(entries[0]).reason


def test_a_tax_row_without_its_document_is_rejected():
    tax = _row(**{"Nro": "", "Fecha Recepcion": "", "Monto Total": "", "Folio": "9",
                  "Codigo Otro Impuesto": "27", "Valor Otro Impuesto": "100"})
    items = _read(_csv(_row(), tax))
    assert isinstance(items[0], SourceDocument) and isinstance(items[1], Rejection)
    assert items[1].location.line == 3 and "right after its document" in items[1].reason


def test_blank_lines_and_a_bom_are_fine():
    content = b"\xef\xbb\xbf" + _csv(_row(), "", _row(Folio="5"))
    assert [d.folio for d in _read(content)] == [4, 5]


def test_an_empty_file_and_an_unknown_file_are_refused():
    with pytest.raises(UnreadableFile, match="empty"):
        _read(b"  \n")
    with pytest.raises(UnreadableFile, match="Could not tell"):
        _read(b"a;b;c\n1;2;3\n")


@pytest.mark.parametrize(("draft", "issuer"), [
    (model.DocumentDraft(direction=Direction.PURCHASES, dte_type=46, folio=88,
                   issue_date=date(2024, 3, 4), counterparty=model.Counterparty(OTHER, "Pescador"),
                   net=10_000, vat=1_900, total=10_000, vat_retained=1_900,
                   references=(model.Reference(33, 5, date(2024, 3, 1), 3, "corrige"),),
                   other_taxes=(OtherTax(code=27, amount=100, rate=10.0),),
                   received_on=date(2024, 3, 5),
                   vat_breakdown=model.VatBreakdown(recoverable=1_900)), COMPANY),
    (model.DocumentDraft(direction=Direction.PURCHASES, dte_type=33, folio=9,
                   issue_date=date(2024, 3, 4), counterparty=model.Counterparty(OTHER, "Proveedor"),
                   net=1_000, vat=190, total=1_190), OTHER),
    # A nota de crédito over the company's own 46 (the RCV's flag), pending acceptance.
    (model.DocumentDraft(direction=Direction.PURCHASES, dte_type=61, folio=3,
                         issue_date=date(2024, 3, 4),
                         counterparty=model.Counterparty(OTHER, "Pescador"), net=500, vat=95,
                         total=595, over_purchase_invoice=True,
                         status=model.DocumentStatus.PENDING_ACCEPTANCE), COMPANY),
    (model.DocumentDraft(direction=Direction.SALES, dte_type=33, folio=4,
                         issue_date=date(2024, 3, 4),
                         counterparty=model.Counterparty(OTHER, "Constructora"),
                         net=1_000, vat=190, total=1_190 - 124, construction_credit=124),
     COMPANY),
    (model.DocumentDraft(direction=Direction.SALES, dte_type=110, folio=7,
                   issue_date=date(2024, 3, 4),
                   counterparty=model.Counterparty("55555555-5", "Importadora"), exempt=2_832_000,
                   total=2_832_000, foreign_currency=model.ForeignCurrency(
                       "DOLAR USA", Decimal("3000.50"), Decimal("943.84"))), COMPANY),
])
def test_an_imported_row_is_what_the_document_of_its_draft_stores(draft, issuer):
    """import_row skips the Document: it must stage exactly what recording it would."""
    stored = {**repositories._row(model.new_document("d-1", COMPANY, draft)), "created_at": None}
    expected = tuple(json_text(stored[c]) if c in {"doc_references", "other_taxes",
                                                   "foreign_currency", "vat_breakdown"}
                     else stored[c] for c in repositories.IMPORT_COLUMNS)
    staged = repositories.import_row("d-1", COMPANY, draft)
    assert staged == expected
    assert dict(zip(repositories.IMPORT_COLUMNS, staged, strict=True))["issuer_rut"] == issuer


def test_the_rcv_breakdown_columns_are_read_in_the_order_of_vat_breakdowns_fields():
    # The reader builds VatBreakdown positionally (no dict per row).
    fields = [f.name for f in dataclasses.fields(model.VatBreakdown)]
    columns = list(rcv_csv._BREAKDOWN_COLUMNS)
    assert fields == [*columns[:2], "non_recoverable_code", *columns[2:]]


def test_import_ids_are_distinct_time_ordered_uuids_across_blocks():
    ids = new_ids(block=3)
    texts = [next(ids) for _ in range(10)]  # more than three blocks
    assert len(set(texts)) == 10
    for text in texts:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, text)


def test_a_breakdown_of_only_zeros_is_stored_whole_so_that_it_reads_back_as_one():
    # Stored as only the columns that say something; an empty {} would read back as None.
    assert repositories._breakdown_json(model.VatBreakdown(recoverable=19)) == {
        "recoverable": 19}
    assert repositories._breakdown_json(model.VatBreakdown()) == dataclasses.asdict(
        model.VatBreakdown())
