"""Contracts and the companies whose books they keep."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CompanyStatus(StrEnum):
    ACTIVE = "active"
    HIDDEN = "hidden"  # kept, out of the way: its requests no longer conflict
    DELETED = "deleted"  # gone for every use; its rows stay (posted entries are never removed)


@dataclass(frozen=True)
class Contract:
    rut: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Company:
    id: str
    contract_rut: str
    rut: str
    name: str
    status: CompanyStatus
    last_entry_number: int
    created_at: datetime
