"""The console's settings form keeps what it does not show."""

from web.accounts import settings_body


def test_saving_the_accounts_keeps_the_purchase_entry_date_chosen_through_the_api():
    form = {"ventas_auxiliar": "110310", "ventas_detalle": "310115",
            "compras_auxiliar": "210210", "compras_detalle": "410230"}
    assert settings_body(form, {"purchase_entry_date": "issued"})["purchase_entry_date"] \
        == "issued"
    assert settings_body(form, {})["purchase_entry_date"] == "received"
