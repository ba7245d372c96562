"""DESIGN.md §6: how a tax document becomes a balanced journal entry (a traspaso).

A document whose amounts do not add up, or that the rules do not cover, is not "fixed":
it is held with a reason that states the numbers, so a person can correct it at the source.
"""

from dataclasses import dataclass

from integration_worker.domain import dte_types
from shared.events import Direction, TaxDocument
from shared.internal_api import LineRole, PostingProfile, ProposedEntry, ProposedLine
from shared.money import split_gross, vat_of


@dataclass(frozen=True)
class Hold:
    """Why a document cannot be posted as it is, in words a person can act on."""

    reason: str


@dataclass(frozen=True)
class _Line:
    account: str
    role: LineRole
    debit: int = 0
    credit: int = 0
    counterparty_rut: str | None = None

    def reversed(self) -> "_Line":
        return _Line(self.account, self.role, self.credit, self.debit, self.counterparty_rut)


def propose(document: TaxDocument, profile: PostingProfile) -> ProposedEntry | Hold:
    hold = _unsupported(document) or _text_only_note(document)
    if hold is not None:
        return hold
    if document.direction is Direction.SALES:
        lines = _sales_lines(document, profile)
    else:
        lines = _purchase_lines(document, profile)
    if isinstance(lines, Hold):
        return lines
    return _entry(document, lines)


# --- what is not posted ----------------------------------------------------------------


def _unsupported(doc: TaxDocument) -> Hold | None:
    name = f"{dte_types.name_of(doc.dte_type)} ({doc.dte_type})"
    if doc.dte_type in dte_types.NOT_POSTED:
        return _hold(doc, f"a {name} moves goods and posts no amounts; the invoice that covers "
                          "it is posted instead, so there is nothing to post for it")
    supported = dte_types.SALES if doc.direction is Direction.SALES else dte_types.PURCHASES
    if doc.dte_type in supported:
        return None
    if doc.dte_type in dte_types.SALES | dte_types.PURCHASES:
        if doc.direction is Direction.SALES:
            return _hold(doc, f"a {name} is issued by the buyer, so it is always a purchase, "
                              "but it came as a sale: record it as a purchase in invoicing")
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
                              "amounts: there is nothing to post for it")
    return None


# --- sales: the company issued it, the counterparty is the receptor ------------------


def _sales_lines(doc: TaxDocument, p: PostingProfile) -> list[_Line] | Hold:
    rut = doc.counterparty.rut
    clients, sales = p.sales.auxiliary_account, p.sales.detail_account

    match doc.dte_type:
        case 33 | 56 | 61:
            hold = _adds_up(doc) or _vat_is_19_percent(doc)
            if hold:
                return hold
            lines = [
                _Line(clients, LineRole.AUXILIARY, debit=doc.total, counterparty_rut=rut),
                _Line(sales, LineRole.DETAIL, credit=doc.net + doc.exempt),
                _Line(p.vat_debit_account, LineRole.VAT_DEBIT, credit=doc.vat),
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

    match doc.dte_type:
        case 33 | 34 | 56 | 61:
            hold = _exempt_only(doc) if doc.dte_type == 34 else None
            hold = hold or _adds_up(doc) or _vat_is_19_percent(doc)
            if hold:
                return hold
            lines = [
                _Line(purchases, LineRole.DETAIL, debit=doc.net + doc.exempt),
                _Line(p.vat_credit_account, LineRole.VAT_CREDIT, debit=doc.vat),
                _Line(suppliers, LineRole.AUXILIARY, credit=doc.total, counterparty_rut=rut),
            ]
            return _reverse(lines) if doc.dte_type == 61 else lines
        case 46:
            hold = _vat_is_19_percent(doc) or _retention_fits(doc)
            if hold:
                return hold
            retained = doc.net + doc.exempt + doc.vat - doc.total
            return [
                _Line(purchases, LineRole.DETAIL, debit=doc.net + doc.exempt),
                _Line(p.vat_credit_account, LineRole.VAT_CREDIT, debit=doc.vat),
                _Line(suppliers, LineRole.AUXILIARY, credit=doc.total, counterparty_rut=rut),
                _Line(p.vat_retained_account, LineRole.VAT_RETAINED, credit=retained),
            ]
    raise AssertionError(f"no purchase rule for tipo {doc.dte_type}")


# --- amount checks -----------------------------------------------------------------------

_FIX = "correct the document in invoicing and sync it again"


def _adds_up(doc: TaxDocument) -> Hold | None:
    stated = doc.net + doc.exempt + doc.vat
    if stated == doc.total:
        return None
    return _hold(doc, f"neto {_pesos(doc.net)} + exento {_pesos(doc.exempt)} + IVA "
                      f"{_pesos(doc.vat)} = {_pesos(stated)}, but the total is "
                      f"{_pesos(doc.total)}: {_FIX}")


def _vat_is_19_percent(doc: TaxDocument) -> Hold | None:
    expected = vat_of(doc.net)
    if doc.vat == expected:
        return None
    return _hold(doc, f"IVA {_pesos(doc.vat)} is not 19% of neto {_pesos(doc.net)} "
                      f"(that is {_pesos(expected)}): {_FIX}")


def _exempt_only(doc: TaxDocument) -> Hold | None:
    if doc.net or doc.vat:
        return _hold(doc, f"an exempt document has no neto or IVA, but this one states neto "
                          f"{_pesos(doc.net)} and IVA {_pesos(doc.vat)}: record it as a tipo "
                          f"33 if it is taxed, or {_FIX}")
    if doc.exempt != doc.total:
        return _hold(doc, f"exento {_pesos(doc.exempt)} should equal the total "
                          f"{_pesos(doc.total)}: {_FIX}")
    return None


def _no_vat(doc: TaxDocument) -> Hold | None:
    """Boletas exentas and export documents carry no IVA; neto/exento may be left unstated."""
    if doc.vat:
        return _hold(doc, f"this document type carries no IVA, but it states IVA "
                          f"{_pesos(doc.vat)}: {_FIX}")
    stated = doc.net + doc.exempt
    if stated and stated != doc.total:
        return _hold(doc, f"neto {_pesos(doc.net)} + exento {_pesos(doc.exempt)} = "
                          f"{_pesos(stated)}, but the total is {_pesos(doc.total)}: {_FIX}")
    return None


def _boleta_adds_up(doc: TaxDocument) -> Hold | None:
    """A boleta's total includes IVA: neto and IVA come from the total, so the document
    need only state its total (and exento, if any); what it does state must add up."""
    if doc.exempt > doc.total:
        return _hold(doc, f"exento {_pesos(doc.exempt)} is more than the total "
                          f"{_pesos(doc.total)}: {_FIX}")
    if doc.net or doc.vat:
        return _adds_up(doc)
    return None


def _retention_fits(doc: TaxDocument) -> Hold | None:
    """A 46's total is neto + exento + IVA − the IVA retained, which is at most the IVA."""
    without_vat = doc.net + doc.exempt
    with_vat = without_vat + doc.vat
    if without_vat <= doc.total <= with_vat:
        return None
    return _hold(doc, f"the total {_pesos(doc.total)} should lie between neto + exento "
                      f"{_pesos(without_vat)} (IVA fully retained) and neto + exento + IVA "
                      f"{_pesos(with_vat)} (nothing retained): {_FIX}")


# --- building the entry -----------------------------------------------------------------


def _entry(doc: TaxDocument, lines: list[_Line]) -> ProposedEntry | Hold:
    posted = [
        ProposedLine(
            account_code=line.account,
            role=line.role,
            debit=line.debit,
            credit=line.credit,
            counterparty_rut=line.counterparty_rut,
        )
        for line in lines
        if line.debit or line.credit
    ]
    if len(posted) < 2:
        return _hold(doc, f"its amounts are all zero (total {_pesos(doc.total)}): there is "
                          f"nothing to post; {_FIX} if that is wrong")
    entry = ProposedEntry(entry_date=doc.issue_date, kind="traspaso", glosa=glosa(doc),
                          lines=posted)
    if not entry.is_balanced:  # the checks above make this impossible; never post it anyway
        return _hold(doc, f"the entry does not balance: debit {_pesos(entry.total_debit)}, "
                          f"credit {_pesos(entry.total_credit)}")
    return entry


def glosa(doc: TaxDocument) -> str:
    """E.g. 'Factura electrónica N° 123 — Ferretería Sur Ltda. (76354771-K)'."""
    text = (f"{dte_types.name_of(doc.dte_type)} N° {doc.folio} — "
            f"{doc.counterparty.name} ({doc.counterparty.rut})")
    return text[:300]


def _reverse(lines: list[_Line]) -> list[_Line]:
    return [line.reversed() for line in lines]


def _hold(doc: TaxDocument, why: str) -> Hold:
    return Hold(f"{dte_types.name_of(doc.dte_type)} N° {doc.folio}: {why}.")


def _pesos(amount: int) -> str:
    """Chilean style: $119.000."""
    return "$" + f"{amount:,}".replace(",", ".")


def _listed(types: frozenset[int]) -> str:
    return ", ".join(str(t) for t in sorted(types))
