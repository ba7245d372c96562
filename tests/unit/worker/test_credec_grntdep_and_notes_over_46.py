"""DESIGN.md §6b: CredEC and GrntDep, and the notes a company issues over its own 46, with
numbers worked out by hand."""

from datetime import date

from integration_worker.domain import Hold, propose
from shared.events import Counterparty, Direction, DocumentReference, OtherTax, TaxDocument
from shared.internal_api import LineRole, ProposedEntry
from tests.unit.worker.test_tax_cases import COMPANY, PROFILE

CUSTOMER = Counterparty(rut="12345678-5", name="Inmobiliaria Los Robles SpA")
SELLER = Counterparty(rut="9876543-3", name="Juan Pérez Agricultor")


def doc(direction, dte_type, *, issuer=COMPANY, counterparty=CUSTOMER, **fields):
    return TaxDocument(document_id="d-1", company_rut=COMPANY, direction=direction,
                       dte_type=dte_type, folio=77, issue_date=date(2026, 10, 14),
                       issuer_rut=issuer, counterparty=counterparty, **fields)


def lines(outcome):
    assert isinstance(outcome, ProposedEntry), outcome
    assert outcome.is_balanced
    return [(line.account_code, line.debit, line.credit) for line in outcome.lines]


# --- CredEC: a constructora's sale ---------------------------------------------------------


def test_a_constructoras_sale_recovers_its_credec_as_an_asset():
    # IVA 19 % of 10.000.000 = 1.900.000; CredEC 65 % of it = 1.235.000;
    # total = 10.000.000 + 1.900.000 − 1.235.000 = 10.665.000.
    sale = doc(Direction.SALES, 33, net=10_000_000, vat=1_900_000,
               construction_credit=1_235_000, total=10_665_000)
    entry = propose(sale, PROFILE)
    assert lines(entry) == [("110310", 10_665_000, 0), ("310115", 0, 10_000_000),
                            ("210710", 0, 1_900_000), ("110750", 1_235_000, 0)]
    assert entry.total_debit == entry.total_credit == 11_900_000
    assert entry.lines[-1].role is LineRole.CONSTRUCTION_CREDIT


def test_a_credit_note_over_that_sale_reverses_the_credec_too():
    # A 61 for 20 %: neto 2.000.000, IVA 380.000, CredEC 247.000 (65 % of 380.000),
    # total 2.000.000 + 380.000 − 247.000 = 2.133.000.
    note = doc(Direction.SALES, 61, net=2_000_000, vat=380_000, construction_credit=247_000,
               total=2_133_000, references=(DocumentReference(dte_type=33, folio=76, code=3),))
    assert lines(propose(note, PROFILE)) == [
        ("110310", 0, 2_133_000), ("310115", 2_000_000, 0), ("210710", 380_000, 0),
        ("110750", 0, 247_000)]


def test_a_total_that_forgets_the_credec_is_held_naming_it():
    sale = doc(Direction.SALES, 33, net=10_000_000, vat=1_900_000,
               construction_credit=1_235_000, total=11_900_000)
    hold = propose(sale, PROFILE)
    assert isinstance(hold, Hold)
    assert ("− crédito especial empresas constructoras $1.235.000 = $10.665.000, but the "
            "total is $11.900.000") in hold.reason


# --- GrntDep: a deposit for containers ---------------------------------------------------


def test_a_deposit_for_containers_is_owed_back_as_a_liability():
    # 100 bottles: neto 50.000, IVA 9.500, deposit 100 × 150 = 15.000;
    # total = 50.000 + 9.500 + 15.000 = 74.500.
    sale = doc(Direction.SALES, 33, net=50_000, vat=9_500, container_deposit=15_000,
               total=74_500)
    entry = propose(sale, PROFILE)
    assert lines(entry) == [("110310", 74_500, 0), ("310115", 0, 50_000),
                            ("210710", 0, 9_500), ("210760", 0, 15_000)]
    assert entry.lines[-1].role is LineRole.CONTAINER_DEPOSIT


def test_both_on_one_sale_with_an_additional_tax():
    # neto 100.000, IVA 19.000, ILA cervezas 20,5 % 20.500 (210722 by default), deposit
    # 6.000:
    # total 100.000 + 19.000 + 20.500 + 6.000 = 145.500.
    sale = doc(Direction.SALES, 33, net=100_000, vat=19_000, container_deposit=6_000,
               other_taxes=(OtherTax(code=26, rate=20.5, amount=20_500),), total=145_500)
    assert lines(propose(sale, PROFILE)) == [
        ("110310", 145_500, 0), ("310115", 0, 100_000), ("210710", 0, 19_000),
        ("210722", 0, 20_500), ("210760", 0, 6_000)]


def test_a_purchase_stating_credec_or_grntdep_is_held_to_post_by_hand():
    bought = doc(Direction.PURCHASES, 33, issuer=SELLER.rut, counterparty=SELLER,
                 net=50_000, vat=9_500, container_deposit=15_000, total=74_500)
    hold = propose(bought, PROFILE)
    assert isinstance(hold, Hold)
    assert "it states GrntDep (garantía por envases) $15.000, which only the seller books" \
        in hold.reason and "post it by hand in accounting" in hold.reason


def test_a_type_that_carries_no_credec_is_held():
    boleta = doc(Direction.SALES, 39, total=11_900, construction_credit=100)
    hold = propose(boleta, PROFILE)
    assert isinstance(hold, Hold)
    assert ("carries no CredEC or GrntDep, but this one states CredEC (crédito especial "
            "empresas constructoras) $100") in hold.reason


# --- a note the company issued over its own factura de compra ---------------------------


def own_note(dte_type, **fields):
    return doc(Direction.PURCHASES, dte_type, issuer=COMPANY, counterparty=SELLER,
               references=(DocumentReference(dte_type=46, folio=9, code=3),), **fields)


def test_a_credit_note_over_the_companys_46_mirrors_it():
    # The 46 bought neto 20.000 + IVA 3.800 with the IVA fully retained (total 20.000);
    # the NC for all of it: debit Proveedores 20.000 and IVA Retenido 3.800, credit
    # Compras 20.000 and IVA CF 3.800.
    note = own_note(61, net=20_000, vat=3_800, vat_retained=3_800, total=20_000)
    assert lines(propose(note, PROFILE)) == [
        ("410230", 0, 20_000), ("110710", 0, 3_800), ("210210", 20_000, 0),
        ("210715", 3_800, 0)]


def test_its_retention_is_derived_like_the_46s_when_not_stated():
    # The RCV compras names no retention: total 20.000 of neto 20.000 + IVA 3.800 leaves
    # out 3.800, all of the IVA.
    note = own_note(61, net=20_000, vat=3_800, total=20_000)
    assert lines(propose(note, PROFILE)) == [
        ("410230", 0, 20_000), ("110710", 0, 3_800), ("210210", 20_000, 0),
        ("210715", 3_800, 0)]


def test_a_debit_note_over_the_46_books_like_the_46():
    # ND neto 5.000, IVA 950 retained: debit Compras 5.000 and IVA CF 950, credit
    # Proveedores 5.000 and IVA Retenido 950.
    note = own_note(56, net=5_000, vat=950, total=5_000)
    assert lines(propose(note, PROFILE)) == [
        ("410230", 5_000, 0), ("110710", 950, 0), ("210210", 0, 5_000), ("210715", 0, 950)]


def test_a_note_over_the_46_whose_total_is_beyond_its_iva_is_held():
    note = own_note(61, net=20_000, vat=3_800, total=30_000)
    hold = propose(note, PROFILE)
    assert isinstance(hold, Hold) and "should lie between" in hold.reason
