"""The console's settings form sends every setting: what it edits from the form, the rest
as the API answered it (the PUT replaces the whole settings)."""

from web.accounts import other_settings, settings_body

ACCOUNTS = {"ventas_auxiliar": "110310", "ventas_detalle": "310115",
            "compras_auxiliar": "210210", "compras_detalle": "410230"}
CURRENT = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102", "collections_account": "110102",
    "fixed_asset_account": "120110", "non_recoverable_vat_account": "420220",
    "auto_post": True,
    "other_tax_accounts": {"24": "210720", "27": "210723"},
    "purchase_other_tax_accounts": {"24": "110715", "53": "420220"},
    "issued_vat_tolerance": 5, "purchase_entry_date": "issued", "missing": [],
}


def test_saving_the_accounts_keeps_the_purchase_entry_date_chosen_through_the_api():
    assert settings_body(ACCOUNTS, {"purchase_entry_date": "issued"})["purchase_entry_date"] \
        == "issued"
    assert settings_body(ACCOUNTS, {})["purchase_entry_date"] == "received"


def test_a_form_that_shows_only_the_main_accounts_keeps_every_other_setting():
    body = settings_body(ACCOUNTS, CURRENT)
    assert body == {key: value for key, value in CURRENT.items() if key != "missing"}


def test_the_form_edits_every_setting():
    form = {**ACCOUNTS, "pagos": "", "recaudaciones": "110101", "activo_fijo": "",
            "iva_no_recuperable": "410230", "fecha_compra": "received", "tolerancia_iva": "0",
            # a blank row drops the override; a new row adds one
            "impuesto_venta_24": "210721", "impuesto_venta_27": "",
            "impuesto_compra_24": "110715", "impuesto_compra_53": "420220",
            "impuesto_compra_nuevo_codigo": "271", "impuesto_compra_nueva_cuenta": "110715"}
    body = settings_body(form, CURRENT)
    assert body["payments_account"] is None and body["collections_account"] == "110101"
    assert body["fixed_asset_account"] is None
    assert body["non_recoverable_vat_account"] == "410230"
    assert body["purchase_entry_date"] == "received" and body["issued_vat_tolerance"] == 0
    assert body["other_tax_accounts"] == {"24": "210721"}
    assert body["purchase_other_tax_accounts"] == {"24": "110715", "53": "420220",
                                                   "271": "110715"}
    assert body["auto_post"] is True  # not on this form: kept


def test_an_unknown_entry_date_choice_keeps_the_current_one():
    assert settings_body({**ACCOUNTS, "fecha_compra": "whenever"}, CURRENT)[
        "purchase_entry_date"] == "issued"


def test_the_form_shows_each_tax_code_with_its_account_and_the_chosen_entry_date():
    shown = other_settings(CURRENT)
    sales, purchases = shown["taxes"]
    assert [(r["name"], r["account"]) for r in sales["rows"]] == [
        ("impuesto_venta_24", "210720"), ("impuesto_venta_27", "210723")]
    assert [r["code"] for r in purchases["rows"]] == ["24", "53"]
    assert shown["tolerance"] == "5" and shown["entry_date"] == "issued"
    # Back with errors: what the person chose, not what is saved.
    again = other_settings(CURRENT, {**ACCOUNTS, "impuesto_venta_24": "210799",
                                     "impuesto_venta_27": "210723", "tolerancia_iva": "abc",
                                     "fecha_compra": "received"})
    assert again["taxes"][0]["rows"][0]["account"] == "210799"
    assert again["tolerance"] == "abc" and again["entry_date"] == "received"
