"""DESIGN.md §6: how a tax document becomes a balanced journal entry (a traspaso).

A document whose amounts do not add up, or that the rules do not cover, is not "fixed":
it is held with a reason that states the numbers, so a person can correct it at the source.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from integration_worker.domain import dte_types
from shared.events import Direction, TaxDocument
from shared.internal_api import (
    LineRole,
    PostingProfile,
    ProposedEntry,
    ProposedLine,
    PurchaseEntryDate,
)
from shared.money import split_gross, vat_of


@dataclass(frozen=True)
class Hold:
    """Why a document cannot be posted as it is, in words a person can act on."""

    reason: str
    # The rules post nothing for it (a guía, a note that corrects text): not a difference
    # between invoicing and the books, and nothing a person need fix.
    nothing_to_post: bool = False


@dataclass(frozen=True)
class _Line:
    account: str
    role: LineRole
    debit: int = 0
    credit: int = 0
    counterparty_rut: str | None = None
    description: str | None = None

    def reversed(self) -> "_Line":
        return _Line(self.account, self.role, self.credit, self.debit, self.counterparty_rut,
                     self.description)


def propose(document: TaxDocument, profile: PostingProfile) -> ProposedEntry | Hold:
    hold = (_unsupported(document) or _text_only_note(document)
            or _extra_amounts_fit_the_type(document) or _credec_grntdep_fit_the_type(document))
    if hold is not None:
        return hold
    vat = _vat_as_stated(document, profile)
    if isinstance(vat, Hold):
        return vat
    if document.direction is Direction.SALES:
        lines = _sales_lines(document, profile)
    else:
        lines = _purchase_lines(document, profile)
    if isinstance(lines, Hold):
        return lines
    return _entry(document, profile, lines, note=vat)


# --- what is not posted ----------------------------------------------------------------


def _unsupported(doc: TaxDocument) -> Hold | None:
    name = f"{dte_types.name_of(doc.dte_type)} ({doc.dte_type})"
    if doc.dte_type in dte_types.NOT_POSTED:
        return _hold(doc, f"a {name} moves goods and posts no amounts; the invoice that covers "
                          "it is posted instead, so there is nothing to post for it",
                     nothing_to_post=True)
    supported = dte_types.SALES if doc.direction is Direction.SALES else dte_types.PURCHASES
    if doc.dte_type in supported:
        return None
    if doc.dte_type in dte_types.SALES | dte_types.PURCHASES:
        return _hold(doc, f"a {name} cannot be posted as a purchase (purchases may be tipo "
                          f"{_listed(dte_types.PURCHASES)}): record it as a sale in invoicing "
                          "if the company issued it, or post it by hand in accounting")
    return _hold(doc, f"tipo DTE {doc.dte_type} is not supported by the integration (sales: "
                      f"{_listed(dte_types.SALES)}; purchases: {_listed(dte_types.PURCHASES)}): "
                      "post it by hand in accounting")


def _text_only_note(doc: TaxDocument) -> Hold | None:
    if doc.dte_type not in dte_types.NOTES:
        return None
    for ref in doc.references:
        if ref.code == 2:
            return _hold(doc, "it only corrects text (reference code 2) of "
                              f"{dte_types.name_of(ref.dte_type)} N° {ref.folio}, so it posts no "
                              "amounts: there is nothing to post for it", nothing_to_post=True)
    return None


# --- sales: the company issued it, the counterparty is the receptor ------------------


def _sales_lines(doc: TaxDocument, p: PostingProfile) -> list[_Line] | Hold:
    rut = doc.counterparty.rut
    clients, sales = p.sales.auxiliary_account, p.sales.detail_account

    match doc.dte_type:
        case 33 | 56 | 61:
            hold = _adds_up(doc)
            if hold:
                return hold
            taxes = _other_tax_lines(doc, p, debit=False)
            if isinstance(taxes, Hold):
                return taxes
            lines = [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(sales, LineRole.DETAIL, credit=doc.net + doc.exempt),
                _Line(p.vat_debit_account, LineRole.VAT_DEBIT, credit=doc.vat),
                *taxes,
                *_credec_grntdep_lines(doc, p),
            ]
            return _reverse(lines) if doc.dte_type == 61 else lines
        case 34:
            hold = _exempt_only(doc)
            if hold:
                return hold
            return [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(sales, LineRole.DETAIL, credit=doc.exempt),
            ]
        case 46:
            # A customer's factura de compra: it retained (part of) the IVA and pays it to
            # the SII itself, so only the IVA not retained is débito fiscal (DESIGN §6b).
            retained = _retained_by_46(doc)
            if isinstance(retained, Hold):
                return retained
            taxes = _other_tax_lines(doc, p, debit=False)
            if isinstance(taxes, Hold):
                return taxes
            return [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(sales, LineRole.DETAIL, credit=doc.net + doc.exempt),
                _Line(p.vat_debit_account, LineRole.VAT_DEBIT, credit=doc.vat - retained),
                *taxes,
            ]
        case 39:
            hold = _boleta_adds_up(doc)
            if hold:
                return hold
            net, vat = split_gross(doc.total - doc.exempt)
            return [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(sales, LineRole.DETAIL, credit=net + doc.exempt),
                _Line(p.vat_debit_account, LineRole.VAT_DEBIT, credit=vat),
            ]
        case 41:
            hold = _no_vat(doc)
            if hold:
                return hold
            return [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(sales, LineRole.DETAIL, credit=doc.total),
            ]
        case 110 | 111 | 112:
            hold = _no_vat(doc)
            if hold:
                return hold
            lines = [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(p.export_sales_account, LineRole.DETAIL, credit=doc.total),
            ]
            return _reverse(lines) if doc.dte_type == 112 else lines
    raise AssertionError(f"no sales rule for tipo {doc.dte_type}")  # _unsupported filtered it


# --- purchases: the counterparty is the emisor (for a 46, the seller it was issued to) -


def _purchase_lines(doc: TaxDocument, p: PostingProfile) -> list[_Line] | Hold:
    rut = doc.counterparty.rut
    suppliers, purchases = p.purchases.auxiliary_account, p.purchases.detail_account
    retained: int | Hold

    match doc.dte_type:
        case 56 | 61 if _over_own_46(doc):
            # It mirrors the 46 it adjusts (DESIGN §6b): the same retention, derived alike.
            retained = _retained_by_46(doc)
            if isinstance(retained, Hold):
                return retained
        case 33 | 34 | 56 | 61:
            hold = _exempt_only(doc) if doc.dte_type == 34 else None
            hold = hold or _adds_up(doc)
            if hold:
                return hold
            retained = doc.vat_retained
        case 46:
            retained = _retained_by_46(doc)
            if isinstance(retained, Hold):
                return retained
        case _:
            raise AssertionError(f"no purchase rule for tipo {doc.dte_type}")
    taxes = _other_tax_lines(doc, p, debit=True)
    if isinstance(taxes, Hold):
        return taxes
    cost_and_credit = _cost_and_credit(doc, p, purchases)
    if isinstance(cost_and_credit, Hold):
        return cost_and_credit
    lines = [
        *cost_and_credit,
        *taxes,
        _Line(suppliers, LineRole.AUXILIARY, credit=doc.total, counterparty_rut=rut),
        _Line(p.vat_retained_account, LineRole.VAT_RETAINED, credit=retained),
    ]
    return _reverse(lines) if doc.dte_type == 61 else lines


def _cost_and_credit(doc: TaxDocument, p: PostingProfile, purchases: str
                     ) -> list[_Line] | Hold:
    """The purchase's cost and its crédito fiscal (DESIGN §6b). Only the IVA the RCV calls
    recuperable (activo fijo's included) is crédito fiscal; IVA no recuperable and impuesto
    sin derecho a crédito are cost; IVA de uso común waits on its own account for the
    month-end proportion; the neto of an activo fijo goes to the fixed-asset account."""
    split = doc.vat_breakdown
    if split is None:  # not known: the IVA is crédito fiscal, as the document states it
        return [_Line(purchases, LineRole.DETAIL, debit=doc.net + doc.exempt),
                _Line(p.vat_credit_account, LineRole.VAT_CREDIT, debit=doc.vat)]
    columns = split.recoverable + split.non_recoverable + split.common_use
    # The RCV's IVA column is recuperable + no recuperable + uso común; some exports put the
    # impuesto sin derecho a crédito inside it too.
    without_credit = 0
    if columns != doc.vat and columns + split.without_credit == doc.vat:
        without_credit = split.without_credit
    elif columns != doc.vat:
        return _hold(doc, f"its IVA columns (recuperable {pesos(split.recoverable)} + no "
                          f"recuperable {pesos(split.non_recoverable)} + uso común "
                          f"{pesos(split.common_use)}) add up to {pesos(columns)}, but its IVA "
                          f"is {pesos(doc.vat)}: {_FIX}")
    if split.fixed_asset_net > doc.net:
        return _hold(doc, f"its neto activo fijo {pesos(split.fixed_asset_net)} is more than "
                          f"its neto {pesos(doc.net)}: {_FIX}")
    if split.fixed_asset_net and p.fixed_asset_account is None:
        return _hold(doc, f"it buys a fixed asset (neto activo fijo "
                          f"{pesos(split.fixed_asset_net)}) and no fixed-asset account is set: "
                          "set fixed_asset_account in settings/invoice-integration (e.g. "
                          "120110 Maquinarias y Equipos) and sync it again")
    cost_vat = split.non_recoverable + without_credit
    own_cost_line = p.non_recoverable_vat_account is not None
    return [
        _Line(purchases, LineRole.DETAIL, debit=doc.net + doc.exempt - split.fixed_asset_net
              + (0 if own_cost_line else cost_vat)),
        _Line(p.fixed_asset_account or purchases, LineRole.FIXED_ASSET,
              debit=split.fixed_asset_net),
        _Line(p.vat_credit_account, LineRole.VAT_CREDIT, debit=split.recoverable),
        _Line(p.vat_common_use_account, LineRole.VAT_COMMON_USE, debit=split.common_use),
        _Line(p.non_recoverable_vat_account or purchases, LineRole.NON_RECOVERABLE_VAT,
              debit=cost_vat if own_cost_line else 0,
              description=_non_recoverable_reason(split.non_recoverable_code)),
    ]


_NON_RECOVERABLE = {1: "compras para operaciones no gravadas o exentas",
                    2: "registrada fuera de plazo", 3: "gastos rechazados",
                    4: "entregas gratuitas", 9: "otros"}


def _non_recoverable_reason(code: int | None) -> str:
    reason = _NON_RECOVERABLE.get(code) if code is not None else None
    return f"IVA no recuperable (código {code}: {reason})" if reason else "IVA no recuperable"


# --- amount checks -----------------------------------------------------------------------

_FIX = "correct the document in invoicing and sync it again"


def _stated_before_retention(doc: TaxDocument) -> int:
    return (doc.net + doc.exempt + doc.vat + sum(tax.amount for tax in doc.other_taxes)
            - doc.construction_credit + doc.container_deposit)


def _adds_up(doc: TaxDocument) -> Hold | None:
    """neto + exento + IVA + other taxes − IVA retained = total."""
    stated = _stated_before_retention(doc) - doc.vat_retained
    if stated == doc.total:
        return None
    terms = f"neto {pesos(doc.net)} + exento {pesos(doc.exempt)} + IVA {pesos(doc.vat)}"
    for tax in doc.other_taxes:
        terms += f" + {tax_name(tax.code)} {pesos(tax.amount)}"
    if doc.vat_retained:
        terms += f" − IVA retenido {pesos(doc.vat_retained)}"
    terms += _credec_grntdep_terms(doc)
    return _hold(doc, f"{terms} = {pesos(stated)}, but the total is "
                      f"{pesos(doc.total)}: {_FIX}")


# Types whose IVA is stated beside a neto (boletas derive theirs from the total; exempt and
# export documents carry none).
_STATES_VAT = frozenset({33, 46, 56, 61})


def _vat_as_stated(doc: TaxDocument, p: PostingProfile) -> str | Hold | None:
    """An IVA that is not round(neto × 19%): a note, or a hold (DESIGN §6b).

    The SII accepts an IVA off by line rounding (reparo LBR-2), and the IVA a document
    states is the crédito or débito: a received document is booked as it is, since the
    company cannot correct it; an issued one within the tolerance, beyond it held.
    """
    if doc.dte_type not in _STATES_VAT or not (doc.net or doc.vat):
        return None
    expected = _expected_vat(doc)
    if doc.vat == expected:
        return None
    difference = abs(doc.vat - expected)
    stated = (f"IVA {pesos(doc.vat)} is not 19% of neto {pesos(doc.net)} (that is "
              f"{pesos(expected)}, {pesos(difference)} apart)")
    if doc.issuer_rut != doc.company_rut:
        return (f"{stated}: posted as the issuer stated it, which is the IVA that counts; "
                "ask the issuer for a note if it is wrong")
    tolerance = p.issued_vat_tolerance
    if difference <= tolerance:
        return (f"{stated}: posted as issued, within the tolerance of {pesos(tolerance)} "
                "(line rounding)")
    return _hold(doc, f"{stated}, beyond the tolerance of {pesos(tolerance)} for documents "
                      f"the company issues: {_FIX}")


def _expected_vat(doc: TaxDocument) -> int:
    # A note over a boleta takes the boleta's split of a VAT-inclusive total.
    if any(ref.dte_type in dte_types.BOLETAS for ref in doc.references):
        return split_gross(doc.net + doc.vat)[1]
    return vat_of(doc.net)


def _exempt_only(doc: TaxDocument) -> Hold | None:
    if doc.net or doc.vat:
        return _hold(doc, f"an exempt document has no neto or IVA, but this one states neto "
                          f"{pesos(doc.net)} and IVA {pesos(doc.vat)}: record it as a tipo "
                          f"33 if it is taxed, or {_FIX}")
    if doc.exempt != doc.total:
        return _hold(doc, f"exento {pesos(doc.exempt)} should equal the total "
                          f"{pesos(doc.total)}: {_FIX}")
    return None


def _no_vat(doc: TaxDocument) -> Hold | None:
    """Boletas exentas and export documents carry no IVA; neto/exento may be left unstated."""
    if doc.vat:
        return _hold(doc, f"this document type carries no IVA, but it states IVA "
                          f"{pesos(doc.vat)}: {_FIX}")
    stated = doc.net + doc.exempt
    if stated and stated != doc.total:
        return _hold(doc, f"neto {pesos(doc.net)} + exento {pesos(doc.exempt)} = "
                          f"{pesos(stated)}, but the total is {pesos(doc.total)}: {_FIX}")
    return None


def _boleta_adds_up(doc: TaxDocument) -> Hold | None:
    """A boleta's total includes IVA: neto and IVA come from the total, so the document
    need only state its total (and exento, if any); what it does state must add up."""
    if doc.exempt > doc.total:
        return _hold(doc, f"exento {pesos(doc.exempt)} is more than the total "
                          f"{pesos(doc.total)}: {_FIX}")
    if doc.net or doc.vat:
        return _adds_up(doc)
    return None


def _retained_by_46(doc: TaxDocument) -> int | Hold:
    """A 46 always retains IVA; when the document does not state how much, it is what the
    total leaves out (between nothing and all of the IVA)."""
    hold = _adds_up(doc) if doc.vat_retained else _retention_fits(doc)
    if hold:
        return hold
    return doc.vat_retained or _stated_before_retention(doc) - doc.total


def _retention_fits(doc: TaxDocument) -> Hold | None:
    """A 46's total is neto + exento + IVA − the IVA retained, which is at most the IVA."""
    with_vat = _stated_before_retention(doc)
    without_vat = with_vat - doc.vat
    if without_vat <= doc.total <= with_vat:
        return None
    return _hold(doc, f"the total {pesos(doc.total)} should lie between neto + exento "
                      f"{pesos(without_vat)} (IVA fully retained) and neto + exento + IVA "
                      f"{pesos(with_vat)} (nothing retained): {_FIX}")


# --- additional taxes (ILA…) and IVA retained -----------------------------------------

# Document types whose lines the rules below extend with additional taxes / retained IVA.
_TAKES_OTHER_TAXES = frozenset({33, 56, 61, 46})
_TAKES_RETENTION = {Direction.PURCHASES: frozenset({33, 56, 61, 46}),
                    Direction.SALES: frozenset({46})}

TAX_NAMES: dict[int, str] = {
    24: "ILA licores",
    25: "ILA vinos",
    26: "ILA cervezas",
    27: "ILA bebidas analcohólicas",
    271: "ILA bebidas azucaradas",
    53: "impuesto retenido suplementeros",
}

# Codes that are income tax retained, not IVA (SII's table of ImptoReten codes): 53, the
# suplementeros' tax (LIR art. 74 N°5) that the seller of newspapers and magazines adds
# to its factura and pays in the F29. The IVA retentions (15, 30-39, 41, 46-48, 60…) come
# as vat_retained instead, which is subtracted from the total and goes to IVA Retenido.
INCOME_TAX_RETENTIONS = frozenset({53})


def tax_name(code: int) -> str:
    return TAX_NAMES.get(code, f"impuesto código {code}")


def _extra_amounts_fit_the_type(doc: TaxDocument) -> Hold | None:
    name = dte_types.name_of(doc.dte_type)
    charged = [tax for tax in doc.other_taxes if tax.amount]
    if charged and doc.dte_type not in _TAKES_OTHER_TAXES:
        taxes = ", ".join(f"{tax_name(t.code)} {pesos(t.amount)}" for t in charged)
        return _hold(doc, f"a {name} carries no additional taxes, but this one states {taxes}: "
                          f"{_FIX}, or post it by hand in accounting")
    if doc.vat_retained and doc.dte_type not in _TAKES_RETENTION[doc.direction]:
        where = ("a sale with IVA retained by the buyer (cambio de sujeto) is not posted by the "
                 "integration: post it by hand in accounting" if doc.direction is Direction.SALES
                 else _FIX)
        return _hold(doc, f"it states IVA retenido {pesos(doc.vat_retained)}, which a {name} "
                          f"does not carry here: {where}")
    if doc.vat_retained > doc.vat:
        return _hold(doc, f"IVA retenido {pesos(doc.vat_retained)} is more than its IVA "
                          f"{pesos(doc.vat)}: {_FIX}")
    return None


def _other_tax_lines(doc: TaxDocument, p: PostingProfile, *, debit: bool) -> list[_Line] | Hold:
    """One line per additional tax, on its own account: credit on sales (a tax to pay),
    debit on purchases (a credit to recover). A tax of zero posts nothing."""
    accounts, setting = ((p.purchase_other_tax_accounts, "purchase_other_tax_accounts")
                         if debit else (p.other_tax_accounts, "other_tax_accounts"))
    lines = []
    for tax in doc.other_taxes:
        if not tax.amount:
            continue
        account = accounts.get(str(tax.code))
        if account is None:
            what = ""
            if debit and tax.code in INCOME_TAX_RETENTIONS:
                what = (" — income tax the seller retained from the company, its cost or a "
                        "credit depending on the company (e.g. 420220 Gastos Otros Impuestos)")
            return _hold(doc, f"it carries {tax_name(tax.code)} (SII tax code {tax.code}) of "
                              f"{pesos(tax.amount)} and no account is set for that tax{what}: "
                              f"set {setting}[\"{tax.code}\"] in "
                              "settings/invoice-integration and sync it again")
        rate = f" {_percent(tax.rate)}" if tax.rate is not None else ""
        description = f"{tax_name(tax.code)}{rate} (código {tax.code})"
        lines.append(_Line(account, LineRole.OTHER_TAX, debit=tax.amount if debit else 0,
                           credit=0 if debit else tax.amount, description=description))
    return lines


def _percent(rate: float) -> str:
    return f"{rate:g}".replace(".", ",") + "%"


# --- CredEC and GrntDep (DESIGN §6b) -----------------------------------------------------

# A constructora's crédito especial and a deposit for containers come on facturas afectas
# and their notes, on the seller's side: what the integration posts.
_TAKES_CREDEC_GRNTDEP = frozenset({33, 56, 61})


def _credec_grntdep_fit_the_type(doc: TaxDocument) -> Hold | None:
    named = [f"{name} {pesos(amount)}" for name, amount in (
        ("CredEC (crédito especial empresas constructoras)", doc.construction_credit),
        ("GrntDep (garantía por envases)", doc.container_deposit)) if amount]
    if not named:
        return None
    stated = " and ".join(named)
    if doc.direction is Direction.PURCHASES:
        return _hold(doc, f"it states {stated}, which only the seller books (the "
                          "constructora recovers the CredEC, the seller owes the deposit "
                          "back): the integration does not post such a purchase; post it "
                          "by hand in accounting")
    if doc.dte_type not in _TAKES_CREDEC_GRNTDEP:
        return _hold(doc, f"a {dte_types.name_of(doc.dte_type)} carries no CredEC or "
                          f"GrntDep, but this one states {stated}: {_FIX}")
    return None


def _credec_grntdep_terms(doc: TaxDocument) -> str:
    terms = ""
    if doc.construction_credit:
        terms += f" − crédito especial empresas constructoras {pesos(doc.construction_credit)}"
    if doc.container_deposit:
        terms += f" + garantía por envases {pesos(doc.container_deposit)}"
    return terms


def _credec_grntdep_lines(doc: TaxDocument, p: PostingProfile) -> list[_Line]:
    """The CredEC comes off what the customer pays and the constructora recovers it from
    the SII (an asset, debit); the deposit is paid with the sale and owed back when the
    containers return (a liability, credit)."""
    return [
        _Line(p.construction_credit_account, LineRole.CONSTRUCTION_CREDIT,
              debit=doc.construction_credit,
              description="Crédito especial empresas constructoras (CredEC)"),
        _Line(p.container_deposit_account, LineRole.CONTAINER_DEPOSIT,
              credit=doc.container_deposit, description="Garantía por envases (GrntDep)"),
    ]


def _over_own_46(doc: TaxDocument) -> bool:
    """A purchase-side note the company issued: only over its own factura de compra."""
    return doc.dte_type in dte_types.NOTES and (
        doc.issuer_rut == doc.company_rut
        or any(ref.dte_type == 46 for ref in doc.references))


# --- building the entry -----------------------------------------------------------------


def _entry(doc: TaxDocument, p: PostingProfile, lines: list[_Line], *,
           note: str | None = None) -> ProposedEntry | Hold:
    posted = [
        ProposedLine(
            account_code=line.account,
            role=line.role,
            debit=line.debit,
            credit=line.credit,
            counterparty_rut=line.counterparty_rut,
            description=line.description,
        )
        for line in lines
        if line.debit or line.credit
    ]
    if len(posted) < 2:
        return _hold(doc, f"its amounts are all zero (total {pesos(doc.total)}): there is "
                          f"nothing to post; {_FIX} if that is wrong")
    day = entry_date(doc, p)
    note = "; ".join(said for said in (note, _booked_later(doc, day)) if said) or None
    entry = ProposedEntry(entry_date=day, kind="traspaso", glosa=glosa(doc), lines=posted,
                          note=note)
    if not entry.is_balanced:  # the checks above make this impossible; never post it anyway
        return _hold(doc, f"the entry does not balance: debit {pesos(entry.total_debit)}, "
                          f"credit {pesos(entry.total_credit)}")
    return entry


def entry_date(doc: TaxDocument, p: PostingProfile) -> date:
    """A purchase counts from the day the company received it, as its crédito fiscal does
    (DL 825 art. 24, DESIGN §6b), unless the settings choose the issue date. A document the
    company issued itself (a 46) is received when issued; a reception before the issue
    cannot be, and the issue date stands."""
    received = doc.received_on
    if (doc.direction is Direction.PURCHASES and received is not None
            and p.purchase_entry_date == PurchaseEntryDate.RECEIVED
            and doc.issuer_rut != doc.company_rut and received > doc.issue_date):
        return received
    return doc.issue_date


def _booked_later(doc: TaxDocument, day: date) -> str | None:
    """Said in review when the reception moves a purchase to another month than invoicing's
    (and the F29's of the issuer): worth a look, e.g. after importing old DTE files, whose
    reception is the day they were imported."""
    if (day.year, day.month) == (doc.issue_date.year, doc.issue_date.month):
        return None
    return (f"booked on {day}, the day it was received, not in the month of its issue on "
            f"{doc.issue_date}: its crédito fiscal is the month of reception (DL 825 art. "
            "24); set purchase_entry_date to \"issued\" in settings/invoice-integration to "
            "book purchases on their issue date")


def glosa(doc: TaxDocument) -> str:
    """E.g. 'Factura electrónica N° 123 — Ferretería Sur Ltda. (76354771-K)'; a document in
    another currency says what it states there: '… — DOLAR USA 1.000,00 a $950,5'."""
    text = (f"{dte_types.name_of(doc.dte_type)} N° {doc.folio} — "
            f"{doc.counterparty.name} ({doc.counterparty.rut})")
    foreign = doc.foreign_currency
    if foreign is not None:
        # The currency part goes first into the 300 characters: it explains the pesos.
        stated = f" — {foreign.currency} {_decimal(foreign.total, places=2)}"
        if foreign.exchange_rate is not None:
            stated += f" a {pesos_decimal(foreign.exchange_rate)}"
        return text[:300 - len(stated)] + stated
    return text[:300]


def _decimal(value: Decimal, *, places: int | None = None) -> str:
    """Chilean style: 1.000,5 (thousands with dots, decimals after a comma)."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    fraction = fraction if places is not None else fraction.rstrip("0")
    return f"{sign}{grouped},{fraction}" if fraction else f"{sign}{grouped}"


def pesos_decimal(amount: Decimal) -> str:
    """An exchange rate in pesos: $950,5."""
    return "$" + _decimal(amount)


def _reverse(lines: list[_Line]) -> list[_Line]:
    return [line.reversed() for line in lines]


def _hold(doc: TaxDocument, why: str, *, nothing_to_post: bool = False) -> Hold:
    return Hold(f"{dte_types.name_of(doc.dte_type)} N° {doc.folio}: {why}.", nothing_to_post)


def pesos(amount: int) -> str:
    """Chilean style: $119.000."""
    return "$" + f"{amount:,}".replace(",", ".")


def _listed(types: frozenset[int]) -> str:
    return ", ".join(str(t) for t in sorted(types))
