"""The duplicate-RUT guard: a contract with several active companies sharing a RUT."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CompanyRef:
    id: str
    name: str


def conflict_detail(contract_rut: str, company_rut: str, companies: list[CompanyRef]) -> str:
    named = [f"'{c.name}' (id {c.id})" for c in companies]
    listing = ", ".join(named[:-1]) + " and " + named[-1]
    fix = ("Delete one or hide one" if len(companies) == 2
           else "Delete or hide all but one of them")
    return (f"The contract {contract_rut} has {len(companies)} active companies with RUT "
            f"{company_rut}: {listing}. {fix}, then approve this request.")


def conflict_notice(contract_rut: str, company_rut: str) -> str:
    """The conflict as invoicing's users see it: they are not users of the contract, so
    it names none of its companies or their ids (conflict_detail does, for accounting)."""
    return (f"The accounting contract {contract_rut} has more than one active company with "
            f"RUT {company_rut}, so the accountant cannot tell which one keeps your books. "
            "The accountant must delete or hide the duplicates and then approve the "
            "request; nothing is needed from you.")


def unknown_contract_reason(contract_rut: str) -> str:
    return (f"There is no accounting contract with RUT {contract_rut}. Check the contract "
            "holder RUT entered in invoicing: it must be the RUT that holds the accounting "
            "contract, not necessarily the company's own RUT. Then request the integration "
            "again.")
