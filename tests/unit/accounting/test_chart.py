from accounting.domain.accounts import AccountType
from accounting.domain.chart import DEFAULT_LEAVES, default_chart


def by_code():
    return {a.code: a for a in default_chart()}


def test_every_leaf_of_the_design_is_postable_and_active():
    chart = by_code()
    expected = {"110101", "110102", "110310", "110420", "110610", "110710", "110740",
                "210210", "210710", "210715", "210740", "230110", "230510", "310115",
                "310120", "310125", "410230", "410235", "410190", "420220",
                # ILA, one account per SII tax code (24, 25, 26, 27, 271)
                "210720", "210721", "210722", "210723", "210724",
                # added for §6b: ILA por Recuperar, uso común, constructoras, activo fijo,
                # renta retenida, garantía por envases
                "110715", "110730", "110750", "120110", "120120", "120130", "210745",
                "210760"}
    assert {a.code for a in DEFAULT_LEAVES} == expected
    for code in expected:
        assert chart[code].postable and chart[code].active


def test_only_clientes_and_proveedores_track_counterparties():
    assert {a.code for a in default_chart() if a.auxiliary} == {"110310", "210210"}


def test_groups_are_the_prefixes_of_length_1_2_and_4_and_not_postable():
    chart = by_code()
    groups = {a.code for a in chart.values() if not a.postable}
    prefixes = {leaf.code[:n] for leaf in DEFAULT_LEAVES for n in (1, 2, 4)}
    assert groups == prefixes
    assert {"1", "11", "1101", "1103", "2102", "3101", "4202"} <= groups
    assert all(chart[g].name and not chart[g].name.startswith("Grupo") for g in groups)


def test_types_follow_the_chilean_chart():
    chart = by_code()
    assert chart["110310"].type == AccountType.ASSET
    assert chart["210710"].type == AccountType.LIABILITY
    assert chart["230110"].type == AccountType.EQUITY
    assert chart["23"].type == AccountType.EQUITY
    assert chart["2"].type == AccountType.LIABILITY  # liabilities and equity together
    assert chart["310125"].type == AccountType.INCOME
    assert chart["4"].type == AccountType.EXPENSE


def test_chart_is_ordered_by_code_without_duplicates():
    codes = [a.code for a in default_chart()]
    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
