"""Any valid document of any supported type yields a balanced entry that carries its IVA."""

from hypothesis import given
from hypothesis import strategies as st

from integration_worker.domain import propose
from shared.events import DocumentReference
from shared.internal_api import LineRole, ProposedEntry
from shared.money import split_gross, vat_of
from tests.unit.worker.test_posting_rules import FINAL_CONSUMER, PROFILE, doc

amounts = st.integers(min_value=0, max_value=10**11)
positive = st.integers(min_value=1, max_value=10**11)
references = st.lists(
    st.builds(DocumentReference, dte_type=st.just(33), folio=st.integers(1, 10**6),
              code=st.sampled_from([None, 1, 3])),
    max_size=2,
).map(tuple)


@st.composite
def taxed(draw, direction, dte_type):
    """33 / 56 / 61: neto + exento + IVA = total, IVA = 19% of neto."""
    net, exempt = draw(amounts), draw(amounts)
    if net + exempt == 0:
        net = draw(positive)
    vat = vat_of(net)
    refs = draw(references) if dte_type == 61 or dte_type == 56 else ()
    return doc(direction, dte_type, net=net, exempt=exempt, vat=vat,
               total=net + exempt + vat, references=refs)


@st.composite
def exempt_only(draw, direction, dte_type):
    total = draw(positive)
    return doc(direction, dte_type, exempt=total, total=total)


@st.composite
def boleta(draw):
    total = draw(positive)
    exempt = draw(st.integers(min_value=0, max_value=total))
    stated = draw(st.booleans())
    net, vat = split_gross(total - exempt) if stated else (0, 0)
    return doc("sales", 39, net=net, exempt=exempt, vat=vat, total=total,
               counterparty=FINAL_CONSUMER)


@st.composite
def export(draw, dte_type):
    total = draw(positive)
    stated = draw(st.booleans())
    return doc("sales", dte_type, exempt=total if stated else 0, total=total)


@st.composite
def factura_de_compra(draw):
    net = draw(positive)
    exempt = draw(amounts)
    vat = vat_of(net)
    retained = draw(st.integers(min_value=0, max_value=vat))
    return doc("purchases", 46, net=net, exempt=exempt, vat=vat,
               total=net + exempt + vat - retained)


documents = st.one_of(
    *(taxed("sales", t) for t in (33, 56, 61)),
    *(taxed("purchases", t) for t in (33, 56, 61)),
    exempt_only("sales", 34),
    exempt_only("purchases", 34),
    exempt_only("sales", 41),
    boleta(),
    *(export(t) for t in (110, 111, 112)),
    factura_de_compra(),
)


def expected_vat(document) -> int:
    if document.dte_type == 39:
        return split_gross(document.total - document.exempt)[1]
    return document.vat


def amount(line) -> int:
    return line.debit or line.credit


@given(documents)
def test_every_valid_document_posts_a_balanced_entry_with_its_iva(document):
    entry = propose(document, PROFILE)
    assert isinstance(entry, ProposedEntry), entry
    assert entry.is_balanced
    assert all((line.debit > 0) != (line.credit > 0) for line in entry.lines)

    vat_lines = [line for line in entry.lines
                 if line.role in (LineRole.VAT_DEBIT, LineRole.VAT_CREDIT)]
    assert sum(amount(line) for line in vat_lines) == expected_vat(document)

    auxiliary = [line for line in entry.lines if line.role is LineRole.AUXILIARY]
    assert [(amount(line), line.counterparty_rut) for line in auxiliary] == [
        (document.total, document.counterparty.rut)
    ]
    assert len([line for line in entry.lines if line.role is LineRole.DETAIL]) == 1

    retained = [line for line in entry.lines if line.role is LineRole.VAT_RETAINED]
    withheld = document.net + document.exempt + document.vat - document.total
    assert sum(amount(line) for line in retained) == (withheld if document.dte_type == 46 else 0)
