from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    rut: str  # canonical
    name: str


def company_not_found_detail(rut: str) -> str:
    return (
        f"Company {rut} is not registered in invoicing: create it first with "
        "POST /v1/companies {\"rut\", \"name\"}."
    )
