"""Default accounts of the invoice integration, and the worker's posting profile."""

from typing import Any

from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.settings import (
    ROLE_NAMES,
    IntegrationOptions,
    InvoiceSettings,
    missing_sentences,
    other_tax_account_errors,
    validate_settings,
)
from accounting.service_layer.companies import company_or_404
from accounting.service_layer.unit_of_work import Services
from shared.events import SettingsChanged
from shared.internal_api import (
    DEFAULT_OTHER_TAX_ACCOUNTS,
    DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS,
    AccountPair,
    PostingProfile,
)


def settings_view(settings: InvoiceSettings,
                  options: IntegrationOptions | None = None) -> dict[str, Any]:
    options = options or IntegrationOptions()
    return {
        "auto_post": options.auto_post,
        "other_tax_accounts": options.tax_accounts(DEFAULT_OTHER_TAX_ACCOUNTS),
        "purchase_other_tax_accounts":
            options.purchase_tax_accounts(DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS),
        "issued_vat_tolerance": options.issued_vat_tolerance,
        "purchase_entry_date": options.purchase_entry_date.value,
        "sales": {"auxiliary_account": settings.sales_auxiliary,
                  "detail_account": settings.sales_detail},
        "purchases": {"auxiliary_account": settings.purchases_auxiliary,
                      "detail_account": settings.purchases_detail},
        "payments_account": settings.payments,
        "collections_account": settings.collections,
        "fixed_asset_account": settings.fixed_asset,
        "non_recoverable_vat_account": settings.non_recoverable_vat,
        "missing": missing_sentences(settings),
    }


async def get_settings(services: Services, company_id: str) -> dict[str, Any]:
    async with services.uow() as uow:
        await company_or_404(uow, company_id)
        return settings_view(await uow.settings.get_settings(company_id),
                             await uow.settings.get_options(company_id))


async def put_settings(services: Services, company_id: str, settings: InvoiceSettings,
                       options: IntegrationOptions | None = None) -> dict[str, Any]:
    options = options or IntegrationOptions()
    async with services.uow() as uow:
        company = await company_or_404(uow, company_id)
        chart = await uow.companies.chart(company_id)
        errors = [*validate_settings(settings, chart),
                  *other_tax_account_errors(options.other_tax_accounts or {}, chart),
                  *other_tax_account_errors(options.purchase_other_tax_accounts or {}, chart,
                                            "purchase_other_tax_accounts")]
        if errors:
            listing = "; ".join(f"{e.field}: {e.message}" for e in errors)
            raise Unprocessable(
                f"The invoice integration settings have {len(errors)} problem(s): {listing}",
                errors=[{"field": e.field, "message": e.message} for e in errors],
            )
        await uow.settings.save_settings(company_id, settings, options)
        link = await uow.companies.link_for_company(company_id)
        uow.emit(SettingsChanged(accounting_company_id=company_id,
                                 company_rut=link.company_rut if link else company.rut),
                 subject=company_id)
        await uow.commit()
    return settings_view(settings, options)


async def posting_profile(services: Services, company_rut: str) -> PostingProfile:
    async with services.uow() as uow:
        link = await uow.companies.link_for_rut(company_rut)
        if link is None:
            raise NotFound(f"No accounting company is linked to the invoicing company "
                           f"{company_rut}: its integration request is not approved.")
        # The version first: a change committed between these reads gives newer settings
        # under the older version, which a batch is refused for (and the profile read
        # again), never older settings under the newer version.
        version = (await uow.settings.settings_versions([link.company_id]))[
            link.company_id].version
        settings = await uow.settings.get_settings(link.company_id)
        options = await uow.settings.get_options(link.company_id)
    if settings.missing:
        missing = [ROLE_NAMES[role] for role in settings.missing]
        raise Conflict(f"Company {link.company_id} has no {', '.join(missing)} set: set them in "
                       "settings/invoice-integration.", missing=missing_sentences(settings))
    return PostingProfile(
        accounting_company_id=link.company_id,
        company_rut=company_rut,
        sales=AccountPair(auxiliary_account=settings.sales_auxiliary,
                          detail_account=settings.sales_detail),
        purchases=AccountPair(auxiliary_account=settings.purchases_auxiliary,
                              detail_account=settings.purchases_detail),
        payments_account=settings.payments,
        collections_account=settings.collections,
        fixed_asset_account=settings.fixed_asset,
        non_recoverable_vat_account=settings.non_recoverable_vat,
        other_tax_accounts=options.tax_accounts(DEFAULT_OTHER_TAX_ACCOUNTS),
        purchase_other_tax_accounts=options.purchase_tax_accounts(
            DEFAULT_PURCHASE_OTHER_TAX_ACCOUNTS),
        issued_vat_tolerance=options.issued_vat_tolerance,
        purchase_entry_date=options.purchase_entry_date,
        settings_version=version,
    )
