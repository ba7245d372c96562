from datetime import UTC, date, datetime

import pytest

from web.formatting import dte, fecha, parse_fecha, pesos, rut


@pytest.mark.parametrize(("amount", "text"), [
    (0, "$0"), (5, "$5"), (999, "$999"), (1_000, "$1.000"), (1_234_567, "$1.234.567"),
    (627_400, "$627.400"), (-500, "-$500"), (-1_234_567, "-$1.234.567"),
    (10**15, "$1.000.000.000.000.000"), (None, ""),
])
def test_pesos_have_dots_between_thousands_and_no_decimals(amount, text):
    assert pesos(amount) == text


@pytest.mark.parametrize(("value", "text"), [
    ("12345678-5", "12.345.678-5"), ("12.345.678-5", "12.345.678-5"),
    ("76354771-k", "76.354.771-K"), ("76354771-K", "76.354.771-K"), ("1-9", "1-9"),
    ("not a rut", "not a rut"), ("12345678-0", "12345678-0"), ("", ""), (None, ""),
])
def test_ruts_are_written_with_dots_and_dash(value, text):
    assert rut(value) == text


def test_dates_are_dd_mm_aaaa():
    assert fecha("2026-10-03") == "03-10-2026"
    assert fecha(date(2026, 1, 31)) == "31-01-2026"
    assert fecha(None) == "" and fecha("") == ""
    assert fecha("no es fecha") == "no es fecha"


def test_date_times_are_shown_in_chile_time():
    # 15:30 UTC on a day of Chilean summer time (UTC-3) is 12:30 in Santiago.
    assert fecha(datetime(2026, 1, 15, 15, 30, tzinfo=UTC)) == "15-01-2026 12:30"
    assert fecha("2026-01-15T15:30:00+00:00") == "15-01-2026 12:30"
    # Winter (UTC-4).
    assert fecha("2026-07-15T15:30:00Z") == "15-07-2026 11:30"


@pytest.mark.parametrize("text", ["01-10-2026", "2026-10-01", "01/10/2026", " 01-10-2026 "])
def test_dates_typed_in_any_usual_form_are_read(text):
    assert parse_fecha(text) == date(2026, 10, 1)


@pytest.mark.parametrize(("text", "says"), [
    ("", "Indica la fecha"), ("31-02-2026", "no es una fecha"), ("10/2026", "dd-mm-aaaa")])
def test_a_date_that_is_not_one_says_how_to_write_it(text, says):
    with pytest.raises(ValueError, match=says):
        parse_fecha(text)


def test_dte_types_have_their_spanish_names():
    assert dte(33) == "Factura electrónica"
    assert dte(61) == "Nota de crédito electrónica"
    assert dte(999) == "Tipo DTE 999"
