"""A company's invoice settings and integration options (SQLAlchemy Core)."""

from collections.abc import Iterable

from sqlalchemy import insert, select, update

from accounting.adapters.repository import SqlRepository, now
from accounting.adapters.tables import invoice_settings
from accounting.domain.settings import IntegrationOptions, InvoiceSettings, SettingsVersion
from shared.internal_api import PurchaseEntryDate


class SettingsRepository(SqlRepository):
    async def get_settings(self, company_id: str) -> InvoiceSettings:
        row = await self._one(
            select(invoice_settings).where(invoice_settings.c.company_id == company_id)
        )
        if row is None:
            return InvoiceSettings()
        return InvoiceSettings(
            sales_auxiliary=row.sales_auxiliary, sales_detail=row.sales_detail,
            purchases_auxiliary=row.purchases_auxiliary, purchases_detail=row.purchases_detail,
            payments=row.payments, collections=row.collections,
            fixed_asset=row.fixed_asset, non_recoverable_vat=row.non_recoverable_vat,
        )

    async def get_options(self, company_id: str) -> IntegrationOptions:
        row = await self._one(
            select(invoice_settings.c.auto_post, invoice_settings.c.other_tax_accounts,
                   invoice_settings.c.purchase_other_tax_accounts,
                   invoice_settings.c.issued_vat_tolerance,
                   invoice_settings.c.purchase_entry_date)
            .where(invoice_settings.c.company_id == company_id)
        )
        if row is None:
            return IntegrationOptions()
        return IntegrationOptions(
            auto_post=bool(row.auto_post), other_tax_accounts=row.other_tax_accounts or None,
            purchase_other_tax_accounts=row.purchase_other_tax_accounts or None,
            issued_vat_tolerance=row.issued_vat_tolerance,
            purchase_entry_date=PurchaseEntryDate(row.purchase_entry_date))

    async def save_settings(self, company_id: str, settings: InvoiceSettings,
                            options: IntegrationOptions | None = None) -> None:
        options = options or IntegrationOptions()
        values = {
            "auto_post": options.auto_post,
            "other_tax_accounts": options.other_tax_accounts or None,
            "purchase_other_tax_accounts": options.purchase_other_tax_accounts or None,
            "issued_vat_tolerance": options.issued_vat_tolerance,
            "purchase_entry_date": options.purchase_entry_date.value,
            "sales_auxiliary": settings.sales_auxiliary,
            "sales_detail": settings.sales_detail,
            "purchases_auxiliary": settings.purchases_auxiliary,
            "purchases_detail": settings.purchases_detail,
            "payments": settings.payments,
            "collections": settings.collections,
            "fixed_asset": settings.fixed_asset,
            "non_recoverable_vat": settings.non_recoverable_vat,
            "updated_at": now(),
        }
        exists = await self._one(
            select(invoice_settings.c.company_id).where(invoice_settings.c.company_id == company_id)
        )
        if exists is None:
            await self.session.execute(
                insert(invoice_settings).values(company_id=company_id, version=1, **values)
            )
        else:
            await self.session.execute(
                update(invoice_settings)
                .where(invoice_settings.c.company_id == company_id)
                .values(version=invoice_settings.c.version + 1, **values)
            )

    async def settings_versions(self, company_ids: Iterable[str]) -> dict[str, SettingsVersion]:
        """Each company's settings version and auto-post option (a company that never
        saved any: version 0, no auto-post)."""
        company_ids = list(company_ids)
        versions = dict.fromkeys(company_ids, SettingsVersion(0, False))
        if company_ids:
            rows = await self.session.execute(
                select(invoice_settings.c.company_id, invoice_settings.c.version,
                       invoice_settings.c.auto_post)
                .where(invoice_settings.c.company_id.in_(company_ids)))
            versions.update((str(company_id), SettingsVersion(version, bool(auto_post)))
                            for company_id, version, auto_post in rows.all())
        return versions
