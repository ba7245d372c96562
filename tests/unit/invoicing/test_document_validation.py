from datetime import date

import pytest

from invoicing.domain.documents import (
    SUPPORTED_DTE_TYPES,
    Counterparty,
    Direction,
    DocumentDraft,
    Reference,
    validate,
)
from invoicing.domain.errors import InvalidDocument


def draft(**changes) -> DocumentDraft:
    values = dict(
        direction=Direction.SALES, dte_type=33, folio=10, issue_date=date(2024, 3, 5),
        counterparty=Counterparty("12345678-5", "Cliente"), net=100, exempt=0, vat=19,
        total=119,
    )
    values.update(changes)
    return DocumentDraft(**values)


@pytest.mark.parametrize("dte_type", sorted(SUPPORTED_DTE_TYPES))
def test_supported_types_pass(dte_type):
    validate(draft(dte_type=dte_type))


def test_an_unsupported_type_is_refused_listing_the_supported_ones():
    with pytest.raises(InvalidDocument) as error:
        validate(draft(dte_type=52))
    assert "dte_type 52 is not supported" in error.value.detail
    for code in (33, 34, 39, 41, 46, 56, 61, 110, 111, 112):
        assert f"{code} (" in error.value.detail


def test_amounts_that_do_not_add_up_are_recorded_as_issued():
    validate(draft(net=100, vat=0, total=5))


@pytest.mark.parametrize("amount", [-1, 1.5, "100", True])
def test_amounts_are_whole_non_negative_pesos(amount):
    with pytest.raises(InvalidDocument, match="net must be whole pesos"):
        validate(draft(net=amount))


def test_folio_must_be_positive():
    with pytest.raises(InvalidDocument, match="folio"):
        validate(draft(folio=0))


def test_reference_codes_are_1_2_or_3():
    validate(draft(dte_type=61, references=(Reference(33, 5, code=1),)))
    with pytest.raises(InvalidDocument, match="references.0.code"):
        validate(draft(dte_type=61, references=(Reference(33, 5, code=4),)))


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidDocument) as error:
        validate(draft(dte_type=99, folio=0, total=-5))
    assert len(error.value.extra["errors"]) == 3
