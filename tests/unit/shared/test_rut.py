import pytest
from pydantic import BaseModel, ValidationError

from shared.rut import InvalidRut, Rut, canonical_rut, format_rut


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("12.345.678-5", "12345678-5"),
        ("12345678-5", "12345678-5"),
        ("60.805.000-0", "60805000-0"),
        ("76.354.771-K", "76354771-K"),
        ("76354771-k", "76354771-K"),
        (" 66.666.666-6 ", "66666666-6"),
    ],
)
def test_accepts_the_usual_spellings_and_stores_one_form(written, canonical):
    assert canonical_rut(written) == canonical


@pytest.mark.parametrize("wrong", ["12.345.678-4", "76354771-0", "60805000-K"])
def test_a_wrong_check_digit_says_which_one_module_11_gives(wrong):
    with pytest.raises(InvalidRut, match="módulo 11 gives"):
        canonical_rut(wrong)


@pytest.mark.parametrize("garbage", ["", "abc", "12.345.678", "12345678-55", "-5"])
def test_text_that_is_not_a_rut_explains_the_expected_form(garbage):
    with pytest.raises(InvalidRut, match="12.345.678-5"):
        canonical_rut(garbage)


def test_pydantic_field_canonicalises_and_reports_errors():
    class Model(BaseModel):
        rut: Rut

    assert Model(rut="76.354.771-k").rut == "76354771-K"
    with pytest.raises(ValidationError, match="check digit"):
        Model(rut="12.345.678-9")


def test_dotted_form_for_people():
    assert format_rut("76354771-K") == "76.354.771-K"
