import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.money import round_half_up_div, split_gross, vat_of


@pytest.mark.parametrize(
    ("net", "vat"), [(100_000, 19_000), (1, 0), (3, 1), (50, 10), (571, 108), (72_866, 13_845)]
)
def test_vat_is_19_percent_rounded_half_up(net, vat):
    assert vat_of(net) == vat


@pytest.mark.parametrize(
    ("total", "net", "vat"), [(680, 571, 109), (86_710, 72_866, 13_844), (119, 100, 19), (1, 1, 0)]
)
def test_boleta_total_splits_into_net_and_vat(total, net, vat):
    assert split_gross(total) == (net, vat)


def test_halves_round_away_from_zero():
    assert round_half_up_div(5, 2) == 3
    assert round_half_up_div(-5, 2) == -3
    assert round_half_up_div(4, 3) == 1


@given(st.integers(min_value=0, max_value=10**12))
def test_split_gross_always_adds_back_to_the_total(total):
    net, vat = split_gross(total)
    assert net + vat == total and net >= 0 and vat >= 0
