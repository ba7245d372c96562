from typing import Annotated

from fastapi import Depends, Path, Request

from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.rut import Rut


async def get_uow(request: Request) -> UnitOfWork:
    # async, though it awaits nothing: FastAPI runs a plain def dependency in a worker
    # thread, a hand-off that costs every request more than building the object does.
    return request.app.state.container.uow()


Uow = Annotated[UnitOfWork, Depends(get_uow)]

CompanyRut = Annotated[
    Rut,
    Path(description="the company's RUT, with or without dots", examples=["76354771-K"]),
]
