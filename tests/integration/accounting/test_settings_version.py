"""A batch of proposals built with settings that changed since is refused whole (issue 12:
a settings change reached only one of two workers, and the other kept the old accounts)."""

from accounting.domain.settings import SettingsVersion
from shared.internal_api import STALE_SETTINGS, ProposalBatch
from tests.integration.accounting.conftest import AS_WORKER
from tests.integration.accounting.test_sync_flow import (
    GOOD_SETTINGS,
    approved_company,
    document,
    line,
    proposal,
)

NEW_SETTINGS = {**GOOD_SETTINGS,
                "sales": {"auxiliary_account": "110310", "detail_account": "310120"}}


async def profile(client, company_rut: str) -> dict:
    response = await client.get(f"/internal/v1/integrations/{company_rut}/posting-profile",
                                auth=AS_WORKER)
    assert response.status_code == 200, response.text
    return response.json()


async def post(client, proposals, versions):
    batch = ProposalBatch(proposals=proposals, settings_versions=versions)
    return await client.post("/internal/v1/proposals", content=batch.model_dump_json(),
                             headers={"content-type": "application/json"}, auth=AS_WORKER)


async def test_a_batch_built_with_an_older_settings_version_is_refused_whole(
        client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    company_id, company_rut = company["id"], company["rut"]
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company_id})
    settings_url = f"/v1/companies/{company_id}/settings/invoice-integration"
    await client.put(settings_url, json=GOOD_SETTINGS)
    old = await profile(client, company_rut)
    assert old["settings_version"] == 1
    sync = (await client.post(
        f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
        json={"from": "2024-03-01", "to": "2024-03-31"})).json()
    customer = rut()

    def sale(folio: int, detail: str):
        doc = document(company_rut, customer, "sales", 33, folio, net=100, vat=19)
        return proposal(sync["id"], doc, [line("110310", "auxiliary", debit=119, rut=customer),
                                          line(detail, "detail", credit=100),
                                          line("210710", "vat_debit", credit=19)])

    built = [sale(1, "310115"), sale(2, "310115")]
    assert (await post(client, built, {company_id: 1})).status_code == 200

    await client.put(settings_url, json=NEW_SETTINGS)
    new = await profile(client, company_rut)
    assert new["settings_version"] == 2 and new["sales"] == NEW_SETTINGS["sales"]

    for versions in ({company_id: 1}, {}, {"another-company": 2}):
        refused = await post(client, [sale(3, "310115"), sale(4, "310115")], versions)
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["type"] == STALE_SETTINGS
        assert problem["stale"] == [{"accounting_company_id": company_id,
                                     "company_ruts": [company_rut], "version": 2,
                                     "used": versions.get(company_id)}]
        assert "fetch the posting profile again" in problem["detail"]
    assert (await client.get(f"/v1/syncs/{sync['id']}")).json()["received"] == 2

    # Built again with the new profile: stored; one without versions is not checked.
    assert (await post(client, [sale(3, "310120"), sale(4, "310120")],
                       {company_id: 2})).status_code == 200
    assert (await post(client, [sale(5, "310120")], None)).status_code == 200
    assert (await client.get(f"/v1/syncs/{sync['id']}")).json()["received"] == 5


async def test_a_live_batch_is_checked_against_the_linked_company(client, services, rut):
    company, request_id = await approved_company(client, services, rut)
    await client.post(f"/v1/integration-requests/{request_id}/approve",
                      json={"company_id": company["id"]})
    await client.put(f"/v1/companies/{company['id']}/settings/invoice-integration",
                     json=GOOD_SETTINGS)
    doc = document(company["rut"], rut(), "sales", 33, 9, net=100, vat=19)
    live = proposal("x", doc, hold_reason="x").model_copy(update={"sync_id": None})
    assert (await post(client, [live], {company["id"]: 0})).status_code == 409
    assert (await post(client, [live], {company["id"]: 1})).status_code == 200


async def test_a_company_that_never_saved_settings_is_at_version_zero(client, services, rut):
    company, _ = await approved_company(client, services, rut)
    async with services.uow() as uow:
        assert await uow.settings.settings_versions([company["id"]]) == {
            company["id"]: SettingsVersion(0, auto_post=False)}
