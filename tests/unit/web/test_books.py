"""The Libros screens with the APIs replaced by a fake transport: the balance de
comprobación shows each account's opening, and the balance tributario its eight columns,
its result line and its totals."""

from tests.unit.web.test_app import COMPANY_ID, FakeApis, make_client, sign_in

BOOKS = f"/contabilidad/empresas/{COMPANY_ID}/libros"
TRIAL_BALANCE = {
    "from": "2026-01-01", "to": "2026-03-31",
    "rows": [{"account_code": "110310", "account_name": "Clientes", "debit": 119_000,
              "credit": 50_000, "debit_balance": 80_900, "credit_balance": 0,
              "opening_balance": 11_900, "closing_balance": 80_900},
             {"account_code": "310115", "account_name": "Ventas de Productos", "debit": 0,
              "credit": 69_000, "debit_balance": 0, "credit_balance": 80_900,
              "opening_balance": -11_900, "closing_balance": -80_900}],
    "totals": {"debit": 119_000, "credit": 119_000, "debit_balance": 80_900,
               "credit_balance": 80_900, "opening_balance": 0, "closing_balance": 0}}
COLUMNS = ("debit", "credit", "debit_balance", "credit_balance", "assets", "liabilities",
           "losses", "gains")


def eight(*values: int) -> dict:
    return dict(zip(COLUMNS, values, strict=True))


TRIBUTARIO = {
    "year": 2026, "from": "2026-01-01", "to": "2026-03-31",
    "rows": [{"account_code": "110310", "account_name": "Clientes", "account_type": "asset",
              **eight(119_000, 0, 119_000, 0, 119_000, 0, 0, 0)},
             {"account_code": "310115", "account_name": "Ventas de Productos",
              "account_type": "income", **eight(0, 119_000, 0, 119_000, 0, 0, 0, 119_000)}],
    "sums": eight(119_000, 119_000, 119_000, 119_000, 119_000, 0, 0, 119_000),
    "result": {"outcome": "profit", "label": "Utilidad del ejercicio", "amount": 119_000,
               **eight(0, 0, 0, 0, 0, 119_000, 119_000, 0)},
    "totals": eight(119_000, 119_000, 119_000, 119_000, 119_000, 119_000, 119_000, 119_000)}


async def books_page(report: str, answer: dict, book: str, desde: str, *, csv: bool = False):
    """The Libros page of ``book`` (and its CSV download) with ``answer`` as the report."""
    fake = FakeApis()
    fake.answers[("GET", f"/v1/companies/{COMPANY_ID}/reports/{report}")] = (200, answer)
    async with make_client(fake, environment="development") as client:
        await sign_in(client)
        params = {"desde": desde, "hasta": "31-03-2026"}
        page = await client.get(BOOKS, params={"libro": book, **params})
        download = await client.get(f"{BOOKS}/{book}.csv", params=params) if csv else None
    return fake, page, download


async def test_the_balance_de_comprobacion_shows_the_opening():
    fake, page, _ = await books_page("trial-balance", TRIAL_BALANCE, "balance", "01-01-2026")
    assert page.status_code == 200, page.text
    assert "Saldo inicial" in page.text
    assert '<td class="num" data-column="saldo-inicial">$11.900</td>' in page.text
    assert '<td class="num" data-column="saldo-inicial">-$11.900</td>' in page.text
    assert "$80.900" in page.text
    [call] = [c for c in fake.calls if c.url.path.endswith("/trial-balance")]
    assert dict(call.url.params) == {"from": "2026-01-01", "to": "2026-03-31"}


async def test_the_balance_tributario_is_the_year_to_hasta_with_its_result_line():
    # Desde is March: the balance tributario still starts on 1 January.
    fake, page, download = await books_page("balance-tributario", TRIBUTARIO, "tributario",
                                            "01-03-2026", csv=True)
    assert page.status_code == 200, page.text
    assert "Balance tributario de 8 columnas" in page.text
    assert "del 01-01-2026 al 31-03-2026" in page.text
    assert "Utilidad del ejercicio" in page.text
    assert '<td class="num" data-total="liabilities">$119.000</td>' in page.text
    assert '<td class="num" data-total="losses">$119.000</td>' in page.text
    calls = [c for c in fake.calls if c.url.path.endswith("/balance-tributario")]
    assert dict(calls[0].url.params) == {"year": "2026", "to": "2026-03-31"}
    assert dict(calls[1].url.params) == {"year": "2026", "to": "2026-03-31", "format": "csv"}
    assert download.status_code == 200
    assert 'filename="balance-tributario_2026-01-01_2026-03-31.csv"' in download.headers[
        "content-disposition"]
