"""docs/partners.md, run as a partner would: every curl command in order, against the
three services as real processes on PostgreSQL and RabbitMQ (conventions: guide.py)."""

import os
from pathlib import Path

import httpx
import pytest

from shared.http.auth import DEVELOPMENT_SECRET, mint_token
from tests.deploy import guide
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partners.md"



stack = module_stack("guide")


def test_the_guide_uses_the_conventions_it_explains():
    commands = guide.commands(GUIDE.read_text(encoding="utf-8"))
    assert len(commands) >= 15
    for command in commands:
        # Authentication is one variable away: every call passes the $AUTH header.
        assert '-H "$AUTH"' in command.text, f"line {command.line} does not pass $AUTH"
        assert '"$INVOICING/' in command.text or '"$ACCOUNTING/' in command.text


def test_every_command_of_the_guide_works_in_order(stack):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "INVOICING": stack.invoicing_url,
        "ACCOUNTING": stack.accounting_url,
        # The token the guide tells the reader to mint (`make token …`).
        "AUTH": "Authorization: Bearer " + mint_token(
            DEVELOPMENT_SECRET, "partner", contracts=["78000000-7"], companies=["76354771-K"]),
    }
    try:
        saved = guide.run_all(GUIDE.read_text(encoding="utf-8"), env)
    except AssertionError as error:
        tails = "\n".join(stack.log_tail(s, 40) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    assert {"company_id", "request_id", "sync_id", "document_id"} <= saved.keys()

    # What the guide tells the reader to expect at the end.
    token = env["AUTH"].removeprefix("Authorization: ")
    accounting = httpx.Client(base_url=stack.accounting_url, timeout=10,
                              headers={"Authorization": token})
    with accounting:
        sync = accounting.get(f"/v1/syncs/{saved['sync_id']}").json()
        assert (sync["expected"], sync["received"], sync["posted"]) == (2, 2, 2)
        report = accounting.get(f"/v1/companies/{saved['company_id']}/reports/trial-balance",
                                params={"from": "2026-10-01", "to": "2026-10-31"}).json()
    credits = {row["account_code"]: row["credit"] for row in report["rows"]}
    assert credits["310120"] == 100_000  # the sale moved to Ventas de Servicios in review
    assert report["totals"]["debit"] == report["totals"]["credit"] == 119_000 + 95_200


def test_the_path_convention():
    body = {"items": [{"id": "a", "document": {"folio": 7}},
                      {"id": "b", "document": {"folio": 1001}}]}
    assert guide.lookup(body, ".items[document.folio=1001].id") == "b"
    assert guide.lookup(body, ".items[1].document.folio") == 1001
    assert guide.lookup([{"id": "x"}], ".[0].id") == "x"
    assert guide.lookup([], ".[0].id") is None
