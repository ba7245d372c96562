from typing import Annotated

from fastapi import Depends, Path, Request

from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.rut import Rut


def get_uow(request: Request) -> UnitOfWork:
    return request.app.state.container.uow()


Uow = Annotated[UnitOfWork, Depends(get_uow)]

CompanyRut = Annotated[
    Rut,
    Path(description="the company's RUT, with or without dots", examples=["76354771-K"]),
]
