from hypothesis import given
from hypothesis import strategies as st

from shared.rut import canonical_rut, rut_from_number
from web.ruts import check_digit, check_rut, ruts_in


@given(st.integers(min_value=1, max_value=99_999_999))
def test_the_modulo_11_check_digit_agrees_with_the_sii_rule(number):
    assert f"{number}-{check_digit(str(number))}" == rut_from_number(number)


def test_a_valid_rut_in_any_spelling_gives_its_canonical_form():
    for text, canonical in (("76.354.771-K", "76354771-K"), ("76354771-k", "76354771-K"),
                            ("76354771K", "76354771-K"), (" 12.345.678-5 ", "12345678-5")):
        result = check_rut(text)
        assert result.ok and result.message == ""
        assert result.canonical == canonical == canonical_rut(canonical)


def test_a_wrong_check_digit_says_which_one_modulo_11_gives():
    result = check_rut("12.345.678-9")
    assert not result.ok
    assert "debería ser 5" in result.message and "módulo 11" in result.message


def test_what_is_not_a_rut_says_how_to_write_one():
    for text in ("abc", "12.345.678-55", "123456789-0", "12-"):
        result = check_rut(text)
        assert not result.ok and "12.345.678-5" in result.message


def test_an_empty_rut_asks_for_one():
    assert check_rut("").message.startswith("Ingresa un RUT")
    assert check_rut(None).message.startswith("Ingresa un RUT")


def test_a_list_of_ruts_separates_the_good_from_the_bad():
    good, bad = ruts_in("78.000.000-7, 76354771-k 78000000-7; 12.345.678-9")
    assert good == ["78000000-7", "76354771-K"]
    assert len(bad) == 1 and "debería ser 5" in bad[0]
    assert ruts_in("") == ([], [])
