import pytest
from pydantic import BaseModel, ValidationError

from shared import rut as rut_module
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


def test_a_rut_longer_than_twenty_characters_is_refused_before_anything_else():
    padded = " " * 900_000 + "76354771-K"
    with pytest.raises(InvalidRut) as error:
        canonical_rut(padded)
    assert len(str(error.value)) < 200 and "at most 20 characters" in str(error.value)
    assert canonical_rut("   76.354.771-k   ") == "76354771-K"  # 18 characters: fine


def test_the_cache_is_bounded_and_keyed_on_the_cleaned_rut(monkeypatch):
    monkeypatch.setattr(rut_module, "_cache", {})
    monkeypatch.setattr(rut_module, "CACHE_SIZE", 3)
    for spelling in ("76.354.771-K", "76354771-k", " 76354771-K ", "76354771-K"):
        assert canonical_rut(spelling) == "76354771-K"
    assert rut_module._cache == {"76354771-K": "76354771-K"}
    with pytest.raises(InvalidRut):
        canonical_rut(" " * 5_000 + "76354771-K")
    with pytest.raises(InvalidRut):
        canonical_rut("12.345.678-9")
    assert list(rut_module._cache) == ["76354771-K"]  # nothing invalid is kept
    for number in ("12345678-5", "60805000-0", "66666666-6"):
        canonical_rut(number)
    assert list(rut_module._cache) == ["12345678-5", "60805000-0", "66666666-6"]
